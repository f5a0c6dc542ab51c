"""n-gram metrics against sacrebleu itself, on seeded random text.

One statistics routine (``ngram_counts``) feeds both the all-pairs chrF of
mining (``chrf_pairwise``) and docalign's per-bead MT evidence
(``NgramMatch``); every score reported as chrF or BLEU must be sacrebleu's,
signature included.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import numpy as np
import pytest
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.metrics.helpers import extract_all_char_ngrams, extract_all_word_ngrams

from align.aligners.evidence_parallel import NgramMatch
from align.metrics.bleu import (
    bleu_from_stats, chrf_from_stats, chrf_pairwise, corpus_scores, ngram_counts, sentence_scores,
    sentence_signature, tokenizer_for,
)

TOL = 1e-9  # array formulas against sacrebleu's scalar ones: equal up to rounding

_SCRIPTS = ["abcdefghijklmnop", "ABCDEFGH", "éèêàçœßäöüñ", "приветмидом", "αβγδεζ", "日本語中文字", "한국어", "ไทย"]
_PUNCT = list(".,;:!?'\"()[]{}-–—/&%$#@*+=<>«»“”‘’¿¡…") + ["&quot;", "&amp;", "&lt;", "<skipped>", "-\n"]
_SEPARATORS = [" "] * 12 + ["", "", "\t", "\n", "\u00a0", "\u2009", "\u3000", "  "]
_EDGE = ["", " ", "\t\n", ".", "a", "aaaaaaaa", "3.5", "1,000", "&quot;x&quot;", "l'homme", "A-B", "😀👍🏽", "e\u0301"]


def _word(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.55:
        script = rng.choice(_SCRIPTS)
        return "".join(rng.choice(script) for _ in range(rng.randint(1, 7)))
    if kind < 0.7:
        return rng.choice(["3", "42", "2027", "3.14", "1,000", "-5", "7-8", "0.5."])
    if kind < 0.9:
        return rng.choice(_PUNCT)
    return rng.choice(["l'homme", "aujourd'hui", "e-mail", "x/y", "😀", "👍🏽", "e\u0301", "C++", "U.S.A."])


def _join(rng: random.Random, words: list[str]) -> str:
    return "".join(w + rng.choice(_SEPARATORS) for w in words).rstrip(" ") if words else ""


def random_pairs(seed: int, n: int) -> tuple[list[str], list[str]]:
    """Hypotheses and references that share words (so that high-order n-grams match):
    each reference is a random text, an edited hypothesis or an edge case."""
    rng = random.Random(seed)
    vocab = [_word(rng) for _ in range(50)]
    hyps, refs = [], []
    for i in range(n):
        words = [rng.choice(vocab) for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 13, 25, 50]))]
        hyps.append(_join(rng, words) if i % 9 else rng.choice(_EDGE))
        kind = rng.random()
        if kind < 0.4:
            edited = [w for w in words if rng.random() > 0.2]
            edited = [rng.choice(vocab) if rng.random() < 0.1 else w for w in edited]
            if edited and rng.random() < 0.5:
                edited.insert(rng.randrange(len(edited)), rng.choice(vocab))
            refs.append(_join(rng, edited))
        elif kind < 0.9:
            refs.append(_join(rng, [rng.choice(vocab) for _ in range(rng.choice([0, 1, 3, 8, 20, 40]))]))
        else:
            refs.append(rng.choice(_EDGE))
    return hyps, refs


def _stats(counts, t: int) -> list[Counter]:
    """Text ``t``'s n-gram counts per order, keyed by column."""
    row = counts.counts.getrow(t)
    out = []
    for n in range(counts.max_order):
        lo, hi = counts.offsets[n], counts.offsets[n + 1]
        out.append(Counter({int(c): int(v) for c, v in zip(row.indices, row.data) if lo <= c < hi}))
    return out


def _match(a: Counter, b: Counter) -> int:
    return sum(min(v, b[g]) for g, v in a.items())


# --- the shared statistics routine -------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_chrf_statistics_are_sacrebleus(seed: int) -> None:
    hyps, refs = random_pairs(seed, 60)
    counts = ngram_counts(hyps + refs, "chrf")
    assert counts.max_order == 6 and counts.counts.shape[1] == len(counts.column_order())
    for t, text in enumerate(hyps + refs):
        want = extract_all_char_ngrams(text, 6)
        got = _stats(counts, t)
        assert [sorted(c.values()) for c in got] == [sorted(c.values()) for c in want]
        assert list(counts.totals[t]) == [sum(c.values()) for c in want]
    chrf = CHRF()
    for i, (h, r) in enumerate(zip(hyps, refs)):
        hs, rs = _stats(counts, i), _stats(counts, len(hyps) + i)
        th, tr = counts.totals[i], counts.totals[len(hyps) + i]
        # sacrebleu zeroes the hypothesis count of an order the reference lacks (a no-op for a sentence score)
        got = [x for n in range(6) for x in (th[n] if tr[n] else 0, tr[n], _match(hs[n], rs[n]))]
        assert got == chrf._extract_corpus_statistics([h], [[r]])[0]


@pytest.mark.parametrize("lang", [None, "fr", "zh", "ja"])
def test_bleu_statistics_are_sacrebleus(lang: str | None) -> None:
    hyps, refs = random_pairs(2, 60)
    counts = ngram_counts(hyps + refs, "bleu", lang)
    bleu = BLEU(tokenize=tokenizer_for(lang), effective_order=True)
    for t, text in enumerate(hyps + refs):
        want, length = extract_all_word_ngrams(bleu.tokenizer(text.rstrip()), 1, 4)
        by_order = [sorted(v for g, v in want.items() if len(g) == n) for n in range(1, 5)]
        assert [sorted(c.values()) for c in _stats(counts, t)] == by_order
        assert counts.totals[t, 0] == length
    for i, (h, r) in enumerate(zip(hyps, refs)):
        hs, rs = _stats(counts, i), _stats(counts, len(hyps) + i)
        got = ([int(counts.totals[i, 0]), int(counts.totals[len(hyps) + i, 0])]
               + [_match(hs[n], rs[n]) for n in range(4)] + [int(x) for x in counts.totals[i]])
        assert got == bleu._extract_corpus_statistics([h], [[r]])[0]


def test_unknown_metric() -> None:
    with pytest.raises(ValueError):
        ngram_counts(["a"], "ter")
    with pytest.raises(ValueError):
        NgramMatch(["a"], ["a"], 2, metric="ter")


# --- formulas on statistics ----------------------------------------------------


def test_formulas_equal_sacrebleus_on_random_statistics() -> None:
    rng = np.random.default_rng(3)
    k = 3000
    hyp_len, ref_len = rng.integers(0, 40, k), rng.integers(0, 40, k)
    orders = np.arange(6)
    hyp_tot = np.maximum(hyp_len[:, None] - orders, 0)
    ref_tot = np.maximum(ref_len[:, None] - orders, 0)
    match = np.minimum(rng.integers(0, 30, (k, 6)) * (rng.random((k, 6)) < 0.7), np.minimum(hyp_tot, ref_tot))
    chrf = CHRF()
    want = [chrf._compute_f_score([int(x) for n in range(6) for x in (hyp_tot[i, n], ref_tot[i, n], match[i, n])])
            for i in range(k)]
    np.testing.assert_allclose(chrf_from_stats(hyp_tot, ref_tot, match), want, rtol=0, atol=TOL)
    h4, m4 = hyp_tot[:, :4], match[:, :4]
    want = [BLEU.compute_bleu(list(map(int, m4[i])), list(map(int, h4[i])), int(hyp_len[i]), int(ref_len[i]),
                              smooth_method="exp", effective_order=True).score for i in range(k)]
    np.testing.assert_allclose(bleu_from_stats(h4, m4, hyp_len, ref_len), want, rtol=0, atol=TOL)


# --- mining: all-pairs chrF -------------------------------------------------


@pytest.mark.parametrize("seed", [4, 5])
def test_chrf_pairwise_equals_sentence_chrf(seed: int) -> None:
    hyps, refs = random_pairs(seed, 45)
    refs = refs + _EDGE
    got = chrf_pairwise(hyps, refs)
    want = np.array([[sacrebleu.sentence_chrf(h, [r]).score for r in refs] for h in hyps])
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    assert (want > 50).sum() > 20 and (want == 0).sum() > 20  # the data covers high, low and zero scores
    allowed = np.random.default_rng(seed).random(want.shape) < 0.5
    np.testing.assert_allclose(chrf_pairwise(hyps, refs, allowed), np.where(allowed, want, 0.0), rtol=0, atol=TOL)


# --- docalign: NgramMatch ----------------------------------------------------


@pytest.mark.parametrize("metric,lang", [("chrf", None), ("bleu", None), ("bleu", "zh"), ("bleu", "ja")])
def test_ngram_match_1_1_is_sacrebleus_sentence_score(metric: str, lang: str | None) -> None:
    hyps, refs = random_pairs(6, 40)
    ng = NgramMatch(hyps, refs, max_overlap=3, metric=metric, lang=lang)
    I, J = (x.ravel() + 1 for x in np.meshgrid(np.arange(len(hyps)), np.arange(len(refs)), indexing="ij"))
    got = ng.values(1, 1, I, J) * 100
    if metric == "chrf":
        want = [sacrebleu.sentence_chrf(hyps[i - 1], [refs[j - 1]]).score for i, j in zip(I, J)]
    else:
        want = [sacrebleu.sentence_bleu(hyps[i - 1], [refs[j - 1]], tokenize=tokenizer_for(lang)).score
                for i, j in zip(I, J)]
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    assert np.count_nonzero(want) > len(want) // 10
    scorer = CHRF() if metric == "chrf" else BLEU(tokenize=tokenizer_for(lang), effective_order=True)
    scorer.sentence_score(hyps[0], [refs[0]])
    assert ng.signature == str(scorer.get_signature())


@pytest.mark.parametrize("metric", ["chrf", "bleu"])
def test_ngram_match_runs_sum_sentence_statistics(metric: str) -> None:
    """A bead of several sentences scores their summed n-gram counts with sacrebleu's formula
    (n-grams across a sentence boundary are not counted)."""
    hyps, refs = random_pairs(7, 30)
    ng = NgramMatch(hyps, refs, max_overlap=3, metric=metric)
    bleu = BLEU(effective_order=True)

    def counters(text: str) -> list[Counter]:
        if metric == "chrf":
            return extract_all_char_ngrams(text, 6)
        grams = extract_all_word_ngrams(bleu.tokenizer(text.rstrip()), 1, 4)[0]
        return [Counter({g: v for g, v in grams.items() if len(g) == n}) for n in range(1, 5)]

    def run(texts: list[str]) -> list[Counter]:
        return [sum((c[n] for c in map(counters, texts)), Counter()) for n in range(ng.max_order)]

    rng = np.random.default_rng(7)
    for a in (1, 2, 3):
        for b in (1, 2, 3):
            I, J = rng.integers(a, len(hyps) + 1, 25), rng.integers(b, len(refs) + 1, 25)
            got = ng.values(a, b, I, J) * 100
            for i, j, g in zip(I, J, got):
                h, r = run(hyps[i - a:i]), run(refs[j - b:j])
                tot_h, tot_r = [sum(c.values()) for c in h], [sum(c.values()) for c in r]
                match = [_match(x, y) for x, y in zip(h, r)]
                if metric == "chrf":
                    want = CHRF()._compute_f_score([x for n in range(6) for x in (tot_h[n], tot_r[n], match[n])])
                else:
                    want = BLEU.compute_bleu(match, tot_h, tot_h[0], tot_r[0], "exp", effective_order=True).score
                assert g == pytest.approx(want, abs=TOL)


# --- reported scores ---------------------------------------------------------


@pytest.mark.parametrize("lang", [None, "de", "zh", "ja", "th"])
def test_reported_scores_and_signatures_are_sacrebleus(lang: str | None) -> None:
    hyps, refs = random_pairs(8, 25)
    tok = {"zh": "zh", "ja": "char", "th": "char"}.get(lang or "", "13a")
    bleu, chrf = BLEU(tokenize=tok, effective_order=True), CHRF()
    for h, r in zip(hyps, refs):
        s = sentence_scores(h, r, lang)
        assert s.bleu == sacrebleu.sentence_bleu(h, [r], tokenize=tok).score == bleu.sentence_score(h, [r]).score
        assert s.chrf == sacrebleu.sentence_chrf(h, [r]).score == chrf.sentence_score(h, [r]).score
        assert s.bleu_signature == str(bleu.get_signature()) == sentence_signature("bleu", lang)
        assert s.chrf_signature == str(chrf.get_signature()) == sentence_signature("chrf", lang)
    assert f"tok:{tok}|" in s.bleu_signature and "eff:yes" in s.bleu_signature
    c = corpus_scores(hyps, refs, lang)
    bleu_c = BLEU(tokenize=tok)
    assert c.bleu == sacrebleu.corpus_bleu(hyps, [refs], tokenize=tok).score == bleu_c.corpus_score(hyps, [refs]).score
    assert c.chrf == sacrebleu.corpus_chrf(hyps, [refs]).score
    assert c.bleu_signature == str(bleu_c.get_signature()) and "eff:no" in c.bleu_signature
    assert c.chrf_signature == str(chrf.get_signature())


# --- the checks above can fail -----------------------------------------------


def test_the_random_text_tells_wrong_variants_apart() -> None:
    """What the tests above would miss, the data must not hide: a hand-written
    tokenizer, kept whitespace or an off-by-one count all change scores beyond TOL."""
    hyps, refs = random_pairs(9, 60)
    bleu = BLEU(effective_order=True)
    hand = re.compile(r"\w+|[^\w\s]")
    differ = sum(hand.findall(t) != bleu.tokenizer(t.rstrip()).split() for t in hyps + refs)
    assert differ > 10
    chrf_ws = CHRF(whitespace=True)
    assert any(abs(chrf_ws.sentence_score(h, [r]).score - sacrebleu.sentence_chrf(h, [r]).score) > TOL
               for h, r in zip(hyps, refs))
    counts = ngram_counts(hyps + refs, "chrf")
    n = len(hyps)
    match = np.array([[_match(a, b) for a, b in zip(_stats(counts, i), _stats(counts, n + i))] for i in range(n)])
    right = chrf_from_stats(counts.totals[:n], counts.totals[n:], match)
    wrong = chrf_from_stats(counts.totals[:n] + 1, counts.totals[n:], match)
    assert np.abs(right - wrong).max() > 1e-3
