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
from .config import Config, parse_direction
from .ingest.article import parse_article
from .score import score_pairs
from .segment.langid import get_identifier
from .segment.segmenter import SegmentedDoc, segment_article
from .similarity.cache import build_encoder
from .similarity.encoders import Encoder, get_encoder
from .similarity.evidence import EmbeddingEvidence, Evidence, PivotMTEvidence, PivotTranslations
from .types import PARALLEL, PARTIAL, ConfigError, Document, ModelError, Pair, Unit

log = logging.getLogger(__name__)

# A translation's character length is rarely outside 1.5x its source's plus
# a few characters (short texts vary more): 0.9% of Tatoeba fra-eng and 0.4%
# of rus-eng pairs are. A larger gap means one side restates part of the other.
PARALLEL_LENGTH_FACTOR, PARALLEL_LENGTH_SLACK = 1.5, 10


@dataclass
class DocResult:
    doc_id: str
    pairs: list[Pair] = field(default_factory=list)
    main_lang: str | None = None
    n_sentences: int = 0
    n_embeds: int = 0
    method: str | None = None

    def to_record(self) -> dict:
        """The JSON-ready form a corpus run's work log keeps."""
        return {
            "doc_id": self.doc_id, "main_lang": self.main_lang, "n_sentences": self.n_sentences,
            "n_embeds": self.n_embeds, "method": self.method, "pairs": [p.to_record() for p in self.pairs],
        }


class Pipeline:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        # Encoders by name, built on first use; with the embedding cache on,
        # each is a CachedEncoder with stats {"encoded": n, "cached": n}.
        self.encoders: dict[str, Encoder] = {}

    @cached_property
    def identifier(self):
        return get_identifier(tuple(self.cfg.segment.languages))

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
        return EmbeddingEvidence(self.encoder(self.cfg.similarity.encoder))

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
        embeds.warm_up(self.cfg.segment.languages)
        for lang in self.cfg.segment.languages:
            split_sentences("Un. Deux.", lang)
        get_encoder(self.cfg.similarity.encoder, self.cfg.similarity.encoder_threads).encode(["warm up"] * 8)

    def evidence_for(self, langs: set[str]) -> Evidence:
        mt = self.mt_evidence
        if mt is not None and mt.covers(langs):
            return mt
        if self.cfg.similarity.method == "mt":
            raise ModelError(f"similarity.method is 'mt' but no model covers languages {sorted(langs)}")
        return self.embedding_evidence

    def segment(self, doc: Document) -> SegmentedDoc:
        article = parse_article(doc, langs=tuple(self.cfg.segment.languages))
        s = self.cfg.segment
        return segment_article(article, self.identifier, min_words=s.min_words, min_confidence=s.min_lang_confidence)

    def units(self, seg: SegmentedDoc) -> tuple[list[Unit], list[Unit]]:
        """The queries (foreign segments) and the candidates they are compared with."""
        m = self.cfg.mining
        queries = [embed_unit(e) for e in seg.embeds]
        units = build_units(seg, max_window=m.max_window, sub_sentence=m.sub_sentence,
                            max_clauses=m.max_clauses, min_words=self.cfg.segment.min_words)
        return queries, units + (queries if m.cross_embeds else [])

    def process(self, doc: Document) -> DocResult:
        seg = self.segment(doc)
        result = DocResult(doc.id, main_lang=seg.main_lang, n_sentences=len(seg.sentences), n_embeds=len(seg.embeds))
        if not seg.embeds:
            return result
        m = self.cfg.mining
        queries, candidates = self.units(seg)
        allowed = allowed_pairs(queries, candidates)
        if not allowed.any():
            return result
        evidence = self.evidence_for({u.lang for u in queries + candidates})
        sim = evidence.matrix(queries, candidates, allowed)
        neighbourhood = np.array([c.kind == "embed" or (c.kind == "window" and c.n_sentences == 1) for c in candidates])
        matches = mine(sim, allowed, neighbourhood, k=m.k, threshold=m.threshold,
                       min_similarity=m.min_similarity, n_best=m.n_best)
        result.method = evidence.method
        result.pairs = make_pairs(doc.id, queries, candidates, matches, evidence.method, m.parallel_threshold)
        if isinstance(evidence, PivotMTEvidence) and result.pairs:
            score_pairs(result.pairs, self.translators, self.cfg.similarity.pivot, known=evidence.pivot.last)
        return result


def allowed_pairs(queries: list[Unit], candidates: list[Unit]) -> np.ndarray:
    """Query/candidate pairs in different languages whose spans do not overlap."""
    q_lang = np.array([q.lang for q in queries], dtype=object)
    c_lang = np.array([c.lang for c in candidates], dtype=object)
    q_span = np.array([q.span for q in queries]).reshape(-1, 2)
    c_span = np.array([c.span for c in candidates]).reshape(-1, 2)
    overlap = (q_span[:, None, 0] < c_span[None, :, 1]) & (c_span[None, :, 0] < q_span[:, None, 1])
    return (q_lang[:, None] != c_lang[None, :]) & (c_lang[None, :] != "") & ~overlap


def label_for(query: Unit, candidate: Unit, margin: float, parallel_threshold: float) -> str:
    """``parallel`` for a translation; ``partial`` when one side restates part of the other."""
    whole = candidate.kind in ("window", "embed", "quotation")
    a, b = len(query.text), len(candidate.text)
    comparable = max(a, b) <= PARALLEL_LENGTH_FACTOR * min(a, b) + PARALLEL_LENGTH_SLACK
    return PARALLEL if whole and margin >= parallel_threshold and comparable else PARTIAL


def make_pairs(doc_id: str, queries: list[Unit], candidates: list[Unit], matches: list[Match],
               method: str, parallel_threshold: float) -> list[Pair]:
    """Pairs in a canonical orientation (languages in alphabetical order), deduplicated."""
    best: dict[tuple, Pair] = {}
    for match in matches:
        q, c = queries[match.query], candidates[match.candidate]
        src, tgt = (q, c) if q.lang < c.lang else (c, q)
        key = (src.span, tgt.span)
        if key in best and best[key].score >= match.margin:
            continue
        best[key] = Pair(
            id=f"{doc_id}:{src.span[0]}-{src.span[1]}:{tgt.span[0]}-{tgt.span[1]}",
            doc_id=doc_id, src_lang=src.lang, tgt_lang=tgt.lang, src=src.text, tgt=tgt.text,
            src_span=src.span, tgt_span=tgt.span, score=round(match.margin, 6),
            label=label_for(q, c, match.margin, parallel_threshold), method=method,
            src_kind=src.seg_kind, tgt_kind=tgt.seg_kind,
            src_ids=src.segment_ids, tgt_ids=tgt.segment_ids,
            scores={"margin": match.margin, "similarity": match.similarity,
                    "forward_knn": match.forward, "backward_knn": match.backward},
            meta={"src_unit": src.kind, "tgt_unit": tgt.kind},
        )
    return sorted(best.values(), key=lambda p: (p.src_span, p.tgt_span))
