"""Plain data shared by every stage.

Offsets are ``[start, end)`` character offsets into ``Document.text`` (the text
exactly as read), so every segment and pair can be traced back to its source.
For every segment, ``clean_text(doc.text[start:end]) == segment.text`` where
``clean_text`` is :func:`align.ingest.text.clean_text`.
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
    span: Span
    lang: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Article:
    """A document after ingest: its embeds found, the rest left as body regions.

    ``body`` holds the spans of main-text paragraphs (tweets and their
    attribution lines removed); sentence splitting happens downstream.
    """

    doc: Document
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
        )


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
