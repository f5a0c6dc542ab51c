"""Streaming document readers: .txt file, folder of .txt, .jsonl, .parquet.

``Document.text`` is the source text as decoded (UTF-8, BOM dropped, ``\\r\\n``
and lone ``\\r`` turned into ``\\n``) — offsets are taken on it from here on.

Errors are :class:`align.types.InputError` with a one-line message naming the
file (and line/row). A single ``.txt`` file always raises. For corpus inputs
(folder, JSONL, Parquet) ``on_error="skip"`` logs a warning, yields nothing for
the bad document and counts it in the optional ``stats``; file-level problems
(missing path, no documents at all, unreadable Parquet) always raise, and so
does a corpus in which every document was bad ("no usable document").
Text, ids, urls and dates holding a lone surrogate (a JSON ``\\ud800`` escape,
or an undecodable file name) are refused: they could not be written out.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from align.types import Document, InputError

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]
SUFFIXES = (".txt", ".jsonl", ".ndjson", ".parquet")
PARQUET_BATCH_ROWS = 1024
_CHUNK = 1 << 20  # bytes per read when only counting an oversized file
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass
class ReadStats:
    """Counts filled in while ``read_documents`` is iterated (pass one in to get them)."""

    read: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # messages of skipped documents
    failed_shards: list[str] = field(default_factory=list)  # "NAME: why", shards that could not be read at all


# Optional fields of a JSONL / Parquet record that describe the document; they
# go to Document.meta and on to every pair's "doc" metadata.
META_FIELDS = ("url", "date", "title")


def read_documents(
    path: str | Path,
    *,
    max_chars: int = 1_000_000,
    on_error: OnError = "raise",
    stats: ReadStats | None = None,
) -> Iterator[Document]:
    """Yield the documents under ``path`` one at a time (never all in memory).

    * ``x.txt``: one document, id ``x``;
    * a folder: its ``*.txt`` files (not recursive), sorted by name, id = stem;
    * ``x.jsonl``: one JSON object per line with ``text`` and optional ``id``
      (default ``"x:<line>"``), ``url``, ``date``, ``title`` (the last three go to ``meta``);
    * ``x.parquet``: same columns, read in batches (default id ``"x:<row>"``, 1-based).

    Path problems (and anything wrong with a single .txt) raise here, at call
    time; the rest raise during iteration.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} does not exist")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".txt" and f.is_file())
        if not files:
            raise InputError(f"{p} contains no .txt files")
        gen = _read_folder(files, max_chars)
    else:
        suffix = p.suffix.lower()
        if suffix not in SUFFIXES:
            raise InputError(
                f"{p} has unsupported extension {p.suffix!r} "
                "(expected .txt, .jsonl, .parquet or a folder of .txt files)"
            )
        if suffix == ".txt":
            return iter([_read_single_txt(p, max_chars, stats)])
        gen = _read_jsonl(p, max_chars) if suffix in (".jsonl", ".ndjson") else _read_parquet(p, max_chars)
    return _collect(p, gen, on_error, stats or ReadStats())


# A corpus reader yields a Document, or the InputError of one bad document.
_Item = Document | InputError


def read_file_items(path: Path, max_chars: int) -> Iterator[_Item]:
    """The documents of one .jsonl/.parquet file (a shard), a bad one as its InputError.

    Problems with the file as a whole raise InputError during iteration.
    """
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, max_chars)
    if suffix == ".parquet":
        return _read_parquet(path, max_chars)
    raise InputError(f"{path}: not a .jsonl or .parquet file")


def read_txt_items(files: list[Path], max_chars: int) -> Iterator[_Item]:
    """One document per .txt file (id: the file's stem), a bad one as its InputError."""
    return _read_folder(files, max_chars)


def _collect(path: Path, items: Iterator[_Item], on_error: OnError, stats: ReadStats) -> Iterator[Document]:
    read = skipped = 0
    first_error = ""
    for item in items:
        if isinstance(item, Document):
            read += 1
            stats.read += 1
            yield item
        elif on_error == "raise":
            raise item
        else:
            skipped += 1
            stats.skipped += 1
            stats.errors.append(str(item))
            first_error = first_error or str(item)
            logger.warning("skipping document: %s", item)
    if skipped and not read:
        raise InputError(f"{path} has no usable document ({skipped} skipped; first: {first_error})")


def _read_single_txt(path: Path, max_chars: int, stats: ReadStats | None) -> Document:
    # One document: read it now so every problem surfaces at call time.
    text = _read_txt(path, max_chars)
    if not text.strip():
        raise InputError(f"{path} is empty")
    if _SURROGATE_RE.search(path.stem):
        raise InputError(f"{path}: file name is not valid UTF-8, so it cannot be a document id")
    if stats is not None:
        stats.read += 1
    return Document(id=path.stem, text=text, meta={"source": str(path)})


def _read_folder(files: list[Path], max_chars: int) -> Iterator[_Item]:
    for f in files:
        try:
            text = _read_txt(f, max_chars)
        except InputError as exc:
            yield exc
            continue
        if _SURROGATE_RE.search(f.stem):  # undecodable bytes in the name (os.fsdecode escapes them)
            yield InputError(f"{f}: file name is not valid UTF-8, so it cannot be a document id")
            continue
        # Whitespace-only documents are kept: they give zero pairs downstream.
        yield Document(id=f.stem, text=text, meta={"source": str(f)})


def _read_txt(path: Path, max_chars: int) -> str:
    try:
        size = path.stat().st_size
        if size > 4 * max_chars:  # UTF-8 needs <= 4 bytes a char: over the limit for sure
            raise InputError(_too_long(path, _count_chars(path), max_chars))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = _decode(data, str(path))
    if len(text) > max_chars:
        raise InputError(_too_long(path, len(text), max_chars))
    return text


def _read_jsonl(path: Path, max_chars: int) -> Iterator[_Item]:
    seen = False
    with _open_binary(path) as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue  # blank lines separate nothing in JSONL
            seen = True
            try:
                rec = json.loads(_decode(raw, where, normalize=False))
            except InputError as exc:
                yield exc
                continue
            except json.JSONDecodeError as exc:
                yield InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(rec, dict):
                yield InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
                continue
            yield _record(rec, where, f"{path.stem}:{lineno}", max_chars)
    if not seen:
        raise InputError(f"{path} is empty")


def _read_parquet(path: Path, max_chars: int) -> Iterator[_Item]:
    import pyarrow as pa  # lazy: pyarrow is slow to import
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path} is not a readable Parquet file ({_one_line(exc)})") from None
    if "text" not in names:
        raise InputError(f"{path} has no 'text' column (columns: {', '.join(sorted(names))})")
    if pf.metadata.num_rows == 0:
        raise InputError(f"{path} is empty")
    columns = [c for c in ("text", "id", *META_FIELDS) if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            for rec in batch.to_pylist():
                row += 1
                yield _record(rec, f"{path} row {row}", f"{path.stem}:{row}", max_chars)
    except pa.ArrowException as exc:
        raise InputError(f"{path}: cannot read row {row + 1} ({_one_line(exc)})") from None


def _record(rec: dict[str, Any], where: str, default_id: str, max_chars: int) -> _Item:
    """A JSONL / Parquet row -> Document, or the InputError saying what is wrong."""
    text = rec.get("text")
    if text is None:
        return InputError(f"{where}: no 'text' field")
    if not isinstance(text, str):
        return InputError(f"{where}: 'text' must be a string, got {type(text).__name__}")
    if "\x00" in text:
        return InputError(f"{where}: text contains a NUL character at offset {text.index(chr(0))}")
    text = _normalize(text.removeprefix("\ufeff"))
    if len(text) > max_chars:
        return InputError(_too_long(where, len(text), max_chars))
    doc_id = rec.get("id")
    meta: dict[str, Any] = {"source": where}
    for key in META_FIELDS:
        value = rec.get(key)
        if value is not None:
            # Parquet dates arrive as datetime objects; keep meta JSON-ready.
            meta[key] = value if isinstance(value, (str, int, float)) else str(value)
    doc = Document(id=default_id if doc_id in (None, "") else str(doc_id), text=text, meta=meta)
    # Only a JSON escape such as "\\ud800" can make a lone surrogate (UTF-8 cannot
    # hold one); it could not be written out again.
    for name, value in (("text", doc.text), ("id", doc.id), *((k, meta.get(k)) for k in META_FIELDS)):
        bad = _SURROGATE_RE.search(value) if isinstance(value, str) else None
        if bad:
            return InputError(f"{where}: {name!r} contains a lone surrogate (U+{ord(bad.group()):04X}) "
                              f"at offset {bad.start()}")
    return doc


def _decode(data: bytes, where: str, *, normalize: bool = True) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{where} contains a NUL byte at offset {nul} (binary file?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
        raise InputError(
            f"{where} is not valid UTF-8 text (byte 0x{data[exc.start + bom]:02x} at offset {exc.start + bom})"
        ) from None
    return _normalize(text) if normalize else text


def _normalize(text: str) -> str:
    # Before any offset is taken: "\r\n" and lone "\r" become "\n" (universal newlines).
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _count_chars(path: Path) -> int:
    """Characters in a (large) file, read in chunks; undecodable bytes count as one each."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    n = 0
    with _open_binary(path) as fh:
        while chunk := fh.read(_CHUNK):
            n += len(decoder.decode(chunk))
    return n + len(decoder.decode(b"", final=True))


def _open_binary(path: Path):  # type: ignore[no-untyped-def]
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _too_long(where: object, n: int, limit: int) -> str:
    return f"{where} has {n} characters, over the limit of {limit} (max_doc_chars)"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
