"""Vecalign's alignment format: one bead per line, ``[src idx, ...]:[tgt idx, ...]:score``.

Indices are 0-based sentence (line) numbers; either side may be empty (``[]:[5]``
is a 0-1 bead). Vecalign writes the score (a cost: lower is better) with
``%.6f``, and so do we; gold files such as the Text+Berg ``dev.defr`` omit it
(``[0, 1]:[2]``), and such lines read back with score 0.0::

    [0]:[0]:0.123456
    [1, 2]:[1]:0.250000
    []:[2]:0.000000
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from align.export.atomic import atomic_open, output_errors
from align.types import Bead, InputError

_INDICES = r"\[\s*(?:\d+\s*(?:,\s*\d+\s*)*)?\]"
_FLOAT = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|infinity)"
_BEAD_RE = re.compile(rf"^\s*({_INDICES})\s*:\s*({_INDICES})\s*(?::\s*({_FLOAT})\s*)?$", re.IGNORECASE)


def _format_side(indices: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in indices) + "]"


def format_bead(bead: Bead, *, with_score: bool = True) -> str:
    """``[0]:[0, 1]:0.123000`` (score as ``%.6f``, like Vecalign); no newline."""
    head = f"{_format_side(bead.src)}:{_format_side(bead.tgt)}"
    return f"{head}:{float(bead.score):.6f}" if with_score else head


def _parse_side(text: str) -> tuple[int, ...]:
    inner = text.strip()[1:-1].strip()
    return tuple(int(x) for x in inner.split(",")) if inner else ()


def parse_bead(line: str) -> Bead:
    """Inverse of :func:`format_bead`; the score is optional (0.0 when absent).

    Raises ValueError, with a one-line reason, on anything else (including a
    bead with both sides empty).
    """
    text = line.rstrip("\r\n")
    m = _BEAD_RE.match(text)
    if not m:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise ValueError(f"not a bead (expected '[i, ...]:[j, ...]' or '[i, ...]:[j, ...]:score'): {shown!r}")
    src, tgt = _parse_side(m.group(1)), _parse_side(m.group(2))
    if not src and not tgt:
        raise ValueError("empty bead: both sides are '[]'")
    return Bead(src=src, tgt=tgt, score=float(m.group(3)) if m.group(3) else 0.0)


def write_beads(beads: Iterable[Bead], path: str | os.PathLike[str], *, with_score: bool = True) -> int:
    """Write one bead per line to ``path`` atomically; return the count."""
    n = 0
    with atomic_open(path, "w") as f:
        for bead in beads:
            line = format_bead(bead, with_score=with_score)
            with output_errors(path):
                f.write(line + "\n")
            n += 1
    return n


def read_beads(path: str | os.PathLike[str]) -> list[Bead]:
    """Read a Vecalign alignment or a gold file (score optional); blank lines are skipped.

    Raises InputError (``file:line: reason``) on unreadable files and malformed lines.
    """
    beads: list[Bead] = []
    try:
        with open(path, encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    beads.append(parse_bead(line))
                except ValueError as e:
                    raise InputError(f"{path}:{lineno}: {e}") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 ({e.reason})") from None
    return beads


def check_monotonic(beads: Sequence[Bead], n_src: int, n_tgt: int) -> None:
    """Check that ``beads`` cover source ``0..n_src-1`` and target ``0..n_tgt-1``
    each exactly once, in increasing order (a complete monotonic alignment).

    Raises ValueError naming the first offending bead (gap, crossing or
    duplicate, out-of-range index, empty bead) or the
    sentences left unaligned at the end.
    """
    nxt = {"source": 0, "target": 0}
    size = {"source": n_src, "target": n_tgt}
    arg = {"source": "n_src", "target": "n_tgt"}
    for k, bead in enumerate(beads):
        where = f"bead {k} ({format_bead(bead, with_score=False)})"
        if not bead.src and not bead.tgt:
            raise ValueError(f"{where}: both sides are empty")
        for side, indices in (("source", bead.src), ("target", bead.tgt)):
            for i in indices:
                if i < 0 or i >= size[side]:
                    raise ValueError(f"{where}: {side} index {i} out of range ({arg[side]}={size[side]})")
                if i < nxt[side]:
                    raise ValueError(f"{where}: {side} sentence {i} is aligned again "
                                     f"(duplicate or crossing; expected {nxt[side]} next)")
                if i > nxt[side]:
                    missing = f"{nxt[side]}" if i == nxt[side] + 1 else f"{nxt[side]}..{i - 1}"
                    raise ValueError(f"{where}: {side} sentence(s) {missing} skipped "
                                     f"(a gap, or beads out of order; expected {nxt[side]} next, got {i})")
                nxt[side] += 1
    for side in ("source", "target"):
        if nxt[side] != size[side]:
            last = size[side] - 1
            missing = f"{nxt[side]}" if nxt[side] == last else f"{nxt[side]}..{last}"
            raise ValueError(f"{side} sentence(s) {missing} not aligned ({arg[side]}={size[side]})")
