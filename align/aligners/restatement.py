"""Which body text restates a foreign segment: more evidence than one cosine. Pure numpy.

News restates a tweet near it (the sentence that introduces or follows the
embed), names its author ("a tweeté Theresa May", "renchérit Die Welt") and
keeps its numbers and names. On real pages (``news_dev``) the cosine alone
often ranks the right sentence first but too low to pass a margin, or lets
a neighbouring restatement of another tweet win. So each (foreign segment,
body unit) pair gets a score::

    score = max(similarity, part - part_discount)
            + w_anchors * anchors + w_author * author + w_near * near
            + w_margin * (min(margin, 2) - 1)

- ``similarity``: the calibrated cosine (see ``similarity.encoders``);
- ``part``: the best calibrated cosine of one sentence of a segment of
  several sentences with the unit (a body sentence restating one sentence
  of a tweet), less ``part_discount`` (off by default: it did not help);
- ``anchors``: the segment's numbers and names found in the unit, each
  weighted by 1 / (how many body sentences hold it), so "Trump" in a Trump
  story counts little and "20%" much (0..1; weight 0 by default: it did not help);
- ``author``: the segment's author or handle named in the unit, weighted
  the same way (0..1);
- ``near``: 1 when the unit stands in the block (paragraph) right before or
  after the segment's, else 0;
- ``margin``: the ratio margin of the cosine among the page's single
  sentences and embeds (how the unit stands out), which must also reach
  ``min_margin``.

Twin segments (two that translate each other) average their scores.
Segments are served best score first; each keeps its best unit when the
score reaches the threshold, except a unit that another (non-twin) segment's
translation already claimed. The weights and thresholds were chosen by
leave-one-page-out cross-validation on the 42 pages of ``news_dev``
(``eval/tune_restatement.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..segment.segmenter import SegmentedDoc
from ..types import Unit
from . import anchors as A
from .mining import Match, margin_scores


@dataclass(frozen=True)
class Weights:
    """The score's weights and thresholds (defaults: the config's, ``mining.*``)."""

    anchors: float = 0.0
    author: float = 0.3
    near: float = 0.05
    threshold: float = 0.55
    # Ratio margin of the cosine (see mining.margin_scores) a unit needs.
    min_margin: float = 1.05
    # What a match of one sentence of a multi-sentence segment costs against a match of all of it.
    part_discount: float = float("inf")
    # Weight of the ratio margin above 1 (capped at 2): a unit that stands out among the page's sentences.
    margin: float = 0.1


@dataclass
class Features:
    """(n_queries, n_candidates) arrays; only allowed cells mean anything."""

    similarity: np.ndarray
    part: np.ndarray  # -inf where a query has one sentence
    anchors: np.ndarray
    author: np.ndarray
    near: np.ndarray
    margin: np.ndarray  # ratio margin of the cosine (restatement_margins)

    def score(self, w: Weights) -> np.ndarray:
        base = np.maximum(self.similarity, self.part - w.part_discount) if np.isfinite(w.part_discount) \
            else self.similarity
        return base + w.anchors * self.anchors + w.author * self.author + w.near * self.near \
            + w.margin * (np.clip(self.margin, 1.0, 2.0) - 1.0)


def near_matrix(query_positions: list[int], candidate_positions: list[int]) -> np.ndarray:
    """1 where a candidate's block is the query's own or next to it, else 0."""
    q = np.asarray(query_positions)[:, None]
    c = np.asarray(candidate_positions)[None, :]
    return (np.abs(q - c) <= 1).astype(np.float64)


def anchor_matrices(query_texts: list[str], query_authors: list[list[str]], candidate_texts: list[str],
                    sentence_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(anchors, author) matrices: shares of the queries' anchors found in each candidate.

    An anchor's weight is 1 / (the number of ``sentence_texts`` holding it),
    or 1 when none does; a query's anchor score is the sum of its found
    anchors' weights over its anchor count (numbers count double).
    """
    sent = [(A.numbers(t), A.names(t)) for t in sentence_texts]
    cand = [(A.numbers(t), A.names(t)) for t in candidate_texts]
    vocabulary = frozenset().union(*(n for _, n in sent + cand))
    anchors = np.zeros((len(query_texts), len(candidate_texts)))
    author = np.zeros_like(anchors)
    for i, (text, who) in enumerate(zip(query_texts, query_authors)):
        nums, nams = A.numbers(text), A.names(text)
        authors = A.names("", who) - nams if who else frozenset()
        # Each name once against the page's names: the forms it matches.
        forms = {x: A.matching(x, vocabulary) for x in nams | authors}

        def holds(anchor: str, text_anchors: tuple[frozenset[str], frozenset[str]]) -> bool:
            return anchor in text_anchors[0] if anchor in nums else bool(forms[anchor] & text_anchors[1])

        weight = {x: 1.0 / max(1, sum(holds(x, s) for s in sent)) for x in nums | nams | authors}
        total = 2 * len(nums) + len(nams)
        for j, c in enumerate(cand):
            if total:
                got = sum((2 if x in nums else 1) * weight[x] for x in nums | nams if holds(x, c))
                anchors[i, j] = got / total
            if authors:
                author[i, j] = max((weight[x] for x in authors if holds(x, c)), default=0.0)
    return anchors, author


def restatement_margins(similarity: np.ndarray, allowed: np.ndarray, candidates: list[Unit], k: int = 4) -> np.ndarray:
    """Ratio margins of the cosine over each query's single sentences and embeds (mining's neighbourhood)."""
    neighbourhood = np.array([c.kind == "embed" or (c.kind == "window" and c.n_sentences == 1) for c in candidates])
    return margin_scores(similarity, allowed, neighbourhood, k)[0]


def twin_average(values: np.ndarray, allowed: np.ndarray, twins: list[tuple[int, int]]) -> np.ndarray:
    """``values`` with each twin's row replaced by the mean of both rows where both are allowed."""
    out = values.copy()
    for a, b in twins:
        both = allowed[a] & allowed[b]
        out[a] = np.where(both, (values[a] + values[b]) / 2, values[a])
    return out


def restatement_scores(features: Features, w: Weights, allowed: np.ndarray,
                       twins: list[tuple[int, int]]) -> np.ndarray:
    """``features.score(w)``, with the rows of twin segments averaged.

    Two foreign segments that translate each other (a tweet and its twin in
    another language) restate the same body text, if any: each scores a unit
    by the mean of both scores, so one encoder's quirk in one language
    (a German tweet drawn to a clause sharing two names) needs the other's
    agreement.
    """
    return twin_average(features.score(w), allowed, twins)


def best_restatements(score: np.ndarray, similarity: np.ndarray, allowed: np.ndarray, threshold: float,
                      translates: np.ndarray | None = None, spans: list[tuple[int, int]] | None = None,
                      twins: list[tuple[int, int]] = ()) -> list[Match]:
    """Each query's best-scoring allowed candidate, if its score reaches ``threshold``.

    A unit that translates one segment whole (``translates[i, j]``: the pair
    would be labelled parallel) restates no other segment but that one's
    twins: queries are served best score first, and a later one may not take
    a unit overlapping (``spans``) one a translation claimed. A tweet's own
    French quotation is not also the half-match of the next tweet; two
    tweets restated together by one sentence (neither translated whole) both
    keep it.

    ``Match.margin`` carries the score (the pair's ``score``), ``Match.similarity``
    the cosine.
    """
    masked = np.where(allowed, score, -np.inf)
    linked = {(a, b) for a, b in twins} | {(b, a) for a, b in twins}
    claimed: list[tuple[int, tuple[int, int]]] = []  # (query, span) of units taken by a translation
    out = []
    for i in sorted(range(score.shape[0]), key=lambda r: -masked[r].max() if allowed[r].any() else np.inf):
        if not allowed[i].any():
            continue
        row = masked[i]
        if spans is not None and claimed:
            taken = [span for q, span in claimed if q != i and (q, i) not in linked]
            if taken:
                free = np.array([not any(s < e2 and s2 < e for s2, e2 in taken) for s, e in spans])
                row = np.where(free, row, -np.inf)
        j = int(np.argmax(row))
        if row[j] >= threshold:
            out.append(Match(i, j, float(similarity[i, j]), float(score[i, j]), 0.0, 0.0))
            if translates is not None and translates[i, j] and spans is not None:
                claimed.append((i, spans[j]))
    return sorted(out, key=lambda m: m.query)


def restatement_features(seg: SegmentedDoc, queries: list[Unit], candidates: list[Unit], allowed: np.ndarray,
                         similarity: np.ndarray, part: np.ndarray) -> Features:
    """The features of every (query, candidate) pair of a document."""
    meta = {e.id: e.meta for e in seg.embeds}
    authors = [[meta.get(q.segment_ids[0], {}).get(k) or "" for k in ("author", "handle")] for q in queries]
    anchors, author = anchor_matrices([q.text for q in queries], authors, [c.text for c in candidates],
                                      [s.text for s in seg.sentences])
    near = near_matrix([q.position for q in queries], [c.position for c in candidates])
    margin = restatement_margins(similarity, allowed, candidates)
    return Features(similarity, part, anchors, author, near, margin)
