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


# sacrebleu's chrF defaults: character n-grams of order 1..6, no word
# n-grams (word_order=0), beta 2, whitespace removed, effective-order averaging.
CHRF_CHAR_ORDER, CHRF_BETA = 6, 2
# Bound on the (pair, shared n-gram) entries expanded at once in chrf_pairwise.
_JOIN_CHUNK = 1 << 22


def chrf_matrix(hypotheses: list[str], references: list[str], allowed=None) -> "np.ndarray":
    """Sentence chrF (0..1, float32) for every allowed (hypothesis, reference) pair; 0 elsewhere."""
    return (chrf_pairwise(hypotheses, references, allowed) / 100.0).astype("float32")


def chrf_pairwise(hypotheses: list[str], references: list[str], allowed=None) -> "np.ndarray":
    """sacrebleu's sentence chrF (0..100) of every hypothesis against every reference at once.

    Equals ``CHRF().sentence_score(h, [r]).score`` for each allowed pair (all
    pairs if ``allowed`` is None; others are 0), computed as array operations:
    each distinct text's character n-grams (whitespace removed, orders 1..6)
    become integer ids; the k-th occurrence of an n-gram in a text is its own
    item, so the clipped match count sum_g min(count_h(g), count_r(g)) is the
    number of items two texts share. Shared items are found by one sorted join
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
    factor = CHRF_BETA**2
    avg_prec = np.zeros(len(pair_i))
    avg_rec = np.zeros(len(pair_i))
    eff_order = np.zeros(len(pair_i), dtype=np.int64)
    for n, (lengths, text_of, item) in enumerate(_char_ngram_items(list(texts), CHRF_CHAR_ORDER), start=1):
        matches = _shared_items(text_of, item, len(texts), h_ix, r_ix, slot, len(pair_i))
        hyp_len = lengths[h_ix[pair_i]]
        ref_len = lengths[r_ix[pair_j]]
        valid = (hyp_len > 0) & (ref_len > 0)
        # Same operations, in the same order, as sacrebleu's CHRF._compute_f_score.
        with np.errstate(divide="ignore", invalid="ignore"):
            avg_prec += np.where(valid, matches / hyp_len, 0.0)
            avg_rec += np.where(valid, matches / ref_len, 0.0)
        eff_order += valid
    with np.errstate(divide="ignore", invalid="ignore"):
        avg_prec = np.where(eff_order > 0, avg_prec / eff_order, 0.0)
        avg_rec = np.where(eff_order > 0, avg_rec / eff_order, 0.0)
        score = (1 + factor) * avg_prec * avg_rec
        score = score / ((factor * avg_prec) + avg_rec)
    score = np.where(avg_prec + avg_rec != 0, 100 * score, 0.0)
    out[rows[pair_i], cols[pair_j]] = score
    return out


def _char_ngram_items(texts: list[str], max_order: int):
    """Per order n = 1..max_order: (n-gram count per text, text of each item, item id).

    Items come grouped by text (ascending). Item ids are equal across texts for
    the same (n-gram, occurrence number) and unique within a text.
    """
    import numpy as np

    stripped = ["".join(t.split()) for t in texts]  # sacrebleu drops all whitespace
    lens = np.array([len(s) for s in stripped], dtype=np.int64)
    codes = np.frombuffer("".join(stripped).encode("utf-32-le"), dtype=np.uint32)
    text_of = np.repeat(np.arange(len(texts)), lens)
    end_of = np.cumsum(lens)[text_of]  # end (exclusive) of each position's text
    pos = np.arange(len(codes))
    _, chars = np.unique(codes, return_inverse=True)
    chars = chars.astype(np.int64).ravel()
    alphabet = int(chars.max()) + 1 if len(chars) else 1
    gram = chars
    for n in range(1, max_order + 1):
        if n > 1:  # extend each (n-1)-gram by the next character: base-`alphabet` number
            gram = _fit(gram[:-1], alphabet) * alphabet + chars[n - 1:]
        m = len(gram)
        valid = pos[:m] + n <= end_of[:m]  # n-grams that do not cross into the next text
        t, g = text_of[:m][valid], gram[valid]
        # Occurrence number of each n-gram within its text: its rank in its (text, n-gram) run.
        g = _fit(g, len(texts))
        key = t * (int(g.max()) + 1 if len(g) else 1) + g  # sorts by text, then n-gram
        order = np.argsort(key)  # any order within a run: occurrences are interchangeable
        key = key[order]
        idx = np.arange(len(key))
        run_start = np.maximum.accumulate(np.where(np.r_[True, key[1:] != key[:-1]], idx, 0))
        occurrence = idx - run_start
        span = int(occurrence.max()) + 1 if len(occurrence) else 1
        item = _fit(g[order], span) * span + occurrence
        yield np.maximum(lens - n + 1, 0), t[order], item


def _fit(ids, factor: int):
    """``ids`` renumbered densely (same equalities) if ``ids * factor`` could overflow int64."""
    import numpy as np

    if len(ids) and int(ids.max()) >= (1 << 62) // max(factor, 1):
        return np.unique(ids, return_inverse=True)[1].ravel().astype(np.int64)
    return ids


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
