"""A corpus input cut into shards: the unit that the Ray engine writes, names and resumes.

An input is a file, a folder or a glob pattern (``'news/*.jsonl'``,
``'crawl/**/*.parquet'``). Files that hold many items (``.jsonl``,
``.parquet``, a pair list) are a shard each; loose files that are one item
each (``.txt`` documents, ``NAME.SRC``/``NAME.TGT`` pairs) are cut into
shards of ``per_shard`` items in name order. Shards come in input order, so
the items of all shards, shard after shard, are the items of the input.

Each shard has a name that is unique and safe as a file name (its path under
the input's folder, ``/`` as ``__``) and a fingerprint: the config and its
files' names, sizes and modification times. Its outputs are named by both,
so a changed file or config is redone and the rest is reused.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ingest.readers import ReadStats
from .types import InputError

log = logging.getLogger(__name__)

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Shard:
    name: str
    kind: str  # "file": one file of many items; "txt": a .txt document per file; "pairs": NAME.SRC/NAME.TGT
    paths: tuple[str, ...]  # the files it reads (its fingerprint)
    items: tuple[str, ...] = ()  # "pairs": the NAMEs, in folder ``source``
    source: str = ""

    def fingerprint(self, config_stamp: str) -> str:
        stamp: list[Any] = [config_stamp]
        for p in self.paths:
            st = os.stat(p)
            stamp.append([os.path.abspath(p), st.st_size, st.st_mtime_ns])
        return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]

    def stem(self, config_stamp: str) -> str:
        """``NAME-FINGERPRINT``: what every output file of this shard is called."""
        return f"{self.name}-{self.fingerprint(config_stamp)}"


def is_pattern(path: str | Path) -> bool:
    """A glob pattern rather than a path (and no file by that literal name)."""
    return bool(_GLOB_CHARS.search(str(path))) and not Path(path).exists()


def expand(path: str | Path, suffixes: tuple[str, ...]) -> tuple[Path, list[Path]]:
    """The root folder and the files of ``path`` (a file, a folder searched recursively, or a glob)."""
    text = str(path)
    if is_pattern(text):
        files = sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
        if not files:
            raise InputError(f"{text} matches no file")
        root = Path(os.path.commonpath([str(f.parent) for f in files]))
    else:
        p = Path(text)
        if not p.exists():
            raise InputError(f"{p} does not exist")
        if p.is_file():
            return p.parent, [p]
        root = p
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes)
    return root, [f for f in files if f.suffix.lower() in suffixes]


def shard_name(root: Path, file: Path, strip_suffix: bool = True) -> str:
    rel = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    if strip_suffix:
        rel = rel.with_suffix("")
    return safe_name("__".join(rel.parts))


def safe_name(text: str, default: str = "shard") -> str:
    """``text`` as a file name that cannot leave its folder ("../x", "/etc/x"): user ids and paths name outputs."""
    return re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]", "_", text)).lstrip("._-") or default


def chunks(items: list[Any], per_shard: int) -> Iterator[tuple[str, list[Any]]]:
    """Loose one-item files in shards of ``per_shard``: ``("part-00000", items)``, ..."""
    for i in range(0, len(items), per_shard):
        yield f"part-{i // per_shard:05d}", items[i:i + per_shard]


def unique(shards: list[Shard]) -> list[Shard]:
    """Names made unique (``a.jsonl`` and ``a.parquet`` are both ``a``), order kept."""
    seen: dict[str, int] = {}
    out = []
    for s in shards:
        n = seen[s.name] = seen.get(s.name, 0) + 1
        out.append(s if n == 1 else Shard(f"{s.name}-{n}", s.kind, s.paths, s.items, s.source))
    return out


def good_items(items: Iterable[Any], stats: ReadStats, what: str = "document") -> Iterator[Any]:
    """The items that are not InputErrors; each bad one is warned about and counted in ``stats``."""
    for item in items:
        if isinstance(item, InputError):
            log.warning("skipping %s: %s", what, item)
            stats.skipped += 1
            stats.errors.append(str(item))
        else:
            stats.read += 1
            yield item


def read_shard(shard: Shard, read: Callable[[Shard], Iterable[Any]], stats: ReadStats,
               what: str = "document") -> Iterator[Any]:
    """The good items of one shard; a bad item, or a shard that cannot be read, is warned about and counted."""
    try:
        yield from good_items(read(shard), stats, what)
    except InputError as e:
        log.warning("skipping shard %s: %s", shard.name, e)
        stats.failed_shards.append(f"{shard.name}: {e}")
