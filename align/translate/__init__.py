"""Machine translation of segments (MarianMT), batched and cached on disk.

Importing this package does not import torch or transformers.
"""

from align.translate.base import TRANSLATORS, Translator, build_translator
from align.translate.cache import TranslationCache, model_cache_key, params_cache_key
from align.translate.marian import MarianTranslator, marian_available_locally

__all__ = [
    "TRANSLATORS",
    "MarianTranslator",
    "TranslationCache",
    "Translator",
    "build_translator",
    "marian_available_locally",
    "model_cache_key",
    "params_cache_key",
]
