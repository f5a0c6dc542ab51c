"""``align docalign``: sentence alignment of parallel documents (monotonic, many-to-many).

One pair (``--src``/``--tgt``) writes ``DIR/alignments.txt``; many pairs
(``--input``: a folder of ``NAME.SRC``/``NAME.TGT`` files, or a JSONL or TSV
list) write ``DIR/alignments/NAME.txt``. Both write ``DIR/pairs.jsonl``, the
exports named in ``docalign.exports`` (``hf``: the Hugging Face export laid
out as for ``align run`` -- ``dataset/``, ``data/``, ``jsonl/``,
``README.md``; ``moses``/``tmx``/``xces``: ``opus/``) and
``DIR/summary.json``. Runs through the same engine as ``align run``:
resumable after a kill, ``--workers N`` processes.
"""

from __future__ import annotations

import json
import sys

from .run import add_engine_arguments, apply_engine_arguments


def add_parser(sub) -> None:
    p = sub.add_parser("docalign", help="align the sentences of parallel documents (translation and original)")
    p.add_argument("--config", help="YAML config (section docalign; see configs/parallel.yaml)")
    p.add_argument("--src", help="source document")
    p.add_argument("--tgt", help="target document (its translation)")
    p.add_argument("--src-translation", help="machine translation of --src into the target language, "
                   "line-aligned with the source (with --presplit) or with its split sentences")
    p.add_argument("--input", "--pairs", dest="input", metavar="PATH",
                   help="instead of --src/--tgt, many pairs: a folder of NAME.SRC/NAME.TGT files (the extensions "
                   "are --src-lang/--tgt-lang), a JSONL with an id and src/tgt texts (or src_path/tgt_path, "
                   "src_translation[_path]) per line, or a TSV of paths src<TAB>tgt[<TAB>translation]")
    p.add_argument("--presplit", action="store_true", help="inputs hold one sentence per line")
    p.add_argument("--src-lang", help="source language (default: docalign.src_lang, else identified)")
    p.add_argument("--tgt-lang", help="target language (default: docalign.tgt_lang, else identified)")
    p.add_argument("--output", required=True, help="output directory (replaced atomically)")
    p.add_argument("--no-resume", action="store_true", help="ignore results of an interrupted earlier run")
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes aligning document pairs; 0 = one per CPU. Default: one per CPU as memory "
                        "allows (~1 GiB each); 1 for one pair or with MT models")
    add_engine_arguments(p)
    p.set_defaults(func=main)


def main(args) -> int:
    from pathlib import Path

    from ..config import load_config
    from ..docalign import PairSpec, align_documents
    from ..segment.langid import check_languages
    from ..types import ConfigError
    from ..workers import default_workers

    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers must be 0 (one per CPU) or more, not {args.workers}")
    cfg = load_config(args.config)
    apply_engine_arguments(cfg, args)
    if args.src_lang:
        check_languages([args.src_lang], "--src-lang")
        cfg.docalign.src_lang = args.src_lang
    if args.tgt_lang:
        check_languages([args.tgt_lang], "--tgt-lang")
        cfg.docalign.tgt_lang = args.tgt_lang
    if args.input:
        if args.src or args.tgt or args.src_translation:
            raise ConfigError("give either --input or --src/--tgt, not both")
        pairs = Path(args.input)
    elif args.src and args.tgt:
        pairs = PairSpec.from_files(Path(args.src).stem or "doc", args.src, args.tgt, args.src_translation)
    else:
        raise ConfigError("give --src and --tgt (or --input)")
    single = isinstance(pairs, PairSpec)
    workers = default_workers(cfg, single) if args.workers is None else args.workers
    summary = align_documents(cfg, pairs, args.output, presplit=args.presplit, resume=not args.no_resume,
                              progress=not args.quiet, workers=workers)
    brief = {k: summary[k] for k in ("documents", "documents_skipped", "pairs", "beads", "evidence")}
    print(json.dumps(brief), file=sys.stderr)
    return 0
