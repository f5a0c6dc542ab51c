"""The Translator interface and a registry of implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from align.translate.cache import TranslationCache

# Cheap: torch, transformers and ctranslate2 are imported when a model loads.
from align.translate.ctranslate2 import CTranslate2Translator
from align.translate.marian import MarianTranslator
from align.types import ConfigError


@runtime_checkable
class Translator(Protocol):
    model_id: str
    src_lang: str | None
    tgt_lang: str | None
    # "translated": texts the model translated; "cached": texts served from the cache.
    stats: dict[str, int]

    def translate(self, texts: list[str]) -> list[str]:
        """Translations aligned with ``texts``; empty inputs give ``""``."""
        ...


TRANSLATORS: dict[str, type] = {"marian": MarianTranslator, "ctranslate2": CTranslate2Translator}


def build_translator(type: str, model: str, src_lang: str | None, tgt_lang: str | None, **options: Any) -> Translator:
    """Build a translator by registry name; the model itself loads on first use.

    ``options`` are the translator's keyword settings (beam, max_length,
    batch_size, max_batch_tokens, threads, cache, device, local_files_only;
    for ``ctranslate2`` also compute_type, inter_threads, intra_threads, ct2_dir).
    """
    try:
        cls = TRANSLATORS[type]
    except KeyError:
        raise ConfigError(f"unknown translator type '{type}' (known: {', '.join(sorted(TRANSLATORS))})") from None
    if src_lang and tgt_lang:
        # Every caller (translate, run, docalign) refuses a model for another direction.
        from .marian import check_model_direction

        check_model_direction(model, src_lang, tgt_lang, f"translation.models.{src_lang}-{tgt_lang}")
    return cls(model, src_lang, tgt_lang, **options)


def translator_options(cfg: Any) -> dict[str, Any]:
    """Keyword settings for :func:`build_translator` from a ``TranslationConfig``.

    The translation cache is ``cache_dir/translations.sqlite``; an empty
    ``cache_dir`` means no cache.
    """
    cache = TranslationCache(Path(cfg.cache_dir).expanduser() / "translations.sqlite") if cfg.cache_dir else None
    options: dict[str, Any] = dict(
        beam=cfg.beam, max_length=cfg.max_length, batch_size=cfg.batch_size,
        max_batch_tokens=cfg.max_batch_tokens, threads=cfg.threads, cache=cache, device=cfg.device,
    )
    if cfg.type == "ctranslate2":
        options["compute_type"] = cfg.compute_type
        options["inter_threads"] = cfg.inter_threads
        if cfg.cache_dir:  # converted models beside the translation cache
            options["ct2_dir"] = Path(cfg.cache_dir).expanduser() / "ct2"
    return options
