"""``align docalign``: sentence alignment of parallel documents (monotonic, many-to-many).

One pair (``--src``/``--tgt``) writes ``DIR/alignments.txt``; a list of pairs
(``--pairs``, JSONL or TSV) writes ``DIR/alignments/{id}.txt``. Both write
``DIR/pairs.jsonl``, the exports named in ``docalign.exports`` (``hf``: the
Hugging Face export laid out as for ``align run`` -- ``dataset/``, ``data/``,
``jsonl/``, ``README.md``; ``moses``/``tmx``/``xces``: ``opus/``) and
``DIR/summary.json``.
"""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("docalign", help="align the sentences of parallel documents (translation and original)")
    p.add_argument("--config", help="YAML config (section docalign; see configs/parallel.yaml)")
    p.add_argument("--src", help="source document")
    p.add_argument("--tgt", help="target document (its translation)")
    p.add_argument("--src-translation", help="machine translation of --src into the target language, "
                   "line-aligned with the source (with --presplit) or with its split sentences")
    p.add_argument("--pairs", help="instead of --src/--tgt: a JSONL ({id, src, tgt, src_translation?}) "
                   "or TSV (src<TAB>tgt[<TAB>translation]) list of document pairs")
    p.add_argument("--presplit", action="store_true", help="inputs hold one sentence per line")
    p.add_argument("--src-lang", help="source language (default: docalign.src_lang, else identified)")
    p.add_argument("--tgt-lang", help="target language (default: docalign.tgt_lang, else identified)")
    p.add_argument("--output", required=True, help="output directory (replaced atomically)")
    p.set_defaults(func=main)


def main(args) -> int:
    from pathlib import Path

    from ..config import load_config
    from ..docalign import DocAligner, PairSpec, load_pair, read_pair_list, write_outputs
    from ..export import atomic_dir
    from ..segment.langid import check_languages
    from ..types import ConfigError

    cfg = load_config(args.config)
    if args.src_lang:
        check_languages([args.src_lang], "--src-lang")
        cfg.docalign.src_lang = args.src_lang
    if args.tgt_lang:
        check_languages([args.tgt_lang], "--tgt-lang")
        cfg.docalign.tgt_lang = args.tgt_lang
    if args.pairs:
        if args.src or args.tgt or args.src_translation:
            raise ConfigError("give either --pairs or --src/--tgt, not both")
        specs = read_pair_list(args.pairs)
        single = False
    else:
        if not (args.src and args.tgt):
            raise ConfigError("give --src and --tgt (or --pairs)")
        specs = [PairSpec(Path(args.src).stem or "doc", Path(args.src), Path(args.tgt),
                          Path(args.src_translation) if args.src_translation else None)]
        single = True
    aligner = DocAligner(cfg)
    with atomic_dir(args.output) as tmp:
        results = []
        for spec in specs:
            src, tgt, mt = load_pair(spec, cfg, presplit=args.presplit)
            results.append(aligner.align(spec.doc_id, src, tgt, mt))
        inputs = {"presplit": args.presplit,
                  "pairs": [{"id": s.doc_id, "src": str(s.src), "tgt": str(s.tgt),
                             "src_translation": str(s.src_translation) if s.src_translation else None}
                            for s in specs]}
        summary = write_outputs(results, tmp, cfg, single=single, inputs=inputs)
    brief = {"documents": summary["documents"], "pairs": summary["pairs"],
             "beads": sum(d["beads"] for d in summary["docs"]),
             "evidence": sorted({e for d in summary["docs"] for e in d["evidence"]})}
    print(json.dumps(brief), file=sys.stderr)
    return 0
