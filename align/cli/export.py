"""``align export``: re-export (and optionally filter) a pairs.jsonl as a dataset."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    from ..types import LABELS

    p = sub.add_parser("export", help="export pairs.jsonl as a Hugging Face dataset, parquet and JSONL")
    p.add_argument("--pairs", required=True, help="a pairs.jsonl written by `align run`")
    p.add_argument("--output", required=True, help="output directory (replaced atomically)")
    p.add_argument("--config", help="YAML config (export.name, export.license)")
    p.add_argument("--min-score", type=float, default=None, help="keep pairs with at least this score")
    p.add_argument("--label", choices=LABELS, help="keep only pairs with this label")
    p.add_argument("--nway", action="store_true",
                   help="one row per cluster of parallel segments, a column per language (instead of one per pair)")
    p.set_defaults(func=main)


def main(args) -> int:
    from ..config import load_config
    from ..export import atomic_dir, atomic_write_text, export_all, read_pairs_jsonl, write_pairs_jsonl
    from ..export.nway import export_nway

    cfg = load_config(args.config)
    pairs = read_pairs_jsonl(args.pairs)
    kept = [p for p in pairs
            if (args.min_score is None or p.score >= args.min_score) and (args.label is None or p.label == args.label)]
    with atomic_dir(args.output) as tmp:
        write_pairs_jsonl(kept, tmp / "pairs.jsonl")
        info = {"source": str(args.pairs), "filters": {"min_score": args.min_score, "label": args.label}}
        if args.nway:
            exported = export_nway(kept, tmp, dataset_name=cfg.export.name, license=cfg.export.license,
                                   extra_card_info=info)
        else:
            exported = export_all(kept, tmp, dataset_name=cfg.export.name, license=cfg.export.license,
                                  extra_card_info=info)
        summary = {"pairs_in": len(pairs), "pairs": len(kept), **info, "export": exported}
        atomic_write_text(tmp / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    brief = {"pairs_in": len(pairs), "pairs": len(kept)}
    if args.nway:
        brief["clusters"] = exported["rows"]
    print(json.dumps(brief), file=sys.stderr)
    return 0
