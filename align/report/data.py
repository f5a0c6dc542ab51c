"""Reading an align output directory for ``align report``: its summary, pairs and document views.

Everything past the summary is streamed: a report of 10,000 documents never
holds more than the pairs (grouped by document) and one document's view.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..output import DOCUMENTS, document_view
from ..types import InputError

SUMMARY, PAIRS = "summary.json", "pairs.jsonl"
MINING, PARALLEL = "mining", "parallel"


@dataclass
class Output:
    """An align output directory: what ``align run`` (mining) or ``align docalign`` (parallel) wrote."""

    dir: Path
    summary: dict[str, Any]
    verb: str  # MINING | PARALLEL
    has_views: bool  # documents.jsonl.gz is there (outputs written before issue 13 lack it)
    # The Ray engine's per-shard layout (no --merge): the records of each finished
    # shard, in shards/NAME.records.jsonl.gz beside its manifest shards/NAME.json.
    shard_records: tuple[Path, ...] = ()


def open_output(path: str | Path) -> Output:
    """The output at ``path``; InputError (one line) when it is not one."""
    d = Path(path)
    if not d.is_dir():
        raise InputError(f"{d}: no such directory" if not d.exists() else f"{d}: not a directory")
    summary_path = d / SUMMARY
    if not summary_path.is_file():
        raise InputError(f"{d}: not an align output directory (no {SUMMARY}; "
                         f"give the --output directory of 'align run' or 'align docalign')")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{summary_path}: cannot read: {e}") from None
    if not isinstance(summary, dict) or not all(isinstance(summary.get(k), int) for k in ("documents", "pairs")):
        raise InputError(f"{summary_path}: not the summary of an align output (no document and pair counts)")
    verb = PARALLEL if summary.get("verb") == "docalign" else MINING
    if not (d / PAIRS).is_file():
        # A shard counts once its manifest exists (the Ray engine writes it last).
        from ..ray_engine import ShardStore  # Ray itself is imported only inside its functions

        store = ShardStore(d)
        records = tuple(store.records_path(stem) for stem in store.finished())
        if not records:
            raise InputError(f"{d}: not an align output directory (no {PAIRS}, no shards/)")
        return Output(d, summary, verb, True, records)
    return Output(d, summary, verb, (d / DOCUMENTS).is_file())


def _record(path: Path, n: int, line: bytes | str) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: line {n}: not JSON: {e}") from None
    if not isinstance(rec, dict):
        raise InputError(f"{path}: line {n}: not a JSON object")
    return rec


def _json_lines(path: Path, lines: Iterator[bytes | str]) -> Iterator[dict[str, Any]]:
    n = 0
    try:
        for n, line in enumerate(lines, 1):
            rec = _record(path, n, line)
            if rec is not None:
                yield rec
    except (OSError, EOFError, zlib.error) as e:  # a truncated or corrupt gzip stream
        raise InputError(f"{path}: cannot read after line {n}: {e}") from None


class PairIndex:
    """Where each document's pairs lie in ``pairs.jsonl``: byte offsets, not records.

    Pairs are read back per document as its page is written, so memory holds
    offsets only, whatever the order of pairs.jsonl against documents.jsonl.gz.
    """

    def __init__(self, path: Path):
        self.path = path
        self.offsets: dict[str, list[tuple[int, int]]] = {}  # doc_id -> (offset, line number), file order
        self.file = _opened(path, open)
        try:
            pos = 0
            for n, line in enumerate(self.file, 1):
                rec = _record(path, n, line)
                if rec is not None:
                    self.offsets.setdefault(str(rec.get("doc_id", "")), []).append((pos, n))
                pos += len(line)
        except OSError as e:
            self.file.close()
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
        except BaseException:
            self.file.close()
            raise

    def take(self, doc_id: str) -> list[dict[str, Any]]:
        """The pair records of ``doc_id`` in file order (each document's pairs are taken once)."""
        out = []
        for pos, n in self.offsets.pop(doc_id, ()):
            self.file.seek(pos)
            rec = _record(self.path, n, self.file.readline())
            if rec is not None:
                out.append(rec)
        return out

    def close(self) -> None:
        self.file.close()


def _opened(path: Path, opener):
    try:
        return opener(path, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None


def iter_views(out: Output) -> Iterator[dict[str, Any]]:
    """The lines of ``documents.jsonl.gz``, input order."""
    path = out.dir / DOCUMENTS
    with _opened(path, gzip.open) as f:
        yield from _json_lines(path, f)


def stub_view(doc_id: str) -> dict[str, Any]:
    """A document known only from its pairs: shown as pair cards, without its text."""
    return {"doc_id": doc_id, "kind": "pairs"}


def iter_documents(path: str | Path | Output) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(view, pair records) per document, in input order: the one place that knows the output's layout.

    Documents without a view (an output older than ``documents.jsonl.gz``, or
    pairs whose document is missing from it) get :func:`stub_view`.
    """
    out = path if isinstance(path, Output) else open_output(path)
    if out.shard_records:
        yield from _shard_documents(out)
        return
    pairs = PairIndex(out.dir / PAIRS)
    try:
        if out.has_views:
            for view in iter_views(out):
                yield view, pairs.take(str(view.get("doc_id", "")))
        for doc_id in list(pairs.offsets):
            yield stub_view(doc_id), pairs.take(doc_id)
    finally:
        pairs.close()


def _shard_documents(out: Output) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(view, pair records) from the Ray engine's shard records: each holds both."""
    for path in out.shard_records:
        with _opened(path, gzip.open) as f:
            for rec in _json_lines(path, f):
                yield document_view(rec), rec.get("pairs", [])
