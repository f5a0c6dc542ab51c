"""The Translator interface and a registry of implementations."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from align.translate.marian import MarianTranslator  # cheap: torch is imported on load
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


TRANSLATORS: dict[str, type] = {"marian": MarianTranslator}


def build_translator(type: str, model: str, src_lang: str | None, tgt_lang: str | None, **options: Any) -> Translator:
    """Build a translator by registry name; the model itself loads on first use.

    ``options`` are the translator's keyword settings (beam, max_length,
    batch_size, cache, device, local_files_only for ``marian``).
    """
    try:
        cls = TRANSLATORS[type]
    except KeyError:
        raise ConfigError(f"unknown translator type '{type}' (known: {', '.join(sorted(TRANSLATORS))})") from None
    return cls(model, src_lang, tgt_lang, **options)
