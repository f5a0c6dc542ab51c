"""Mining accuracy on real news pages: score a run against gold in ``news_dev``'s format.

Usage::

    python eval/eval_news.py                                   # mine ../shared/data/news_dev with the default config, then score
    python eval/eval_news.py --config configs/default.yaml --keep out/news
    python eval/eval_news.py --pred out/news                   # score an existing run (its pairs.jsonl)
    python eval/eval_news.py --gold other/gold.json --pred out/other -v   # -v: one line per gold segment

The pages are the ``*.txt`` files beside ``gold.json``; a document's id is its
file's stem, as ``align run`` names it. The measures are those of
``news_dev/README.md`` (see :mod:`align.metrics.news`): FULL and PARTIAL
recall@1, NONE segments labelled parallel, pairs on NEG pages, pairs of
not-foreign text on HARD pages; overall, per group and per main language.

Stdout: the tables, then one machine-readable last line::

    full_recall=0.xxx partial_recall=0.xxx none_false_parallel=N neg_false=N hard_false=N
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.config import load_config  # noqa: E402
from align.ingest.readers import read_documents  # noqa: E402
from align.metrics.news import format_report, score_news  # noqa: E402

DEFAULT_GOLD = ROOT.parent / "shared" / "data" / "news_dev" / "gold.json"


def mine(gold_path: Path, config: str | None, out: Path, workers: int) -> Path:
    from align.runner import run_corpus

    run_corpus(load_config(config), gold_path.parent, out, resume=False, progress=True, workers=workers)
    return out / "pairs.jsonl"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--pred", type=Path, help="a run's output dir or its pairs.jsonl (default: mine now)")
    ap.add_argument("--config", help="config for mining (default: the built-in default)")
    ap.add_argument("--keep", type=Path, help="mine into this directory and keep it")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per gold segment")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if not args.gold.is_file():
        print(f"eval_news: gold file not found: {args.gold}", file=sys.stderr)
        return 2
    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        if args.pred is None:
            pred = mine(args.gold, args.config, args.keep or Path(tmp) / "run", args.workers)
        else:
            pred = args.pred / "pairs.jsonl" if args.pred.is_dir() else args.pred
        pairs = [json.loads(line) for line in pred.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = {d.id: d.text for d in read_documents(args.gold.parent)}
    report = score_news(gold, texts, pairs)
    if args.verbose:
        for s in report.segments:
            best = s.best
            side = "" if not best else (best["tgt"] if best["src_lang"] == s.lang else best["src"])
            mark = "HIT " if s.hit else "miss" if s.relation != "NONE" else ("FP! " if s.false_parallel else "    ")
            score = f"{best['score']:.2f} {best['label']}" if best else "unpaired"
            print(f"{mark} {s.doc:7} {s.relation:7} {s.lang}->{s.main_lang} {score:16} "
                  f"{s.text[:50]!r} => {side[:70]!r}")
        print()
    print(format_report(report))
    print(report.summary_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
