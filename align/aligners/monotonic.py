"""Monotonic many-to-many sentence alignment in linear time and memory. numpy (and scipy.special).

A document pair with ``n`` source and ``m`` target sentences is aligned by a
dynamic programme over the lattice of nodes ``(i, j)`` (``i`` source and ``j``
target sentences consumed). A bead of type ``(a, b)`` moves from node
``(i - a, j - b)`` to ``(i, j)`` and covers ``src[i-a:i]`` and ``tgt[j-b:j]``;
``(1, 0)`` and ``(0, 1)`` are a deletion and an insertion. The DP minimises the
sum of bead costs, which the caller supplies (see
:mod:`align.aligners.evidence_parallel`).

Linear time and memory come from never filling the whole ``(n+1) x (m+1)``
lattice (Vecalign's coarse-to-fine idea, Thompson & Koehn 2019):

1. sentence vectors are downsampled by averaging neighbours, halving both
   sides, until the lattice is at most ``max_full_dp ** 2`` nodes;
2. a 1-1/1-0/0-1 DP over that whole small lattice gives a coarse path;
3. the path is projected onto the next finer level and a DP restricted to a
   band of ``width`` nodes around it refines it; repeat down to sentences;
4. a last DP over the band around the sentence-level 1-1 path allows every
   bead type.

Each band holds ``O((n + m) * width)`` nodes, so time and memory grow
linearly; backpointers are stored only inside the band (one byte per node).
Hard boundaries (paragraph or document breaks known to correspond) split the
problem into independent pieces first.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..types import Bead

log = logging.getLogger(__name__)

BeadType = tuple[int, int]
# cost_fn(a, b, I, J) -> costs of beads src[I-a:I], tgt[J-b:J] for arrays of
# end nodes I, J (same length, every I >= a and J >= b). Only called with a, b >= 1.
CostFn = Callable[[int, int, np.ndarray, np.ndarray], np.ndarray]

DELETION: BeadType = (1, 0)
INSERTION: BeadType = (0, 1)


def bead_types(max_bead: int, max_side: int | None = None) -> list[BeadType]:
    """``(1, 0)``, ``(0, 1)`` and every ``(a, b)`` with ``a, b >= 1``, ``a + b <= max_bead``.

    ``max_side`` additionally caps ``a`` and ``b``.
    """
    if max_bead < 2:
        raise ValueError("max_bead must be at least 2")
    cap = max_bead - 1 if max_side is None else min(max_side, max_bead - 1)
    types = [DELETION, INSERTION]
    types += [(a, b) for a in range(1, cap + 1) for b in range(1, cap + 1) if a + b <= max_bead]
    return types


@dataclass(frozen=True)
class Band:
    """For each source position ``i`` (0..n), the allowed target nodes ``lo[i]..hi[i]``."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lo) - 1

    @property
    def size(self) -> int:
        return int((self.hi - self.lo + 1).sum())

    @classmethod
    def full(cls, n: int, m: int) -> "Band":
        return cls(np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64))

    @classmethod
    def around_path(cls, nodes: np.ndarray, n: int, m: int, width: int) -> "Band":
        """Nodes within Chebyshev distance ``width`` of a monotonic path.

        ``nodes`` is an ``(k, 2)`` array of lattice nodes, sorted, from
        ``(0, 0)`` to ``(n, m)``. Rows the path jumps over (inside a many-to-many
        bead) get the span between their neighbours.
        """
        x, y = nodes[:, 0], nodes[:, 1]
        ymin = np.full(n + 1, np.iinfo(np.int64).max, dtype=np.int64)
        ymax = np.full(n + 1, -1, dtype=np.int64)
        np.minimum.at(ymin, x, y)
        np.maximum.at(ymax, x, y)
        empty = ymax < 0
        if empty.any():
            # previous row's max, next row's min: both are valid because x is sorted
            prev = np.maximum.accumulate(np.where(empty, -1, ymax))
            nxt_src = np.where(empty, np.iinfo(np.int64).max, ymin)
            nxt = np.minimum.accumulate(nxt_src[::-1])[::-1]
            ymin = np.where(empty, np.minimum(prev, nxt), ymin)
            ymax = np.where(empty, np.maximum(prev, nxt), ymax)
        lo = _sliding(ymin, width, np.minimum) - width
        hi = _sliding(ymax, width, np.maximum) + width
        return cls(np.clip(lo, 0, m), np.clip(hi, 0, m))


def _sliding(values: np.ndarray, width: int, op) -> np.ndarray:
    """``op`` (np.minimum / np.maximum) over the window ``[i - width, i + width]``."""
    if width <= 0 or len(values) == 1:
        return values.copy()
    fill = np.iinfo(values.dtype).max if op is np.minimum else np.iinfo(values.dtype).min
    padded = np.concatenate([np.full(width, fill, values.dtype), values, np.full(width, fill, values.dtype)])
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * width + 1)
    return win.min(axis=1) if op is np.minimum else win.max(axis=1)


def banded_dp(
    cost_fn: CostFn,
    n: int,
    m: int,
    types: Sequence[BeadType],
    band: Band,
    skip_src: np.ndarray,
    skip_tgt: np.ndarray,
    block_rows: int = 64,
) -> list[tuple[int, int, int, int, float]]:
    """Minimum-cost monotonic path from ``(0, 0)`` to ``(n, m)`` inside ``band``.

    ``skip_src[k]`` / ``skip_tgt[k]`` are the costs of deleting source /
    inserting target sentence ``k``. Returns the beads as ``(a, b, i, j, cost)``
    with ``(i, j)`` the end node, in document order.

    Rows are processed in blocks: bead costs for a block come from one
    ``cost_fn`` call per bead type, and each row is then a handful of numpy
    operations over a ``(types x width)`` stack, whatever the number of types.
    Insertions (0-1) chain along a row and are resolved with a running minimum.
    """
    lo, hi = band.lo, band.hi
    if lo[0] != 0 or hi[n] != m or lo[n] > m:
        raise ValueError("band must contain (0, 0) and (n, m)")
    types = list(types)
    if len(types) > 255:
        raise ValueError("at most 255 bead types")
    widths = hi - lo + 1
    offsets = np.zeros(n + 2, dtype=np.int64)
    np.cumsum(widths, out=offsets[1:])
    # D gets a sentinel +inf cell at the end: invalid predecessors point there
    D = np.empty(int(offsets[-1]) + 1, dtype=np.float64)
    D[-1] = np.inf
    sentinel = int(offsets[-1])
    BP = np.full(int(offsets[-1]), 255, dtype=np.uint8)
    skip_src = np.asarray(skip_src, dtype=np.float64)
    # prefix sums of insertion costs: inserting tgt[k:j] costs P[j] - P[k]
    P = np.zeros(m + 1, dtype=np.float64)
    np.cumsum(np.asarray(skip_tgt, dtype=np.float64), out=P[1:])
    t_ins = types.index(INSERTION) if INSERTION in types else -1
    steps = [(t, a, b) for t, (a, b) in enumerate(types) if a >= 1]  # everything but insertions
    type_ids = np.array([t for t, _, _ in steps], dtype=np.uint8)

    for r0 in range(0, n + 1, block_rows):
        r1 = min(n + 1, r0 + block_rows)
        prev, cost = _block_candidates(cost_fn, steps, lo, hi, offsets, sentinel, skip_src, r0, r1)
        base = int(offsets[r0])
        for i in range(r0, r1):
            seg = slice(int(offsets[i]) - base, int(offsets[i + 1]) - base)
            cand = D[prev[:, seg]] + cost[:, seg] if len(steps) else np.full((1, widths[i]), np.inf)
            k = cand.argmin(axis=0)
            best = cand[k, np.arange(cand.shape[1])]
            arg = type_ids[k] if len(steps) else np.full(widths[i], 255, np.uint8)
            arg = np.where(np.isfinite(best), arg, 255).astype(np.uint8)
            if i == 0:
                best[0] = 0.0  # the origin (lo[0] == 0)
            if t_ins >= 0 and len(best) > 1:
                Pj = P[lo[i]:hi[i] + 1]
                v = best - Pj
                acc = np.minimum.accumulate(v)
                from_left = acc < v
                best = acc + Pj
                arg[from_left] = t_ins
            D[offsets[i]:offsets[i + 1]] = best
            BP[offsets[i]:offsets[i + 1]] = arg
    if not np.isfinite(D[offsets[n] + (m - lo[n])]):
        raise ValueError("no path through the band")

    # traceback
    out: list[tuple[int, int, int, int, float]] = []
    i, j = n, m
    while i > 0 or j > 0:
        k = offsets[i] + (j - lo[i])
        t = int(BP[k])
        if t == 255:
            raise RuntimeError(f"traceback hit an unreachable node ({i}, {j})")
        a, b = types[t]
        ip, jp = i - a, j - b
        cost = D[k] - D[offsets[ip] + (jp - lo[ip])]
        out.append((a, b, i, j, float(cost)))
        i, j = ip, jp
    out.reverse()
    return out


def _block_candidates(cost_fn, steps, lo, hi, offsets, sentinel, skip_src, r0, r1):
    """For every node of rows ``r0..r1-1`` and every non-insertion bead type:
    the flat index of the predecessor node in D (``sentinel`` if outside the
    band) and the bead's cost (``inf`` if impossible). Shapes ``(types, nodes)``.
    """
    rows = np.arange(r0, r1)
    counts = hi[r0:r1] - lo[r0:r1] + 1
    I = np.repeat(rows, counts)
    J = np.repeat(lo[r0:r1], counts) + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    prev = np.full((len(steps), len(I)), sentinel, dtype=np.int64)
    cost = np.full((len(steps), len(I)), np.inf, dtype=np.float64)
    for row, (t, a, b) in enumerate(steps):
        ip, jp = I - a, J - b
        ok = (ip >= 0) & (jp >= 0)
        ipc = np.where(ok, ip, 0)
        ok &= (jp >= lo[ipc]) & (jp <= hi[ipc])
        if not ok.any():
            continue
        prev[row, ok] = offsets[ipc[ok]] + (jp[ok] - lo[ipc[ok]])
        if b == 0:
            cost[row, ok] = skip_src[ip[ok]]
        else:
            cost[row, ok] = np.asarray(cost_fn(a, b, I[ok], J[ok]), dtype=np.float64)
    return prev, cost


@contextlib.contextmanager
def single_threaded_blas():
    """Run the small per-block products on one BLAS thread.

    Multi-threaded OpenBLAS is several times slower than one thread on these
    small matrices, and far slower still on a machine busy with other work.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


# ---------------------------------------------------------------------------
# coarse-to-fine search


def downsample(vecs: np.ndarray) -> np.ndarray:
    """Halve a sequence of unit vectors: sum neighbours, remove the mean, renormalise."""
    k = len(vecs) // 2
    half = vecs[: 2 * k: 2] + vecs[1: 2 * k: 2]
    half = half - half.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(half, axis=1, keepdims=True)
    return (half / np.maximum(norms, 1e-8)).astype(np.float32)


def log_two_tailed(x) -> np.ndarray:
    """``log P(|X| >= |x|)`` for a standard normal X, finite far in the tail."""
    from scipy.special import log_ndtr

    return np.log(2.0) + log_ndtr(-np.abs(np.asarray(x, dtype=np.float64)))


def block_dot(A: np.ndarray, B: np.ndarray, I: np.ndarray, J: np.ndarray) -> np.ndarray:
    """``sum(A[I] * B[J], axis=1)`` via one dense product over the bounding rectangle.

    Callers pass the cells of a few consecutive rows of a band, so the
    rectangle is small and the product runs in BLAS instead of gathering rows.
    """
    if len(I) == 0:
        return np.zeros(0, dtype=np.float32)
    i0, i1, j0, j1 = int(I.min()), int(I.max()) + 1, int(J.min()), int(J.max()) + 1
    if (i1 - i0) * (j1 - j0) > 8 * len(I) + 4096:
        return np.einsum("ij,ij->i", A[I], B[J])  # scattered cells: gather instead
    rect = A[i0:i1] @ B[j0:j1].T
    return rect[I - i0, J - j0]


class VectorLevels:
    """Coarse-search features: unit sentence vectors, 1-1 cost ``1 - cos``."""

    def __init__(self, src: np.ndarray, tgt: np.ndarray, deletion_percentile: float = 20.0):
        self.src = np.asarray(src, dtype=np.float32)
        self.tgt = np.asarray(tgt, dtype=np.float32)
        self.deletion_percentile = deletion_percentile

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.src), len(self.tgt)

    def slice(self, i0: int, i1: int, j0: int, j1: int) -> "VectorLevels":
        return VectorLevels(self.src[i0:i1], self.tgt[j0:j1], self.deletion_percentile)

    def downsample(self) -> "VectorLevels":
        return VectorLevels(downsample(self.src), downsample(self.tgt), self.deletion_percentile)

    def cost_fn(self) -> CostFn:
        src, tgt = self.src, self.tgt

        def fn(a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
            return 1.0 - block_dot(src, tgt, I - 1, J - 1)

        return fn

    def skip_costs(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A percentile of the costs of random pairs (Vecalign's deletion knob)."""
        n, m = self.shape
        k = 2000
        xs, ys = rng.integers(0, n, k), rng.integers(0, m, k)
        pen = float(np.percentile(1.0 - np.einsum("ij,ij->i", self.src[xs], self.tgt[ys]), self.deletion_percentile))
        return np.full(n, pen), np.full(m, pen)


class LengthLevels:
    """Coarse-search features when there are no vectors: character lengths, Gale-Church cost."""

    def __init__(self, src: np.ndarray, tgt: np.ndarray, variance: float = 6.8):
        self.src = np.asarray(src, dtype=np.float64)
        self.tgt = np.asarray(tgt, dtype=np.float64)
        self.variance = variance
        self.ratio = self.tgt.sum() / self.src.sum() if self.src.sum() > 0 else 1.0

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.src), len(self.tgt)

    def slice(self, i0: int, i1: int, j0: int, j1: int) -> "LengthLevels":
        return LengthLevels(self.src[i0:i1], self.tgt[j0:j1], self.variance)

    def downsample(self) -> "LengthLevels":
        def half(v):
            k = len(v) // 2
            return v[: 2 * k: 2] + v[1: 2 * k: 2]

        return LengthLevels(half(self.src), half(self.tgt), self.variance)

    def _cost(self, ls, lt):
        mean = (ls + lt / self.ratio) / 2
        delta = (lt - ls * self.ratio) / np.sqrt(np.maximum(mean, 1.0) * self.variance)
        return -log_two_tailed(delta)

    def cost_fn(self) -> CostFn:
        def fn(a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
            return self._cost(self.src[I - 1], self.tgt[J - 1]) - np.log(0.89)

        return fn

    def skip_costs(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        prior = -np.log(0.005)
        return (self._cost(self.src, np.zeros_like(self.src)) + prior,
                self._cost(np.zeros_like(self.tgt), self.tgt) + prior)


def path_nodes(beads: Sequence[tuple[int, int, int, int, float]]) -> np.ndarray:
    nodes = [(0, 0)] + [(i, j) for _, _, i, j, _ in beads]
    return np.array(nodes, dtype=np.int64)


def upsample_nodes(nodes: np.ndarray, n: int, m: int) -> np.ndarray:
    """Coarse nodes -> fine nodes (doubled), ending at ``(n, m)``."""
    fine = nodes * 2
    last = fine[-1]
    if last[0] != n or last[1] != m:
        fine = np.vstack([fine, [[n, m]]])
    return fine


def coarse_path(features, *, width: int = 8, max_full_dp: int = 300, seed: int = 0) -> np.ndarray:
    """Sentence-level 1-1/1-0/0-1 path (lattice nodes) found coarse-to-fine.

    ``features`` is a :class:`VectorLevels` or :class:`LengthLevels`. Time and
    memory are linear in ``n + m`` for a fixed ``width`` and ``max_full_dp``.
    """
    rng = np.random.default_rng(seed)
    levels = [features]
    while levels[-1].shape[0] * levels[-1].shape[1] > max_full_dp ** 2 and min(levels[-1].shape) >= 4:
        levels.append(levels[-1].downsample())
    types = [DELETION, INSERTION, (1, 1)]
    nodes = None
    for depth in range(len(levels) - 1, -1, -1):
        level = levels[depth]
        n, m = level.shape
        if n == 0 or m == 0:
            nodes = _skip_nodes(n, m)
            continue
        band = Band.full(n, m) if nodes is None else Band.around_path(upsample_nodes(nodes, n, m), n, m, width)
        skip_src, skip_tgt = level.skip_costs(rng)
        beads = banded_dp(level.cost_fn(), n, m, types, band, skip_src, skip_tgt)
        nodes = path_nodes(beads)
        log.debug("coarse level %d: %d x %d, band of %d nodes", depth, n, m, band.size)
    return nodes


def _skip_nodes(n: int, m: int) -> np.ndarray:
    return np.array([(i, 0) for i in range(n + 1)] + [(n, j) for j in range(1, m + 1)], dtype=np.int64)


def diagonal_nodes(n: int, m: int) -> np.ndarray:
    """The straight line from (0, 0) to (n, m), for when there is no vector evidence."""
    k = max(n, m)
    t = np.arange(k + 1)
    return np.stack([np.round(t * n / max(k, 1)), np.round(t * m / max(k, 1))], axis=1).astype(np.int64)


def sure_anchors(src: np.ndarray, tgt: np.ndarray, guide: np.ndarray, min_margin: float = 1.0,
                 seed: int = 0) -> list[tuple[int, int]]:
    """Nodes of the first-pass path between two consecutive *sure* 1-1 steps.

    A 1-1 step is sure when its sentences are closer to each other than to
    either's neighbours on the other side by ``min_margin`` standard
    deviations of a random pair's cosine. Between two sure steps
    no bead can sensibly straddle, so the node becomes a hard boundary: the
    second pass (every bead type, runs of sentences embedded) only has to look
    at the doubtful stretches between them. Needing *both* steps sure keeps a
    sentence that is half of a 2-1 bead from being pinned to its better half.
    """
    n, m = len(src), len(tgt)
    if len(guide) < 3 or n < 2 or m < 2:
        return []
    step = np.diff(guide, axis=0)
    sure = (step[:, 0] == 1) & (step[:, 1] == 1)
    I = np.clip(guide[1:, 0] - 1, 0, n - 1)   # the sentences of each step (meaningful where 1-1)
    J = np.clip(guide[1:, 1] - 1, 0, m - 1)
    rng = np.random.default_rng(seed)
    sd = float(np.std(np.einsum("ij,ij->i", src[rng.integers(0, n, 1000)], tgt[rng.integers(0, m, 1000)])))
    cos = np.einsum("ij,ij->i", src[I], tgt[J])
    rival = np.full(len(I), -np.inf)
    for di, dj in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        ii, jj = I + di, J + dj
        ok = (ii >= 0) & (ii < n) & (jj >= 0) & (jj < m)
        v = np.full(len(I), -np.inf)
        v[ok] = np.einsum("ij,ij->i", src[ii[ok]], tgt[jj[ok]])
        rival = np.maximum(rival, v)
    sure &= cos - rival >= min_margin * max(sd, 1e-6)
    both = sure[:-1] & sure[1:]
    return [(int(i), int(j)) for i, j in guide[1:-1][both]]


# ---------------------------------------------------------------------------
# the aligner


class Scorer(Protocol):
    """Bead costs over global sentence indices (see :mod:`align.aligners.evidence_parallel`)."""

    n: int
    m: int

    def cost(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray: ...

    def skip_costs(self) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class MonotonicAligner:
    """Monotonic alignment with every bead type up to ``max_bead`` sentences in all.

    ``max_side`` caps the sentences on one side of a bead; ``width`` is the
    band half-width (in sentences) around the coarse path; ``max_full_dp`` the
    largest side of a coarse lattice that is filled entirely. ``types``
    overrides the bead types (e.g. Gale & Church's six).
    """

    max_bead: int = 5
    max_side: int | None = None
    width: int = 8
    max_full_dp: int = 300
    block_rows: int = 64
    seed: int = 0
    types: list[BeadType] | None = None

    def bead_types(self) -> list[BeadType]:
        return list(self.types) if self.types is not None else bead_types(self.max_bead, self.max_side)

    def guide(self, features, n: int, m: int, anchors: Sequence[tuple[int, int]] = ()) -> np.ndarray:
        """The coarse 1-1 path through the whole document, piece by piece, in global nodes."""
        parts = []
        with single_threaded_blas():
            for i0, i1, j0, j1 in split_at_anchors(n, m, anchors):
                nodes = self._piece_guide(features, i0, i1, j0, j1)
                parts.append(nodes + np.array([i0, j0]))
        return np.concatenate(parts) if parts else np.zeros((1, 2), dtype=np.int64)

    def _piece_guide(self, features, i0, i1, j0, j1) -> np.ndarray:
        n, m = i1 - i0, j1 - j0
        if n == 0 or m == 0:
            return _skip_nodes(n, m)
        if features is None:
            return diagonal_nodes(n, m)
        return coarse_path(features.slice(i0, i1, j0, j1), width=self.width,
                           max_full_dp=self.max_full_dp, seed=self.seed)

    def align(self, scorer: Scorer, guide: np.ndarray | None = None,
              anchors: Sequence[tuple[int, int]] = ()) -> list[Bead]:
        """Beads covering every sentence once, in order, never crossing an anchor.

        ``guide`` (from :meth:`guide`) is the path the final band is built
        around; without it, the diagonal of each piece.
        """
        with single_threaded_blas():
            return self._align(scorer, guide, anchors)

    def _align(self, scorer: Scorer, guide: np.ndarray | None, anchors: Sequence[tuple[int, int]]) -> list[Bead]:
        n, m = scorer.n, scorer.m
        skip_src, skip_tgt = scorer.skip_costs()
        types = self.bead_types()
        beads: list[Bead] = []
        for i0, i1, j0, j1 in split_at_anchors(n, m, anchors):
            pn, pm = i1 - i0, j1 - j0
            if pn == 0 or pm == 0:
                beads += [Bead((k,), (), float(skip_src[k])) for k in range(i0, i1)]
                beads += [Bead((), (k,), float(skip_tgt[k])) for k in range(j0, j1)]
                continue
            if guide is None:
                nodes = diagonal_nodes(pn, pm)
            else:
                # the guide is sorted: its nodes in this piece are one slice (a
                # mask over the whole guide per piece would be quadratic)
                lo, hi = np.searchsorted(guide[:, 0], i0, "left"), np.searchsorted(guide[:, 0], i1, "right")
                near = guide[lo:hi]
                near = near[(near[:, 1] >= j0) & (near[:, 1] <= j1)]
                nodes = np.vstack([[[0, 0]], near - np.array([i0, j0]), [[pn, pm]]])
                nodes = nodes[np.lexsort((nodes[:, 1], nodes[:, 0]))]
            band = Band.around_path(nodes, pn, pm, self.width)

            def cost(a, b, I, J, i0=i0, j0=j0):
                return scorer.cost(a, b, I + i0, J + j0)

            path = banded_dp(cost, pn, pm, types, band, skip_src[i0:i1], skip_tgt[j0:j1],
                             block_rows=self.block_rows)
            beads += [Bead(tuple(range(i0 + i - a, i0 + i)), tuple(range(j0 + j - b, j0 + j)), c)
                      for a, b, i, j, c in path]
        return beads


def split_at_anchors(n: int, m: int, anchors: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Pieces ``(i0, i1, j0, j1)`` between hard boundaries.

    An anchor ``(i, j)`` says that a bead boundary lies before source sentence
    ``i`` and target sentence ``j``: nothing may be aligned across it. Anchors
    must be non-decreasing in both coordinates.
    """
    pts = [(0, 0)] + sorted(set((int(i), int(j)) for i, j in anchors)) + [(n, m)]
    pieces = []
    for (i0, j0), (i1, j1) in zip(pts, pts[1:]):
        if i1 < i0 or j1 < j0 or i1 > n or j1 > m or min(i0, j0) < 0:
            raise ValueError(f"anchors must be monotonic and inside the documents: {(i0, j0)} -> {(i1, j1)}")
        if (i1, j1) != (i0, j0):
            pieces.append((i0, i1, j0, j1))
    return pieces
