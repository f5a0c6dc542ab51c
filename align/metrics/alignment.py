"""Strict and lax precision, recall and F1 of sentence alignments against gold.

The convention behind the published Text+Berg figures (Sennrich & Volk 2011,
as implemented by Vecalign's ``score.py``):

- beads are compared as sets; beads empty on both sides are ignored;
- **precision** runs over every predicted bead, 1-0 and 0-1 included. A bead
  is strictly right if the gold has the identical bead; it is laxly right if
  it is strictly right or one of its source sentences is aligned in the gold
  to one of its target sentences (so a predicted deletion that the gold does
  not have is wrong under both);
- **recall** runs over gold beads with both sides non-empty, judged in the same
  way against the predicted beads with both sides non-empty;
- counts are summed over documents before dividing (micro average).

Beads are ``(src_indices, tgt_indices)`` pairs (tuples or lists of ints) or
:class:`align.types.Bead`; read files with :func:`align.export.beads.read_beads`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..types import Bead



def _key(bead) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if isinstance(bead, Bead):
        return tuple(bead.src), tuple(bead.tgt)
    src, tgt = bead[0], bead[1]
    return tuple(int(x) for x in src), tuple(int(x) for x in tgt)


@dataclass(frozen=True)
class Counts:
    """Numerators and denominators; add them up over documents."""

    p_strict: int = 0  # predicted beads strictly right
    p_lax: int = 0  # predicted beads laxly right
    p_total: int = 0  # predicted beads
    r_strict: int = 0  # gold (non-empty) beads strictly found
    r_lax: int = 0  # gold (non-empty) beads laxly found
    r_total: int = 0  # gold beads with both sides non-empty

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(x + y for x, y in zip(self._tuple(), other._tuple())))

    def _tuple(self) -> tuple[int, ...]:
        return (self.p_strict, self.p_lax, self.p_total, self.r_strict, self.r_lax, self.r_total)


@dataclass(frozen=True)
class Scores:
    precision_strict: float
    recall_strict: float
    f1_strict: float
    precision_lax: float
    recall_lax: float
    f1_lax: float
    counts: Counts

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in
                ("precision_strict", "recall_strict", "f1_strict", "precision_lax", "recall_lax", "f1_lax")}


def _match(gold: set, test: set) -> tuple[int, int, int]:
    """(strict hits, lax hits, total) of ``test`` beads judged against ``gold``."""
    links = defaultdict(set)  # gold: source sentence -> target sentences
    for g_src, g_tgt in gold:
        for s in g_src:
            links[s].update(g_tgt)
    strict = lax = 0
    for t_src, t_tgt in test:
        if (t_src, t_tgt) in gold:
            strict += 1
            lax += 1
            continue
        linked = set()
        for s in t_src:
            linked |= links.get(s, set())
        if linked.intersection(t_tgt):
            lax += 1
    return strict, lax, len(test)


def count(gold: Iterable, pred: Iterable) -> Counts:
    """Counts for one document."""
    gold_set = {k for k in map(_key, gold) if k[0] or k[1]}
    pred_set = {k for k in map(_key, pred) if k[0] or k[1]}
    ps, pl, pt = _match(gold_set, pred_set)
    gold_full = {k for k in gold_set if k[0] and k[1]}
    pred_full = {k for k in pred_set if k[0] and k[1]}
    rs, rl, rt = _match(pred_full, gold_full)
    return Counts(ps, pl, pt, rs, rl, rt)


def _div(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def scores_from_counts(c: Counts) -> Scores:
    ps, rs = _div(c.p_strict, c.p_total), _div(c.r_strict, c.r_total)
    pl, rl = _div(c.p_lax, c.p_total), _div(c.r_lax, c.r_total)
    return Scores(ps, rs, _f1(ps, rs), pl, rl, _f1(pl, rl), c)


def score(gold: Iterable, pred: Iterable) -> Scores:
    """Strict and lax P/R/F1 of one document's predicted beads."""
    return scores_from_counts(count(gold, pred))


def score_documents(golds: Sequence[Iterable], preds: Sequence[Iterable]) -> tuple[list[Scores], Scores]:
    """Per-document scores and the overall (micro-averaged) scores."""
    if len(golds) != len(preds):
        raise ValueError("as many gold as predicted documents are needed")
    per = [count(g, p) for g, p in zip(golds, preds)]
    total = sum(per, Counts())
    return [scores_from_counts(c) for c in per], scores_from_counts(total)


def format_table(names: Sequence[str], per_doc: Sequence[Scores], overall: Scores) -> str:
    """A plain-text table: one row per document and an overall row."""
    head = f"{'document':<30} {'P_strict':>8} {'R_strict':>8} {'F1_strict':>9} {'P_lax':>7} {'R_lax':>7} {'F1_lax':>7} {'beads':>6}"
    rows = [head, "-" * len(head)]

    def row(name: str, s: Scores) -> str:
        return (f"{name[:30]:<30} {s.precision_strict:8.3f} {s.recall_strict:8.3f} {s.f1_strict:9.3f} "
                f"{s.precision_lax:7.3f} {s.recall_lax:7.3f} {s.f1_lax:7.3f} {s.counts.p_total:6d}")

    rows += [row(n, s) for n, s in zip(names, per_doc)]
    if len(per_doc) != 1:
        rows.append("-" * len(head))
    rows.append(row("overall", overall))
    return "\n".join(rows)
