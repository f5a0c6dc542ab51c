"""Write the report: templates compiled once, documents streamed one page at a time."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..export.atomic import atomic_dir, output_errors
from . import build
from .data import MINING, PARALLEL, iter_documents, open_output
from .heatmap import heatmaps

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ASSETS = ("report.css", "report.js")


def _text(value: Any) -> Markup:
    """Escaped text that keeps every character where the spans say: a raw CR would be
    turned into LF (CRLF into one LF) by the HTML parser and shift the offsets after it."""
    return Markup(str(escape(value)).replace("\r", "&#13;"))


def _num(value: Any, digits: int = 3) -> str:
    return "–" if not build._number(value) else f"{value:.{digits}f}"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["text"] = _text
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: f"{100 * v:.1f} %"
    return env


class Report:
    def __init__(self, out_dir: Path):
        self.out = out_dir
        env = environment()
        self.pages = {k: env.get_template(f"{k}.html") for k in ("index", MINING, PARALLEL, "skipped", "pairs")}

    def page(self, name: str, view: dict[str, Any], pairs: list[dict[str, Any]],
             prev: str | None, next_: str | None) -> None:
        kind = view.get("kind")
        ctx: dict[str, Any] = {"root": "../", "doc_id": str(view.get("doc_id", "")), "name": name,
                               "prev": prev, "next": next_, "pair_count": len(pairs)}
        if kind == MINING:
            ctx.update(build.mining_context(view, pairs))
        elif kind == PARALLEL:
            ctx.update(build.parallel_context(view, pairs))
            ctx["heatmaps"] = []
            for k, h in enumerate(heatmaps(view)):
                png = f"{name}-heat-{k}.png"
                (self.out / "docs" / png).write_bytes(h.png)
                ctx["heatmaps"].append({"src": png, "map": h})
        elif kind == "skipped":
            ctx["reason"] = view.get("reason") or "no reason given"
        else:
            kind = "pairs"
            ctx["pairs"] = [build.pair_card(k, p) for k, p in enumerate(pairs)]
        (self.out / "docs" / f"{name}.html").write_text(self.pages[kind].render(ctx), encoding="utf-8")


def write_report(path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the HTML report of the align output at ``path`` to ``out_dir`` (default: its ``report/``).

    Returns the index page's path. InputError when ``path`` is not an align
    output; OutputError when ``out_dir`` cannot be written or replaced.
    """
    t0 = time.perf_counter()
    output = open_output(path)
    final = Path(out_dir) if out_dir is not None else output.dir / "report"
    overview = build.Overview(output.summary, output.verb)
    namer = build.page_names()
    n = 0
    with atomic_dir(final, overwrite_marker="index.html") as tmp, output_errors(final):
        (tmp / "docs").mkdir()
        (tmp / "assets").mkdir()
        for asset in ASSETS:
            shutil.copyfile(HERE / "assets" / asset, tmp / "assets" / asset)
        report = Report(tmp)
        # One document of look-ahead: a page links to the next one's file.
        prev_name: str | None = None
        pending: tuple[str, dict[str, Any], list[dict[str, Any]]] | None = None
        for view, pairs in iter_documents(output):
            name = namer(str(view.get("doc_id", "")))
            overview.add(name, view, pairs)
            if pending:
                report.page(*pending, prev_name, name)
                prev_name = pending[0]
            pending = (name, view, pairs)
            n += 1
        if pending:
            report.page(*pending, prev_name, None)
        ctx = overview.context()
        ctx.update(root="", title=output.dir.name or str(output.dir), has_views=output.has_views)
        (tmp / "index.html").write_text(report.pages["index"].render(ctx), encoding="utf-8")
    log.info("report of %d documents in %.1f s: %s", n, time.perf_counter() - t0, final / "index.html")
    return final / "index.html"
