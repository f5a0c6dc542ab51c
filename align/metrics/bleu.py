"""BLEU and chrF: sacrebleu's scores with their signatures, and the same n-gram
statistics counted for many texts at once (mining's all-pairs chrF, docalign's
per-bead MT evidence)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: importing align stays light
    import numpy as np
    import scipy.sparse as sp


def tokenizer_for(lang: str | None) -> str:
    """sacrebleu's tokenizer for a reference language (13a splits no CJK words)."""
    return {"zh": "zh", "ja": "char", "ko": "char", "th": "char"}.get(lang or "", "13a")


@lru_cache(maxsize=None)
def _metrics(lang: str | None, sentence: bool):
    from sacrebleu.metrics import BLEU, CHRF

    # Effective order keeps sentence BLEU from collapsing to 0 on short texts
    # that lack a matching 4-gram. Orders spelt out: ngram_counts relies on them.
    return (BLEU(tokenize=tokenizer_for(lang), effective_order=sentence, max_ngram_order=BLEU_ORDER),
            CHRF(char_order=CHRF_CHAR_ORDER, word_order=0, beta=CHRF_BETA))


@dataclass(frozen=True)
class Scores:
    bleu: float
    chrf: float
    bleu_signature: str
    chrf_signature: str


def sentence_scores(hypothesis: str, reference: str, lang: str | None = None) -> Scores:
    bleu, chrf = _metrics(lang, True)
    return Scores(
        bleu.sentence_score(hypothesis, [reference]).score,
        chrf.sentence_score(hypothesis, [reference]).score,
        str(bleu.get_signature()),
        str(chrf.get_signature()),
    )


def sentence_signature(metric: str, lang: str | None = None) -> str:
    """sacrebleu's signature of sentence-level ``metric`` ("bleu" or "chrf"), as sentence_scores reports it."""
    bleu, chrf = _metrics(lang, True)
    scorer = {"bleu": bleu, "chrf": chrf}[metric]
    scorer.sentence_score("", [""])  # sacrebleu's signature names the number of references seen
    return str(scorer.get_signature())


def corpus_scores(hypotheses: list[str], references: list[str], lang: str | None = None) -> Scores:
    bleu, chrf = _metrics(lang, False)
    return Scores(
        bleu.corpus_score(hypotheses, [references]).score,
        chrf.corpus_score(hypotheses, [references]).score,
        str(bleu.get_signature()),
        str(chrf.get_signature()),
    )


# sacrebleu's chrF defaults: character n-grams of order 1..6, no word
# n-grams (word_order=0), beta 2, whitespace removed, effective-order averaging.
CHRF_CHAR_ORDER, CHRF_BETA = 6, 2
BLEU_ORDER = 4
# Bound on the (pair, shared n-gram) entries expanded at once in chrf_pairwise.
_JOIN_CHUNK = 1 << 22

# sacrebleu scores one pair at a time from Counters of n-gram strings: far too
# slow for every pair of a mining block or every candidate bead of docalign.
# What follows computes the same statistics as array operations over many texts
# (ngram_counts) and sacrebleu's formulas on arrays of statistics
# (chrf_from_stats, bleu_from_stats); tests/test_ngram_metrics.py holds them
# equal to sacrebleu on random text.


@dataclass(frozen=True)
class NgramCounts:
    """Per-text n-gram counts, as sacrebleu extracts them, for many texts at once.

    ``counts[t, c]`` is how often n-gram ``c`` occurs in text ``t`` (a CSR
    matrix); the n-grams of order ``n`` are columns ``offsets[n-1]:offsets[n]``.
    ``totals[t, n-1]`` is the number of n-grams of order ``n`` in text ``t``
    (sacrebleu's hypothesis/reference totals).
    """

    counts: "sp.csr_matrix"
    offsets: "np.ndarray"
    totals: "np.ndarray"

    @property
    def max_order(self) -> int:
        return len(self.offsets) - 1

    def column_order(self) -> "np.ndarray":
        """The order (0-based) of each column."""
        import numpy as np

        return np.repeat(np.arange(self.max_order), np.diff(self.offsets))


def ngram_counts(texts: list[str], metric: str = "chrf", lang: str | None = None) -> NgramCounts:
    """The n-grams sacrebleu's sentence ``metric`` counts in each text.

    chrf: characters, whitespace removed, orders 1..6; bleu: tokens of the
    tokenizer ``sentence_scores`` names in its signature for ``lang``, orders 1..4.
    """
    import numpy as np

    if metric == "chrf":
        stripped = ["".join(t.split()) for t in texts]  # as sacrebleu: whitespace is no character
        lens = np.array([len(s) for s in stripped], dtype=np.int64)
        codes = np.frombuffer("".join(stripped).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        symbols = np.unique(codes, return_inverse=True)[1].ravel()
        return _count_ngrams(symbols, lens, CHRF_CHAR_ORDER)
    if metric == "bleu":
        bleu = _metrics(lang, True)[0]
        vocab: dict[str, int] = {}
        # BLEU's own preprocessing (BLEU._preprocess_segment), then whitespace-separated tokens
        tokens = [bleu.tokenizer((t.lower() if bleu.lowercase else t).rstrip()).split() for t in texts]
        lens = np.array([len(t) for t in tokens], dtype=np.int64)
        symbols = np.array([vocab.setdefault(w, len(vocab)) for t in tokens for w in t], dtype=np.int64)
        return _count_ngrams(symbols, lens, BLEU_ORDER)
    raise ValueError(f"unknown n-gram metric {metric!r} (chrf or bleu)")


def _count_ngrams(symbols, lens, max_order: int) -> NgramCounts:
    """``symbols``: the texts' symbol ids (0..alphabet-1) one after the other, ``lens`` per text."""
    import numpy as np
    import scipy.sparse as sp

    n_texts = len(lens)
    symbols = np.asarray(symbols, dtype=np.int64)
    alphabet = int(symbols.max()) + 1 if len(symbols) else 1
    text_of = np.repeat(np.arange(n_texts), lens)
    end_of = np.repeat(np.cumsum(lens), lens)  # exclusive end of each position's text
    pos = np.arange(len(symbols))
    rows, cols, offsets = [], [], [0]
    gram = np.zeros(len(symbols), dtype=np.int64)  # id + 1 of the (n-1)-gram at each position, 0 if none
    for n in range(1, max_order + 1):
        m = max(len(symbols) - n + 1, 0)
        gram = gram[:m] * alphabet + symbols[n - 1:] + 1 if n > 1 else symbols + 1
        valid = pos[:m] + n <= end_of[:m]  # n-grams that do not cross into the next text
        # Dense ids keep the next order's ``gram * alphabet`` within int64.
        uniq, ids = np.unique(gram[valid], return_inverse=True)
        gram = np.zeros(m, dtype=np.int64)
        gram[valid] = ids.ravel() + 1
        rows.append(text_of[:m][valid])
        cols.append(ids.ravel() + offsets[-1])
        offsets.append(offsets[-1] + len(uniq))
    rows_, cols_ = np.concatenate(rows), np.concatenate(cols)
    counts = sp.csr_matrix((np.ones(len(rows_), dtype=np.int32), (rows_, cols_)),
                           shape=(n_texts, offsets[-1]))
    counts.sum_duplicates()
    totals = np.maximum(np.asarray(lens)[:, None] - np.arange(max_order)[None, :], 0)
    return NgramCounts(counts, np.array(offsets), totals)


def chrf_from_stats(hyp_tot, ref_tot, match, beta: int = CHRF_BETA) -> "np.ndarray":
    """sacrebleu's chrF (0..100) from statistics of shape (k, orders): CHRF._compute_f_score on arrays."""
    import numpy as np

    hyp_tot, ref_tot, match = (np.asarray(x, dtype=np.float64) for x in (hyp_tot, ref_tot, match))
    factor = beta**2
    avg_prec = np.zeros(len(match))
    avg_rec = np.zeros(len(match))
    eff_order = np.zeros(len(match), dtype=np.int64)
    # Same operations, in the same order, as sacrebleu, so that scores agree to the last bit or so.
    with np.errstate(divide="ignore", invalid="ignore"):
        for n in range(match.shape[1]):
            valid = (hyp_tot[:, n] > 0) & (ref_tot[:, n] > 0)
            avg_prec += np.where(valid, match[:, n] / hyp_tot[:, n], 0.0)
            avg_rec += np.where(valid, match[:, n] / ref_tot[:, n], 0.0)
            eff_order += valid
        avg_prec = np.where(eff_order > 0, avg_prec / eff_order, 0.0)
        avg_rec = np.where(eff_order > 0, avg_rec / eff_order, 0.0)
        score = (1 + factor) * avg_prec * avg_rec
        score = score / ((factor * avg_prec) + avg_rec)
    return np.where(avg_prec + avg_rec != 0, 100 * score, 0.0)


def bleu_from_stats(hyp_tot, match, hyp_len, ref_len) -> "np.ndarray":
    """sacrebleu's sentence BLEU (0..100; 'exp' smoothing, effective order) from statistics.

    BLEU.compute_bleu on arrays: ``hyp_tot``/``match`` of shape (k, orders),
    ``hyp_len``/``ref_len`` (token counts) of shape (k,).
    """
    import numpy as np

    hyp_tot, match = np.asarray(hyp_tot, dtype=np.float64), np.asarray(match, dtype=np.float64)
    hyp_len, ref_len = np.asarray(hyp_len, dtype=np.float64), np.asarray(ref_len, dtype=np.float64)
    k, orders = match.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.where(hyp_len < ref_len, np.where(hyp_len > 0, np.exp(1 - ref_len / hyp_len), 0.0), 1.0)
        log_sum, eff_order, smooth = np.zeros(k), np.zeros(k, dtype=np.int64), np.ones(k)
        alive = np.ones(k, dtype=bool)  # sacrebleu stops at the first order without n-grams
        for n in range(orders):
            alive &= hyp_tot[:, n] > 0
            zero = alive & (match[:, n] == 0)
            smooth = np.where(zero, smooth * 2, smooth)
            prec = np.where(zero, 100.0 / (smooth * hyp_tot[:, n]), 100.0 * match[:, n] / hyp_tot[:, n])
            log_sum += np.where(alive, np.log(np.where(alive, prec, 1.0)), 0.0)
            eff_order += alive
        score = bp * np.exp(log_sum / eff_order)
    return np.where(match.any(axis=1) & (eff_order > 0), score, 0.0)


def chrf_matrix(hypotheses: list[str], references: list[str], allowed=None) -> "np.ndarray":
    """Sentence chrF (0..1, float32) for every allowed (hypothesis, reference) pair; 0 elsewhere."""
    return (chrf_pairwise(hypotheses, references, allowed) / 100.0).astype("float32")


def chrf_pairwise(hypotheses: list[str], references: list[str], allowed=None) -> "np.ndarray":
    """sacrebleu's sentence chrF (0..100) of every hypothesis against every reference at once.

    Equals ``CHRF().sentence_score(h, [r]).score`` for each allowed pair (all
    pairs if ``allowed`` is None; others are 0). The clipped match count
    sum_g min(count_h(g), count_r(g)) is the number of (n-gram, occurrence
    number) items two texts share; shared items are found by one sorted join
    per order and counted per pair with ``np.bincount``. Cost grows with the
    number of shared n-grams over all pairs, not with a Python loop over pairs.
    """
    import numpy as np

    n_h, n_r = len(hypotheses), len(references)
    mask = np.ones((n_h, n_r), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    if mask.shape != (n_h, n_r):
        raise ValueError(f"allowed has shape {mask.shape}, expected {(n_h, n_r)}")
    out = np.zeros((n_h, n_r), dtype=np.float64)
    if not mask.any():
        return out
    # Each distinct text once; rows/cols that take part in an allowed pair only.
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    texts: dict[str, int] = {}
    h_ix = np.array([texts.setdefault(hypotheses[i], len(texts)) for i in rows])
    r_ix = np.array([texts.setdefault(references[j], len(texts)) for j in cols])
    sub = mask[np.ix_(rows, cols)]
    pair_i, pair_j = np.nonzero(sub)
    slot = np.full(sub.shape, -1, dtype=np.int64)
    slot[pair_i, pair_j] = np.arange(len(pair_i))
    stats = ngram_counts(list(texts), "chrf")
    match = np.zeros((len(pair_i), stats.max_order), dtype=np.int64)
    for n in range(stats.max_order):
        text_of, item = _occurrence_items(stats.counts[:, stats.offsets[n]:stats.offsets[n + 1]])
        match[:, n] = _shared_items(text_of, item, len(texts), h_ix, r_ix, slot, len(pair_i))
    out[rows[pair_i], cols[pair_j]] = chrf_from_stats(stats.totals[h_ix[pair_i]], stats.totals[r_ix[pair_j]], match)
    return out


def _occurrence_items(counts):
    """(text, item id) of every n-gram occurrence, grouped by text; the k-th
    occurrence of an n-gram in a text is its own item, so two texts share
    min(count_1, count_2) items of it."""
    import numpy as np

    c = counts.data.astype(np.int64)
    text_of = np.repeat(np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr)), c)
    span = int(c.max()) if len(c) else 1
    item = np.repeat(counts.indices.astype(np.int64) * span, c) + _ranges(np.zeros(len(c), np.int64), c)
    return text_of, item


def _shared_items(text_of, item, n_texts: int, h_ix, r_ix, slot, n_pairs: int):
    """For each allowed pair slot, the number of items its hypothesis and reference share."""
    import numpy as np

    per_text = np.bincount(text_of, minlength=n_texts)
    first = np.cumsum(per_text) - per_text  # items are grouped by text

    def items_of(ix):  # (item id, row) for every item of every row's text
        c = per_text[ix]
        return item[_ranges(first[ix], c)], np.repeat(np.arange(len(ix)), c)

    h_item, h_row = items_of(h_ix)
    r_item, r_col = items_of(r_ix)
    shared = np.isin(r_item, h_item)  # most high-order n-grams of a reference are in no hypothesis
    r_item, r_col = r_item[shared], r_col[shared]
    order = np.argsort(r_item)
    r_item, r_col = r_item[order], r_col[order]
    lo = np.searchsorted(r_item, h_item, side="left")
    counts = np.searchsorted(r_item, h_item, side="right") - lo
    keep = counts > 0
    h_row, lo, counts = h_row[keep], lo[keep], counts[keep]
    matches = np.zeros(n_pairs, dtype=np.int64)
    flat_slot, n_cols = slot.ravel(), slot.shape[1]
    bounds = np.cumsum(counts)
    start = 0
    while start < len(counts):  # chunks of about _JOIN_CHUNK (pair, item) entries
        done = int(bounds[start - 1]) if start else 0
        stop = max(int(np.searchsorted(bounds, done + _JOIN_CHUNK, side="right")), start + 1)
        c = counts[start:stop]
        cols = r_col[_ranges(lo[start:stop], c)]
        pairs = flat_slot[np.repeat(h_row[start:stop], c) * n_cols + cols]
        matches += np.bincount(pairs[pairs >= 0], minlength=n_pairs)
        start = stop
    return matches


def _ranges(starts, counts):
    """Concatenated ``arange(s, s + c)`` for each (s, c)."""
    import numpy as np

    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
