"""Plain data shared by every stage.

Offsets are ``[start, end)`` character offsets into ``Document.text`` (the text
exactly as read), so every segment and pair can be traced back to its source.
For every segment, ``" ".join(clean_text(doc.text[s:e]) for s, e in segment.pieces)
== segment.text`` where ``clean_text`` is :func:`align.ingest.text.clean_text`;
a segment in one piece (nearly all) has ``pieces == (span,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]

# Segment kinds. ``title`` and ``body`` belong to the document's main language;
# ``tweet`` and ``quote`` are embedded, usually foreign, segments.
TITLE, BODY, TWEET, QUOTE = "title", "body", "tweet", "quote"
EMBED_KINDS = (TWEET, QUOTE)

# Pair labels.
PARALLEL, PARTIAL = "parallel", "partial"


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Segment:
    id: str
    doc_id: str
    kind: str
    text: str
    # The whole extent; for a tweet split around its attribution line or over
    # paragraphs, from its first piece's start to its last piece's end.
    span: Span
    lang: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # The pieces of a split segment, in order; empty when it is the one span.
    spans: tuple[Span, ...] = ()

    @property
    def pieces(self) -> tuple[Span, ...]:
        return self.spans or (self.span,)


@dataclass
class Article:
    """A document after ingest: its embeds found, the rest left as body regions.

    ``body`` holds the spans of main-text paragraphs (tweets and their
    attribution lines removed); sentence splitting happens downstream.
    """

    doc: Document
    # The text that was parsed: ``doc.text`` with embed HTML blanked out
    # (same length, same offsets). Sentence splitting and candidate spans use it.
    text: str = ""
    title: Span | None = None
    date: str | None = None
    embeds: list[Segment] = field(default_factory=list)
    body: list[Span] = field(default_factory=list)


@dataclass
class Unit:
    """A candidate text on the body side: a window of sentences or a sub-span."""

    text: str
    span: Span
    lang: str
    segment_ids: tuple[str, ...]
    kind: str  # "window" | "clause" | "quotation" | "embed"
    n_sentences: int = 1
    # The sentences a window is made of, translated one by one and joined, so
    # overlapping windows share translations.
    parts: tuple[str, ...] = ()
    seg_kind: str = ""  # kind of the underlying segment(s): body, title, tweet, quote
    # Character pieces of a split segment (see Segment.spans); empty: ``span``.
    spans: tuple[Span, ...] = ()
    # Index of the block (title, paragraph or embed) it starts in, in document order.
    position: int = 0

    @property
    def pieces(self) -> tuple[str, ...]:
        return self.parts or (self.text,)


@dataclass
class Pair:
    id: str
    doc_id: str
    src_lang: str
    tgt_lang: str
    src: str
    tgt: str
    src_span: Span
    tgt_span: Span
    score: float
    label: str
    method: str
    src_kind: str = ""
    tgt_kind: str = ""
    src_ids: tuple[str, ...] = ()
    tgt_ids: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    bleu: float | None = None
    chrf: float | None = None
    bleu_signature: str | None = None
    chrf_signature: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # The pieces of a side split in the document (a tweet around its
    # attribution line); empty: the side is its span.
    src_spans: tuple[Span, ...] = ()
    tgt_spans: tuple[Span, ...] = ()
    # What the page says of each side (embeds: platform, author, handle, date,
    # urls, hashtags; all None/[] for body text), and of the document (url, date, title).
    src_info: dict[str, Any] = field(default_factory=dict)
    tgt_info: dict[str, Any] = field(default_factory=dict)
    doc_info: dict[str, Any] = field(default_factory=dict)
    # Parallel pairs whose segments are linked (an en tweet, its ru twin and
    # the French sentence both translate) share a cluster id; None for partial pairs.
    cluster: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready row written to ``pairs.jsonl``."""
        rec = {
            "id": self.id,
            "doc_id": self.doc_id,
            "src_lang": self.src_lang,
            "tgt_lang": self.tgt_lang,
            "src": self.src,
            "tgt": self.tgt,
            "src_span": list(self.src_span),
            "tgt_span": list(self.tgt_span),
            "score": round(float(self.score), 6),
            "label": self.label,
            "method": self.method,
            "src_kind": self.src_kind,
            "tgt_kind": self.tgt_kind,
            "src_ids": list(self.src_ids),
            "tgt_ids": list(self.tgt_ids),
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
            "bleu": self.bleu,
            "chrf": self.chrf,
            "bleu_signature": self.bleu_signature,
            "chrf_signature": self.chrf_signature,
            "src_spans": [list(x) for x in self.src_spans or (self.src_span,)],
            "tgt_spans": [list(x) for x in self.tgt_spans or (self.tgt_span,)],
            "src_info": side_info(self.src_info),
            "tgt_info": side_info(self.tgt_info),
            "doc": {k: self.doc_info.get(k) for k in DOC_KEYS},
            "cluster": self.cluster,
            "meta": self.meta,
        }
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "Pair":
        return cls(
            id=rec["id"],
            doc_id=rec["doc_id"],
            src_lang=rec["src_lang"],
            tgt_lang=rec["tgt_lang"],
            src=rec["src"],
            tgt=rec["tgt"],
            src_span=tuple(rec["src_span"]),
            tgt_span=tuple(rec["tgt_span"]),
            score=float(rec["score"]),
            label=rec["label"],
            method=rec["method"],
            src_kind=rec.get("src_kind", ""),
            tgt_kind=rec.get("tgt_kind", ""),
            src_ids=tuple(rec.get("src_ids", ())),
            tgt_ids=tuple(rec.get("tgt_ids", ())),
            scores=dict(rec.get("scores", {})),
            bleu=rec.get("bleu"),
            chrf=rec.get("chrf"),
            bleu_signature=rec.get("bleu_signature"),
            chrf_signature=rec.get("chrf_signature"),
            meta=dict(rec.get("meta", {})),
            src_spans=_pieces(rec.get("src_spans"), rec["src_span"]),
            tgt_spans=_pieces(rec.get("tgt_spans"), rec["tgt_span"]),
            src_info=side_info(rec.get("src_info")),
            tgt_info=side_info(rec.get("tgt_info")),
            doc_info={k: (rec.get("doc") or {}).get(k) for k in DOC_KEYS},
            cluster=rec.get("cluster"),
        )


# What a pair says of each side (an embed's attribution, links and hashtags;
# all empty for body text) and of its document.
INFO_KEYS = ("platform", "author", "handle", "date", "urls", "hashtags")
DOC_KEYS = ("url", "date", "title")


def side_info(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The ``INFO_KEYS`` of a segment's meta, lists empty and the rest None where absent."""
    meta = meta or {}
    return {k: meta.get(k) or ([] if k in ("urls", "hashtags") else None) for k in INFO_KEYS}


def _pieces(spans: Any, span: Any) -> tuple[Span, ...]:
    """Pieces as stored: () when the side is its one span."""
    out = tuple(tuple(x) for x in spans or ())
    return () if len(out) <= 1 and (not out or out[0] == tuple(span)) else out


@dataclass(frozen=True)
class Bead:
    """One step of a monotonic alignment: source and target sentence indices (0-based).

    Either side may be empty (a 1-0 or 0-1 bead). ``score`` is the aligner's
    cost or confidence for the bead, as written in Vecalign's format.
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float = 0.0

    @property
    def kind(self) -> str:
        return f"{len(self.src)}-{len(self.tgt)}"


class AlignError(Exception):
    """A user-facing error: one line, a documented exit code, no traceback."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)


class ConfigError(AlignError):
    exit_code = 2


class InputError(AlignError):
    exit_code = 3


class ModelError(AlignError):
    exit_code = 4


class OutputError(AlignError):
    exit_code = 5
