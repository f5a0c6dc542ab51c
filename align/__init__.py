"""align: translation alignment and parallel-text mining.

Importing ``align`` loads no model and imports no heavy library; components
import torch, transformers and encoders lazily when they are built.
"""

__version__ = "0.1.0"
