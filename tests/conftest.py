"""Shared pytest fixtures."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The default caches live under ~/.cache/align: point HOME at a throwaway
# directory so tests (and the subprocesses they start) neither read a user's
# caches nor leave files behind. Set at import, before any test runs.
_HOME = tempfile.TemporaryDirectory(prefix="align-test-home-")
os.environ["HOME"] = _HOME.name


SHARED = ROOT.parent / "shared"
TATOEBA = SHARED / "data" / "tatoeba"


def load_script(relpath: str):
    """Import a script of this repo (scripts/, eval/ are not packages) as a module."""
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def tiny_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random MarianMT (fr->en, opus-mt layout) built once per session (~2 s)."""
    return load_script("scripts/build_tiny_marian.py").build_tiny_marian(tmp_path_factory.mktemp("tiny_marian"))


@pytest.fixture(scope="session")
def make_articles():
    """eval/make_articles.py, which needs the Tatoeba pairs in ../shared."""
    if not (TATOEBA / "tatoeba.fra-eng.fra").exists():
        pytest.skip(f"Tatoeba data not found in {TATOEBA}")
    return load_script("eval/make_articles.py")


SEED = ROOT.parent / "shared" / "seeds" / "000_a6168a8a3db5cb58.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.exists():
        pytest.skip(f"seed not found at {SEED}")
    return SEED


@pytest.fixture(scope="session")
def offline_pipeline():
    """The offline default pipeline (bundled encoder), models loaded once per session."""
    from align.config import Config
    from align.pipeline import Pipeline

    pipeline = Pipeline(Config())
    pipeline.warm_up()
    return pipeline


def assert_same_records(got: bytes, want: bytes, *, tol: float = 1e-5) -> None:
    """Two JSON-lines outputs hold the same records in the same order, numbers equal within ``tol``.

    What runs promise across worker counts, embedding-cache states and
    resumes: the same texts, ids, spans and labels; numbers to float noise.
    BLAS rounds a product by its shape and thread count on some CPUs
    (OpenBLAS on an AMD EPYC: a text's vector moves by ~1e-7 with its batch),
    so a score rounded to 6 decimals may move by 1e-6. Gzipped JSON lines
    (``documents.jsonl.gz``) are compared by their contents.
    """
    import gzip
    import json
    import math

    got, want = (gzip.decompress(x) if x[:2] == b"\x1f\x8b" else x for x in (got, want))

    def same(a, b) -> bool:
        if isinstance(a, str) and isinstance(b, str) and a.startswith("{") and b.startswith("{") and a != b:
            try:  # the dataset's JSON-string columns (scores, meta)
                return same(json.loads(a), json.loads(b))
            except ValueError:
                return False
        if isinstance(a, float) or isinstance(b, float):
            return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, abs_tol=tol)
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return a == b

    got_rows = [json.loads(line) for line in got.decode("utf-8").splitlines()]
    want_rows = [json.loads(line) for line in want.decode("utf-8").splitlines()]
    assert len(got_rows) == len(want_rows)
    for g, w in zip(got_rows, want_rows):
        assert same(g, w), (g, w)
