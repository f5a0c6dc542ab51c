"""End-to-end throughput of this tree against an older commit, in one command.

Usage::

    python eval/bench_before_after.py --baseline REV [--n 1000] [--rounds 2]
                                      [--workers 1,2]

The ``align`` package of ``REV`` is unpacked (``git archive``) into a
temporary folder. Each round then runs ``eval/bench_mining.py`` (this tree's
copy, so both sides are measured the same way) once per variant, in a fresh
subprocess with ``PYTHONPATH`` pointing at that variant's package:

* ``before``: the baseline commit, one process;
* ``after``: this tree, once per ``--workers`` value.

Variants alternate within a round (before, after, before, after, ...), so a
change in machine load hits both sides alike. For each variant the best
(highest docs/s) round is reported, with its per-stage seconds for the
one-process variants, the ratio against ``before``, peak RSS and F1 (which
must not change), how each variant's pairs.jsonl differs from the
baseline's, and whether all runs of this tree agree as runs must (the same
pairs in the same order, numbers within 1e-5: worker counts change BLAS
thread counts, hence float noise; nothing is promised bit for bit).

The last line is machine-readable::

    speedup_after_w1=X.XX speedup_after_w2=Y.YY
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unpack_package(rev: str, dest: Path) -> None:
    """``align/`` as it was at ``rev``, under ``dest``."""
    archive = dest / "align.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "align"], stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()


def run_variant(package_root: Path, n: int, workers: int, keep: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    out_json = keep / "figures.json"
    cmd = [sys.executable, str(ROOT / "eval" / "bench_mining.py"), "--n", str(n), "--repeats", "1",
           "--show", "0", "--workers", str(workers), "--json", str(out_json), "--keep", str(keep)]
    done = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_mining failed for {package_root} (workers={workers}):\n{done.stderr[-2000:]}")
    figures = json.loads(out_json.read_text(encoding="utf-8"))
    figures["pairs_path"] = str(keep / "out" / "pairs.jsonl")
    return figures


def compare_pairs(got: Path, want: Path) -> str:
    """How two runs' pairs.jsonl differ: ids, labels, and the largest score difference."""
    def load(path: Path) -> dict[str, dict]:
        return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}

    a, b = load(got), load(want)
    if a.keys() != b.keys():
        return f"different pairs ({len(a.keys() ^ b.keys())} ids in only one run)"
    labels = sum(a[k]["label"] != b[k]["label"] for k in a)
    score = max((abs(a[k]["score"] - b[k]["score"]) for k in a), default=0.0)
    return f"same {len(a)} pair ids, {labels} labels differ, max |score difference| {score:.1e}"


def _largest_difference(a, b, path: str = "") -> float:
    """The largest |difference| between the numbers of ``a`` and ``b``; ValueError naming the first other difference."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return abs(a - b)
    elif isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return max((_largest_difference(a[k], b[k], f"{path}.{k}") for k in a), default=0.0)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max((_largest_difference(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b))), default=0.0)
    elif a == b:
        return 0.0
    raise ValueError(path or "the record")


def agree(got: Path, want: Path) -> tuple[float, str | None]:
    """Two runs' pairs.jsonl: the largest |number difference|, and the first other difference (None if none)."""
    a, b = ([json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()] for p in (got, want))
    if len(a) != len(b):
        return 0.0, f"{len(a)} vs {len(b)} pairs"
    worst = 0.0
    for i, (x, y) in enumerate(zip(a, b)):
        try:
            worst = max(worst, _largest_difference(x, y))
        except ValueError as e:
            return worst, f"pair {i} ({y.get('id')}) differs at {e}"
    return worst, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare against")
    ap.add_argument("--n", type=int, default=1000, help="synthetic articles (default 1000)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per variant, interleaved (default 2)")
    ap.add_argument("--workers", default="1,2", help="worker counts for this tree (default 1,2)")
    args = ap.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]

    with tempfile.TemporaryDirectory(prefix="align-before-after-") as tmp:
        return report(measure(args, workers, Path(tmp)))


def measure(args: argparse.Namespace, workers: list[int], tmp: Path) -> dict[str, list[dict]]:
    """Every variant's figures, per round (outputs kept under ``tmp``)."""
    (tmp / "before").mkdir()
    unpack_package(args.baseline, tmp / "before")
    variants = [("before", tmp / "before", 1)] + [(f"after_w{w}", ROOT, w) for w in workers]
    load = os.getloadavg()
    print(f"# bench_before_after  baseline={args.baseline}  n={args.n}  rounds={args.rounds}  "
          f"cpu_count={os.cpu_count()}  loadavg start={load[0]:.2f}")
    results: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
    for r in range(args.rounds):
        for name, root, w in variants:
            fig = run_variant(root, args.n, w, tmp / f"{name}-{r}")
            results[name].append(fig)
            print(f"round {r + 1} {name:10s} {fig['docs_per_s']:6.2f} docs/s  wall {fig['wall_s']:6.1f} s  "
                  f"load {fig['loadavg_start']:.2f}->{fig['loadavg_end']:.2f}  f1 {fig['f1']:.3f}", flush=True)
    return results


def report(results: dict[str, list[dict]]) -> int:
    variants = list(results)
    best = {name: max(runs, key=lambda f: f["docs_per_s"]) for name, runs in results.items()}
    base = best["before"]
    print("\nbest round per variant:")
    print(f"  {'variant':10s} {'docs/s':>7s} {'x before':>8s} {'peak RSS MiB':>13s} {'F1':>6s} {'pairs':>6s}")
    for name, fig in best.items():
        rss = fig["peak_rss_mib"] + fig.get("children_peak_rss_mib", 0.0)
        print(f"  {name:10s} {fig['docs_per_s']:7.2f} {fig['docs_per_s'] / base['docs_per_s']:8.2f} "
              f"{rss:13.0f} {fig['f1']:6.3f} {fig['pairs']:6d}")
    one = [name for name in variants if best[name]["workers"] == 1]
    print("\nseconds by stage (one-process variants, best round):")
    print("  " + f"{'stage':26s}" + "".join(f"{name:>12s}" for name in one))
    # bench_mining's stage names; nested ones ("ingest: dateparser") under their stage.
    names = list(dict.fromkeys(stage for name in one for stage in best[name]["stages_s"]))
    stages = [s for top in names if ":" not in top for s in [top] + [n for n in names if n.startswith(top + ":")]]
    for stage in stages + ["total (wall)"]:
        row = [best[name]["wall_s"] if stage == "total (wall)" else best[name]["stages_s"].get(stage, 0.0)
               for name in one]
        print("  " + f"{stage:26s}" + "".join(f"{v:12.2f}" for v in row))
    print("\npairs.jsonl against before (best rounds):")
    for name, fig in best.items():
        if name != "before":
            print(f"  {name:10s} " + compare_pairs(Path(fig["pairs_path"]), Path(base["pairs_path"])))
    ours = [Path(f["pairs_path"]) for name, runs in results.items() if name != "before" for f in runs]
    checks = [agree(p, ours[0]) for p in ours[1:]]
    problems = [why for _, why in checks if why]
    worst = max((w for w, _ in checks), default=0.0)
    verdict = f"NO, {problems[0]}" if problems else f"{'yes' if worst <= 1e-5 else 'NO'} (max |number difference| {worst:.1e})"
    print(f"all runs of this tree (every worker count and round): same pairs in order, numbers within 1e-5: {verdict}")
    end = os.getloadavg()
    print(f"\nloadavg end={end[0]:.2f}")
    print(" ".join(f"speedup_{name}={best[name]['docs_per_s'] / base['docs_per_s']:.2f}"
                   for name in variants[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
