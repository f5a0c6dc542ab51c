"""``align eval``: strict and lax precision/recall/F1 of sentence alignments against gold.

Vecalign's scorer convention (the one behind the published Text+Berg figures;
see :mod:`align.metrics.alignment`). Several documents: pass ``--gold`` and
``--pred`` once each per document, in the same order; counts are summed. The
table goes to stdout; its last line is ``strict_f1=0.xxx lax_f1=0.xxx``.
"""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="strict/lax P/R/F1 of alignments against gold ([i, j]:[k] lines)")
    p.add_argument("--gold", required=True, nargs="+", help="gold alignment file(s)")
    p.add_argument("--pred", required=True, nargs="+", help="predicted alignment file(s), e.g. DIR/alignments.txt")
    p.add_argument("--json", help="also write the scores as JSON here")
    p.set_defaults(func=main)


def main(args) -> int:
    import json
    from pathlib import Path

    from ..export import atomic_write_text
    from ..export.beads import read_beads
    from ..metrics.alignment import format_table, score_documents
    from ..types import ConfigError

    if len(args.gold) != len(args.pred):
        raise ConfigError(f"{len(args.gold)} gold file(s) but {len(args.pred)} predicted file(s)")
    golds = [read_beads(p) for p in args.gold]
    preds = [read_beads(p) for p in args.pred]
    per_doc, overall = score_documents(golds, preds)
    names = [Path(p).name if len(set(map(lambda q: Path(q).name, args.pred))) == len(args.pred) else str(p)
             for p in args.pred]
    print(format_table(names, per_doc, overall))
    if args.json:
        rec = {"overall": overall.as_dict(),
               "documents": [{"gold": g, "pred": p, **s.as_dict()} for g, p, s in zip(args.gold, args.pred, per_doc)]}
        atomic_write_text(args.json, json.dumps(rec, indent=2) + "\n")
    print(f"strict_f1={overall.f1_strict:.3f} lax_f1={overall.f1_lax:.3f}")
    return 0
