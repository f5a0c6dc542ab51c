"""Mining aligner for comparable text: any order, margin-scored. Pure numpy.

Rows are foreign segments (queries); columns are candidates: body units and
the foreign segments themselves (tweet <-> tweet). A query may pair only with
a candidate in another language.

The score is the ratio margin of margin-based bitext mining (Artetxe &
Schwenk 2019): similarity divided by the mean similarity of the k nearest
neighbours on both sides. It makes one threshold meaningful across documents
whose similarity levels differ. The forward neighbourhood uses only
non-overlapping candidates (single sentences and embeds): windows and clauses
of the right sentence are near-duplicates of it and would inflate it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Match:
    query: int  # row index
    candidate: int  # column index
    similarity: float
    margin: float
    forward: float  # mean top-k similarity of the query
    backward: float  # mean top-k similarity of the candidate


def topk_mean(values: np.ndarray, mask: np.ndarray, k: int, axis: int) -> np.ndarray:
    """Mean of the k largest allowed values along ``axis`` (fewer if fewer are allowed)."""
    v = np.where(mask, values, -np.inf)
    n = v.shape[axis]
    k = max(1, min(k, n))
    part = -np.partition(-v, k - 1, axis=axis)
    top = np.take(part, np.arange(k), axis=axis)
    finite = np.isfinite(top)
    count = finite.sum(axis=axis)
    total = np.where(finite, top, 0.0).sum(axis=axis)
    return np.divide(total, count, out=np.zeros_like(total, dtype=np.float64), where=count > 0)


def margin_scores(
    sim: np.ndarray, allowed: np.ndarray, neighbourhood: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratio margins for an (n_queries, n_candidates) similarity matrix.

    ``allowed`` masks valid pairs; ``neighbourhood`` (per column) marks the
    candidates that form each query's forward neighbourhood.
    """
    fwd = topk_mean(sim, allowed & neighbourhood[None, :], k, axis=1)
    bwd = topk_mean(sim, allowed, k, axis=0)
    denom = (fwd[:, None] + bwd[None, :]) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(allowed & (denom > 0), sim / denom, 0.0)
    return margin, fwd, bwd


def mine(
    sim: np.ndarray,
    allowed: np.ndarray,
    neighbourhood: np.ndarray,
    *,
    k: int = 4,
    threshold: float = 1.15,
    min_similarity: float = 0.3,
    n_best: int = 1,
    select: np.ndarray | None = None,
) -> list[Match]:
    """The n most similar candidates per query among those whose margin and similarity pass.

    The margin filters; similarity ranks. In a document with few foreign
    segments the backward neighbourhood is tiny and noisy, so ranking by
    margin let a clause beat the full sentence it came from. ``select``
    (per column) limits the candidates that may be chosen; margins still
    use every allowed one.
    """
    if sim.size == 0:
        return []
    margin, fwd, bwd = margin_scores(sim, allowed, neighbourhood, k)
    ok = allowed & (margin >= threshold) & (sim >= min_similarity)
    if select is not None:
        ok &= select[None, :]
    ranked = np.argsort(-np.where(ok, sim, -np.inf), axis=1, kind="stable")[:, :n_best]
    rows = np.repeat(np.arange(sim.shape[0]), ranked.shape[1])
    cols = ranked.ravel()
    keep = ok[rows, cols]
    return [
        Match(int(i), int(j), float(sim[i, j]), float(margin[i, j]), float(fwd[i]), float(bwd[j]))
        for i, j in zip(rows[keep], cols[keep])
    ]
