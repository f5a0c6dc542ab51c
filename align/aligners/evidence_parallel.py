"""Evidence for monotonic alignment of parallel documents, and how it is combined.

Three signals score a candidate bead ``src[i-a:i] <-> tgt[j-b:j]``:

- :class:`OverlapEmbeddings` (``embeddings``): cosine of sentence-encoder
  vectors of the two sides. As in Vecalign, every run of 1..K consecutive
  sentences (an *overlap*) is embedded once, so a many-to-many bead is scored
  with the embedding of its joined text, not an average;
- :class:`NgramMatch` (``mt``): chrF (or BLEU) between the machine translation
  of the source side and the target side, Bleualign-style. n-gram statistics
  (:func:`align.metrics.bleu.ngram_counts`) are counted once per sentence and
  summed over a bead's sentences, so the score is sacrebleu's up to the few
  n-grams spanning a sentence boundary (exactly sacrebleu's for 1-1 beads);
- :class:`LengthRatio` (``length``): Gale & Church's normalised length
  difference ``delta = (l_t - c l_s) / sqrt(s2 l_s)``.

:class:`BeadScorer` turns them into bead costs with one rule for every signal,
so that signals combine and bead sizes compare on an equal footing: the cost is
minus a log-likelihood ratio ("these sentences are translations" against "they
are unrelated"), plus a prior on the bead type.

- The *unrelated* model of a signal is fitted per document **and per bead
  type** on random pairs of the same shape. Longer texts embed closer to
  everything, so a 2-3 bead's cosine is judged against random 2-3 beads: this
  is what keeps merging sentences from being favoured for free.
- The *translation* model is fitted per document on the 1-1 beads of the
  coarse path, in units of the null (z-scores, which are about the same for
  every bead type); for length it is fitted on ``delta`` itself.
- Signals add up as independent log-likelihood ratios; a signal that does not
  separate translations from random pairs in a document gets a ratio near zero
  and drops out by itself.

Nothing here reads files or loads models; encoders and translations come in.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..metrics.bleu import bleu_from_stats, chrf_from_stats, ngram_counts, sentence_signature
from .monotonic import block_dot, log_two_tailed

log = logging.getLogger(__name__)


def _overlap_texts(sentences: Sequence[str], k: int) -> list[str]:
    return [" ".join(sentences[s:s + k]) for s in range(len(sentences) - k + 1)]


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-8)


def mean_overlaps(vecs: np.ndarray, max_overlap: int) -> list[np.ndarray]:
    """Overlap vectors as normalised sums of sentence vectors (no extra encoding)."""
    vecs = _unit(vecs)
    csum = np.concatenate([np.zeros((1, vecs.shape[1]), np.float64), np.cumsum(vecs, axis=0, dtype=np.float64)])
    return [vecs] + [_unit(csum[k:] - csum[:-k]) for k in range(2, max_overlap + 1)]


class OverlapEmbeddings:
    """Unit vectors of every run of 1..K consecutive sentences, per side.

    ``src[k-1][s]`` embeds ``src_sentences[s:s+k]``.
    """

    name = "embeddings"
    space = "z"

    def __init__(self, src: list[np.ndarray], tgt: list[np.ndarray]):
        self.src, self.tgt = src, tgt
        self.n, self.m = len(src[0]), len(tgt[0])
        self.encoded: tuple[list[np.ndarray], list[np.ndarray]] | None = None
        self.runs_embedded = 0  # runs of 2+ sentences from_encoder embedded (not averaged)

    @classmethod
    def from_encoder(cls, encoder, src_sentences: Sequence[str], tgt_sentences: Sequence[str],
                     max_overlap: int, mode: str = "encode",
                     pieces: Sequence[tuple[int, int, int, int]] | None = None,
                     vectors: tuple[np.ndarray, np.ndarray] | None = None) -> "OverlapEmbeddings":
        """``mode="encode"``: embed each joined run (each distinct string once);
        ``"mean"``: embed sentences only and average them (cheaper, weaker).

        ``pieces`` (``(i0, i1, j0, j1)`` ranges between sure anchors) limits
        the encoding to runs that lie inside one piece: a bead across a sure
        anchor is not worth scoring, and skipping those runs is most of the
        time saved. Their rows hold averaged vectors and ``encoded[k-1]``
        marks the rows that are real; :meth:`valid` tells the scorers which
        beads they may score. ``vectors`` are the sentences' vectors if
        already computed.
        """
        from ..similarity.encoders import encode_unique

        sides, masks, runs = [], [], 0
        for side, sentences in enumerate((src_sentences, tgt_sentences)):
            sentences = [s.strip() or "." for s in sentences]
            n = len(sentences)
            sent = _unit(vectors[side]) if vectors is not None else _unit(encode_unique(encoder, sentences))
            out = mean_overlaps(sent, max_overlap)
            mask = [np.ones(n, bool)] + [np.zeros(max(n - k + 1, 0), bool) for k in range(2, max_overlap + 1)]
            if mode == "encode":
                ranges = [(0, n)] if pieces is None else sorted({(p[2 * side], p[2 * side + 1]) for p in pieces})
                todo: list[tuple[int, int]] = []  # (k, start)
                for lo, hi in ranges:
                    todo += [(k, s) for k in range(2, max_overlap + 1) for s in range(lo, hi - k + 1)]
                runs += len(todo)
                if todo:
                    vecs = _unit(encode_unique(encoder, [" ".join(sentences[s:s + k]) for k, s in todo]))
                    ks = np.array([k for k, _ in todo])
                    ss = np.array([s for _, s in todo])
                    for k in range(2, max_overlap + 1):
                        sel = ks == k
                        out[k - 1][ss[sel]] = vecs[sel]
                        mask[k - 1][ss[sel]] = True
            sides.append(out)
            masks.append(mask)
        emb = cls(sides[0], sides[1])
        emb.runs_embedded = runs
        if mode == "encode" and pieces is not None:
            emb.encoded = (masks[0], masks[1])
        return emb

    def sentence_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        return self.src[0], self.tgt[0]

    def valid(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        """Which beads' runs were embedded (not averaged stand-ins)."""
        if self.encoded is None:
            return np.ones(len(I), bool)
        return self.encoded[0][a - 1][I - a] & self.encoded[1][b - 1][J - b]

    def values(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        if a > len(self.src) or b > len(self.tgt):
            raise ValueError(f"overlaps were embedded up to {len(self.src)}/{len(self.tgt)} sentences, not {a}/{b}")
        return block_dot(self.src[a - 1], self.tgt[b - 1], I - a, J - b)


# ---------------------------------------------------------------------------
# n-gram matching (chrF / BLEU) between translated source and target


class NgramMatch:
    """chrF (default) or BLEU between translations of the source and the target, per bead.

    ``hyp_sentences[i]`` is the translation of source sentence ``i`` into the
    target language (MarianMT on the fly, or a user's file line-aligned with
    the source); a bead's hypothesis is its sentences' translations joined.
    A 1-1 bead's value is sacrebleu's sentence score (``signature``) / 100;
    BLEU tokenises as that signature says (``lang``: the target language).
    """

    name = "mt"
    space = "z"

    def __init__(self, hyp_sentences: Sequence[str], ref_sentences: Sequence[str],
                 max_overlap: int, metric: str = "chrf", lang: str | None = None):
        import scipy.sparse as sp

        if metric not in ("chrf", "bleu"):
            raise ValueError(f"unknown MT metric {metric!r} (chrf or bleu)")
        self.metric = metric
        self.n, self.m = len(hyp_sentences), len(ref_sentences)
        self.signature = sentence_signature(metric, lang)
        stats = ngram_counts(list(hyp_sentences) + list(ref_sentences), metric, lang)
        self.max_order = stats.max_order
        self._col_order = stats.column_order()
        V = stats.counts.shape[1]
        self._onehot = sp.csr_matrix((np.ones(V, np.int32), (np.arange(V), self._col_order)),
                                     shape=(V, self.max_order))
        H1, R1 = stats.counts[: self.n], stats.counts[self.n:]
        self.hyp = self._overlaps(H1, max_overlap)
        self.ref = self._overlaps(R1, max_overlap)
        self.hyp_tot = _run_sums(stats.totals[: self.n], max_overlap)
        self.ref_tot = _run_sums(stats.totals[self.n:], max_overlap)

    @staticmethod
    def _overlaps(M, max_overlap: int) -> list:
        out = [M]
        rows = M.shape[0]
        for k in range(2, max_overlap + 1):
            if rows - k + 1 <= 0:
                out.append(M[:0])
                continue
            acc = M[: rows - k + 1].copy()
            for t in range(1, k):
                acc = acc + M[t: rows - k + 1 + t]
            out.append(acc.tocsr())
        return out

    def values(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        P, Q = I - a, J - b
        H, R = self.hyp[a - 1][P], self.ref[b - 1][Q]
        match = (H.minimum(R) @ self._onehot).toarray()
        ht, rt = self.hyp_tot[a - 1][P], self.ref_tot[b - 1][Q]
        if self.metric == "chrf":
            return chrf_from_stats(ht, rt, match) / 100
        return bleu_from_stats(ht, match, ht[:, 0], rt[:, 0]) / 100  # unigrams = tokens

    def sentence_vectors(self, dim: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Dense hashed tf-idf vectors of each sentence's 3..5-grams, for the coarse search."""
        import scipy.sparse as sp

        H, R = self.hyp[0], self.ref[0]
        V = H.shape[1]
        keep = np.isin(self._col_order, [2, 3, 4]) if self.metric == "chrf" else np.ones(V, bool)
        df = np.asarray((H > 0).sum(axis=0)).ravel() + np.asarray((R > 0).sum(axis=0)).ravel()
        idf = np.log((self.n + self.m + 1) / (df + 1)) * keep
        rng = np.random.default_rng(seed)
        proj = sp.csr_matrix((rng.choice([-1.0, 1.0], V) * idf, (np.arange(V), rng.integers(0, dim, V))),
                             shape=(V, dim))
        return _unit((H @ proj).toarray()), _unit((R @ proj).toarray())


def _run_sums(per_sentence: np.ndarray, max_overlap: int) -> list[np.ndarray]:
    """Row sums over every run of k = 1..max_overlap consecutive rows."""
    csum = np.concatenate([np.zeros((1, per_sentence.shape[1]), np.int64), np.cumsum(per_sentence, axis=0)])
    return [csum[k:] - csum[:-k] if k <= len(per_sentence) else csum[:0] for k in range(1, max_overlap + 1)]


# ---------------------------------------------------------------------------
# length


class LengthRatio:
    """Gale & Church's ``delta`` from character lengths (whitespace excluded)."""

    name = "length"
    space = "raw"

    def __init__(self, src_lengths: Sequence[float], tgt_lengths: Sequence[float], variance: float = 6.8):
        self.src_c = np.concatenate([[0.0], np.cumsum(np.asarray(src_lengths, dtype=np.float64))])
        self.tgt_c = np.concatenate([[0.0], np.cumsum(np.asarray(tgt_lengths, dtype=np.float64))])
        self.n, self.m = len(src_lengths), len(tgt_lengths)
        total_src = self.src_c[-1]
        self.ratio = self.tgt_c[-1] / total_src if total_src > 0 else 1.0
        self.variance = variance

    @classmethod
    def from_sentences(cls, src: Sequence[str], tgt: Sequence[str]) -> "LengthRatio":
        return cls([len("".join(s.split())) for s in src], [len("".join(s.split())) for s in tgt])

    def lengths(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.src_c[I] - self.src_c[I - a], self.tgt_c[J] - self.tgt_c[J - b]

    def values(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        ls, lt = self.lengths(a, b, I, J)
        return gale_church_delta(ls, lt, self.ratio, self.variance)


def gale_church_delta(ls, lt, ratio: float, variance: float = 6.8):
    """Gale & Church (1993): standard normal when the lengths are those of a translation."""
    mean = (ls + lt / ratio) / 2  # symmetric, so either side may be empty
    return (lt - ls * ratio) / np.sqrt(np.maximum(mean, 1.0) * variance)


def beads_off_path(rng: np.random.Generator, n: int, m: int, a: int, b: int, guide: np.ndarray | None,
                   k: int, valid=None, threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``k`` random beads of type (a, b) away from the coarse path: pairs that are not translations.

    Near the path a random bead would often be (part of) a true one, and in a
    short document that inflates the null's spread noticeably. ``valid(a, b,
    I, J)`` keeps beads whose runs were really embedded: only they say what
    chance looks like.
    """
    I = rng.integers(a, n + 1, 4 * k)
    J = rng.integers(b, m + 1, 4 * k)
    if valid is not None:
        ok = valid(a, b, I, J)
        if ok.sum() >= k // 10:
            I, J = I[ok], J[ok]
    if guide is not None and len(guide) > 1:
        # distance from the path's target position at the bead's centre;
        # short documents fall back to "anywhere but on the path"
        y = np.interp(I - a / 2, guide[:, 0], guide[:, 1])
        far = np.abs(J - b / 2 - y) > (a + b + 2 if threshold is None else threshold)
        if far.sum() >= (k // 4 if threshold is None else 1):
            I, J = I[far], J[far]
    return I[:k], J[:k]


# ---------------------------------------------------------------------------
# combining signals into bead costs


@dataclass
class _Model:
    """Per-signal calibration: the null per bead type, and the translation model."""

    null: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)
    mu1: float = 0.0
    sd1: float = 1.0


# Translation models used when a document is too short to fit its own.
_DEFAULT_TRUE = {"embeddings": (5.0, 1.3), "mt": (4.0, 1.3), "length": (0.0, 1.0)}
MIN_CALIBRATION_BEADS = 20


@dataclass
class BeadScorer:
    """Bead costs = -(sum of signal log-likelihood ratios) - log prior(bead type).

    ``weights`` scale each signal's log-likelihood ratio (1 = trust as is).
    The prior is a fixed cost per 1-0/0-1 bead (``skip_penalty``) and per
    sentence beyond 1-1 (``merge_penalty``), both given as fractions of the
    evidence of a typical translation pair in the document (the median
    log-likelihood ratio of the coarse path's 1-1 beads, ``scale``). Priors
    relative to the evidence keep their meaning whatever the encoder, the MT
    quality or the signals combined ("dropping a sentence costs half of what a
    typical pair is worth").
    """

    signals: list
    weights: dict[str, float] = field(default_factory=dict)
    skip_penalty: float = 0.5
    merge_penalty: float = 0.05
    samples: int = 2000
    seed: int = 0
    models: dict[str, _Model] = field(default_factory=dict)
    scale: float = 1.0

    @property
    def n(self) -> int:
        return self.signals[0].n

    @property
    def m(self) -> int:
        return self.signals[0].m

    def calibrate(self, types: Sequence[tuple[int, int]], guide: np.ndarray | None) -> None:
        """Fit each signal's null per bead type and its translation model on ``guide``'s 1-1 steps."""
        rng = np.random.default_rng(self.seed)
        n, m = self.n, self.m
        pairs = [(a, b) for a, b in types if a >= 1 and b >= 1 and a <= n and b <= m]
        ones = np.zeros((0, 2), dtype=np.int64)
        if guide is not None and len(guide) > 1:
            step = np.diff(guide, axis=0)
            ones = guide[1:][(step[:, 0] == 1) & (step[:, 1] == 1)]
        calibrated = len(ones) >= MIN_CALIBRATION_BEADS
        if calibrated:
            samples = {(a, b): self._null_sample(rng, a, b, guide) for a, b in pairs}
        elif (1, 1) in pairs:
            # Too short to tell translations from chance per bead type: every
            # type is judged against 1-1 pairs off the path.
            samples = {(1, 1): self._null_sample(rng, 1, 1, guide, threshold=0.75)}
        else:
            samples = {}
        for sig in self.signals:
            model = _Model()
            for a, b in samples:
                I, J = samples[(a, b)]
                v = np.asarray(sig.values(a, b, I, J), dtype=np.float64)
                model.null[(a, b)] = (float(v.mean()), max(float(v.std()), 1e-3))
            if not calibrated:
                one = model.null.get((1, 1), (0.0, 1.0))
                model.null = {t: one for t in pairs}
            mu1, sd1 = _DEFAULT_TRUE.get(sig.name, (3.0, 1.0))
            if calibrated and (1, 1) in model.null:
                v = np.asarray(sig.values(1, 1, ones[:, 0], ones[:, 1]), dtype=np.float64)
                if sig.space == "z":
                    mu0, sd0 = model.null[(1, 1)]
                    v = (v - mu0) / sd0
                med = float(np.median(v))
                mad = 1.4826 * float(np.median(np.abs(v - med)))
                mu1, sd1 = med, max(mad, 0.05)
            model.mu1, model.sd1 = mu1, sd1
            self.models[sig.name] = model
            log.debug("signal %s: translation model mu=%.3f sd=%.3f (%d guide beads)", sig.name, mu1, sd1, len(ones))
        if calibrated and (1, 1) in pairs:
            self.scale = max(float(np.median(self.evidence(1, 1, ones[:, 0], ones[:, 1]))), 1.0)
        else:
            self.scale = max(sum(max(mo.mu1, 0.0) ** 2 / 2 for k, mo in self.models.items()
                                 if self._signal(k).space == "z"), 1.0)

    def _null_sample(self, rng: np.random.Generator, a: int, b: int, guide: np.ndarray | None,
                     threshold: float | None = None):
        return beads_off_path(rng, self.n, self.m, a, b, guide, self.samples, self.valid, threshold)

    def _signal(self, name: str):
        return next(s for s in self.signals if s.name == name)

    def calibration(self) -> dict[str, object]:
        """What the scorer learnt from the document, for summaries."""
        return {"scale": round(self.scale, 3),
                **{k: {"mu1": round(mo.mu1, 3), "sd1": round(mo.sd1, 3)} for k, mo in self.models.items()}}

    def llr(self, sig, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        """log p(value | translation) - log p(value | unrelated), per bead."""
        model = self.models[sig.name]
        mu0, sd0 = model.null[(a, b)]
        v = np.asarray(sig.values(a, b, I, J), dtype=np.float64)
        mu1, sd1 = model.mu1, model.sd1
        if sig.space == "z":
            # equal-variance Gaussians in z units: linear, so a closer match is
            # never worse evidence; a signal with mu1 <= 0 says nothing
            mu1 = max(mu1, 0.0)
            return mu1 * (v - mu0) / sd0 - mu1 * mu1 / 2
        if sd1 >= sd0:  # no sharper than chance: no evidence
            return np.zeros(len(v))
        return (-(v - mu1) ** 2 / (2 * sd1 * sd1) - math.log(sd1)
                + (v - mu0) ** 2 / (2 * sd0 * sd0) + math.log(sd0))

    def evidence(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        """The weighted sum of the signals' log-likelihood ratios."""
        total = np.zeros(len(I))
        for sig in self.signals:
            w = self.weights.get(sig.name, 1.0)
            if w:
                total += w * self.llr(sig, a, b, I, J)
        return total

    def cost(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        cost = -self.evidence(a, b, I, J) + self.merge_penalty * self.scale * (a + b - 2)
        return np.where(self.valid(a, b, I, J), cost, np.inf)

    def valid(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        """Beads every signal can score (runs left unembedded between sure anchors cannot be)."""
        ok = np.ones(len(I), bool)
        for sig in self.signals:
            if hasattr(sig, "valid"):
                ok &= sig.valid(a, b, I, J)
        return ok

    def skip_costs(self) -> tuple[np.ndarray, np.ndarray]:
        pen = self.skip_penalty * self.scale
        return np.full(self.n, pen), np.full(self.m, pen)

    def breakdown(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> dict[str, np.ndarray]:
        """Per-signal raw values and log-likelihood ratios of beads of one type."""
        out = {}
        for sig in self.signals:
            out[sig.name] = np.asarray(sig.values(a, b, I, J), dtype=np.float64)
            out[f"llr_{sig.name}"] = self.llr(sig, a, b, I, J)
        return out


# ---------------------------------------------------------------------------
# Gale & Church as a baseline


# Gale & Church (1993), Table 5: prior probability of each bead type.
GALE_CHURCH_PRIORS = {(1, 1): 0.89, (1, 0): 0.0099 / 2, (0, 1): 0.0099 / 2,
                      (2, 1): 0.089 / 2, (1, 2): 0.089 / 2, (2, 2): 0.011}


@dataclass
class GaleChurchScorer:
    """The classic length-based aligner: -log P(delta) - log P(bead type), six bead types."""

    length: LengthRatio

    types = list(GALE_CHURCH_PRIORS)

    @property
    def n(self) -> int:
        return self.length.n

    @property
    def m(self) -> int:
        return self.length.m

    def _neg_log_match(self, delta: np.ndarray) -> np.ndarray:
        # P(|X| >= |delta|) for a standard normal X, as Gale & Church use it
        return -log_two_tailed(delta)

    def cost(self, a: int, b: int, I: np.ndarray, J: np.ndarray) -> np.ndarray:
        delta = self.length.values(a, b, I, J)
        return self._neg_log_match(delta) - math.log(GALE_CHURCH_PRIORS.get((a, b), 1e-6))

    def skip_costs(self) -> tuple[np.ndarray, np.ndarray]:
        L = self.length
        ls = np.diff(L.src_c)
        lt = np.diff(L.tgt_c)
        src = self._neg_log_match(gale_church_delta(ls, np.zeros_like(ls), L.ratio, L.variance))
        tgt = self._neg_log_match(gale_church_delta(np.zeros_like(lt), lt, L.ratio, L.variance))
        return src - math.log(GALE_CHURCH_PRIORS[(1, 0)]), tgt - math.log(GALE_CHURCH_PRIORS[(0, 1)])
