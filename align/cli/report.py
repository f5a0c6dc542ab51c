"""``align report``: an HTML report of an output directory, to review pairs and alignments in a browser."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write an HTML report of an 'align run' or 'align docalign' output")
    p.add_argument("dir", metavar="DIR", help="the output directory of 'align run' or 'align docalign'")
    p.add_argument("--output", metavar="OUT", help="report directory (default: DIR/report; replaced atomically)")
    p.add_argument("--open", action="store_true", help="open the report in a web browser, where one is available")
    p.set_defaults(func=main)


def _can_open() -> bool:
    # Without a display, webbrowser falls back to console browsers (lynx, w3m)
    # that would take over the terminal: only the path is printed then.
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def main(args) -> int:
    from ..report import write_report

    index = write_report(args.dir, args.output)
    print(index)
    if args.open and _can_open():
        import webbrowser

        webbrowser.open(Path(index).resolve().as_uri())
    return 0
