"""``align docalign`` on every dev set: strict/lax P/R/F1, seconds and peak memory.

Usage::

    python eval/eval_docalign.py [--only NAME ...] [--data ../shared/data] [--config configs/parallel.yaml] [--cache]

Dev sets (under ``--data``):

- ``textberg``: Text+Berg de-fr dev, no translation of the source (the config's
  evidence without MT: with parallel.yaml, embeddings + length);
- ``textberg+mt``: the same with the 2010 Google MT of dev.de as the source's
  translation (``--src-translation``);
- ``voyage`` (en-fr), ``candide`` (en-fr), ``karenina`` (en-ru), ``alice``
  (de-fr), ``hound`` (en-hu): the OPUS Books dev books (opus_books_dev/).

All are one sentence per line (``--presplit``); languages come from the file
names. Each set runs in a fresh process (``--one NAME``, which prints one JSON
line): the same code as ``align docalign --presplit`` (load_pair, then
DocAligner.align) with the config's encoder threads. The encoder is built
before the clock starts (``load_s``, with a one-string warm-up encode);
``total_s`` is reading the files plus aligning (encoding included; ``enc_s``
of it); ``peak_MiB`` is that process's peak RSS (ru_maxrss), model included.
The embedding cache is off unless ``--cache``. Scored with ``align eval``'s
metric (Vecalign's convention).

Stdout: one table; the last line is ``min_strict_f1=0.xxx`` (over the sets run;
a set that fails counts as 0 and the exit status is 1). Logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("eval_docalign")

TB = "textberg_de-fr/"
BOOKS = "opus_books_dev/train_"
# name: (src, tgt, gold, src translation or None), relative to --data
SETS = {
    "textberg": (TB + "dev.de", TB + "dev.fr", TB + "dev.defr", None),
    "textberg+mt": (TB + "dev.de", TB + "dev.fr", TB + "dev.defr", TB + "dev.de-translated-to-fr.google-2010"),
}
for _name, _stem, _s, _t in [
    ("voyage", "EN-FR-Verne_Jules-Voyage_au_Centre_de_la_Terre", "en", "fr"),
    ("candide", "EN-FR-Voltaire-Candide", "en", "fr"),
    ("karenina", "EN-RU-Tolstoy_Leo-Anna_Karenina_vol1", "en", "ru"),
    ("alice", "DE-FR-Carroll_Lewis-Alice_in_wonderland", "de", "fr"),
    ("hound", "EN-HU-Doyle_Arthur_Conan-Hound_of_the_Baskervilles", "en", "hu"),
]:
    SETS[_name] = (f"{BOOKS}{_stem}.{_s}", f"{BOOKS}{_stem}.{_t}", f"{BOOKS}{_stem}.{_s}{_t}.gold", None)


def run_one(name: str, data: Path, config: str, cache: bool) -> dict:
    """Align one dev set in this process; the figures as a dict."""
    from align.config import load_config
    from align.docalign import DocAligner, PairSpec, load_pair
    from align.export.beads import read_beads
    from align.metrics.alignment import score

    src_f, tgt_f, gold_f, mt_f = SETS[name]
    src_lang, tgt_lang = Path(src_f).suffix[1:], Path(tgt_f).suffix[1:]
    cfg = load_config(config)
    cfg.docalign.src_lang, cfg.docalign.tgt_lang = src_lang, tgt_lang
    cfg.docalign.exports = []
    if not cache:
        cfg.similarity.cache_dir = ""
    aligner = DocAligner(cfg)
    t0 = time.perf_counter()
    encoder = None
    if cfg.docalign.aligner != "gale-church" and "embeddings" in cfg.docalign.evidence:
        encoder = aligner.encoder(aligner.encoder_name(src_lang, tgt_lang))
        encoder.encode(["Warm-up."])
    load_s = time.perf_counter() - t0
    spec = PairSpec.from_files(name, data / src_f, data / tgt_f, data / mt_f if mt_f else None)
    t0 = time.perf_counter()
    src, tgt, mt = load_pair(spec, cfg, presplit=True)
    result = aligner.align(name, src, tgt, mt)
    total_s = time.perf_counter() - t0
    s = score(read_beads(data / gold_f), result.line_beads())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"name": name, "langs": f"{src_lang}-{tgt_lang}", "src": len(src.sentences), "tgt": len(tgt.sentences),
            "evidence": "+".join(result.evidence), "encoder": getattr(encoder, "name", "-"),
            "P_strict": s.precision_strict, "R_strict": s.recall_strict, "F1_strict": s.f1_strict,
            "P_lax": s.precision_lax, "R_lax": s.recall_lax, "F1_lax": s.f1_lax,
            "enc_s": result.timings.get("encode", 0.0), "total_s": total_s, "load_s": load_s,
            "peak_mib": peak_kib / 1024}


def run_child(name: str, args) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", name, "--data", str(args.data),
           "--config", args.config] + (["--cache"] if args.cache else [])
    log.info("%s: %s", name, " ".join(cmd))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # stderr (logs) passes through
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        log.error("%s: failed (exit %d)", name, proc.returncode)
        return None
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--config", default=str(ROOT / "configs" / "parallel.yaml"))
    p.add_argument("--only", nargs="+", choices=list(SETS), metavar="NAME",
                   help=f"dev sets to run (default all: {' '.join(SETS)})")
    p.add_argument("--cache", action="store_true", help="keep the config's embedding cache (timings then lie)")
    p.add_argument("--one", choices=list(SETS), help=argparse.SUPPRESS)  # child: one set, one JSON line
    p.add_argument("-v", "--verbose", action="store_true", help="the align package's INFO logs too")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)

    data = Path(args.data)
    if not data.is_dir():
        print(f"eval_docalign: data folder {data} not found (give --data)", file=sys.stderr)
        return 2
    names = args.only or list(SETS)
    missing = [str(data / f) for n in names for f in SETS[n] if f and not (data / f).is_file()]
    if missing:
        print(f"eval_docalign: missing dev file(s): {', '.join(missing)}", file=sys.stderr)
        return 2

    if args.one:
        print(json.dumps(run_one(args.one, data, args.config, args.cache)))
        return 0

    head = (f"{'dev set':<12} {'langs':<5} {'src':>6} {'tgt':>6} {'P_str':>6} {'R_str':>6} {'F1_str':>6} "
            f"{'P_lax':>6} {'R_lax':>6} {'F1_lax':>6} {'enc_s':>7} {'total_s':>8} {'load_s':>6} {'peak_MiB':>8}")
    rows, f1s, failed = [], [], 0
    for name in names:
        t0 = time.perf_counter()
        r = run_child(name, args)
        if r is None:
            failed += 1
            f1s.append(0.0)
            rows.append(f"{name:<12} FAILED (see stderr)")
            continue
        log.info("%s: done in %.1f s (process wall, imports included)", name, time.perf_counter() - t0)
        f1s.append(r["F1_strict"])
        rows.append(f"{name:<12} {r['langs']:<5} {r['src']:6d} {r['tgt']:6d} {r['P_strict']:6.3f} "
                    f"{r['R_strict']:6.3f} {r['F1_strict']:6.3f} {r['P_lax']:6.3f} {r['R_lax']:6.3f} "
                    f"{r['F1_lax']:6.3f} {r['enc_s']:7.2f} {r['total_s']:8.2f} {r['load_s']:6.2f} "
                    f"{r['peak_mib']:8.0f}  {r['evidence']} ({r['encoder']})")
    from align.cpus import available_cpus

    print(f"align docalign --presplit, config {args.config}; embedding cache {'on' if args.cache else 'off'}; "
          f"{available_cpus()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("total_s = read + align (encoding included, enc_s of it); load_s = encoder build, before the clock; "
          "peak = each set's own process")
    print(head)
    print("-" * len(head))
    print("\n".join(rows))
    print(f"min_strict_f1={min(f1s):.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
