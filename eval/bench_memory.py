"""Memory under load: peak RSS of ``align run`` as the corpus grows.

Usage::

    python eval/bench_memory.py [--sizes 1000,10000] [--seed 0] [--format jsonl|txt]
                                [--keep DIR] [--interval 0.5] [--json FILE] [--workers 1]

For each size, generates that many synthetic seed-shaped articles with
``eval/make_articles.py`` (the first k articles of every size are the same),
then runs ``python -m align -q run --input CORPUS --output OUT --workers 1`` (offline
default config; by default with a new, empty embedding cache per size, so
every run encodes everything: ``--cache``) in a child process and reports:

* **peak RSS**: the child's ``ru_maxrss`` from ``os.wait4`` (this child only,
  not the benchmark or the generator);
* **RSS along the run**: ``VmRSS`` and ``RssAnon`` (resident memory not backed
  by a file) from ``/proc/PID/status``, sampled every ``--interval`` seconds
  together with the number of documents in the run's work log: RSS at 10 %,
  50 % and 90 % of the documents mined, and the highest sample once all are
  mined (writing the outputs: the dataset's Arrow files are memory-mapped
  while ``save_to_disk``/``to_parquet`` read them, so file-backed pages count
  in VmRSS there);
* **docs/s** over mining (the child's summary.json ``timing.docs_per_s``) and
  wall seconds of the whole child.

Flat memory means the peak at 10,000 articles is about the peak at 1,000:
documents stream in one at a time, results go to the on-disk work log, and
the outputs are written in a streaming pass over it (see align/runner.py).

The last line is machine-readable::

    rss_mib[1000]=X rss_mib[10000]=Y ...
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_make_articles():
    spec = importlib.util.spec_from_file_location("make_articles", HERE / "make_articles.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader
    sys.modules["make_articles"] = mod
    spec.loader.exec_module(mod)
    return mod


def _rss_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, RssAnon) of ``pid`` in KiB: all resident memory, and the part not backed by files."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon"):
                    found[key] = int(line.split()[1])
    except (OSError, ValueError):
        return None
    return (found["VmRSS"], found.get("RssAnon", found["VmRSS"])) if "VmRSS" in found else None


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def run_one(corpus: Path, out: Path, n: int, interval: float, config: Path | None = None, workers: int = 1) -> dict:
    """Run ``align run`` on ``corpus`` in a child; sample its RSS; return the figures."""
    log = out.parent / f".{out.name}.work" / "done.jsonl"
    cmd = [sys.executable, "-m", "align", "-q", "run", "--input", str(corpus), "--output", str(out),
           "--workers", str(workers)]
    if config is not None:
        cmd += ["--config", str(config)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, int, int, int]] = []  # (seconds, docs in the work log, VmRSS, RssAnon KiB)
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _rss_kib(proc.pid)
        if rss is not None:
            samples.append((time.perf_counter() - started, _count_lines(log), *rss))
        time.sleep(interval)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"align run failed (exit {proc.returncode}): {stderr.strip()[-2000:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))

    def mib(kib: float | None) -> float | None:
        return None if kib is None else round(kib / 1024, 1)

    def rss_at(frac: float, col: int = 2) -> float | None:
        """RSS at the first sample with ``frac`` of the documents mined (still mining)."""
        hit = [s[col] for s in samples if frac * n <= s[1] < n]
        return mib(hit[0]) if hit else None

    writing = [s for s in samples if s[1] >= n]  # every document mined: writing the outputs
    return {
        "documents": summary["documents"],
        "pairs": summary["pairs"],
        "peak_rss_mib": round(rusage.ru_maxrss / 1024, 1),  # Linux: KiB
        "rss_mib_at_10pct": rss_at(0.1),
        "rss_mib_at_50pct": rss_at(0.5),
        "rss_mib_at_90pct": rss_at(0.9),
        "anon_mib_at_90pct": rss_at(0.9, 3),
        "rss_mib_max_while_writing": mib(max(s[2] for s in writing)) if writing else None,
        "anon_mib_max_while_writing": mib(max(s[3] for s in writing)) if writing else None,
        "anon_mib_max": mib(max(s[3] for s in samples)) if samples else None,
        "docs_per_s": summary["timing"]["docs_per_s"],
        "wall_s": round(wall, 1),
        "samples": len(samples),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["jsonl", "txt"], default="jsonl", help="corpus as one JSONL file or a folder")
    ap.add_argument("--keep", help="keep corpora and outputs under this folder (default: a temp folder)")
    ap.add_argument("--interval", type=float, default=0.5, help="RSS sampling interval in seconds")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per size (RSS varies by some 20-40 MiB from run to run); the median peak is reported")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--workers", type=int, default=1,
                    help="align run --workers (default 1: one process, whose memory is what is sampled; with "
                         "more, peak RSS is the largest of the parent and its workers, and samples are the parent's)")
    ap.add_argument("--cache", choices=["fresh", "off", "user"], default="fresh",
                    help="embedding/translation caches: a new empty one per size (default), none, "
                         "or the user's (~/.cache/align: a rerun then encodes nothing)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        ap.error("--sizes needs positive integers")

    make_articles = _load_make_articles()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_memory_"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"# align run memory benchmark  {_dt.datetime.now().isoformat(timespec='seconds')}")
    print(f"# {platform.platform()}  python {platform.python_version()}  cpus {os.cpu_count()}  "
          f"load {os.getloadavg()[0]:.2f}  format {args.format}  cache {args.cache}  dir {base}")
    results = {}
    for n in sizes:
        t = time.perf_counter()
        corpus = make_articles.generate(n, base / f"corpus_{n}", seed=args.seed, fmt=args.format)
        gen_s = time.perf_counter() - t
        runs = []
        for rep in range(args.repeats):
            out = base / f"out_{n}"
            config = None
            if args.cache != "user":
                cache = "" if args.cache == "off" else str(base / f"cache_{n}")
                if cache:
                    shutil.rmtree(cache, ignore_errors=True)
                config = base / f"config_{n}.yaml"
                config.write_text(f"similarity:\n  cache_dir: {json.dumps(cache)}\n"
                                  f"translation:\n  cache_dir: {json.dumps(cache)}\n", encoding="utf-8")
            shutil.rmtree(out, ignore_errors=True)
            r = run_one(corpus, out, n, args.interval, config, args.workers)
            r["generate_s"] = round(gen_s, 1)
            runs.append(r)
            print(f"{n:>7} articles: peak RSS {r['peak_rss_mib']:6.1f} MiB | mining: RSS at 10% {r['rss_mib_at_10pct']}, "
                  f"50% {r['rss_mib_at_50pct']}, 90% {r['rss_mib_at_90pct']} (anon {r['anon_mib_at_90pct']}) | "
                  f"writing outputs: max RSS {r['rss_mib_max_while_writing']} "
                  f"(anon {r['anon_mib_max_while_writing']}) | "
                  f"{r['docs_per_s']:.1f} docs/s, wall {r['wall_s']:.0f} s, {r['pairs']} pairs", flush=True)
        peaks = sorted(r["peak_rss_mib"] for r in runs)
        results[n] = {"peak_rss_mib": round(statistics.median(peaks), 1), "peak_rss_mib_runs": peaks,
                      "docs_per_s": round(statistics.median(r["docs_per_s"] for r in runs), 2), "runs": runs}
    if args.repeats > 1:
        for n, r in results.items():
            print(f"{n:>7} articles: median peak RSS {r['peak_rss_mib']:.1f} MiB over {args.repeats} runs "
                  f"(runs: {', '.join(map(str, r['peak_rss_mib_runs']))}); median {r['docs_per_s']:.1f} docs/s")
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        growth = results[hi]["peak_rss_mib"] - results[lo]["peak_rss_mib"]
        print(f"peak RSS growth from {lo} to {hi} articles: {growth:+.1f} MiB "
              f"({growth / results[lo]['peak_rss_mib'] * 100:+.1f} %)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(" ".join(f"rss_mib[{n}]={r['peak_rss_mib']}" for n, r in results.items()))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
