"""``pairs.jsonl``: one :meth:`Pair.to_record` JSON object per line."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from align.export.atomic import atomic_open, output_errors
from align.types import InputError, Pair, record_key, required

REQUIRED_FIELDS = tuple(record_key(f) for f in dataclasses.fields(Pair) if required(f))


def write_pairs_jsonl(pairs: Iterable[Pair], path: str | os.PathLike[str]) -> int:
    """Write ``pairs`` to ``path`` atomically (UTF-8, non-ASCII kept); return the count."""
    n = 0
    with atomic_open(path, "w") as f:
        for pair in pairs:
            line = json.dumps(pair.to_record(), ensure_ascii=False)
            with output_errors(path):
                f.write(line + "\n")
            n += 1
    return n


def read_pairs_jsonl(path: str | os.PathLike[str]) -> list[Pair]:
    """Read a ``pairs.jsonl``; blank lines are skipped.

    Raises InputError naming the file and line on unreadable files, bad JSON,
    missing required fields or ill-typed values.
    """
    pairs: list[Pair] = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    pairs.append(_parse_line(line, Path(path), lineno))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 ({e.reason})") from None
    return pairs


def json_object(line: str, where: str) -> dict[str, Any]:
    """One JSONL line that must hold an object; InputError naming ``where`` otherwise."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: invalid JSON: {e.msg} (column {e.colno})") from None
    if not isinstance(rec, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
    return rec


def _parse_line(line: str, path: Path, lineno: int) -> Pair:
    where = f"{path}:{lineno}"
    rec = json_object(line, where)
    missing = [k for k in REQUIRED_FIELDS if k not in rec]
    if missing:
        raise InputError(f"{where}: missing required field(s): {', '.join(missing)}")
    try:
        pair = Pair.from_record(rec)
    except (TypeError, ValueError) as e:
        raise InputError(f"{where}: bad value: {e}") from None
    if len(pair.src_span) != 2 or len(pair.tgt_span) != 2:
        raise InputError(f"{where}: src_span and tgt_span must be [start, end]")
    return pair
