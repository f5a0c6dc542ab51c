"""Throughput of ``align docalign`` over 50 document pairs with 1 and 2 worker processes.

    python eval/bench_docalign_workers.py                 # Voyage au centre de la Terre, 50 pairs, 2 rounds
    python eval/bench_docalign_workers.py --pairs 20 --rounds 1 --workers 1 2 4

The book (../shared/data/opus_books_dev, en-fr) is cut at gold bead
boundaries into ``--pairs`` document pairs of about 100 sentences a side,
written as a folder of NAME.en/NAME.fr files. Each run is the real command
(``python -m align docalign --input DIR --presplit --workers N``) in its own
process, embedding cache off; rounds alternate the worker counts so that
load on this shared machine hits both alike. Throughput is document pairs
per second of the processing loop (summary.json ``timing.docs_per_s``; model
loading excluded, the same for every N) and over the whole command. Every
run's beads are scored against the gold (strict F1): the worker count must
not change them.

Last line: ``speedup_2=X.XX f1_1=... f1_2=...`` (median over rounds).
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
DATA = ROOT.parent / "shared" / "data" / "opus_books_dev"
BOOK = "train_EN-FR-Verne_Jules-Voyage_au_Centre_de_la_Terre"


def read_gold(path: Path) -> list[tuple[list[int], list[int]]]:
    from align.export.beads import read_beads

    return [(list(b.src), list(b.tgt)) for b in read_beads(path)]


def make_pairs(folder: Path, n_pairs: int) -> dict[str, list[tuple[list[int], list[int]]]]:
    """Cut the book at gold bead boundaries into ``n_pairs`` pairs; return each pair's gold, renumbered."""
    src = (DATA / f"{BOOK}.en").read_text(encoding="utf-8").splitlines()
    tgt = (DATA / f"{BOOK}.fr").read_text(encoding="utf-8").splitlines()
    gold = read_gold(DATA / f"{BOOK}.enfr.gold")
    folder.mkdir(parents=True, exist_ok=True)
    per = len(gold) / n_pairs
    golds = {}
    for k in range(n_pairs):
        beads = gold[round(k * per):round((k + 1) * per)]
        s_ids = [i for b in beads for i in b[0]]
        t_ids = [j for b in beads for j in b[1]]
        s0 = min(s_ids) if s_ids else 0
        t0 = min(t_ids) if t_ids else 0
        s_end = max(s_ids) + 1 if s_ids else s0
        t_end = max(t_ids) + 1 if t_ids else t0
        name = f"part{k:02d}"
        (folder / f"{name}.en").write_text("".join(x + "\n" for x in src[s0:s_end]), encoding="utf-8")
        (folder / f"{name}.fr").write_text("".join(x + "\n" for x in tgt[t0:t_end]), encoding="utf-8")
        golds[name] = [([i - s0 for i in b[0]], [j - t0 for j in b[1]]) for b in beads]
    return golds


def run(folder: Path, out: Path, workers: int, cfg: Path) -> dict:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "align", "-q", "docalign", "--config", str(cfg), "--input", str(folder),
                    "--presplit", "--src-lang", "en", "--tgt-lang", "fr", "--workers", str(workers),
                    "--no-resume", "--output", str(out)], check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall_s": wall, "docs_per_s": summary["timing"]["docs_per_s"], "process_s": summary["timing"]["process_s"],
            "documents": summary["documents"]}


def strict_f1(out: Path, golds: dict) -> float:
    """Micro-averaged strict F1 over every pair (Vecalign's convention, align.metrics.alignment)."""
    from align.metrics.alignment import score_documents

    names = sorted(golds)
    _, total = score_documents([golds[n] for n in names],
                               [read_gold(out / "alignments" / f"{n}.txt") for n in names])
    return total.f1_strict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"bench_docalign_workers: {DATA} not found", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-docalign-workers-") as tmp:
        tmp = Path(tmp)
        golds = make_pairs(tmp / "docs", args.pairs)
        cfg = tmp / "cfg.yaml"
        cfg.write_text("similarity:\n  cache_dir: ''\ndocalign:\n  exports: []\n", encoding="utf-8")
        n_src = sum(1 for f in (tmp / "docs").glob("*.en") for _ in f.open(encoding="utf-8"))
        print(f"# {args.pairs} pairs from {BOOK} ({n_src} en sentences); cpus={os.cpu_count()} "
              f"load={os.getloadavg()[0]:.1f}", flush=True)
        figures: dict[int, list[dict]] = {n: [] for n in args.workers}
        for r in range(args.rounds):
            for n in args.workers:
                fig = run(tmp / "docs", tmp / f"out{n}", n, cfg)
                fig["f1"] = strict_f1(tmp / f"out{n}", golds)
                figures[n].append(fig)
                print(f"round {r + 1} workers={n}: {fig['docs_per_s']:.2f} pairs/s (loop {fig['process_s']:.1f} s), "
                      f"wall {fig['wall_s']:.1f} s, strict F1 {fig['f1']:.3f}, load {os.getloadavg()[0]:.1f}",
                      flush=True)
    base = statistics.median(f["docs_per_s"] for f in figures[args.workers[0]])
    parts = []
    for n in args.workers:
        med = statistics.median(f["docs_per_s"] for f in figures[n])
        wall = statistics.median(f["wall_s"] for f in figures[n])
        print(f"workers={n}: median {med:.2f} pairs/s, {med / base:.2f}x; median wall {wall:.1f} s")
        if n != args.workers[0]:
            parts.append(f"speedup_{n}={med / base:.2f}")
    parts += [f"f1_{n}={statistics.median(f['f1'] for f in figures[n]):.3f}" for n in args.workers]
    print(" ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
