"""A small on-disk key-value table in sqlite3, shared safely between processes.

The translation and embedding caches are both "look up many keys, store many
rows, commit each batch"; this holds the connection handling they share.
WAL mode lets readers and a writer in other processes work concurrently, and
every ``insert`` commits, so an interrupted run keeps what it computed.

A connection must not cross a fork (SQLite's rule: its locks and file
descriptors belong to the process that opened it). Each store remembers the
process that opened its connection; used in a forked child (``align run
--workers``), it opens a new one there and leaves the parent's untouched.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Stay well below SQLite's host-parameter limit (999 on old builds).
_CHUNK = 500

# Connections inherited from a parent process: kept referenced and never used
# or closed here, since closing one in the child could disturb the parent's
# locks or checkpoint its WAL behind its back.
_INHERITED: list[sqlite3.Connection] = []


class SqliteStore:
    def __init__(self, path: str | Path, schema: str, timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = schema
        # timeout: how long to wait on another process's write lock.
        self._timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._pid = -1
        self._connect()  # now, so that an unusable path fails here

    def _connect(self) -> None:
        conn = sqlite3.connect(str(self.path), timeout=self._timeout, check_same_thread=False)
        self._retry_while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
        self._retry_while_locked(lambda: conn.execute(self._schema))
        conn.commit()
        self._connection, self._pid = conn, os.getpid()

    def _retry_while_locked(self, statement: Callable[[], Any]) -> None:
        """Run ``statement``, retrying "database is locked" for up to the timeout.

        SQLite's busy timeout does not cover switching a new file to WAL: when
        several processes (``align run --workers``) open a fresh cache at
        once, all but one got "database is locked" at once.
        """
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                statement()
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @property
    def _conn(self) -> sqlite3.Connection:
        """This process's connection: a forked child opens its own on first use."""
        if self._pid != os.getpid():
            if self._connection is not None:
                _INHERITED.append(self._connection)
            self._connect()
        assert self._connection is not None
        return self._connection

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
        if self._connection is not None:
            if self._pid == os.getpid():
                self._connection.close()
            else:
                _INHERITED.append(self._connection)
        self._connection, self._pid = None, -1  # a later use reconnects

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r})"
