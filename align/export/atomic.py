"""Atomic outputs: a file or directory is either absent, the old one, or complete.

Everything is first written next to its final path (same directory, hence same
filesystem, so ``os.replace``/``os.rename`` are atomic) under a hidden
``.{name}.tmp-XXXX`` name and only renamed into place once fully written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from align.types import OutputError

log = logging.getLogger(__name__)


def _ensure_parent(path: Path) -> Path:
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        blocker = next((a for a in (parent, *parent.parents) if a.exists() and not a.is_dir()), None)
        why = f"{blocker} is not a directory" if blocker is not None else (e.strerror or str(e))
        raise OutputError(f"cannot create directory {parent}: {why}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to directory {parent}: permission denied")
    return parent


def _sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{secrets.token_hex(4)}"


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible on every platform/filesystem.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError (disk full, read-only fs, ...) into a one-line OutputError."""
    try:
        yield
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path`` (text mode: UTF-8, ``\\n``); replace ``path`` on success.

    Lets large outputs be streamed without ever exposing a partial file.
    Exceptions raised by the caller's block propagate unchanged.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    final = Path(path)
    _ensure_parent(final)
    tmp = _sibling(final, "tmp")
    with output_errors(final):
        # O_EXCL + 0o666: a fresh file whose permissions follow the umask
        # (tempfile.mkstemp would force 0600 onto the final output).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        f: IO[Any] = os.fdopen(fd, "w", encoding="utf-8", newline="\n") if mode == "w" else os.fdopen(fd, "wb")
        with f:
            yield f
            with output_errors(final):
                f.flush()
                os.fsync(f.fileno())
        with output_errors(final):
            os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(final.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically."""
    with atomic_open(path, "w") as f, output_errors(path):
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as f, output_errors(path):
        f.write(data)


def _check_replaceable(final: Path, marker: str) -> None:
    """Refuse to clobber anything that is not empty or an earlier output of ours."""
    if not final.exists() and not final.is_symlink():
        return
    if final.is_symlink():
        raise OutputError(f"refusing to overwrite {final}: it is a symbolic link")
    if not final.is_dir():
        raise OutputError(f"refusing to overwrite {final}: it exists and is not an align output directory")
    if (final / marker).exists():
        return
    try:
        empty = next(final.iterdir(), None) is None
    except OSError as e:
        raise OutputError(f"cannot read {final}: {e.strerror or e}") from None
    if not empty:
        raise OutputError(f"refusing to overwrite {final}: it exists and is not an align output directory")


def check_output_dir(final_dir: str | os.PathLike[str], *, overwrite_marker: str = "summary.json") -> Path:
    """Fail now (OutputError) if :func:`atomic_dir` could not later write ``final_dir``.

    Creates nothing; lets a long run fail before doing any work.
    """
    final = Path(final_dir)
    _check_replaceable(final, overwrite_marker)
    ancestor = final.parent  # the nearest one that exists: where directories would be made
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot create {final}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"cannot create {final}: {ancestor} is not writable (permission denied)")
    return final


@contextlib.contextmanager
def atomic_dir(final_dir: str | os.PathLike[str], *, overwrite_marker: str = "summary.json") -> Iterator[Path]:
    """Yield a fresh temp dir beside ``final_dir``; swap it into place on success.

    An existing ``final_dir`` is replaced only if it is empty or contains
    ``overwrite_marker`` (an earlier align output); otherwise OutputError. The
    check runs before the body too, so a doomed run fails before doing work.
    On any exception the temp dir is removed and the exception propagates.
    """
    final = Path(final_dir)
    _ensure_parent(final)
    _check_replaceable(final, overwrite_marker)
    while True:  # mkdir with 0o777 (umask applies); mkdtemp would force 0700
        tmp = _sibling(final, "tmp")
        try:
            os.mkdir(tmp, 0o777)
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputError(f"cannot create directory beside {final}: {e.strerror or e}") from None
    try:
        yield tmp  # errors raised by the caller's body propagate unchanged
        _check_replaceable(final, overwrite_marker)  # may have changed meanwhile
        with output_errors(final):
            _swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.debug("wrote %s", final)


def _swap_in(tmp: Path, final: Path) -> None:
    if not final.exists():
        os.rename(tmp, final)
    else:
        # Two renames: the old output stays intact until the new one is in place.
        old = _sibling(final, "old")
        os.rename(final, old)
        try:
            os.rename(tmp, final)
        except BaseException:
            os.rename(old, final)  # put the previous output back
            raise
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(final.parent)
