#!/usr/bin/env python
"""Translation speed: transformers fp32 vs CTranslate2 fp32 vs CTranslate2 int8, against the FLOP ceiling.

    python eval/bench_translate.py              # 64 sentences x 32 source tokens -> 32 output tokens, 5 rounds
    python eval/bench_translate.py --quick      # 16 x 24 -> 24, 2 rounds (about a minute with the model build)
    python eval/bench_translate.py --threads 1  # one thread per backend (steadier on a busy machine)

The model is a MarianMT with random weights and the real opus-mt-fr-en
architecture (d_model 512, 6 encoder + 6 decoder layers, 8 heads, FFN 2048,
vocabulary 59,514, swish), written once in the opus-mt layout to ``--work``
(default /tmp/align-bench-translate) and converted for CTranslate2 with the
converter the ``ctranslate2`` backend uses (``convert_marian``).

Every backend translates the same batch of token ids, greedily (``--beam N``
for beam search), with the output length forced (``min_new_tokens = max_new_tokens`` in transformers,
``min_decoding_length = max_decoding_length`` in CTranslate2), so all do the
same work; the output lengths are checked. Tokenization is left out: it is
the same SentencePiece code for both backends and costs microseconds.

64 sentences is the translators' default ``batch_size`` (and 64 x 32 tokens
is within the default ``max_batch_tokens`` of 4096).

Timing: all three backends live in this one process and run in interleaved
rounds (best and median of ``--repeats``), with a pause between runs so one
library's idle OpenMP threads stop spinning before the other starts. On a
shared machine, best-of-rounds is the figure least disturbed by other jobs.
Peak memory: each backend again in a child process of its own (peak RSS, and
the growth of RSS from loading and running the model).

Ceiling: the FLOPs of one batch are counted from the architecture (every
matrix product: projections, FFN, attention, the output projection over the
vocabulary). The machine's peak is measured with a large matrix product in
torch on the same threads (float32 ``mm``; int8 ``_int_mm``), once per round,
best kept. The FLOP-bound time is linear-layer FLOPs at the peak of the
weights' type plus attention FLOPs at the float32 peak; "of ceiling" is that
time over the measured time.

The last line is ``speedup_ct2_int8_vs_hf_fp32=X.XX`` (best-of-rounds tokens/s ratio).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Helsinki-NLP/opus-mt-fr-en's config.json (the weights are random here).
OPUS_MT_FR_EN = dict(
    vocab_size=59514, decoder_vocab_size=59514, d_model=512,
    encoder_layers=6, decoder_layers=6, encoder_attention_heads=8, decoder_attention_heads=8,
    encoder_ffn_dim=2048, decoder_ffn_dim=2048, max_position_embeddings=512,
    activation_function="swish", scale_embedding=True, share_encoder_decoder_embeddings=True,
    tie_word_embeddings=True, pad_token_id=59513, decoder_start_token_id=59513, eos_token_id=0,
    forced_eos_token_id=0, bos_token_id=None,
)
BACKENDS = ("hf_fp32", "ct2_fp32", "ct2_int8")


def build_model(out: Path) -> Path:
    """Write the random-weight opus-mt-fr-en lookalike (once; reused if complete)."""
    if (out / "model.safetensors").is_file() and (out / "vocab.json").is_file():
        return out
    import importlib.util

    import torch
    from transformers import MarianConfig, MarianMTModel
    from transformers.utils import logging as hf_logging

    spec = importlib.util.spec_from_file_location("build_tiny_marian", ROOT / "scripts" / "build_tiny_marian.py")
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    out.mkdir(parents=True, exist_ok=True)
    src_spm, tgt_spm = tiny._train_spm(tiny._corpus("fr", 0), 300), tiny._train_spm(tiny._corpus("en", 0), 300)
    (out / "source.spm").write_bytes(src_spm)
    (out / "target.spm").write_bytes(tgt_spm)
    size = OPUS_MT_FR_EN["vocab_size"]
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in tiny._pieces(src_spm) + tiny._pieces(tgt_spm):
        if piece not in vocab and piece not in ("<unk>", "<s>", "</s>"):
            vocab[piece] = len(vocab)
    while len(vocab) < size - 1:  # filler pieces up to the real vocabulary size
        vocab[f"▁w{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = size - 1
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({
        "source_lang": "fr", "target_lang": "en", "unk_token": "<unk>", "eos_token": "</s>",
        "pad_token": "<pad>", "model_max_length": 512, "separate_vocabs": False, "tokenizer_class": "MarianTokenizer",
    }))
    torch.manual_seed(0)
    model = MarianMTModel(MarianConfig(**OPUS_MT_FR_EN)).eval()
    hf_logging.disable_progress_bar()
    model.save_pretrained(out)
    return out


def make_batch(batch: int, src_len: int, vocab_size: int, seed: int = 0) -> list[list[int]]:
    """``batch`` rows of ``src_len`` token ids: random ordinary pieces, then ``</s>`` (id 0)."""
    import random

    rng = random.Random(seed)
    return [[rng.randrange(2, vocab_size - 1) for _ in range(src_len - 1)] + [0] for _ in range(batch)]


class HF:
    name = "hf_fp32"

    def __init__(self, model_dir: Path, threads: int):
        import torch
        from transformers import GenerationConfig, MarianMTModel

        torch.set_num_threads(threads)
        self.torch = torch
        self.model = MarianMTModel.from_pretrained(model_dir, use_safetensors=True).eval()
        pad = self.model.config.pad_token_id
        self.model.generation_config = GenerationConfig(decoder_start_token_id=pad, pad_token_id=pad, eos_token_id=0)

    def run(self, ids: list[list[int]], out_len: int, beam: int = 1) -> int:
        torch = self.torch
        x = torch.tensor(ids)
        with torch.inference_mode():
            out = self.model.generate(input_ids=x, attention_mask=torch.ones_like(x), num_beams=beam, do_sample=False,
                                      min_new_tokens=out_len, max_new_tokens=out_len)
        assert out.shape[1] == out_len + 1, out.shape  # + the decoder start token
        return out.shape[0] * out_len


class CT2:
    def __init__(self, model_dir: Path, ct2_root: Path, compute_type: str, threads: int, inter: int = 1):
        import ctranslate2

        from align.translate.ctranslate2 import convert_marian

        self.name = "ct2_fp32" if compute_type == "float32" else f"ct2_{compute_type}"
        path = convert_marian(model_dir, ct2_root, compute_type)
        # The same number of threads in all: inter_threads sub-batches in parallel, each on threads // inter.
        self.translator = ctranslate2.Translator(str(path), device="cpu", compute_type=compute_type,
                                                 inter_threads=inter, intra_threads=max(1, threads // inter))
        self.inter = inter
        vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
        self.tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]

    def run(self, ids: list[list[int]], out_len: int, beam: int = 1) -> int:
        src = [[self.tokens[i] for i in row] for row in ids]
        res = self.translator.translate_batch(
            src, beam_size=beam, min_decoding_length=out_len, max_decoding_length=out_len, max_input_length=0,
            max_batch_size=(len(src) + self.inter - 1) // self.inter if self.inter > 1 else 0,
        )
        lengths = {len(r.hypotheses[0]) for r in res}
        assert lengths == {out_len}, lengths
        return len(res) * out_len


def load(name: str, model_dir: Path, ct2_root: Path, threads: int, inter: int):
    if name == "hf_fp32":
        return HF(model_dir, threads)
    return CT2(model_dir, ct2_root, {"ct2_fp32": "float32", "ct2_int8": "int8"}[name], threads, inter)


def flop_count(batch: int, src_len: int, out_len: int, beam: int = 1) -> dict[str, float]:
    """FLOPs (2 x multiply-adds) of one forced-length batch: linear layers and attention apart.

    With beam search every beam is a decoder row (and gets its own cross-attention keys/values).
    """
    c = OPUS_MT_FR_EN
    d, f, vocab = c["d_model"], c["encoder_ffn_dim"], c["vocab_size"] - 1  # CT2 drops <pad>; HF keeps it
    le, ld, s = c["encoder_layers"], c["decoder_layers"], src_len
    linear = batch * s * le * (4 * d * d + 2 * d * f)  # encoder: q, k, v, o + FFN per source token
    attention = batch * s * le * 2 * s * d  # encoder: QK^T and AV
    batch *= beam  # decoder rows from here on
    linear += batch * s * ld * 2 * d * d  # cross-attention keys and values of the encoder output
    for t in range(1, out_len + 1):  # decoder, one new token per step (keys/values cached)
        linear += batch * ld * (4 * d * d + 2 * d * d + 2 * d * f)  # self q,k,v,o; cross q,o; FFN
        attention += batch * ld * (2 * t * d + 2 * s * d)  # self-attention over t, cross over s
    linear += batch * out_len * d * vocab  # output projection: logits over the vocabulary
    return {"linear": 2.0 * linear, "attention": 2.0 * attention, "total": 2.0 * (linear + attention)}


def measure_peaks(threads: int, size: int = 2048, repeats: int = 5) -> dict[str, float]:
    """Best-of GEMM throughput on this machine: float32 (torch.mm) and int8 (torch._int_mm)."""
    import torch

    torch.set_num_threads(threads)
    out = {}
    a, b = torch.randn(size, size), torch.randn(size, size)
    qa = torch.randint(-128, 128, (size, size), dtype=torch.int8)
    qb = torch.randint(-128, 128, (size, size), dtype=torch.int8)
    for name, fn in (("fp32", lambda: torch.mm(a, b)), ("int8", lambda: torch._int_mm(qa, qb))):
        try:
            fn()
        except Exception:  # no int8 GEMM in this torch build
            continue
        best = min(_timed(fn) for _ in range(repeats))
        out[name] = 2.0 * size**3 / best
    return out


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> int:
    """Load one backend, run the batch once, print peak and added RSS as JSON."""
    if args.child == "hf_fp32":
        import torch  # noqa: F401  (imports count as baseline, not as the model)
        import transformers  # noqa: F401
    else:
        import ctranslate2  # noqa: F401
    before = _rss_mib("VmRSS")
    backend = load(args.child, Path(args.model_dir), Path(args.ct2_dir), args.threads, args.ct2_inter)
    backend.run(make_batch(args.batch, args.src_len, OPUS_MT_FR_EN["vocab_size"]), args.out_len, args.beam)
    peak = _rss_mib("VmHWM")
    print(json.dumps({"peak_rss_mib": round(peak, 1), "model_rss_mib": round(peak - before, 1)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    from align.translate.marian import available_cpus

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="16 sentences x 24 -> 24 tokens, 2 rounds")
    ap.add_argument("--batch", type=int, help="sentences per batch (default 64)")
    ap.add_argument("--src-len", type=int, help="source tokens per sentence, </s> included (default 32)")
    ap.add_argument("--out-len", type=int, help="output tokens per sentence (default 32)")
    ap.add_argument("--repeats", type=int, help="interleaved timing rounds (default 5)")
    ap.add_argument("--beam", type=int, default=1, help="beam size (default 1: greedy)")
    ap.add_argument("--threads", type=int, default=0, help="compute threads per backend (0: all CPUs)")
    ap.add_argument("--ct2-inter", type=int, default=1,
                    help="CTranslate2 inter_threads: parallel sub-batches, each on threads // inter threads")
    ap.add_argument("--work", default="/tmp/align-bench-translate", help="model and converted models go here")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--ct2-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    q = args.quick
    args.batch = args.batch or (16 if q else 64)
    args.src_len = args.src_len or (24 if q else 32)
    args.out_len = args.out_len or (24 if q else 32)
    args.repeats = args.repeats or (2 if q else 5)
    args.threads = args.threads or available_cpus()
    if args.child:
        return child(args)

    work = Path(args.work)
    t0 = time.perf_counter()
    model_dir = build_model(work / "opus-mt-fr-en-random")
    ct2_root = work / "ct2"
    print(f"model: {model_dir} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    ids = make_batch(args.batch, args.src_len, OPUS_MT_FR_EN["vocab_size"])
    backends = {}
    for name in BACKENDS:
        t = time.perf_counter()
        backends[name] = load(name, model_dir, ct2_root, args.threads, args.ct2_inter)
        backends[name].run(ids, 2)  # warm-up: first-call allocations, thread pools
        print(f"loaded {name} ({time.perf_counter() - t:.1f}s)", file=sys.stderr)
    times: dict[str, list[float]] = {n: [] for n in BACKENDS}
    n_tokens = args.batch * args.out_len
    peaks: dict[str, float] = {}
    for r in range(args.repeats):
        time.sleep(0.5)
        for kind, value in measure_peaks(args.threads, repeats=2).items():  # best over all rounds
            peaks[kind] = max(peaks.get(kind, 0.0), value)
        for name, backend in backends.items():
            time.sleep(0.5)  # let the other library's OpenMP threads stop spinning
            t = time.perf_counter()
            assert backend.run(ids, args.out_len, args.beam) == n_tokens
            times[name].append(time.perf_counter() - t)
        print(f"round {r + 1}/{args.repeats}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in BACKENDS),
              file=sys.stderr)
    del backends
    memory = {} if args.no_memory else {
        name: json.loads(subprocess.run(
            [sys.executable, __file__, "--child", name, "--model-dir", str(model_dir), "--ct2-dir", str(ct2_root),
             "--batch", str(args.batch), "--src-len", str(args.src_len), "--out-len", str(args.out_len),
             "--threads", str(args.threads), "--ct2-inter", str(args.ct2_inter), "--beam", str(args.beam)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        for name in BACKENDS
    }

    flops = flop_count(args.batch, args.src_len, args.out_len, args.beam)
    fp32_peak, int8_peak = peaks.get("fp32"), peaks.get("int8")
    bound = {  # FLOP-bound seconds for the batch
        "fp32": flops["total"] / fp32_peak if fp32_peak else None,
        "int8": (flops["linear"] / int8_peak + flops["attention"] / fp32_peak) if int8_peak and fp32_peak else None,
    }
    hf_best = min(times["hf_fp32"])
    decoding = "greedy" if args.beam == 1 else f"beam {args.beam}"
    print(f"\nbatch: {args.batch} sentences x {args.src_len} source tokens -> {args.out_len} output tokens (forced), "
          f"{decoding}; threads {args.threads}; ct2 inter_threads {args.ct2_inter}; "
          f"best of {args.repeats} interleaved rounds")
    print(f"work per batch: {flops['total'] / 1e9:.1f} GFLOP ({flops['linear'] / flops['total']:.1%} in linear layers), "
          f"{flops['total'] / n_tokens / 1e6:.0f} MFLOP per output token")
    if fp32_peak:
        print(f"measured GEMM peak ({args.threads} threads): fp32 {fp32_peak / 1e9:.0f} GFLOP/s"
              + (f", int8 {int8_peak / 1e9:.0f} GOP/s" if int8_peak else ""))
        print(f"FLOP-bound ceiling: fp32 {n_tokens / bound['fp32']:.0f} tok/s"
              + (f", int8 {n_tokens / bound['int8']:.0f} tok/s" if bound["int8"] else ""))
    print()
    header = f"{'backend':<10} {'tok/s best':>10} {'tok/s med':>10} {'vs hf':>7} {'GFLOP/s':>8} {'of ceiling':>10}"
    if memory:
        header += f" {'peak RSS MiB':>12} {'model MiB':>10}"
    print(header)
    results = {}
    for name in BACKENDS:
        best, med = min(times[name]), statistics.median(times[name])
        ceiling = bound["int8" if name == "ct2_int8" else "fp32"]
        row = {
            "tokens_per_s": n_tokens / best, "tokens_per_s_median": n_tokens / med, "vs_hf_fp32": hf_best / best,
            "gflops": flops["total"] / best / 1e9, "of_ceiling": ceiling / best if ceiling else None,
            **memory.get(name, {}),
        }
        results[name] = row
        line = (f"{name:<10} {row['tokens_per_s']:>10.0f} {row['tokens_per_s_median']:>10.0f} "
                f"{row['vs_hf_fp32']:>6.2f}x {row['gflops']:>8.1f} "
                + (f"{row['of_ceiling']:>10.0%}" if row["of_ceiling"] else f"{'-':>10}"))
        if memory:
            line += f" {row['peak_rss_mib']:>12.0f} {row['model_rss_mib']:>10.0f}"
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "args": {k: v for k, v in vars(args).items() if k not in ("child", "model_dir", "ct2_dir")},
            "flops": flops, "peaks": peaks, "results": results, "times": times,
        }, indent=1))
    paired = sorted(h / c for h, c in zip(times["hf_fp32"], times["ct2_int8"]))  # same round, adjacent runs
    print(f"ct2_int8 vs hf_fp32 within each round: median {statistics.median(paired):.2f}x "
          f"(range {paired[0]:.2f}-{paired[-1]:.2f})")
    print(f"speedup_ct2_int8_vs_hf_fp32={results['ct2_int8']['vs_hf_fp32']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
