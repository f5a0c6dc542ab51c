"""Shared pytest fixtures."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The default caches live under ~/.cache/align: point HOME at a throwaway
# directory so tests (and the subprocesses they start) neither read a user's
# caches nor leave files behind. Set at import, before any test runs.
_HOME = tempfile.TemporaryDirectory(prefix="align-test-home-")
os.environ["HOME"] = _HOME.name


@pytest.fixture(scope="session")
def tiny_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random MarianMT (fr->en, opus-mt layout) built once per session (~2 s)."""
    spec = importlib.util.spec_from_file_location("build_tiny_marian", ROOT / "scripts" / "build_tiny_marian.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_tiny_marian(tmp_path_factory.mktemp("tiny_marian"))


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
