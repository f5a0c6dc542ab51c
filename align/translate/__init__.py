"""Machine translation of segments (MarianMT with transformers or CTranslate2), batched and cached on disk.

Importing this package does not import torch, transformers or ctranslate2.
"""

from align.translate.base import TRANSLATORS, Translator, build_translator, translator_options
from align.translate.cache import TranslationCache, model_cache_key, params_cache_key
from align.translate.ctranslate2 import CTranslate2Translator
from align.translate.marian import (
    MarianBackend,
    MarianTranslator,
    check_model_direction,
    marian_available_locally,
    model_direction,
)

__all__ = [
    "TRANSLATORS",
    "CTranslate2Translator",
    "MarianBackend",
    "MarianTranslator",
    "TranslationCache",
    "Translator",
    "build_translator",
    "check_model_direction",
    "marian_available_locally",
    "model_cache_key",
    "model_direction",
    "params_cache_key",
    "translator_options",
]
