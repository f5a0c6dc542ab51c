"""``align report``: a static HTML report of an ``align run`` or ``align docalign`` output.

:func:`write_report` reads the output directory (summary.json, pairs.jsonl,
documents.jsonl.gz; see :mod:`align.report.data`) and writes ``index.html``,
one page per document under ``docs/`` and shared ``assets/``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_report"]


def write_report(*args: Any, **kwargs: Any):
    # Imported on use: jinja2 and Pillow load only when a report is written.
    from .render import write_report as write

    return write(*args, **kwargs)
