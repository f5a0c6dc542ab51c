"""Strict and lax P/R/F1 of ``align docalign`` on the Text+Berg de-fr dev article.

Usage::

    python eval/eval_textberg.py [--data ../shared/data/textberg_de-fr] [--config configs/parallel.yaml]
                                 [--settings embeddings mt combined gale-church ...] [--keep DIR]

Settings (each is ``configs/parallel.yaml`` with ``docalign`` overridden):

- ``embeddings``: the bundled encoder alone (overlap embeddings);
- ``mt``: the 2010 Google MT of dev.de into French alone (chrF of MT(de) vs fr);
- ``combined``: embeddings + that MT + sentence lengths (the default config);
- ``gale-church``: our Gale & Church (1993) length-only baseline;
- extras: ``embeddings+length``, ``mt-smt`` / ``combined-smt`` (the 2010
  Europarl SMT output instead of Google's).

Each setting runs the same code as ``align docalign --presplit`` (read, evidence,
align, write alignments.txt) and is scored with ``align eval``'s metric
(Vecalign's convention). Sentences and overlaps are encoded once for all
settings (``encode`` time, reported once); ``align`` is the time of everything
else (n-gram statistics, coarse path, calibration, DP). The equivalent command
line for a setting is printed with ``--show-commands``.

Stdout: one row per setting; the last line is machine-readable::

    combined_strict_f1=0.xxx combined_lax_f1=0.xxx
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.config import load_config  # noqa: E402
from align.docalign import DocAligner, PairSpec, load_pair  # noqa: E402
from align.export.beads import read_beads, write_beads  # noqa: E402
from align.metrics.alignment import score  # noqa: E402

GOOGLE = "dev.de-translated-to-fr.google-2010"
SMT = "dev.de-translated-to-fr.europarl-smt"

SETTINGS = {
    "embeddings": ({"evidence": ["embeddings"]}, None),
    "mt": ({"evidence": ["mt"]}, GOOGLE),
    "combined": ({"evidence": ["embeddings", "mt", "length"]}, GOOGLE),
    "gale-church": ({"aligner": "gale-church", "evidence": ["length"]}, None),
    "embeddings+length": ({"evidence": ["embeddings", "length"]}, None),
    "mt-smt": ({"evidence": ["mt"]}, SMT),
    "combined-smt": ({"evidence": ["embeddings", "mt", "length"]}, SMT),
}
DEFAULT = ["embeddings", "mt", "combined", "gale-church", "embeddings+length", "mt-smt", "combined-smt"]


class MemoEncoder:
    """Encodes each distinct string once per process (shared by all settings); times itself."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.name = encoder.name
        self.memo: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            t0 = time.perf_counter()
            vecs = self.encoder.encode(todo)
            self.seconds += time.perf_counter() - t0
            self.memo.update(zip(todo, vecs))
        if not texts:
            return self.encoder.encode([])
        return np.stack([self.memo[t] for t in texts])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/textberg_de-fr"))
    p.add_argument("--config", default=str(ROOT / "configs" / "parallel.yaml"))
    p.add_argument("--settings", nargs="+", default=DEFAULT, choices=list(SETTINGS))
    p.add_argument("--keep", help="write each setting's alignments.txt under this folder")
    p.add_argument("--show-commands", action="store_true", help="print the equivalent align commands")
    args = p.parse_args(argv)

    data = Path(args.data)
    gold = read_beads(data / "dev.defr")
    base = load_config(args.config)
    base.docalign.src_lang, base.docalign.tgt_lang = "de", "fr"
    base.docalign.exports = []
    base.similarity.cache_dir = ""  # time real encoding, shared in-process instead

    memo = None
    head = (f"{'setting':<20} {'P_strict':>8} {'R_strict':>8} {'F1_strict':>9} "
            f"{'P_lax':>7} {'R_lax':>7} {'F1_lax':>7} {'beads':>6} {'align_s':>8}")
    rows, last = [head, "-" * len(head)], {}
    for name in args.settings:
        overrides, mt_file = SETTINGS[name]
        cfg = copy.deepcopy(base)
        for k, v in overrides.items():
            setattr(cfg.docalign, k, v)
        aligner = DocAligner(cfg)
        if "embeddings" in cfg.docalign.evidence and cfg.docalign.aligner == "llr":
            if memo is None:
                memo = MemoEncoder(aligner.encoder())
            aligner._encoders["usem3"] = memo
        spec = PairSpec.from_files("dev", data / "dev.de", data / "dev.fr", data / mt_file if mt_file else None)
        t0 = time.perf_counter()
        src, tgt, mt = load_pair(spec, cfg, presplit=True)
        enc_before = memo.seconds if memo else 0.0
        result = aligner.align("dev", src, tgt, mt)
        seconds = time.perf_counter() - t0 - ((memo.seconds - enc_before) if memo else 0.0)
        beads = result.line_beads()
        if args.keep:
            write_beads(beads, Path(args.keep) / name / "alignments.txt")
        s = score(gold, beads)
        rows.append(f"{name:<20} {s.precision_strict:8.3f} {s.recall_strict:8.3f} {s.f1_strict:9.3f} "
                    f"{s.precision_lax:7.3f} {s.recall_lax:7.3f} {s.f1_lax:7.3f} {len(beads):6d} {seconds:8.2f}")
        last[name] = s
        if args.show_commands:
            mt_arg = f" --src-translation {data / mt_file}" if mt_file else ""
            print(f"# {name}: align docalign --config CFG(docalign: {overrides}) --src {data}/dev.de "
                  f"--tgt {data}/dev.fr{mt_arg} --presplit --output OUT && "
                  f"align eval --gold {data}/dev.defr --pred OUT/alignments.txt")
    print(f"Text+Berg de-fr dev: {len(gold)} gold beads; encoder usem3; "
          f"encode {memo.seconds if memo else 0.0:.1f} s once for all settings (distinct strings: "
          f"{len(memo.memo) if memo else 0})")
    print("\n".join(rows))
    key = "combined" if "combined" in last else next(iter(last))
    print(f"{key}_strict_f1={last[key].f1_strict:.3f} {key}_lax_f1={last[key].f1_lax:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
