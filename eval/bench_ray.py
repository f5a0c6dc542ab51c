"""Throughput of ``align run`` on the local engine (1 and 2 workers) and the Ray engine (2 actors).

    python eval/bench_ray.py                        # 2,000 and 20,000 articles
    python eval/bench_ray.py --n 2000 --engines local1 ray2

For each ``--n``, ``eval/make_articles.py`` writes that many synthetic
articles (needs ../shared/data/tatoeba) as JSONL shards of ``--shard-size``
lines. Each engine runs the real command in its own process
(``python -m align -q run --input DIR --no-resume ...``), embedding cache
off, one after the other on this machine:

* docs/s: documents over the processing loop (summary.json
  ``timing.docs_per_s``; model loading and Ray's start excluded) and over
  the whole command (wall);
* peak memory: the largest summed RSS of the command's process tree (for
  Ray: the driver, its local Ray's raylet and GCS, and the actors), sampled
  every 0.2 s;
* Ray's overhead: its start (``load_s``) and, per document, the extra wall
  time against the local engine with as many workers as actors;
* I/O: input bytes per document, and the bytes the driver writes per
  document (parquet shards, records, manifests).

Then a model of the time on N nodes from these figures (printed with them).
Every engine must give the same documents and pairs (checked).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = {
    "local1": ["--workers", "1"],
    "local2": ["--workers", "2"],
    "ray2": ["--engine", "ray", "--actors", "2"],
}


def _load_make_articles():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_articles", ROOT / "eval" / "make_articles.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_articles"] = mod
    spec.loader.exec_module(mod)
    return mod


def make_shards(folder: Path, n: int, shard_size: int) -> Path:
    _load_make_articles().main(["--n", str(n), "--out", str(folder / "gen"), "--format", "jsonl", "--seed", "0"])
    shards = folder / "shards"
    shards.mkdir()
    with (folder / "gen" / "articles.jsonl").open(encoding="utf-8") as f:
        lines = f.readlines()
    for k in range(0, n, shard_size):
        (shards / f"news-{k // shard_size:05d}.jsonl").write_text("".join(lines[k:k + shard_size]), encoding="utf-8")
    return shards


def _tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of ``pid`` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        for child, parent in parents.items():
            if parent == p and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(rss.get(p, 0) for p in tree)


def run(shards: Path, out: Path, engine: str, cfg: Path) -> dict:
    cmd = [sys.executable, "-m", "align", "-q", "run", "--config", str(cfg), "--input", str(shards),
           "--output", str(out), "--no-resume", *ENGINES[engine]]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{engine} failed ({proc.returncode}): {err.strip().splitlines()[-1:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()
                  and (engine.startswith("ray") or f.parts[-2:-1] != ("dataset",)))
    t = summary["timing"]
    return {"engine": engine, "wall_s": wall, "docs_per_s": t["docs_per_s"],
            # Local workers fork with the loaded models; Ray's actors load theirs after the loop starts.
            "steady_docs_per_s": t.get("steady_docs_per_s") or t["docs_per_s"],
            "start_s": t["load_s"] + (t.get("actors_start_s") or 0), "commit_s": t.get("commit_s"),
            "documents": summary["documents"], "pairs": summary["pairs"],
            "peak_rss_mib": peak / 2**20, "written_bytes": written}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[2000, 20000], help="articles (default 2000 20000)")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    ap.add_argument("--shard-size", type=int, default=500, help="articles per JSONL shard (default 500)")
    args = ap.parse_args(argv)
    print(f"# bench_ray: {os.cpu_count()} CPUs, engines {' '.join(args.engines)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        cfg = Path(tmp) / "cfg.yaml"
        cfg.write_text("similarity:\n  cache_dir: ''\n", encoding="utf-8")
        for n in args.n:
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            shards = make_shards(folder, n, args.shard_size)
            in_bytes = sum(f.stat().st_size for f in shards.iterdir())
            print(f"\n## {n} articles, {len(list(shards.iterdir()))} shards, {in_bytes / n:.0f} input bytes/doc",
                  flush=True)
            print("| engine | docs/s (steady) | docs/s (wall) | wall s | start s | peak RSS MiB | pairs |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            results = {}
            for engine in args.engines:
                r = results[engine] = run(shards, folder / engine, engine, cfg)
                print(f"| {engine} | {r['steady_docs_per_s']:.2f} | {n / r['wall_s']:.2f} | {r['wall_s']:.0f} | "
                      f"{r['start_s']:.1f} | {r['peak_rss_mib']:.0f} | {r['pairs']} |", flush=True)
            if len({(r["documents"], r["pairs"]) for r in results.values()}) != 1:
                raise SystemExit(f"engines disagree: {[(e, r['documents'], r['pairs']) for e, r in results.items()]}")
            if "ray2" in results:
                ray = results["ray2"]
                rate = ray["steady_docs_per_s"] / 2
                driver = ray["commit_s"] / n  # the driver's seconds per document, committing shards
                print(f"\nray2: {rate:.2f} docs/s per actor (steady); start {ray['start_s']:.1f} s (Ray, then "
                      f"actors loading models); driver commits {1000 * driver:.2f} ms/doc and writes "
                      f"{ray['written_bytes'] / n:.0f} bytes/doc")
                if "local2" in results:
                    local = results["local2"]
                    extra = 1 / ray["steady_docs_per_s"] - 1 / local["steady_docs_per_s"]
                    print(f"ray2 vs local2: overhead {1000 * extra:.1f} ms/doc at steady state, start "
                          f"{ray['start_s'] - local['start_s']:+.1f} s, wall ratio {ray['wall_s'] / local['wall_s']:.2f}, "
                          f"peak memory {ray['peak_rss_mib'] - local['peak_rss_mib']:+.0f} MiB")
                cap = 1 / driver if driver else float("inf")
                print(f"model: T(docs, N nodes x c CPUs) ~ {ray['start_s']:.0f} s + docs / min(N*c*{rate:.2f}, "
                      f"{cap:.0f}) s (actors, or the driver's commits); 1M docs on 10 x 16 CPUs: "
                      f"{(ray['start_s'] + 1e6 / min(160 * rate, cap)) / 60:.0f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
