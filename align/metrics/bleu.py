"""sacrebleu wrappers: sentence and corpus BLEU/chrF, each with its signature."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


def tokenizer_for(lang: str | None) -> str:
    """sacrebleu's tokenizer for a reference language (13a splits no CJK words)."""
    return {"zh": "zh", "ja": "char", "ko": "char", "th": "char"}.get(lang or "", "13a")


@lru_cache(maxsize=None)
def _metrics(lang: str | None, sentence: bool):
    from sacrebleu.metrics import BLEU, CHRF

    # Effective order keeps sentence BLEU from collapsing to 0 on short texts
    # that lack a matching 4-gram.
    return BLEU(tokenize=tokenizer_for(lang), effective_order=sentence), CHRF()


@dataclass(frozen=True)
class Scores:
    bleu: float
    chrf: float
    bleu_signature: str
    chrf_signature: str


def sentence_scores(hypothesis: str, reference: str, lang: str | None = None) -> Scores:
    bleu, chrf = _metrics(lang, True)
    return Scores(
        round(bleu.sentence_score(hypothesis, [reference]).score, 4),
        round(chrf.sentence_score(hypothesis, [reference]).score, 4),
        str(bleu.get_signature()),
        str(chrf.get_signature()),
    )


def corpus_scores(hypotheses: list[str], references: list[str], lang: str | None = None) -> Scores:
    bleu, chrf = _metrics(lang, False)
    return Scores(
        round(bleu.corpus_score(hypotheses, [references]).score, 4),
        round(chrf.corpus_score(hypotheses, [references]).score, 4),
        str(bleu.get_signature()),
        str(chrf.get_signature()),
    )


def chrf_matrix(hypotheses: list[str], references: list[str], allowed) -> "np.ndarray":
    """Sentence chrF (0..1) for every allowed (hypothesis, reference) pair."""
    import numpy as np

    _, chrf = _metrics(None, True)
    out = np.zeros((len(hypotheses), len(references)), dtype=np.float32)
    for i, j in zip(*np.nonzero(allowed)):
        out[i, j] = chrf.sentence_score(hypotheses[i], [references[j]]).score / 100.0
    return out
