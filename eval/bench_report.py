"""Time ``align report`` on the output of ``align run`` over 1,000 synthetic articles.

    python eval/bench_report.py                              # 1,000 articles, a temporary work dir
    python eval/bench_report.py --work /tmp/br               # keep articles and the run's output there
    python eval/bench_report.py --work /tmp/br --reuse       # rerun: skip the articles and ``align run``

``eval/make_articles.py`` writes ``--n`` articles (needs ../shared/data/tatoeba)
as one JSONL file under WORK/gen; ``align run`` (the real command in its own
process, embedding cache off) mines them once into WORK/out. With ``--reuse``
both steps are skipped when WORK/out/summary.json exists for the same ``--n``.

Then ``--rounds`` (3) builds of the report in this process, through the report
package's build function (imported before the clock: each round times the build
alone), min and median; then once the real
command, ``python -m align -q report WORK/out``, whose wall time includes the
interpreter's start and the imports. Prints documents, pairs, the times, the
size of index.html, of the whole report and its number of files, and checks
the targets: report under 10 s (median of the rounds, and the command), index.html
under 2 MB. Exit status 1 when a target is missed. ``--copies`` (10) then
times one report of the run repeated under new ids (10,000 documents), with
no target. Last line: ``report_s=… cli_s=… index_mb=… total_mb=… files=…``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_S = 10.0
MAX_INDEX = 2 * 1000 * 1000  # bytes: "2 MB"


def mine(work: Path, n: int, reuse: bool) -> Path:
    """WORK/out: ``align run`` over n generated articles, made once."""
    out = work / "out"
    stamp = work / "bench_report.json"
    if reuse and (out / "summary.json").exists() and stamp.exists() \
            and json.loads(stamp.read_text(encoding="utf-8")).get("n") == n:
        print(f"reusing {out}", flush=True)
        return out
    gen = work / "gen"
    t0 = time.perf_counter()
    import make_articles  # beside this script: python puts eval/ on sys.path

    make_articles.main(["--n", str(n), "--out", str(gen), "--format", "jsonl", "--seed", "0"])
    cfg = work / "cfg.yaml"
    cfg.write_text("similarity:\n  cache_dir: ''\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "align", "-q", "run", "--config", str(cfg), "--input", str(gen / "articles.jsonl"),
           "--output", str(out), "--no-resume"]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"align run failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    stamp.write_text(json.dumps({"n": n}), encoding="utf-8")
    print(f"align run on {n} articles: {time.perf_counter() - t0:.0f} s (generation included)", flush=True)
    return out


def _builder():
    """The report package's in-process build function: write_report(output_dir) -> index path."""
    from align.report import write_report

    return write_report


def replicate(out: Path, copies: int) -> Path:
    """OUT-xCOPIES: the run's documents and pairs repeated under new ids (``ID#k``), counts scaled.

    What the report does per document does not depend on the text, so this
    measures a 10,000-document report without mining 10,000 articles again.
    """
    import gzip

    dest = out.with_name(f"{out.name}-x{copies}")
    dest.mkdir(exist_ok=True)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("documents", "pairs"):
        summary[key] *= copies
    for key in ("labels", "language_pairs"):
        summary[key] = {k: v * copies for k, v in summary[key].items()}
    by_method = summary["similarity"]["documents_by_method"]
    summary["similarity"]["documents_by_method"] = {k: v * copies for k, v in by_method.items()}
    (dest / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with open(out / "pairs.jsonl", encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f]
    with open(dest / "pairs.jsonl", "w", encoding="utf-8") as f:
        for k in range(copies):
            for p in pairs:
                f.write(json.dumps({**p, "doc_id": f"{p['doc_id']}#{k}", "id": f"{p['id']}#{k}"}) + "\n")
    with gzip.open(out / "documents.jsonl.gz", "rt", encoding="utf-8") as f:
        views = [json.loads(line) for line in f]
    with gzip.open(dest / "documents.jsonl.gz", "wt", encoding="utf-8") as f:
        for k in range(copies):
            for v in views:
                f.write(json.dumps({**v, "doc_id": f"{v['doc_id']}#{k}"}) + "\n")
    return dest


def report_cli(out: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "align", "-q", "report", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"align report failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="articles (default 1000)")
    ap.add_argument("--work", help="work dir for the articles and the run's output (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="reuse WORK/out from an earlier run of this script")
    ap.add_argument("--rounds", type=int, default=3, help="timed builds of the report (default 3)")
    ap.add_argument("--copies", type=int, default=10, help="also time the report of the run repeated this many "
                    "times under new ids (default 10: 10,000 documents; 0: skip)")
    args = ap.parse_args(argv)
    print(f"# bench_report: {os.cpu_count()} CPUs, {args.n} articles", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        out = mine(work, args.n, args.reuse)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))

        build = _builder()
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            build(out)
            times.append(time.perf_counter() - t0)
        cli = report_cli(out)

        folder = out / "report"
        files = [f for f in folder.rglob("*") if f.is_file()]
        index = (folder / "index.html").stat().st_size
        total = sum(f.stat().st_size for f in files)
        median = statistics.median(times)
        print(f"documents: {summary['documents']}, pairs: {summary['pairs']}")
        print(f"report (in-process, {args.rounds} rounds): min {min(times):.2f} s, median {median:.2f} s")
        print(f"report (python -m align report, wall): {cli:.2f} s")
        print(f"index.html: {index} bytes ({index / 1e6:.2f} MB); report: {total} bytes ({total / 1e6:.2f} MB) "
              f"in {len(files)} files")
        checks = [(f"report median < {MAX_S:.0f} s", median < MAX_S), (f"align report wall < {MAX_S:.0f} s", cli < MAX_S),
                  (f"index.html < {MAX_INDEX / 1e6:.0f} MB", index < MAX_INDEX)]
        for what, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'} {what}")
        if args.copies > 1:
            big = replicate(out, args.copies)
            t0 = time.perf_counter()
            build(big)
            big_s = time.perf_counter() - t0
            big_index = (big / "report" / "index.html").stat().st_size
            print(f"x{args.copies} ({summary['documents'] * args.copies} documents, the run repeated under new ids): "
                  f"report {big_s:.2f} s, index.html {big_index / 1e6:.2f} MB")
        print(f"report_s={median:.2f} cli_s={cli:.2f} index_mb={index / 1e6:.2f} total_mb={total / 1e6:.2f} "
              f"files={len(files)}", flush=True)
        return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
