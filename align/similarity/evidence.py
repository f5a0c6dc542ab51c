"""Similarity evidence: how alike a query and a candidate are.

- ``EmbeddingEvidence``: direct cross-lingual cosine with the multilingual
  encoder. Needs no translation.
- ``PivotMTEvidence``: translate both sides into a pivot language with
  MarianMT, then combine the cosine of pivot-language embeddings with chrF
  between the two pivot texts.

Both return an (n_queries, n_candidates) matrix; only ``allowed`` cells are
meaningful. Each records its method name so every pair can say what evidence
it rests on.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..metrics.bleu import chrf_matrix
from ..types import Unit
from .encoders import Encoder, encode_unique


class Evidence(Protocol):
    method: str

    def covers(self, langs: set[str]) -> bool: ...

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray: ...


class EmbeddingEvidence:
    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.method = f"embeddings:{encoder.name}"

    def covers(self, langs: set[str]) -> bool:
        return True

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray:
        vectors = encode_unique(self.encoder, [u.text for u in queries] + [u.text for u in candidates])
        return vectors[: len(queries)] @ vectors[len(queries):].T


class PivotTranslations:
    """Translations into the pivot language, one MarianMT per source language.

    Windows are translated sentence by sentence and joined, so the many
    overlapping windows of a document cost one translation per sentence.
    """

    def __init__(self, translators: dict[str, object], pivot: str):
        self.translators = translators  # source lang -> Translator into pivot
        self.pivot = pivot
        # The last call's translations, (source lang, pivot, text) -> text: BLEU
        # scoring of the same document reuses them instead of asking again.
        self.last: dict[tuple[str, str, str], str] = {}

    def covers(self, lang: str) -> bool:
        return lang == self.pivot or lang in self.translators

    def translate_units(self, units: list[Unit]) -> list[str]:
        by_lang: dict[str, set[str]] = {}
        for u in units:
            if u.lang != self.pivot:
                by_lang.setdefault(u.lang, set()).update(u.pieces)
        done: dict[tuple[str, str], str] = {}
        for lang, pieces in by_lang.items():
            ordered = sorted(pieces)
            for src, tgt in zip(ordered, self.translators[lang].translate(ordered)):
                done[(lang, src)] = tgt
        self.last = {(lang, self.pivot, src): tgt for (lang, src), tgt in done.items()}
        return [
            u.text if u.lang == self.pivot else " ".join(done[(u.lang, p)] for p in u.pieces)
            for u in units
        ]


class PivotMTEvidence:
    def __init__(self, pivot: PivotTranslations, encoder: Encoder, *, weight_cosine: float, weight_chrf: float):
        self.pivot = pivot
        self.encoder = encoder
        total = weight_cosine + weight_chrf
        self.w_cos, self.w_chrf = weight_cosine / total, weight_chrf / total
        self.method = f"mt:{pivot.pivot}+{encoder.name}+chrf"

    def covers(self, langs: set[str]) -> bool:
        return all(self.pivot.covers(lang) for lang in langs)

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray:
        texts = self.pivot.translate_units(queries + candidates)
        q, c = texts[: len(queries)], texts[len(queries):]
        vectors = encode_unique(self.encoder, texts)
        cosine = vectors[: len(queries)] @ vectors[len(queries):].T
        chrf = chrf_matrix(q, c, allowed)
        return self.w_cos * cosine + self.w_chrf * chrf
