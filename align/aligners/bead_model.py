"""A learned bead scorer for parallel documents: features of a candidate bead -> log-odds.

The hand-made scorer (:class:`~align.aligners.evidence_parallel.BeadScorer`)
judges a bead by its overlap cosine against a per-document null, and splits
most gold 2-2 and 1-3 beads into 1-1 beads: a bead's cosine alone does not say
whether its sentences belong together. This model starts from its two
log-likelihood ratios (``base_emb``, ``base_len``, in units of the document's
typical pair) and adds what a careful reader would look at:

- ``cos``: the cosine of the two sides' joined texts (overlap embeddings);
- ``margin``: that cosine minus the bead's similarity to the sentences just
  outside it (Bertalign's neighbour margin): a run that matches its
  neighbours as well as itself is not a bead;
- ``csls``: the cosine minus the sentences' mean similarity to their nearest
  neighbours near the path (hubness correction, Conneau et al. 2018);
- ``inner``: the worst agreement of any one sentence with the other side of
  the bead: a merge whose extra sentence says something else scores low;
- ``length``: the length ratio, as ``|log ratio|`` (smoothed for short sentences);
- ``gale_church``: Gale & Church's length evidence, ``delta ** 2 / 2``;
- the bead type (a prior per type), the cosine per bead type and the margin
  again for beads beyond 1-1 (their slopes differ).

A logistic regression over these (a few hundred bytes of weights in
``align/resources/bead_model.json``) is fitted by ``scripts/train_bead_model.py``
on the gold beads of ``../shared/data/opus_books_train/`` against the other
candidate beads around the gold path. The aligner then minimises the sum of
``bias - logit`` over beads, so a bead is worth taking when the model thinks it
likelier than ``sigmoid(bias)``; a deletion costs ``skip``.

Pure numpy; encoders and files come in from the edges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .evidence_parallel import beads_off_path, gale_church_delta
from .monotonic import block_dot

MODEL_PATH = Path(__file__).resolve().parents[1] / "resources" / "bead_model.json"

# Bead types the model knows: both sides non-empty, at most 3 sentences a side
# and 5 in all (the 4-1 and bigger beads of the training books are 0.1%).
TYPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2))
FEATURES: tuple[str, ...] = (
    ("base_emb", "base_len", "cos", "margin", "csls", "inner", "length", "gale_church", "many_margin")
    + tuple(f"cos_{a}_{b}" for a, b in TYPES[1:])
    + tuple(f"type_{a}_{b}" for a, b in TYPES[1:])
)
CSLS_K = 4           # neighbours in the hubness correction
CSLS_WINDOW = 40     # ... looked for within this many sentences of the coarse path


def _cumsum0(v: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.asarray(v, dtype=np.float64))])


def neighbour_density(A: np.ndarray, B: np.ndarray, centre: np.ndarray, window: int = CSLS_WINDOW,
                      k: int = CSLS_K, block: int = 64) -> np.ndarray:
    """For each row ``A[i]``: the mean of its ``k`` best cosines with ``B[centre[i]-window : centre[i]+window]``.

    Only rows of ``B`` near the coarse path are searched, so the cost stays
    linear in the document length.
    """
    n, m = len(A), len(B)
    out = np.zeros(n, dtype=np.float64)
    if n == 0 or m == 0:
        return out
    centre = np.clip(np.asarray(centre, dtype=np.int64), 0, m - 1)
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        lo = np.maximum(centre[r0:r1] - window, 0)
        hi = np.minimum(centre[r0:r1] + window + 1, m)
        c0, c1 = int(lo.min()), int(hi.max())
        sims = A[r0:r1] @ B[c0:c1].T
        cols = np.arange(c0, c1)
        sims = np.where((cols >= lo[:, None]) & (cols < hi[:, None]), sims, -np.inf)
        kk = min(k, c1 - c0)
        top = -np.partition(-sims, kk - 1, axis=1)[:, :kk]
        top = np.where(np.isfinite(top), top, np.nan)
        out[r0:r1] = np.nan_to_num(np.nanmean(top, axis=1), nan=0.0)
    return out


@dataclass
class BeadFeatures:
    """Feature rows for beads ``src[I-a:I] <-> tgt[J-b:J]`` of one document.

    ``src[k-1][s]`` / ``tgt[k-1][s]`` are unit vectors of the runs of ``k``
    sentences starting at ``s`` (encoded, or averaged sentence vectors);
    ``src_chars`` / ``tgt_chars`` the sentences' lengths without whitespace;
    ``guide`` the coarse path's nodes (for the neighbour search).
    """

    src: list[np.ndarray]
    tgt: list[np.ndarray]
    src_chars: np.ndarray
    tgt_chars: np.ndarray
    guide: np.ndarray
    base: object = None   # a calibrated BeadScorer: its embeddings and length ratios are features
    valid: object = None  # valid(a, b, I, J) -> mask of beads whose runs were really embedded

    def __post_init__(self):
        self.n, self.m = len(self.src[0]), len(self.tgt[0])
        self.sc, self.tc = _cumsum0(self.src_chars), _cumsum0(self.tgt_chars)
        self.ratio = self.tc[-1] / self.sc[-1] if self.sc[-1] > 0 else 1.0
        g = np.asarray(self.guide, dtype=np.float64)
        ys = np.interp(np.arange(self.n) + 0.5, g[:, 0], g[:, 1]) if len(g) > 1 else np.zeros(self.n)
        xs = np.interp(np.arange(self.m) + 0.5, g[:, 1], g[:, 0]) if len(g) > 1 else np.zeros(self.m)
        self.r_src = _cumsum0(neighbour_density(self.src[0], self.tgt[0], ys.astype(np.int64)))
        self.r_tgt = _cumsum0(neighbour_density(self.tgt[0], self.src[0], xs.astype(np.int64)))
        self.null = self._null(g)

    def _null(self, guide: np.ndarray, samples: int = 1000, seed: int = 0) -> dict:
        """Mean and spread of the cosine of random beads of each type, away from the path.

        Cosines are only comparable within a document and a bead type: the
        level differs by language pair and encoder, and longer runs embed
        closer to everything. Every cosine feature is in these units.
        """
        rng = np.random.default_rng(seed)
        out = {}
        for a, b in TYPES:
            if a > self.max_side or b > self.max_side or a > self.n or b > self.m:
                continue
            I, J = beads_off_path(rng, self.n, self.m, a, b, guide, samples, self.valid)
            v = block_dot(self.src[a - 1], self.tgt[b - 1], I - a, J - b)
            out[(a, b)] = (float(np.mean(v)), max(float(np.std(v)), 1e-3))
        if (1, 1) not in out:
            out[(1, 1)] = (0.0, 1.0)
        return out

    @property
    def max_side(self) -> int:
        return min(len(self.src), len(self.tgt))

    def _dot(self, A, B, P, Q, valid):
        """``A[P] . B[Q]`` where ``valid``, NaN elsewhere."""
        out = np.full(len(P), np.nan)
        if valid.any():
            out[valid] = block_dot(A, B, P[valid], Q[valid])
        return out

    def features(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        """Rows in the order of :data:`FEATURES`."""
        I = np.asarray(I, dtype=np.int64)
        J = np.asarray(J, dtype=np.int64)
        S, T = self.src[a - 1], self.tgt[b - 1]
        s0, t0 = I - a, J - b
        cos = np.asarray(block_dot(S, T, s0, t0), dtype=np.float64)
        # neighbour margin: the bead's sides against the sentences just outside the other side
        nb = [self._dot(S, self.tgt[0], s0, t0 - 1, t0 - 1 >= 0),
              self._dot(S, self.tgt[0], s0, J, J < self.m),
              self._dot(self.src[0], T, s0 - 1, t0, s0 - 1 >= 0),
              self._dot(self.src[0], T, I, t0, I < self.n)]
        nb = np.stack(nb)
        have = np.isfinite(nb)
        nb_mean = np.where(have.any(axis=0), np.nansum(nb, axis=0) / np.maximum(have.sum(axis=0), 1), cos)
        margin = cos - nb_mean
        rs = (self.r_src[I] - self.r_src[s0]) / a
        rt = (self.r_tgt[J] - self.r_tgt[t0]) / b
        csls = cos - (rs + rt) / 2
        inner = cos.copy()
        if a > 1:
            for k in range(a):
                inner = np.minimum(inner, block_dot(self.src[0], T, s0 + k, t0))
        if b > 1:
            for k in range(b):
                inner = np.minimum(inner, block_dot(S, self.tgt[0], s0, t0 + k))
        ls, lt = self.sc[I] - self.sc[s0], self.tc[J] - self.tc[t0]
        length = np.abs(np.log((lt + 10.0) / (ls * self.ratio + 10.0)))
        mu, sd = self.null.get((a, b), self.null[(1, 1)])
        mu1, sd1 = self.null[(1, 1)]
        zcos = (cos - mu) / sd
        margin, csls, inner = margin / sd1, csls / sd1, (inner - mu1) / sd1
        gc = np.minimum(gale_church_delta(ls, lt, self.ratio) ** 2, 25.0) / 2
        many = float(a + b > 2)
        base = [np.zeros(len(I)), np.zeros(len(I))]
        if self.base is not None:
            for sig in self.base.signals:  # MT, if there, comes in as an extra term instead
                if sig.name in ("embeddings", "length"):
                    k = ("embeddings", "length").index(sig.name)
                    base[k] = self.base.llr(sig, a, b, I, J) / self.base.scale
        cols = base + [zcos, margin, csls, inner, length, gc, margin * many]
        cols += [zcos * float(t == (a, b)) for t in TYPES[1:]]
        cols += [np.full(len(I), float(t == (a, b))) for t in TYPES[1:]]
        return np.stack(cols, axis=1)


@dataclass
class BeadModel:
    """Logistic-regression weights over :data:`FEATURES`, and the DP's two knobs."""

    weights: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    bias: float = 0.0   # a bead is worth taking when its log-odds exceed this
    skip: float = 3.0   # the cost of a 1-0 or 0-1 bead
    info: dict = field(default_factory=dict)

    def logit(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale) @ self.weights + self.intercept

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "types": [list(t) for t in TYPES],
                "weights": [round(float(w), 6) for w in self.weights], "intercept": round(float(self.intercept), 6),
                "mean": [round(float(v), 6) for v in self.mean], "scale": [round(float(v), 6) for v in self.scale],
                "bias": self.bias, "skip": self.skip, "info": self.info}

    @classmethod
    def from_dict(cls, d: dict) -> "BeadModel":
        if list(d.get("features", [])) != list(FEATURES):
            raise ValueError("bead model was trained on other features; retrain with scripts/train_bead_model.py")
        return cls(np.array(d["weights"]), float(d["intercept"]), np.array(d["mean"]), np.array(d["scale"]),
                   float(d.get("bias", 0.0)), float(d.get("skip", 3.0)), dict(d.get("info", {})))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> "BeadModel":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass
class LearnedScorer:
    """Bead costs for :class:`~align.aligners.monotonic.MonotonicAligner` from a :class:`BeadModel`."""

    features: BeadFeatures
    model: BeadModel
    extra: Sequence = ()   # optional (weight, fn(a, b, I, J) -> log-odds) terms, e.g. MT evidence

    @property
    def n(self) -> int:
        return self.features.n

    @property
    def m(self) -> int:
        return self.features.m

    def logit(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        z = self.model.logit(self.features.features(a, b, I, J))
        for w, fn in self.extra:
            z = z + w * fn(a, b, I, J)
        return z

    def cost(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        if (a, b) not in TYPES:
            return np.full(len(I), np.inf)
        cost = self.model.bias - self.logit(a, b, I, J)
        if self.features.valid is not None:
            cost = np.where(self.features.valid(a, b, I, J), cost, np.inf)
        return cost

    def skip_costs(self) -> tuple[np.ndarray, np.ndarray]:
        return np.full(self.n, self.model.skip), np.full(self.m, self.model.skip)

    def breakdown(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> dict[str, np.ndarray]:
        """The bead's features and log-odds, for pairs.jsonl."""
        X = self.features.features(a, b, I, J)
        out = {name: X[:, k] for k, name in enumerate(FEATURES[:9])}
        out["logit"] = self.logit(a, b, I, J)
        return out
