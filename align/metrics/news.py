"""Mining accuracy on news pages against gold in ``news_dev``'s format.

The gold (``gold.json``) names each foreign segment of a page by an exact
substring (``text_contains``, plus ``other_parts_contains`` for a split tweet)
and each body sentence that restates it by one too (``body_contains``). Pairs
come from ``pairs.jsonl``; their spans index the document text as read.

The measures, as ``news_dev/README.md`` defines them:

- **FULL / PARTIAL recall@1**: for each FULL (PARTIAL) segment, the
  best-scoring pair between it and main-language text; a hit if its body side
  overlaps a ``body_contains`` sentence (either contains the other, or they
  share at least ``MIN_SHARED`` characters);
- **NONE false-parallel**: a NONE segment paired as ``parallel`` with
  main-language text;
- **HARD / NEG false pairs**: on HARD pages any pair with a side made of
  ``not_foreign_contains`` text; on NEG pages any pair at all.

Everything is matched by character spans, never by re-cleaned text, so the
odd spacing of scraped pages cannot make a hit or a miss.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]

MIN_SHARED = 20
FULL, PARTIAL, NONE = "FULL", "PARTIAL", "NONE"
# Sides that are embeds, not body text ("between it and body text").
EMBED_KINDS = ("tweet", "quote")


def locate(text: str, needle: str) -> Span | None:
    """Span of ``needle`` in ``text``; whitespace runs may differ. None if absent."""
    i = text.find(needle)
    if i >= 0:
        return i, i + len(needle)
    words = needle.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return m.span() if m else None


def overlaps(a: Span, b: Span, min_shared: int = MIN_SHARED) -> bool:
    """Either span contains the other, or they share at least ``min_shared`` characters."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    if shared <= 0:
        return False
    contains = (a[0] <= b[0] and b[1] <= a[1]) or (b[0] <= a[0] and a[1] <= b[1])
    return contains or shared >= min_shared


@dataclass
class SegmentOutcome:
    """One gold foreign segment and what the run made of it."""

    doc: str
    group: str
    main_lang: str
    lang: str
    relation: str
    text: str
    hit: bool = False
    paired: bool = False  # some pair joins it to main-language text
    best: dict[str, Any] | None = None  # the best-scoring such pair
    false_parallel: bool = False  # NONE segment labelled parallel
    optional: bool = False


@dataclass
class NewsReport:
    segments: list[SegmentOutcome] = field(default_factory=list)
    neg_false: list[dict[str, Any]] = field(default_factory=list)
    hard_false: list[dict[str, Any]] = field(default_factory=list)
    # Pairs on A/B pages whose foreign side is no gold foreign segment.
    stray: list[dict[str, Any]] = field(default_factory=list)

    def recall(self, relation: str, *, group: str | None = None, lang: str | None = None) -> tuple[int, int]:
        rows = [s for s in self.segments if s.relation == relation
                and (group is None or s.group == group) and (lang is None or s.main_lang == lang)]
        return sum(s.hit for s in rows), len(rows)

    @property
    def none_false_parallel(self) -> int:
        return sum(s.false_parallel for s in self.segments)

    def summary_line(self) -> str:
        fh, fn = self.recall(FULL)
        ph, pn = self.recall(PARTIAL)
        return (f"full_recall={_ratio(fh, fn)} partial_recall={_ratio(ph, pn)} "
                f"none_false_parallel={self.none_false_parallel} neg_false={len(self.neg_false)} "
                f"hard_false={len(self.hard_false)}")


def _ratio(hits: int, n: int) -> str:
    return f"{hits / n:.3f}" if n else "nan"


def score_news(gold: Mapping[str, Any], texts: Mapping[str, str],
               pairs: Iterable[Mapping[str, Any]]) -> NewsReport:
    """Score ``pairs`` (``pairs.jsonl`` rows) against ``gold``.

    ``texts`` maps a document id (the gold file's stem) to the text the run
    read. Pairs of documents absent from the gold are ignored.
    """
    by_doc: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for p in pairs:
        by_doc[p["doc_id"]].append(p)
    report = NewsReport()
    for doc in gold["documents"]:
        doc_id = doc["file"].rsplit(".", 1)[0]
        text = texts[doc_id]
        main = doc["main_lang"]
        doc_pairs = by_doc.get(doc_id, [])
        if doc["group"] == "NEG":
            report.neg_false += doc_pairs
        banned = [s for s in (locate(text, t) for t in doc.get("not_foreign_contains", [])) if s]
        if doc["group"] == "HARD":
            report.hard_false += [p for p in doc_pairs if any(overlaps(_span(p, side), b, 1)
                                                             for side in ("src", "tgt") for b in banned)]
        claimed: set[int] = set()
        for f in doc.get("foreign", []):
            spans = [s for s in (locate(text, t) for t in [f["text_contains"], *f.get("other_parts_contains", [])]) if s]
            if not spans:
                raise ValueError(f"{doc['file']}: text_contains not found: {f['text_contains'][:40]!r}")
            body = [s for s in (locate(text, t) for t in f.get("body_contains", [])) if s]
            out = SegmentOutcome(doc_id, doc["group"], main, f["lang"], f["relation"], f["text_contains"],
                                 optional=bool(f.get("optional")))
            scored = []
            for i, p in enumerate(doc_pairs):
                for side, other in (("src", "tgt"), ("tgt", "src")):
                    if p[f"{other}_lang"] == main and p[f"{side}_lang"] != main \
                            and p.get(f"{other}_kind", "body") not in EMBED_KINDS \
                            and any(overlaps(_span(p, side), s, 1) for s in spans):
                        scored.append((p["score"], -i, p, other))
                        claimed.add(i)
            if scored:
                _, _, best, other = max(scored, key=lambda x: (x[0], x[1]))
                out.paired, out.best = True, best
                out.hit = any(overlaps(_span(best, other), b) for b in body)
                out.false_parallel = f["relation"] == NONE and any(p["label"] == "parallel" for _, _, p, _ in scored)
            report.segments.append(out)
        if doc["group"] in ("A", "B"):
            report.stray += [p for i, p in enumerate(doc_pairs) if i not in claimed
                             and main in (p["src_lang"], p["tgt_lang"])]
    return report


def _span(pair: Mapping[str, Any], side: str) -> Span:
    s, e = pair[f"{side}_span"]
    return int(s), int(e)


def format_report(report: NewsReport) -> str:
    """The tables: overall, per group, per main language (FULL, PARTIAL, false pairs)."""
    lines = ["| set | FULL recall@1 | PARTIAL recall@1 | NONE labelled parallel |", "|---|---|---|---|"]

    def row(name: str, **where: str) -> str:
        fh, fn = report.recall(FULL, **where)
        ph, pn = report.recall(PARTIAL, **where)
        nf = sum(s.false_parallel for s in report.segments
                 if all(getattr(s, "main_lang" if k == "lang" else k) == v for k, v in where.items()))
        cell = lambda h, n: f"{h / n:.2f} ({h}/{n})" if n else "–"  # noqa: E731
        return f"| {name} | {cell(fh, fn)} | {cell(ph, pn)} | {nf} |"

    lines.append(row("all"))
    for group in sorted({s.group for s in report.segments}):
        lines.append(row(f"group {group}", group=group))
    for lang in sorted({s.main_lang for s in report.segments}):
        lines.append(row(f"main {lang}", lang=lang))
    lines.append("")
    lines.append(f"NEG pages: {len(report.neg_false)} pairs; HARD pages: {len(report.hard_false)} pairs of "
                 f"not-foreign text; other pairs on A/B pages with no gold segment: {len(report.stray)}")
    return "\n".join(lines)
