"""Plain data shared by every stage.

Offsets are ``[start, end)`` character offsets into ``Document.text`` (the text
exactly as read), so every segment and pair can be traced back to its source.
For every segment, ``" ".join(clean_text(doc.text[s:e]) for s, e in segment.pieces)
== segment.text`` where ``clean_text`` is :func:`align.ingest.text.clean_text`;
a segment in one piece (nearly all) has ``pieces == (span,)``.
"""

from __future__ import annotations

import typing
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, TypedDict

Span = tuple[int, int]

# Segment kinds. ``title`` and ``body`` belong to the document's main language;
# ``tweet`` and ``quote`` are embedded, usually foreign, segments.
TITLE, BODY, TWEET, QUOTE = "title", "body", "tweet", "quote"
EMBED_KINDS = (TWEET, QUOTE)

# Pair labels.
PARALLEL, PARTIAL = "parallel", "partial"
LABELS = (PARALLEL, PARTIAL)


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


class SideInfo(TypedDict):
    """What the page says of a side when it is an embed; all None/[] for body text."""

    platform: str | None  # twitter, instagram
    author: str | None
    handle: str | None
    date: str | None
    urls: list[str]
    hashtags: list[str]


class DocInfo(TypedDict):
    """The document's url, date and title, where the input gives them."""

    url: str | None
    date: str | None
    title: str | None


INFO_KEYS = tuple(SideInfo.__annotations__)
DOC_KEYS = tuple(DocInfo.__annotations__)


def _field(doc: str, default: Any = MISSING, *, factory: Any = MISSING, key: str | None = None,
           rounded: bool = False, pieces_of: str | None = None) -> Any:
    """A :class:`Pair` field and how it is written.

    ``doc``: its description (the dataset card's); ``key``: its record key when
    not its name; ``rounded``: floats to 6 decimals (their last bits vary with
    the BLAS); ``pieces_of``: the span written as its one piece when it is empty.
    """
    meta = {"doc": doc, "key": key, "rounded": rounded, "pieces_of": pieces_of}
    return field(default=default, default_factory=factory, metadata=meta)


@dataclass
class Pair:
    """An aligned pair of texts.

    The single definition of the pair record: :meth:`to_record` and
    :meth:`from_record` (``pairs.jsonl``), the HF export's features and the
    dataset card's field table all follow these fields, their order, types
    and descriptions.
    """

    id: str = _field("pair id, unique within the export")
    doc_id: str = _field("id of the source document")
    src_lang: str = _field("language of the source side")
    tgt_lang: str = _field("language of the target side")
    src: str = _field("source text")
    tgt: str = _field("target text")
    src_span: Span = _field("`[start, end)` character offsets of the source text in its document")
    tgt_span: Span = _field("`[start, end)` character offsets of the target text in its document")
    score: float = _field("alignment score used for the decision", rounded=True)
    label: str = _field(" or ".join(f"`{x}`" for x in LABELS))
    method: str = _field("aligner that produced the pair")
    src_kind: str = _field("segment kind of the source side (title, body, tweet, quote, ...)", "")
    tgt_kind: str = _field("segment kind of the target side", "")
    src_ids: tuple[str, ...] = _field("ids of the source segments", ())
    tgt_ids: tuple[str, ...] = _field("ids of the target segments", ())
    scores: dict[str, float] = _field("JSON object of all component scores (keys vary by method)",
                                      factory=dict, rounded=True)
    bleu: float | None = _field("sacrebleu sentence BLEU for the pair; null when not computed", None)
    chrf: float | None = _field("sacrebleu sentence chrF for the pair; null when not computed", None)
    bleu_signature: str | None = _field("sacrebleu BLEU signature", None)
    chrf_signature: str | None = _field("sacrebleu chrF signature", None)
    src_spans: tuple[Span, ...] = _field(
        "the pieces of the source side in its document (a tweet split around its attribution line has "
        "several); the side's text is their cleaned texts joined by a space", (), pieces_of="src_span")
    tgt_spans: tuple[Span, ...] = _field("the pieces of the target side", (), pieces_of="tgt_span")
    src_info: SideInfo = _field(
        "what the page says of the source side when it is an embed: `platform` (twitter, instagram), "
        "`author`, `handle`, `date`, `urls`, `hashtags` (null / empty for body text)", factory=dict)
    tgt_info: SideInfo = _field("the same for the target side", factory=dict)
    doc_info: DocInfo = _field("the document's `url`, `date` and `title`, where the input gives them",
                               factory=dict, key="doc")
    cluster: str | None = _field(
        "parallel pairs whose segments are linked (an en tweet, its ru twin and the French sentence) "
        "share an id; `align export --nway` writes one row per cluster", None)
    meta: dict[str, Any] = _field("JSON object of extra per-pair information", factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready row written to ``pairs.jsonl``."""
        return {record_key(f): _encode(f, getattr(self, f.name), self) for f in fields(self)}

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "Pair":
        """Inverse of :meth:`to_record`; KeyError if a required field is missing."""
        return cls(**{f.name: _decode(f, rec) for f in fields(cls)})


def record_key(f: Field[Any]) -> str:
    """The name of a :class:`Pair` field in its record."""
    return f.metadata["key"] or f.name


def required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def side_info(meta: dict[str, Any] | None) -> dict[str, Any]:
    """The ``INFO_KEYS`` of a segment's meta, lists empty and the rest None where absent."""
    meta = meta or {}
    return {k: meta.get(k) or ([] if k in _LIST_KEYS else None) for k in INFO_KEYS}


def doc_fields(info: dict[str, Any] | None) -> dict[str, Any]:
    """The ``DOC_KEYS`` of a document's info, None where absent."""
    return {k: (info or {}).get(k) for k in DOC_KEYS}


def _pieces(spans: Any, span: Any) -> tuple[Span, ...]:
    """Pieces as stored: () when the side is its one span."""
    out = tuple(tuple(x) for x in spans or ())
    return () if len(out) <= 1 and (not out or out[0] == tuple(span)) else out


def _lists(value: Any) -> Any:
    return [_lists(x) for x in value] if isinstance(value, (tuple, list)) else value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(x) for x in value) if isinstance(value, (tuple, list)) else value


PAIR_TYPES: dict[str, Any] = typing.get_type_hints(Pair)
_LIST_KEYS = {k for k, t in typing.get_type_hints(SideInfo).items() if typing.get_origin(t) is list}
# How a record writes and reads each info dict: its keys only, absent ones None or [].
_INFO = {SideInfo: side_info, DocInfo: doc_fields}


def _encode(f: Field[Any], value: Any, pair: Pair) -> Any:
    hint = PAIR_TYPES[f.name]
    if f.metadata["pieces_of"]:
        value = value or (getattr(pair, f.metadata["pieces_of"]),)
    if hint in _INFO:
        return _INFO[hint](value)
    if f.metadata["rounded"]:
        return {k: round(float(v), 6) for k, v in value.items()} if isinstance(value, dict) else round(float(value), 6)
    return _lists(value) if typing.get_origin(hint) is tuple else value


def _decode(f: Field[Any], rec: dict[str, Any]) -> Any:
    hint, key = PAIR_TYPES[f.name], record_key(f)
    if required(f):
        value = rec[key]
    else:
        value = rec.get(key, f.default if f.default_factory is MISSING else f.default_factory())
    if f.metadata["pieces_of"]:
        return _pieces(value, rec[f.metadata["pieces_of"]])
    if hint in _INFO:
        return _INFO[hint](value)
    if hint is float:
        return float(value)
    if typing.get_origin(hint) is dict:
        return dict(value)
    return tuple(_tuples(x) for x in value) if typing.get_origin(hint) is tuple else value


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
