"""The Translator interface and a registry of implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from align.translate.cache import TranslationCache
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


def build_translator(
    type: str,
    model: str,
    src_lang: str | None,
    tgt_lang: str | None,
    *,
    beam: int = 4,
    max_length: int = 256,
    batch_size: int = 16,
    cache: TranslationCache | str | Path | None = None,
    device: str = "cpu",
    local_files_only: bool | None = None,
) -> Translator:
    """Build a translator by registry name; the model itself loads on first use."""
    try:
        cls = TRANSLATORS[type]
    except KeyError:
        raise ConfigError(f"unknown translator type '{type}' (known: {', '.join(sorted(TRANSLATORS))})") from None
    return cls(
        model,
        src_lang,
        tgt_lang,
        beam=beam,
        max_length=max_length,
        batch_size=batch_size,
        cache=cache,
        device=device,
        local_files_only=local_files_only,
    )
