"""Aligning a document pair: the first pass, sure anchors, bead scores and the DP.

``DocAligner.align`` in order::

    hard boundaries                              markers (".EOA" lines), paragraphs
    evidence (docalign.evidence)                 sentence vectors, MT chrF, lengths
    guide: 1-1 path through the sentence level   MonotonicAligner.guide (coarse-to-fine)
    sure anchors -> runs embedded in between     only without MT and from MIN_ANCHORED sentences
    calibrated bead scorer                       llr (hand-made) or learned (bead model)
    beads                                        banded DP around the guide

Bead indices are content-sentence indices (:class:`DocResult`); ``line_beads``
maps them to the line (``--presplit``) or split-sentence numbers written out.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..aligners.bead_model import BeadFeatures, LearnedScorer
from ..aligners.bead_model import TYPES as MODEL_TYPES
from ..aligners.evidence_parallel import BeadScorer, GaleChurchScorer, LengthRatio, NgramMatch, OverlapEmbeddings
from ..aligners.monotonic import LengthLevels, MonotonicAligner, VectorLevels, split_at_anchors, sure_anchors
from ..config import Config
from ..types import Bead, Pair
from .evidence import EncodingProgress, EvidenceSources, embed_runs, encode_sentences, progress_bar
from .reading import ParallelSide, hard_anchors

log = logging.getLogger(__name__)

MODEL_MAX_SIDE = max(max(t) for t in MODEL_TYPES)
MIN_ANCHORED = 200  # sentences a side before runs are embedded only between sure anchors


@dataclass
class DocResult:
    doc_id: str
    src: ParallelSide
    tgt: ParallelSide
    beads: list[Bead]  # in content-sentence indices
    evidence: list[str]
    calibration: dict[str, Any]
    timings: dict[str, float]
    mt: list[str] | None = None
    breakdown: list[dict[str, float]] = field(default_factory=list)
    # Sentence similarities around the path, for ``align report`` (see ``similarity_band``).
    band: dict[str, Any] | None = None

    def line_beads(self) -> list[Bead]:
        """Beads in line (presplit) or sentence indices, as written to alignments.txt."""
        s, t = self.src.lines, self.tgt.lines
        return [Bead(tuple(s[i] for i in b.src), tuple(t[j] for j in b.tgt), b.score) for b in self.beads]

    def summary(self) -> dict[str, Any]:
        kinds = Counter(b.kind for b in self.beads)
        return {"doc_id": self.doc_id, "src_lang": self.src.lang, "tgt_lang": self.tgt.lang,
                "src_sentences": len(self.src.sentences), "tgt_sentences": len(self.tgt.sentences),
                "beads": len(self.beads), "bead_kinds": dict(sorted(kinds.items())),
                "evidence": self.evidence, "calibration": self.calibration,
                "seconds": {k: round(v, 3) for k, v in self.timings.items()}}


class DocAligner(EvidenceSources):
    """Aligns one document pair at a time with models built once (see :class:`EvidenceSources`).

    ``progress``: show a bar of texts encoded for long documents.
    """

    def __init__(self, cfg: Config, *, progress: bool = False):
        super().__init__(cfg)
        self.progress = progress
        if self.d.aligner == "learned":
            self.model()  # a bad model file fails before any reading or encoding

    @property
    def max_overlap(self) -> int:
        d = self.d
        cap = min(d.max_bead - 1, d.max_side) if d.max_side else d.max_bead - 1
        return min(cap, MODEL_MAX_SIDE) if d.aligner == "learned" else cap

    def aligner(self) -> MonotonicAligner:
        d = self.d
        types = list(GaleChurchScorer.types) if d.aligner == "gale-church" else None
        max_side = self.max_overlap if d.aligner == "learned" else d.max_side
        return MonotonicAligner(max_bead=d.max_bead, max_side=max_side, width=d.band,
                                max_full_dp=d.max_full_dp, seed=d.seed, types=types)

    def align(self, doc_id: str, src: ParallelSide, tgt: ParallelSide, mt: list[str] | None = None) -> DocResult:
        """Align one document pair (``mt``: a translation of the source, one per sentence, if any)."""
        with progress_bar(doc_id, src, tgt, self.progress) as bar:
            return self._align(doc_id, src, tgt, mt, bar)

    def _align(self, doc_id: str, src: ParallelSide, tgt: ParallelSide, mt: list[str] | None, bar) -> DocResult:
        d = self.d
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        _warn_if_lopsided(doc_id, len(src.sentences), len(tgt.sentences))
        if not src.sentences or not tgt.sentences:
            beads = ([Bead((i,), ()) for i in range(len(src.sentences))]
                     + [Bead((), (j,)) for j in range(len(tgt.sentences))])
            return DocResult(doc_id, src, tgt, beads, [], {}, timings)
        anchors = hard_anchors(src, tgt, d.boundaries)
        aligner = self.aligner()
        length = LengthRatio.from_sentences(src.sentences, tgt.sentences)

        if d.aligner == "gale-church":
            guide = aligner.guide(LengthLevels(np.diff(length.src_c), np.diff(length.tgt_c)),
                                  length.n, length.m, anchors)
            scorer = GaleChurchScorer(length)
            timings["guide"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            beads = aligner.align(scorer, guide, anchors)
            timings["align"] = time.perf_counter() - t1
            return DocResult(doc_id, src, tgt, beads, ["length"], {"aligner": "gale-church"}, timings)

        used: list[str] = []
        features = None
        sentence_vectors = None
        encoder = None
        if "embeddings" in d.evidence:
            encoder = EncodingProgress(self.encoder(self.encoder_name(src.lang, tgt.lang)), bar)
            t1 = time.perf_counter()
            sentence_vectors = encode_sentences(encoder, src, tgt)
            timings["encode"] = time.perf_counter() - t1
            used.append("embeddings")
            features = VectorLevels(*sentence_vectors)
        ngram = None
        if "mt" in d.evidence:
            mt = self.translation(src, tgt, mt, timings)
            if mt is not None:
                t1 = time.perf_counter()
                ngram = NgramMatch(mt, tgt.sentences, self.max_overlap, metric=d.mt_metric, lang=tgt.lang)
                timings["mt_ngrams"] = time.perf_counter() - t1
                used.append("mt")
                if features is None:
                    features = VectorLevels(*ngram.sentence_vectors())
        if "length" in d.evidence:
            used.append("length")
        if features is None:
            features = LengthLevels(np.diff(length.src_c), np.diff(length.tgt_c))

        t1 = time.perf_counter()
        guide = aligner.guide(features, length.n, length.m, anchors)
        timings["guide"] = time.perf_counter() - t1

        emb = None
        if sentence_vectors is not None:
            # Second pass: runs of sentences are embedded only where a bead
            # beyond 1-1 is possible, between the first pass's sure anchors.
            # Not with MT evidence: MT can overturn a bead the embeddings are
            # sure of (on Text+Berg anchors cost 0.8-1.1 points with MT, none without).
            # Short documents are embedded whole: cheap, and the null needs runs.
            pieces = None
            if d.overlap == "encode" and d.sure_margin is not None and ngram is None \
                    and min(length.n, length.m) >= MIN_ANCHORED:
                sure = sure_anchors(*sentence_vectors, guide, d.sure_margin)
                pieces = split_at_anchors(length.n, length.m, sorted(set(anchors) | set(sure)))
            t1 = time.perf_counter()
            emb = embed_runs(encoder, src, tgt, self.max_overlap, d.overlap, sentence_vectors, pieces)
            timings["encode"] += time.perf_counter() - t1
        signals = [sig for sig in (emb, ngram) if sig is not None]
        if "length" in d.evidence or not signals:
            signals.append(length)

        t1 = time.perf_counter()
        scorer = BeadScorer(signals, weights=dict(d.weights), skip_penalty=d.skip_penalty,
                            merge_penalty=d.merge_penalty, seed=d.seed)
        scorer.calibrate(aligner.bead_types(), guide)
        calibration = scorer.calibration()
        if emb is not None:
            calibration["encoder"] = encoder.name
            calibration["runs_embedded"] = emb.runs_embedded
        if d.aligner == "learned" and emb is not None:
            scorer = self._learned_scorer(scorer, emb, length, ngram, guide)
            calibration["model"] = self.model().info.get("name", "bead_model")
        timings["calibrate"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        beads = aligner.align(scorer, guide, anchors)
        timings["align"] = time.perf_counter() - t1
        result = DocResult(doc_id, src, tgt, beads, used, calibration, timings, mt=mt)
        result.breakdown = _breakdown(scorer, beads)
        if sentence_vectors is not None:
            result.band = similarity_band(*sentence_vectors, beads)
        return result

    def _learned_scorer(self, base: BeadScorer, emb: OverlapEmbeddings, length: LengthRatio,
                        ngram, guide: np.ndarray) -> LearnedScorer:
        """The bead model over the hand-made scorer's embedding and length evidence.

        MT was not available to fit the model on; its log-likelihood ratio,
        calibrated in this document (so an MT that does not separate
        translations from chance here weighs nothing), is added on the same
        scale, times ``weights.mt``.
        """
        extra = []
        if ngram is not None:
            w = self.d.weights.get("mt", 1.0)
            extra.append((w, lambda a, b, I, J: base.llr(ngram, a, b, I, J) / base.scale))
        feats = BeadFeatures(emb.src, emb.tgt, np.diff(length.src_c), np.diff(length.tgt_c), guide, base,
                             valid=emb.valid)
        return LearnedScorer(feats, self.model(), extra)


# Target sentences kept on each side of the path per source sentence: enough
# to see a competing alignment, small enough for a book (n x 17 cells).
BAND_WIDTH = 8


def similarity_band(src_vectors: np.ndarray, tgt_vectors: np.ndarray, beads: list[Bead],
                    width: int = BAND_WIDTH) -> dict[str, Any]:
    """Cosine similarity of each source sentence with the target sentences around its place on the path.

    ``rows[i] = [j0, [v, ...]]``: target sentences ``j0, j0 + 1, ...``, cosines
    clipped to [0, 1] and rounded to 6 decimals like every score (coarser
    steps would let BLAS noise flip a value by a whole step). The whole
    matrix of a book would be millions of cells; a heatmap needs the band.
    """
    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    s, t = unit(np.asarray(src_vectors, dtype=np.float32)), unit(np.asarray(tgt_vectors, dtype=np.float32))
    n, m = len(s), len(t)
    centre = np.zeros(n, dtype=int)
    j = 0  # the target position the path has reached
    for b in beads:
        for i in b.src:
            centre[i] = b.tgt[0] if b.tgt else j
        if b.tgt:
            j = b.tgt[-1] + 1
    rows = []
    for i in range(n):
        j0 = max(0, min(int(centre[i]) - width, m - (2 * width + 1)))
        j1 = min(m, j0 + 2 * width + 1)
        sims = np.clip(t[j0:j1] @ s[i], 0.0, 1.0)
        rows.append([j0, [round(float(v), 6) for v in sims]])
    return {"width": width, "rows": rows}


def _warn_if_lopsided(doc_id: str, n: int, m: int) -> None:
    if min(n, m) == 0 or max(n, m) >= 3 * min(n, m):
        log.warning("%s: %d source and %d target sentences: most will be aligned as deletions; "
                    "check that these documents are translations of each other", doc_id, n, m)


def _breakdown(scorer, beads: list[Bead]) -> list[dict[str, float]]:
    """Per-bead evidence (empty dicts for 1-0/0-1), as the scorer reports it."""
    out: list[dict[str, float]] = [{} for _ in beads]
    groups: dict[tuple[int, int], list[int]] = {}
    for k, b in enumerate(beads):
        if b.src and b.tgt:
            groups.setdefault((len(b.src), len(b.tgt)), []).append(k)
    for (a, bb), ks in groups.items():
        I = np.array([beads[k].src[-1] + 1 for k in ks])
        J = np.array([beads[k].tgt[-1] + 1 for k in ks])
        parts = scorer.breakdown(a, bb, I, J)
        for idx, k in enumerate(ks):
            out[k] = {name: round(float(v[idx]), 6) for name, v in parts.items()}
    return out


def confidence(cost: float) -> float:
    """A bead's cost (minus log-odds) as a probability-like score in [0, 1]."""
    if cost > 50:
        return 0.0
    return 1.0 / (1.0 + math.exp(cost))


def make_pairs(result: DocResult) -> list[Pair]:
    """One Pair per bead with both sides (``pairs.jsonl`` rows, same fields as the mining path)."""
    from ..metrics.bleu import sentence_scores

    src, tgt = result.src, result.tgt
    method = "docalign:" + "+".join(result.evidence)
    pairs = []
    line_beads = result.line_beads()
    for k, (bead, lb) in enumerate(zip(result.beads, line_beads)):
        if not bead.src or not bead.tgt:
            continue
        s_text = " ".join(src.sentences[i] for i in bead.src)
        t_text = " ".join(tgt.sentences[j] for j in bead.tgt)
        scores = {"cost": float(bead.score)}
        if result.breakdown and result.breakdown[k]:
            scores.update(result.breakdown[k])
        pair = Pair(
            id=f"{result.doc_id}-{len(pairs)}", doc_id=result.doc_id,
            src_lang=src.lang, tgt_lang=tgt.lang, src=s_text, tgt=t_text,
            src_span=(src.spans[bead.src[0]][0], src.spans[bead.src[-1]][1]),
            tgt_span=(tgt.spans[bead.tgt[0]][0], tgt.spans[bead.tgt[-1]][1]),
            score=confidence(bead.score), label="parallel", method=method,
            src_kind="sentence", tgt_kind="sentence",
            src_ids=tuple(f"{result.doc_id}:src:{i}" for i in lb.src),
            tgt_ids=tuple(f"{result.doc_id}:tgt:{j}" for j in lb.tgt),
            scores=scores, meta={"bead": [list(lb.src), list(lb.tgt)], "kind": bead.kind},
        )
        if result.mt is not None:
            hyp = " ".join(result.mt[i] for i in bead.src)
            sc = sentence_scores(hyp, t_text, tgt.lang)
            pair.bleu, pair.chrf = sc.bleu, sc.chrf
            pair.bleu_signature, pair.chrf_signature = sc.bleu_signature, sc.chrf_signature
            pair.meta["bleu_direction"] = f"mt({src.lang}->{tgt.lang}) vs {tgt.lang}"
        pairs.append(pair)
    return pairs


def to_record(result: DocResult) -> dict[str, Any]:
    """The work-log record of an aligned pair: its pairs, summary facts and what the outputs need."""
    pairs = make_pairs(result)
    info = result.summary()
    info["pairs"] = len(pairs)
    src, tgt = result.src, result.tgt
    return {
        "doc_id": result.doc_id,
        "pairs": [p.to_record() for p in pairs],
        "info": info,
        "alignment": {
            "src_lang": src.lang, "tgt_lang": tgt.lang,
            "line_beads": [[list(b.src), list(b.tgt), b.score] for b in result.line_beads()],
            "beads": [[list(b.src), list(b.tgt)] for b in result.beads],
            "src_sentences": src.sentences, "tgt_sentences": tgt.sentences,
            "write_sentences": not src.presplit,
            "band": result.band,
        },
    }
