"""``align score``: sacrebleu BLEU and chrF, sentence by sentence and for the corpus."""

from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("score", help="BLEU/chrF of hypothesis lines against reference lines")
    p.add_argument("--hyp", required=True, help="hypotheses, one per line")
    p.add_argument("--ref", required=True, help="references, one per line, aligned with --hyp")
    p.add_argument("--lang", help="reference language (chooses the BLEU tokenizer)")
    p.add_argument("--sentences", help="also write per-line scores as JSONL here")
    p.set_defaults(func=main)


def _lines(path: str) -> list[str]:
    from ..types import InputError

    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8 text") from None


def main(args) -> int:
    from ..export import atomic_write_text
    from ..metrics.bleu import corpus_scores, sentence_scores
    from ..segment.langid import check_languages
    from ..types import InputError

    if args.lang is not None:
        check_languages([args.lang], "--lang")
    hyps, refs = _lines(args.hyp), _lines(args.ref)
    if len(hyps) != len(refs):
        raise InputError(f"{args.hyp} has {len(hyps)} lines but {args.ref} has {len(refs)}")
    if not hyps:
        raise InputError(f"{args.hyp} is empty")
    if args.sentences:
        rows = []
        for i, (h, r) in enumerate(zip(hyps, refs)):
            s = sentence_scores(h, r, args.lang)
            rows.append(json.dumps({"line": i, "bleu": s.bleu, "chrf": s.chrf}))
        atomic_write_text(args.sentences, "\n".join(rows) + "\n")
    c = corpus_scores(hyps, refs, args.lang)
    print(json.dumps({"lines": len(hyps), "bleu": c.bleu, "chrf": c.chrf,
                      "bleu_signature": c.bleu_signature, "chrf_signature": c.chrf_signature}))
    return 0
