"""Heatmaps of docalign's band similarity matrix: PNG pictures at one pixel per cell.

A window covers at most ``WINDOW`` source sentences (rows) and the target
sentences (columns) their band rows and path reach. Cells outside the band
are grey, band cells a white-to-blue ramp of the similarity (cosine in
[0, 1]), the alignment path orange. The page scales them up with ``image-rendering: pixelated``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

WINDOW = 150
OUTSIDE = bytes((205, 205, 205))
PATH = bytes((240, 100, 0))
_WHITE, _BLUE = (247, 251, 255), (8, 48, 107)
# Similarity 0..100 -> RGB, computed once.
RAMP = [bytes(round(a + (b - a) * v / 100) for a, b in zip(_WHITE, _BLUE)) for v in range(101)]
MAX_SIDE = 640  # the displayed picture's longer side, in CSS pixels


@dataclass
class Heatmap:
    png: bytes
    rows: tuple[int, int]  # source sentences [first, last + 1)
    cols: tuple[int, int]  # target sentences [first, last + 1)
    scale: int  # CSS pixels per cell

    @property
    def width(self) -> int:
        return (self.cols[1] - self.cols[0]) * self.scale

    @property
    def height(self) -> int:
        return (self.rows[1] - self.rows[0]) * self.scale


def path_cells(beads: list[Any]) -> dict[int, list[int]]:
    """Source sentence -> the target sentences its bead aligns it with."""
    cells: dict[int, list[int]] = {}
    for bead in beads:
        for i in bead[0]:
            cells.setdefault(int(i), []).extend(int(j) for j in bead[1])
    return cells


def heatmaps(view: dict[str, Any]) -> list[Heatmap]:
    """The windows of a parallel document's band; [] when it has none (no embeddings were used)."""
    band = view.get("band") or {}
    rows = band.get("rows") or []
    if not rows:
        return []
    path = path_cells(view.get("beads") or [])
    return [_window(rows, path, w0, min(len(rows), w0 + WINDOW)) for w0 in range(0, len(rows), WINDOW)]


def _window(rows: list[Any], path: dict[int, list[int]], r0: int, r1: int) -> Heatmap:
    lo = min([int(rows[i][0]) for i in range(r0, r1)] + [j for i in range(r0, r1) for j in path.get(i, ())])
    hi = max([int(rows[i][0]) + len(rows[i][1]) for i in range(r0, r1)]
             + [j + 1 for i in range(r0, r1) for j in path.get(i, ())])
    hi = max(hi, lo + 1)
    w, h = hi - lo, r1 - r0
    pixels = bytearray(OUTSIDE * (w * h))
    for y, i in enumerate(range(r0, r1)):
        j0, values = int(rows[i][0]), rows[i][1]
        at = (y * w + j0 - lo) * 3
        pixels[at:at + 3 * len(values)] = b"".join(RAMP[max(0, min(100, round(v * 100)))] for v in values)
        for j in path.get(i, ()):
            at = (y * w + j - lo) * 3
            pixels[at:at + 3] = PATH
    buf = io.BytesIO()
    Image.frombytes("RGB", (w, h), bytes(pixels)).save(buf, "PNG")
    return Heatmap(buf.getvalue(), (r0, r1), (lo, hi), max(1, min(8, MAX_SIDE // max(w, h))))
