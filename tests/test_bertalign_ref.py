"""eval/bertalign_ref.py: the numpy Bertalign baseline, with a fake encoder."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from conftest import load_script

br = load_script("eval/bertalign_ref.py")

DIM = 64


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


class FakeEncoder:
    """A deterministic unit vector per "meaning": ``"s12"`` (source) and ``"t12"``
    (its translation) share sentence 12's vector; a text made of several
    sentences (an overlap) gets the normalised sum of theirs; anything else
    (``"PAD"``) a vector of its own."""

    def __init__(self):
        self.calls = 0

    def _one(self, text: str) -> np.ndarray:
        parts = text.split(" ")
        if all(p[:1] in "st" and p[1:].replace("+", "").isdigit() for p in parts):
            v = np.zeros(DIM, np.float32)
            for p in parts:
                for k in p[1:].split("+"):  # "t3+4": one target sentence translating s3 and s4
                    v += _unit(int(k))
            return v / np.linalg.norm(v)
        return _unit(int(hashlib.md5(text.encode()).hexdigest()[:8], 16) + 10**6)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._one(t) for t in texts]).astype(np.float32)


def _check_cover(beads, n, m):
    src = [i for s, _ in beads for i in s]
    tgt = [j for _, t in beads for j in t]
    assert src == list(range(n)) and tgt == list(range(m))
    assert all(s or t for s, t in beads)


def test_one_to_one_and_coverage():
    n = 40
    src = [f"s{i}" for i in range(n)]
    tgt = [f"t{i}" for i in range(n)]
    enc = FakeEncoder()
    beads, timings = br.bertalign_align(src, tgt, enc)
    _check_cover(beads, n, n)
    assert beads == [((i,), (i,)) for i in range(n)]
    assert set(timings) == {"encode", "align"}
    assert enc.calls == 2  # one encode call per side, as Bertalign's Encoder.transform


def test_planted_merges_and_deletion_recovered():
    # Source 10 and 11 are translated by one target sentence (2-1), target
    # "t25+26" likewise; source 30 has no translation (1-0).
    n = 45
    src = [f"s{i}" for i in range(n)]
    tgt = []
    for i in range(n):
        if i in (11, 26, 30):
            continue
        if i in (10, 25):
            tgt.append(f"t{i}+{i + 1}")
        else:
            tgt.append(f"t{i}")
    beads, _ = br.bertalign_align(src, tgt, FakeEncoder())
    _check_cover(beads, n, len(tgt))
    assert ((10, 11), (10,)) in beads
    assert ((25, 26), (24,)) in beads
    assert ((30,), ()) in beads
    assert ((31,), (28,)) in beads


def test_empty_and_tiny_inputs():
    enc = FakeEncoder()
    assert br.bertalign_align([], ["t0", "t1"], enc)[0] == [((), (0,)), ((), (1,))]
    beads, _ = br.bertalign_align(["s0"], ["t0"], enc)
    assert beads == [((0,), (0,))]
    assert list(br.yield_overlaps(["a", " ", "c"], 3)) == ["a", "BLANK_LINE", "c", "PAD", "a BLANK_LINE",
                                                           "BLANK_LINE c", "PAD", "PAD", "a BLANK_LINE c"]


# ---- parity with a literal (loop for loop) port of Bertalign's numba second pass


def _literal_second_pass(src_vecs, tgt_vecs, src_lens, tgt_lens, w, path, types, char_ratio, skip, margin, lp):
    def nsim(vec, overlap, idx, length, db):
        left, right = idx - overlap, idx + 1
        r = float(np.dot(vec, db[0, right - 1])) if right <= length else 0
        l_ = float(np.dot(vec, db[0, left - 1])) if left > 0 else 0
        ave = l_ + r
        if r and l_:
            ave /= 2
        return ave

    n, m = src_vecs.shape[1], tgt_vecs.shape[1]
    cost = np.zeros((n + 1, w), np.float32)
    ptr = np.zeros((n + 1, w), np.uint8)
    for i in range(n + 1):
        for j in range(path[i][0], path[i][1] + 1):
            if i + j == 0:
                continue
            best, best_a = -np.inf, -1
            for a, (a1, a2) in enumerate(types):
                pi, pj = i - a1, j - a2
                if pi < 0 or pj < 0 or pj < path[pi][0] or pj > path[pi][1]:
                    continue
                score = float(cost[pi][pj - path[pi][0]])
                if a1 == 0 or a2 == 0:
                    cur = skip
                else:
                    sv, tv = src_vecs[a1 - 1, i - 1], tgt_vecs[a2 - 1, j - 1]
                    cur = float(np.dot(sv, tv))
                    if margin:
                        cur -= (nsim(sv, a2, j, m, tgt_vecs) + nsim(tv, a1, i, n, src_vecs)) / 2
                    if lp:
                        sl, tl = src_lens[a1 - 1, i - 1], tgt_lens[a2 - 1, j - 1] * char_ratio
                        cur *= np.log2(1 + min(sl, tl) / max(sl, tl))
                score += cur
                if score > best:
                    best, best_a = score, a
            cost[i][j - path[i][0]] = best
            ptr[i][j - path[i][0]] = best_a
    return ptr


@pytest.mark.parametrize("margin,lp", [(True, True), (False, False)])
def test_second_pass_matches_literal_port(margin, lp):
    rng = np.random.default_rng(0)
    n, m, num = 23, 27, 3
    sv = rng.standard_normal((num, n, 16)).astype(np.float32)
    tv = sv[:, rng.integers(0, n, m)] + 0.5 * rng.standard_normal((num, m, 16)).astype(np.float32)
    sv /= np.linalg.norm(sv, axis=2, keepdims=True)
    tv /= np.linalg.norm(tv, axis=2, keepdims=True)
    sl, tl = rng.integers(5, 200, (num, n)), rng.integers(5, 200, (num, m))
    anchors = [(3, 4), (7, 8), (12, 15), (20, 22)]
    w, path = br.find_second_search_path(anchors, 3, n, m)
    types = np.array([t for t in br.get_alignment_types(5) if max(t) <= num])
    got = br.second_pass_align(sv, tv, sl, tl, w, path, types, 1.1, -0.1, margin, lp)
    want = _literal_second_pass(sv, tv, sl, tl, w, path, types, 1.1, -0.1, margin, lp)
    for i in range(n + 1):
        width = path[i][1] - path[i][0] + 1
        assert np.array_equal(got[i, :width], want[i, :width]), i
