"""Sentence alignment of parallel documents (``align docalign``), one module per job::

    reading     files or inline texts -> ParallelSide    sentences, char spans, markers, paragraphs
    evidence    models and what they say                sentence/run vectors, MT, progress
    aligning    DocAligner.align                        guide, sure anchors, bead scorer, banded DP
    job         the corpus engine's job                 one pair or many, resumable, --workers

Sentence indices in the beads are *line* indices with ``--presplit`` (marker
lines are never aligned but keep their numbers), and indices into the split
sentences otherwise (written out as ``sentences.src`` / ``sentences.tgt``).
"""

from .aligning import MIN_ANCHORED, DocAligner, DocResult, confidence, make_pairs, to_record
from .evidence import EvidenceSources
from .job import DocAlignJob, DocPairProcessor, align_documents
from .reading import (
    PairSpec,
    ParallelSide,
    Source,
    hard_anchors,
    load_pair,
    read_pairs,
    read_side,
    read_text,
    read_translation,
    split_presplit,
    split_raw,
)

__all__ = [
    "MIN_ANCHORED",
    "DocAligner",
    "DocAlignJob",
    "DocPairProcessor",
    "DocResult",
    "EvidenceSources",
    "PairSpec",
    "ParallelSide",
    "Source",
    "align_documents",
    "confidence",
    "hard_anchors",
    "load_pair",
    "make_pairs",
    "read_pairs",
    "read_side",
    "read_text",
    "read_translation",
    "split_presplit",
    "split_raw",
    "to_record",
]
