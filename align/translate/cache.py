"""On-disk translation cache (sqlite3), shared safely between processes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

# Weight files whose size+mtime fingerprint a local model directory.
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
# Stay well below SQLite's host-parameter limit (999 on old builds).
_CHUNK = 500


def model_cache_key(model: str) -> str:
    """Cache key for a model: hub names as is; local dirs by path plus weights fingerprint.

    The fingerprint (size and mtime of the weights file) makes a rebuilt or
    retrained model in the same directory miss the cache instead of reusing
    stale translations.
    """
    path = Path(model).expanduser()
    if not path.is_dir():
        return model
    path = path.resolve()
    for name in _WEIGHT_FILES:
        weights = path / name
        if weights.is_file():
            st = weights.stat()
            return f"{path}#{name}:{st.st_size}:{st.st_mtime_ns}"
    return str(path)


def params_cache_key(**params: object) -> str:
    """Decoding parameters as a stable key, e.g. ``beam=4,max_length=256``."""
    return ",".join(f"{k}={params[k]}" for k in params)


class TranslationCache:
    """Maps (model key, decoding params key, source text) -> translation.

    WAL mode lets readers and a writer in other processes work concurrently;
    every ``put_many`` commits, so an interrupted run keeps what it translated.
    """

    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: how long to wait on another process's write lock.
        self._conn = sqlite3.connect(str(self.path), timeout=timeout)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS translations ("
            " model TEXT NOT NULL, params TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL,"
            " PRIMARY KEY (model, params, src)) WITHOUT ROWID"
        )
        self._conn.commit()

    def get_many(self, model_key: str, params_key: str, texts: Iterable[str]) -> dict[str, str]:
        """Cached translations for those of ``texts`` that have one."""
        uniq = list(dict.fromkeys(texts))
        found: dict[str, str] = {}
        for i in range(0, len(uniq), _CHUNK):
            chunk = uniq[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT src, tgt FROM translations WHERE model = ? AND params = ? AND src IN ({marks})",
                (model_key, params_key, *chunk),
            )
            found.update(rows)
        return found

    def put_many(self, model_key: str, params_key: str, mapping: Mapping[str, str]) -> None:
        """Store translations and commit."""
        if not mapping:
            return
        with self._conn:  # one transaction, committed on exit
            self._conn.executemany(
                "INSERT OR REPLACE INTO translations (model, params, src, tgt) VALUES (?, ?, ?, ?)",
                ((model_key, params_key, s, t) for s, t in mapping.items()),
            )

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "TranslationCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TranslationCache({os.fspath(self.path)!r})"
