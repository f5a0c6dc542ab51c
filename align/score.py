"""BLEU and chrF for mined pairs: the MT of one side against the other side.

The direction prefers a model that translates straight into the other side's
language; failing that, the side in the pivot language is the reference and
the other side's pivot translation the hypothesis; failing that, both pivot
translations are compared. Each pair records which it was.
"""

from __future__ import annotations

from collections import defaultdict

from .metrics.bleu import corpus_scores, sentence_scores
from .types import Pair


def score_pairs(pairs: list[Pair], translators: dict[tuple[str, str], object], pivot: str,
                known: dict[tuple[str, str, str], str] | None = None) -> None:
    """Fill ``bleu``/``chrf`` and their signatures on each pair, in place.

    ``known``: translations already made, ``(source lang, target lang, text) ->
    translation`` (the similarity step's); only the rest are requested.
    """
    jobs = []  # (pair, hypothesis source, translator key or None, reference, ref lang, how)
    for p in pairs:
        a = (p.src_lang, p.src)
        b = (p.tgt_lang, p.tgt)
        for (hl, ht), (rl, rt) in ((a, b), (b, a)):
            if (hl, rl) in translators:
                jobs.append((p, [(hl, rl, ht)], (rl, rt), f"{hl}->{rl}"))
                break
        else:
            for (hl, ht), (rl, rt) in ((a, b), (b, a)):
                if rl == pivot and (hl, pivot) in translators:
                    jobs.append((p, [(hl, pivot, ht)], (rl, rt), f"{hl}->{rl}"))
                    break
            else:
                if (a[0], pivot) in translators and (b[0], pivot) in translators:
                    jobs.append((p, [(a[0], pivot, a[1]), (b[0], pivot, b[1])], None,
                                 f"{a[0]}->{pivot} vs {b[0]}->{pivot}"))
    # Translate every needed text once per direction, in one batch each.
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, requests, _, _ in jobs:
        for src, tgt, text in requests:
            wanted[(src, tgt)].add(text)
    known = known or {}
    done: dict[tuple[str, str, str], str] = {}
    for key, texts in wanted.items():
        done.update({(*key, t): known[(*key, t)] for t in texts if (*key, t) in known})
        ordered = sorted(t for t in texts if (*key, t) not in done)
        for text, out in zip(ordered, translators[key].translate(ordered)):
            done[(*key, text)] = out
    for p, requests, ref, how in jobs:
        hyp = done[requests[0]]
        ref_lang, ref_text = (pivot, done[requests[1]]) if ref is None else ref
        s = sentence_scores(hyp, ref_text, ref_lang)
        p.bleu, p.chrf = s.bleu, s.chrf
        p.bleu_signature, p.chrf_signature = s.bleu_signature, s.chrf_signature
        p.meta["mt_hypothesis"] = hyp
        p.meta["bleu_direction"] = how
        if ref is None:
            p.meta["mt_reference"] = ref_text


def corpus_summary(pairs: list[Pair]) -> dict[str, dict]:
    """Corpus BLEU and chrF per language pair and MT direction, over pairs with MT."""
    groups: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for p in pairs:
        if p.bleu is not None and "mt_hypothesis" in p.meta:
            groups[(f"{p.src_lang}-{p.tgt_lang}", p.meta["bleu_direction"])].append(p)
    out: dict[str, dict] = {}
    for (lang_pair, how), group in sorted(groups.items()):
        ref_lang = how.split("->")[-1]
        refs = [p.meta.get("mt_reference") or (p.src if p.src_lang == ref_lang else p.tgt) for p in group]
        s = corpus_scores([p.meta["mt_hypothesis"] for p in group], refs, ref_lang)
        out.setdefault(lang_pair, {})[how] = {
            "pairs": len(group), "bleu": s.bleu, "chrf": s.chrf,
            "bleu_signature": s.bleu_signature, "chrf_signature": s.chrf_signature,
        }
    return out
