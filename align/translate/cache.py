"""On-disk translation cache (sqlite3), shared safely between processes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from align.sqlite_store import SqliteStore

# Weight files whose size+mtime fingerprint a local model directory.
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")


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


class TranslationCache(SqliteStore):
    """Maps (model key, decoding params key, source text) -> translation."""

    def __init__(self, path: str | Path, timeout: float = 60.0):
        super().__init__(
            path,
            "CREATE TABLE IF NOT EXISTS translations ("
            " model TEXT NOT NULL, params TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL,"
            " PRIMARY KEY (model, params, src)) WITHOUT ROWID",
            timeout,
        )

    def get_many(self, model_key: str, params_key: str, texts: Iterable[str]) -> dict[str, str]:
        """Cached translations for those of ``texts`` that have one."""
        return dict(self.select_in(
            "SELECT src, tgt FROM translations WHERE model = ? AND params = ? AND src IN ({marks})",
            (model_key, params_key), texts,
        ))

    def put_many(self, model_key: str, params_key: str, mapping: Mapping[str, str]) -> None:
        """Store translations and commit."""
        if mapping:
            self.insert("INSERT OR REPLACE INTO translations (model, params, src, tgt) VALUES (?, ?, ?, ?)",
                        ((model_key, params_key, s, t) for s, t in mapping.items()))

    def __len__(self) -> int:
        return self.count("translations")
