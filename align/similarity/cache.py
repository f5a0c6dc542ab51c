"""On-disk sentence-embedding cache (sqlite3), like the translation cache.

Rows are keyed by (encoder key, text); the encoder key names the encoder and
its package version, so a new model version misses instead of serving stale
vectors. Vectors are stored as raw float32 bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from align.sqlite_store import SqliteStore


class EmbeddingCache(SqliteStore):
    """Maps (encoder key, text) -> float32 vector."""

    def __init__(self, path: str | Path, timeout: float = 60.0):
        super().__init__(
            path,
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL,"
            " PRIMARY KEY (model, text)) WITHOUT ROWID",
            timeout,
        )

    def get_many(self, model_key: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of ``texts`` that have one."""
        rows = self.select_in("SELECT text, vector FROM embeddings WHERE model = ? AND text IN ({marks})",
                              (model_key,), texts)
        return {text: np.frombuffer(blob, dtype=np.float32) for text, blob in rows}

    def put_many(self, model_key: str, texts: list[str], vectors: np.ndarray) -> None:
        """Store one vector per text (rows of ``vectors``) and commit."""
        if texts:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            self.insert("INSERT OR REPLACE INTO embeddings (model, text, vector) VALUES (?, ?, ?)",
                        ((model_key, t, v.tobytes()) for t, v in zip(texts, vectors)))

    def __len__(self) -> int:
        return self.count("embeddings")


class CachedEncoder:
    """An encoder whose vectors go through an :class:`EmbeddingCache`.

    ``encode`` returns the wrapped encoder's rows, each distinct text
    encoded at most once across calls, runs and processes sharing the
    cache. A cached row was encoded in another batch: equal to a fresh one
    to float noise (~1e-7), not bit for bit. ``stats["encoded"]`` counts
    distinct texts the model encoded, ``stats["cached"]`` distinct texts
    served from the cache.
    """

    def __init__(self, encoder, cache: EmbeddingCache):
        self.encoder = encoder
        self.cache = cache
        self.name = encoder.name
        self.key = getattr(encoder, "cache_key", encoder.name)
        self.stats: dict[str, int] = {"encoded": 0, "cached": 0}

    def encode(self, texts: list[str]) -> np.ndarray:
        uniq = list(dict.fromkeys(texts))
        found = self.cache.get_many(self.key, uniq)
        self.stats["cached"] += len(found)
        todo = [t for t in uniq if t not in found]
        if todo:
            vectors = np.asarray(self.encoder.encode(todo), dtype=np.float32)
            self.cache.put_many(self.key, todo, vectors)
            found.update(zip(todo, vectors))
            self.stats["encoded"] += len(todo)
        if not texts:
            return self.encoder.encode([])
        return np.stack([found[t] for t in texts])

    def __repr__(self) -> str:
        return f"CachedEncoder({self.key!r}, {self.cache!r})"


def build_encoder(name: str, threads: int = 0, cache_dir: str = ""):
    """The encoder ``name``, behind an on-disk embedding cache in ``cache_dir`` unless it is empty.

    Each call returns a fresh wrapper (its own stats) over the process-wide model.
    """
    from pathlib import Path

    from .encoders import get_encoder

    encoder = get_encoder(name, threads)
    if not cache_dir:
        return encoder
    return CachedEncoder(encoder, EmbeddingCache(Path(cache_dir).expanduser() / "embeddings.sqlite"))
