"""Choose the restatement weights and threshold by cross-validation over real pages.

Usage::

    python eval/tune_restatement.py                      # news_dev, the seed and 300 synthetic articles
    python eval/tune_restatement.py --synthetic 0        # real pages and the seed only

Every (foreign segment, body unit) pair of the ``news_dev`` pages gets its
features once (the pipeline's own ``mining_inputs``); then each point of a
grid over ``mining.weight_author``, ``weight_near``, ``weight_anchors`` and
``restate_threshold`` is scored without re-encoding anything.

- **Constraints**, whatever the pages say: the seed's expectations (the
  embassy tweet's best body match is the Peskov quotation; the Kremlin tweets
  restate no French sentence), the README example's (the English tweet
  restates the quotation; its German and Russian twins at most the
  travel-time sentence) and, on synthetic Tatoeba articles
  (``eval/make_articles.py``), an F1 of body matches at most
  ``--max-synthetic-drop`` below that of the old rule (cosine >= 0.45 and
  ratio margin >= 1.15), and a precision no lower than its.
- **Objective** on pages: FULL and PARTIAL hits (``news_dev/README.md``),
  minus ``--penalty`` for every other pair of a foreign segment with body
  text (a wrong sentence, a NONE segment paired, a segment that is no gold
  segment paired).
- **Leave-one-page-out**: for each page, the grid point best on the other
  41 pages is scored on it; the sums are the figures to report. A point is
  also chosen on all pages: the values to put in the config.

A pair's label is approximated here as it is decided (similarity and
comparable lengths), without the sentence-coverage test, which can only turn
parallel into partial: the NONE-labelled-parallel count is an upper bound.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.aligners.pairs import comparable_lengths  # noqa: E402
from align.aligners.restatement import Weights  # noqa: E402
from align.config import Config, load_config  # noqa: E402
from align.ingest.readers import read_documents  # noqa: E402
from align.metrics.news import locate, overlaps  # noqa: E402
from align.pipeline import Pipeline  # noqa: E402
from align.types import Document  # noqa: E402

SHARED = ROOT.parent / "shared"
GOLD = SHARED / "data" / "news_dev" / "gold.json"
SEED = SHARED / "seeds" / "000_a6168a8a3db5cb58.txt"
PESKOV = "dans lequel il a salué cette victoire stratégique"
EXAMPLE = ROOT / "examples" / "article_fr.txt"

GRID = {
    "author": [0.1, 0.2, 0.3],
    "near": [0.0, 0.05, 0.1],
    "anchors": [0.0, 0.2],
    "threshold": [0.45, 0.5, 0.55, 0.6],
    "min_margin": [0.0, 1.05, 1.1],
    "margin": [0.0, 0.1, 0.2],
    "part": [float("inf"), 0.05, 0.0],
}


@dataclass
class Query:
    """One foreign segment of a document, with what counts as right for it."""

    doc: int
    row: int
    relation: str | None  # FULL / PARTIAL / NONE, "synthetic:<role>", or None (no gold segment)
    good: np.ndarray  # per candidate: a right body unit
    first: np.ndarray  # per candidate: the most direct restatement (news) or the exact sentence (synthetic)


@dataclass
class Doc:
    name: str
    group: str
    x: object  # MiningInputs
    body: np.ndarray  # allowed & body candidate



def news_queries(pipeline: Pipeline) -> tuple[list[Doc], list[Query]]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    texts = {d.id: d for d in read_documents(GOLD.parent)}
    docs, queries = [], []
    for g in gold["documents"]:
        doc = texts[g["file"].rsplit(".", 1)[0]]
        x = pipeline.mining_inputs(doc)
        if x.features is None:
            continue
        body = x.allowed & np.array([c.kind != "embed" and c.seg_kind in ("body", "title") for c in x.candidates])
        d = len(docs)
        docs.append(Doc(doc.id, g["group"], x, body))
        for i, q in enumerate(x.queries):
            rel, good, first = None, np.zeros(len(x.candidates), bool), np.zeros(len(x.candidates), bool)
            for f in g.get("foreign", []):
                spans = [locate(doc.text, t) for t in [f["text_contains"], *f.get("other_parts_contains", [])]]
                if any(s and overlaps(q.span, s, 1) for s in spans):
                    rel = f["relation"]
                    where = [locate(doc.text, t) for t in f.get("body_contains", [])]
                    good = np.array([any(b and overlaps(c.span, b) for b in where) for c in x.candidates])
                    first = np.array([bool(where and where[0] and overlaps(c.span, where[0])) for c in x.candidates])
            queries.append(Query(d, i, rel, good & body[i], first & body[i]))
    return docs, queries


def synthetic_queries(pipeline: Pipeline, n: int, seed: int) -> tuple[list[Doc], list[Query]]:
    sys.path.insert(0, str(ROOT / "eval"))
    import make_articles

    with tempfile.TemporaryDirectory() as tmp:
        make_articles.main(["--n", str(n), "--out", tmp, "--seed", str(seed)])
        gold = [json.loads(line) for line in (Path(tmp) / "gold.jsonl").read_text().splitlines()]
        texts = {d.id: d for d in read_documents(Path(tmp) / "articles")}
    docs, queries = [], []
    for g in gold:
        x = pipeline.mining_inputs(texts[g["doc_id"]])
        if x.features is None:
            continue
        body = x.allowed & np.array([c.kind != "embed" for c in x.candidates])
        d = len(docs)
        docs.append(Doc(g["doc_id"], "synthetic", x, body))
        roles = {t["text"]: t for t in g["tweets"]}
        for i, q in enumerate(x.queries):
            t = roles.get(q.text)
            role = t["role"] if t else "unknown"
            target = t["counterpart"] if t and t["counterpart_kind"] == "sentence" else None
            good = np.array([bool(target) and target in c.text for c in x.candidates]) & body[i]
            exact = np.array([bool(target) and target == c.text for c in x.candidates]) & body[i]
            queries.append(Query(d, i, f"synthetic:{role}", good, exact))
    return docs, queries


def choices(docs: list[Doc], queries: list[Query], w: Weights,
            parallel_similarity: float = Config().mining.parallel_similarity) -> list[tuple[int | None, float]]:
    """Each query's chosen body candidate (or None) under ``w``: the pipeline's own decision."""
    picks: dict[tuple[int, int], tuple[int, float]] = {}
    for d_index in sorted({q.doc for q in queries}):
        for m in docs[d_index].x.restatements(w, parallel_similarity)[0]:
            picks[(d_index, m.query)] = (m.candidate, m.margin)
    return [picks.get((q.doc, q.row), (None, 0.0)) for q in queries]


def tally(docs: list[Doc], queries: list[Query], picks, parallel_similarity: float) -> dict:
    t = dict(full=0, n_full=0, partial=0, n_partial=0, direct=0, wrong=0, none_paired=0,
             none_parallel=0, stray=0, syn_tp=0, syn_fp=0, syn_fn=0)
    for q, (j, _) in zip(queries, picks):
        rel = q.relation or ""
        if rel.startswith("synthetic:"):
            if rel == "synthetic:translation":
                if j is not None and q.good[j]:
                    t["syn_tp"] += 1
                else:
                    t["syn_fn"] += 1
                    t["syn_fp"] += j is not None
            else:
                t["syn_fp"] += j is not None
            continue
        if rel in ("FULL", "PARTIAL"):
            key = "full" if rel == "FULL" else "partial"
            t[f"n_{key}"] += 1
            hit = j is not None and bool(q.good[j])
            t[key] += hit
            t["direct"] += j is not None and bool(q.first[j])
            t["wrong"] += j is not None and not hit
        elif rel == "NONE" and j is not None:
            t["none_paired"] += 1
            x = docs[q.doc].x
            a, b = x.queries[q.row], x.candidates[j]
            t["none_parallel"] += (x.features.similarity[q.row, j] >= parallel_similarity
                                   and comparable_lengths(a.text, b.text))
        elif rel is None and j is not None:
            t["stray"] += 1
    return t


def precision(t: dict) -> float:
    return t["syn_tp"] / max(1, t["syn_tp"] + t["syn_fp"])


def f1(t: dict) -> float:
    p = precision(t)
    r = t["syn_tp"] / max(1, t["syn_tp"] + t["syn_fn"])
    return 2 * p * r / max(p + r, 1e-9)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", type=int, default=300, help="synthetic articles for the constraint (0: none)")
    ap.add_argument("--synthetic-seed", type=int, default=1)
    ap.add_argument("--max-synthetic-drop", type=float, default=0.005,
                    help="largest drop of the synthetic body-match F1 below the cosine-and-margin baseline's")
    ap.add_argument("--penalty", type=float, default=0.5)
    ap.add_argument("-v", "--verbose", action="store_true", help="the point each fold chose")
    ap.add_argument("--config", help="the rest of the configuration (default: built-in), e.g. another encoder")
    ap.add_argument("--parallel-similarity", type=float, default=Config().mining.parallel_similarity)
    args = ap.parse_args(argv)
    for path in (GOLD, SEED):
        if not path.exists():
            print(f"tune_restatement: {path} not found", file=sys.stderr)
            return 2

    base = Weights(anchors=0.0, author=0.0, near=0.0, threshold=0.45, min_margin=1.15)
    cfg = load_config(args.config)
    pipeline = Pipeline(cfg)
    pipeline.warm_up()
    news_docs, news = news_queries(pipeline)
    seed_x = pipeline.mining_inputs(Document("seed", SEED.read_text(encoding="utf-8")))
    syn_docs, syn = synthetic_queries(pipeline, args.synthetic, args.synthetic_seed) if args.synthetic else ([], [])
    seed_doc = Doc("seed", "seed", seed_x, seed_x.allowed & np.array([c.kind != "embed" for c in seed_x.candidates]))
    ex_x = pipeline.mining_inputs(Document("article_fr", EXAMPLE.read_text(encoding="utf-8")))
    example_doc = Doc("article_fr", "example", ex_x, ex_x.allowed & np.array([c.kind != "embed" for c in ex_x.candidates]))

    base_t = tally(syn_docs, syn, choices(syn_docs, syn, base), args.parallel_similarity) if syn else None
    base_f1, base_precision = (f1(base_t), precision(base_t)) if syn else (1.0, 0.0)
    grid = [Weights(**dict(zip(("author", "near", "anchors", "threshold", "min_margin", "margin", "part_discount"),
                               values))) for values in itertools.product(*GRID.values())]
    pages = sorted({q.doc for q in news})
    per_page: list[dict[int, dict]] = []
    feasible: list[bool] = []
    syn_f1: list[float] = []
    for w in grid:
        picks = choices(news_docs, news, w)
        per_page.append({p: tally(news_docs, [q for q in news if q.doc == p],
                                  [pk for q, pk in zip(news, picks) if q.doc == p], args.parallel_similarity)
                         for p in pages})
        seed_ok = seed_expectations(seed_doc, example_doc, w)
        t = tally(syn_docs, syn, choices(syn_docs, syn, w), args.parallel_similarity) if syn else None
        s = f1(t) if t else 1.0
        syn_f1.append(s)
        feasible.append(seed_ok and s >= base_f1 - args.max_synthetic_drop
                        and (t is None or precision(t) >= base_precision))
    print(f"{len(grid)} grid points, {sum(feasible)} meet the seed and synthetic constraints; "
          f"{len(news)} foreign segments on {len(pages)} pages", file=sys.stderr)

    def objective(g: int, pages_: list[int]) -> float:
        t = _sum(per_page[g][p] for p in pages_)
        return t["full"] + t["partial"] - args.penalty * (t["wrong"] + t["none_paired"] + t["stray"]) \
            - 2 * t["none_parallel"]

    print(f"synthetic body matches of the old rule (cosine >= 0.45, margin >= 1.15): F1 {base_f1:.3f}, "
          f"precision {base_precision:.3f}")
    candidates = [g for g in range(len(grid)) if feasible[g]]
    if not candidates:
        print("tune_restatement: no grid point meets the constraints", file=sys.stderr)
        return 1
    # A point is judged with its grid neighbours (one step along one axis):
    # on 34 pages many points tie, and a point in the middle of a good region
    # is the one that holds on a page it was not chosen on. Remaining ties go
    # to the most cautious point: the highest threshold, then the smallest weights.
    index = {tuple(values): g for g, values in enumerate(itertools.product(*GRID.values()))}
    coords = list(index)
    neighbours = []
    for c in coords:
        near_ = []
        for axis, values in enumerate(GRID.values()):
            for step in (-1, 1):
                k = list(values).index(c[axis]) + step
                if 0 <= k < len(values):
                    near_.append(index[c[:axis] + (list(values)[k],) + c[axis + 1:]])
        neighbours.append(near_)

    def best(pages_: list[int]) -> int:
        own = {g: objective(g, pages_) for g in range(len(grid))}
        return max(candidates, key=lambda g: (own[g] + 0.5 * np.mean([own[n] for n in neighbours[g]]),
                                              grid[g].threshold, grid[g].min_margin,
                                              -(grid[g].author + grid[g].near + grid[g].anchors + grid[g].margin)))

    folds = {h: best([p for p in pages if p != h]) for h in pages}
    cv = _sum(per_page[folds[h]][h] for h in pages)
    if args.verbose:
        for h, g in folds.items():
            t = per_page[g][h]
            print(f"  fold {news_docs[h].name}: {grid[g]} -> FULL {t['full']}/{t['n_full']} "
                  f"PARTIAL {t['partial']}/{t['n_partial']} other {t['wrong'] + t['none_paired'] + t['stray']}",
                  file=sys.stderr)
    chosen = best(pages)
    full = _sum(per_page[chosen][p] for p in pages)
    print("| figures | FULL recall@1 | PARTIAL recall@1 | most direct sentence | other pairs (wrong / NONE / no gold) | NONE parallel (upper bound) |")
    print("|---|---|---|---|---|---|")
    for name, t in (("leave-one-page-out", cv), ("chosen point, all pages", full)):
        print(f"| {name} | {t['full']}/{t['n_full']} | {t['partial']}/{t['n_partial']} | "
              f"{t['direct']}/{t['n_full'] + t['n_partial']} | {t['wrong']} / {t['none_paired']} / {t['stray']} | "
              f"{t['none_parallel']} |")
    w = grid[chosen]
    print(f"synthetic body-match F1 at the chosen point: {syn_f1[chosen]:.3f}")
    print(f"chosen: restate_threshold={w.threshold} restate_margin={w.min_margin} weight_author={w.author} "
          f"weight_near={w.near} weight_anchors={w.anchors} weight_margin={w.margin} part_discount={w.part_discount}")
    return 0


def seed_expectations(seed: Doc, example: Doc, w: Weights) -> bool:
    """The seed's tests (tests/test_pipeline.py) and the README example's story hold."""
    ok = True
    x = seed.x
    picks = choices([seed], [Query(0, i, None, np.zeros(0), np.zeros(0)) for i in range(len(x.queries))], w)
    for q, (j, _) in zip(x.queries, picks):
        if "Putin sends message" in q.text:
            ok &= j is not None and PESKOV in x.candidates[j].text
        else:
            ok &= j is None
    # examples/article_fr.txt: the English tweet restates the quotation; the
    # German and Russian twins restate only the travel-time sentence, if anything.
    x = example.x
    picks = choices([example], [Query(0, i, None, np.zeros(0), np.zeros(0)) for i in range(len(x.queries))], w)
    for q, (j, _) in zip(x.queries, picks):
        text = x.candidates[j].text if j is not None else ""
        if q.lang == "en":
            ok &= "nous célébrons une étape historique" in text
        else:
            ok &= j is None or "réduira de moitié" in text
    return ok


def _sum(items) -> dict:
    total: dict = {}
    for t in items:
        for k, v in t.items():
            total[k] = total.get(k, 0) + v
    return total


if __name__ == "__main__":
    sys.exit(main())
