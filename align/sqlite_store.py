"""A small on-disk key-value table in sqlite3, shared safely between processes.

The translation and embedding caches are both "look up many keys, store many
rows, commit each batch"; this holds the connection handling they share.
WAL mode lets readers and a writer in other processes work concurrently, and
every ``insert`` commits, so an interrupted run keeps what it computed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# Stay well below SQLite's host-parameter limit (999 on old builds).
_CHUNK = 500


class SqliteStore:
    def __init__(self, path: str | Path, schema: str, timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: how long to wait on another process's write lock.
        self._conn = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
        self._conn.execute(schema)
        self._conn.commit()

    def select_in(self, sql: str, fixed: Sequence[Any], keys: Iterable[str]) -> list[tuple]:
        """Rows of ``sql`` (ending in ``IN ({marks})``) for ``keys``, queried in chunks."""
        uniq = list(dict.fromkeys(keys))
        rows: list[tuple] = []
        for i in range(0, len(uniq), _CHUNK):
            chunk = uniq[i : i + _CHUNK]
            rows += self._conn.execute(sql.format(marks=",".join("?" * len(chunk))), (*fixed, *chunk))
        return rows

    def insert(self, sql: str, rows: Iterable[tuple]) -> None:
        with self._conn:  # one transaction, committed on exit
            self._conn.executemany(sql, rows)

    def count(self, table: str) -> int:
        return self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r})"
