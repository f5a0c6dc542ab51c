"""Candidate units on the body side of mining: sentence windows and sub-spans.

A tweet may restate two sentences, one sentence, or half of one, so the
candidates are windows of 1..k consecutive sentences within a paragraph, the
clauses (and runs of clauses) of each sentence, and its quotations.
"""

from __future__ import annotations

import re

from ..ingest.text import clean_text
from ..segment.segmenter import SegmentedDoc, quotation_spans, word_count
from ..types import Segment, Unit

# Clause boundaries: punctuation that separates clauses, quote marks, and an
# ellipsis (a quote joining two tweets: "… lehren zu lieben … denn Liebe …").
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:()«»“”„\"…]|\.\.\.|\s[–—-]\s)\s*")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Relative spans of the clauses of ``text`` (non-empty, whitespace trimmed)."""
    spans, start = [], 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text.rstrip()):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if text[s:e].strip(" .!?…")]


def build_units(
    seg: SegmentedDoc,
    *,
    max_window: int = 3,
    sub_sentence: bool = True,
    max_clauses: int = 8,
    min_words: int = 3,
) -> list[Unit]:
    text, raw_text = seg.text, seg.doc.text
    units: list[Unit] = []
    seen: set[tuple[int, int]] = set()

    def add(kind: str, span: tuple[int, int], ids: tuple[str, ...], lang: str, n: int,
            parts: tuple[str, ...] = (), seg_kind: str = "body", position: int = 0) -> None:
        if span in seen:
            return
        unit_text = clean_text(raw_text[span[0]:span[1]])
        if word_count(unit_text) < min_words and kind != "window":
            return
        if not unit_text:
            return
        seen.add(span)
        units.append(Unit(text=unit_text, span=span, lang=lang, segment_ids=ids, kind=kind,
                          n_sentences=n, parts=parts if len(parts) > 1 else (), seg_kind=seg_kind,
                          position=position))

    paragraphs: dict[int, list[Segment]] = {}
    for s in seg.sentences:
        paragraphs.setdefault(s.meta.get("paragraph", 0), []).append(s)
    for sents in paragraphs.values():
        for i in range(len(sents)):
            for k in range(1, max_window + 1):
                if i + k > len(sents):
                    break
                run = sents[i:i + k]
                add("window", (run[0].span[0], run[-1].span[1]), tuple(s.id for s in run), run[0].lang or "", k,
                    tuple(s.text for s in run), run[0].kind, run[0].meta.get("paragraph", 0))
    if sub_sentence:
        # Quotations, also those running over several sentences of a paragraph
        # ("X a tweeté : « Nous quittons … Merci pour tout ! »").
        for sents in paragraphs.values():
            start, end = sents[0].span[0], sents[-1].span[1]
            for qs, qe in quotation_spans(text[start:end]):
                span = (start + qs, start + qe)
                ids = tuple(s.id for s in sents if s.span[0] < span[1] and span[0] < s.span[1])
                add("quotation", span, ids, sents[0].lang or "", len(ids), seg_kind=sents[0].kind,
                    position=sents[0].meta.get("paragraph", 0))
        for s in seg.sentences:
            raw = text[s.span[0]:s.span[1]]
            where = s.meta.get("paragraph", 0)
            clauses = clause_spans(raw)[:max_clauses]
            if len(clauses) < 2:
                continue
            for i in range(len(clauses)):
                for j in range(i, len(clauses)):
                    if i == 0 and j == len(clauses) - 1:
                        continue  # the whole sentence is already a window
                    span = (s.span[0] + clauses[i][0], s.span[0] + clauses[j][1])
                    add("clause", span, (s.id,), s.lang or "", 1, seg_kind=s.kind, position=where)
    return units


def embed_unit(seg: Segment) -> Unit:
    """A foreign segment as a candidate (tweet <-> tweet) or query."""
    return Unit(text=seg.text, span=seg.span, lang=seg.lang or "", segment_ids=(seg.id,),
                kind="embed", seg_kind=seg.kind, spans=seg.spans, position=seg.meta.get("paragraph", 0))
