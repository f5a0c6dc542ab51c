"""``align run``: mine parallel segments from articles into pairs, dataset and summary."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="mine scored parallel segments from multilingual articles")
    p.add_argument("--config", help="YAML config (default: built-in offline default)")
    p.add_argument("--input", required=True, help="a .txt article, a folder of them, a .jsonl or a .parquet file, or a folder "
                   "or glob ('news/*.jsonl') of many such shards")
    p.add_argument("--output", required=True, help="output directory (replaced atomically)")
    p.add_argument("--languages", metavar="CODES",
                   help="comma-separated ISO 639-1 codes that language ID may answer (default: segment.languages, "
                        "else every language it knows)")
    p.add_argument("--no-resume", action="store_true", help="ignore results of an interrupted earlier run")
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes mining documents; 0 = one per CPU. Default: one per CPU as memory allows "
                        "(~1 GiB each); 1 for a single .txt article or with MT models. Outputs are the same for any N")
    add_engine_arguments(p)
    p.set_defaults(func=main)


def add_engine_arguments(p) -> None:
    """--engine and its Ray settings, shared by ``run`` and ``docalign`` (they override the config's engine section)."""
    g = p.add_argument_group("engine", "where a corpus runs (default: engine section of the config, else local)")
    g.add_argument("--engine", choices=("local", "ray"),
                   help="local: this machine's processes (--workers); ray: a Ray Data pipeline on a local Ray "
                        "or a cluster (pip install -e '.[ray]')")
    g.add_argument("--ray-address", metavar="HOST:PORT",
                   help="the Ray cluster to join (default: RAY_ADDRESS, else a local Ray on loopback)")
    g.add_argument("--actors", type=int, metavar="N", help="Ray actors, each with its models loaded once "
                   "(default: one per CPU of the cluster)")
    g.add_argument("--merge", action="store_true", help="Ray: merge the shards into the single-file outputs "
                   "of the local engine (pairs.jsonl, dataset/, ...) instead of parquet per shard: for small corpora")


def apply_engine_arguments(cfg, args) -> None:
    from ..config import config_from_dict

    e = cfg.engine
    raw = {"name": args.engine or e.name, "ray_address": args.ray_address or e.ray_address,
           "actors": e.actors if args.actors is None else args.actors, "merge": args.merge or e.merge}
    checked = config_from_dict({"engine": raw}, source="command line").engine
    e.name, e.ray_address, e.actors, e.merge = checked.name, checked.ray_address, checked.actors, checked.merge
    if e.name == "local" and (args.ray_address or args.actors is not None or args.merge):
        from ..types import ConfigError

        raise ConfigError("--ray-address, --actors and --merge are for --engine ray")


def main(args) -> int:
    from pathlib import Path

    from ..config import load_config
    from ..runner import run_corpus
    from ..workers import default_workers
    from ..types import ConfigError

    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers must be 0 (one per CPU) or more, not {args.workers}")
    cfg = load_config(args.config)
    apply_engine_arguments(cfg, args)
    if args.languages is not None:
        from ..config import config_from_dict

        codes = [c.strip() for c in args.languages.split(",") if c.strip()]
        cfg.segment.languages = config_from_dict({"segment": {"languages": codes}}, source="--languages").segment.languages
    # The default is decided here, not in run_corpus (whose default stays one
    # process for library callers): see default_workers for the reasons.
    single = Path(args.input).is_file() and Path(args.input).suffix.lower() == ".txt"
    workers = default_workers(cfg, single) if args.workers is None else args.workers
    try:
        summary = run_corpus(cfg, args.input, args.output, resume=not args.no_resume,
                             progress=not args.quiet, workers=workers)
    except ConfigError as e:
        # Values checked only when components are built (language codes, model
        # settings): still name the config file they came from.
        if args.config and not str(e).startswith(str(args.config)):
            raise ConfigError(f"{args.config}: {e}") from None
        raise
    brief = {k: summary[k] for k in ("documents", "pairs", "labels", "language_pairs")}
    brief["similarity"] = summary["similarity"]["documents_by_method"]
    print(json.dumps(brief, ensure_ascii=False), file=sys.stderr)
    return 0
