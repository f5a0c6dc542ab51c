"""The corpus engine: stream items through a processor, resumably, into atomic outputs.

Both verbs run on it. A :class:`Job` says what an item is and how it becomes
a record: ``align run`` streams documents through the mining
:class:`~align.pipeline.Pipeline` (:mod:`align.runner`), ``align docalign``
streams document pairs through the sentence aligner
(:mod:`align.docalign.job`). The engine does the rest, the same way for both:

* **Work log.** Each item's record is appended to a work log beside the
  output directory as the item finishes. A run that is killed resumes from
  that log; the output directory itself appears only when everything is
  written. Only each item's id and its record's byte offset stay in memory.
* **Workers.** With ``workers`` > 1 the items are processed in worker
  processes (:class:`~align.workers.WorkerPool`), which hand the records back
  in input order; this process alone reads the input and writes the log.
* **Outputs.** A second, streaming pass over the log in input order feeds
  the output stage (:class:`~align.output.CorpusOutput`) and the job's
  summary counts.

What is the same across worker counts, embedding-cache states and resumed
runs: the same records in the same order, with the same texts, ids, spans,
beads and labels; every number agrees to within 1e-5. Not bit for bit: BLAS
rounds a product by its shape and thread count on some CPUs (AMD EPYC and
Intel differ; ~1e-7 in a vector); a warm cache puts a text in another batch,
and another worker count gives BLAS another thread count (``worker_config``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from .config import Config
from .export import atomic_dir, atomic_write_text, check_output_dir
from .export.atomic import output_errors
from .output import CorpusOutput, OutputOptions
from .types import ConfigError, InputError, Pair
from .workers import Processor, WorkerPool, sigterm_raises, worker_config

log = logging.getLogger(__name__)


class Totals(Protocol):
    """A job's summary counts, fed while the records stream past in input order."""

    def add(self, rec: dict[str, Any], pairs: list[Pair]) -> None: ...

    def summary(self, resumed: int) -> dict[str, Any]: ...


class Job(Protocol):
    """What the engine needs to know about a verb."""

    cfg: Config
    factory: Callable[[Config], Processor]  # picklable: spawned workers build their own
    unit: str  # what the progress bar counts ("doc", "pair")

    def items(self) -> Iterator[Any]:
        """The input, lazily; problems with the input as a whole raise on the first ``next``."""

    def item_id(self, item: Any) -> str: ...

    def fingerprint_paths(self) -> list[Path]:
        """Files whose contents decide the records (a changed one makes a work log stale)."""

    def totals(self, processor: Processor) -> Totals:
        """Fresh summary counts; ``processor`` is this process's (its loaded models)."""

    def output_options(self) -> OutputOptions: ...

    def card_info(self, summary: dict[str, Any]) -> dict[str, Any]: ...


def config_stamp(cfg: Config) -> str:
    """The config as far as it decides the records: the engine section does not."""
    settings = cfg.to_dict()
    settings.pop("engine", None)
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def fingerprint(cfg: Config, paths: Iterable[Path]) -> str:
    """Records in a work log are reusable only for the same config and input files.

    A folder stands for its files (name, size, modification time).
    """
    stamp: list[Any] = [config_stamp(cfg)]
    for path in paths:
        entries = sorted(path.iterdir()) if path.is_dir() else [path]
        for entry in entries:
            st = entry.stat()
            stamp.append([str(entry.resolve()), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:16]


class WorkLog:
    """Append-only JSONL of finished items (``done.jsonl`` in ``directory``).

    Only each item's id and the byte offset of its record are kept in
    memory; :meth:`read` fetches a record back from the file. On open, a line
    torn by a kill (no final newline, or not JSON) and anything after it are
    cut off, so appends start on a clean line. A log written for another
    config or input (``fingerprint``), or any log when ``fresh``, is discarded.
    """

    def __init__(self, directory: Path, fingerprint: str, *, fresh: bool = False):
        self.directory = directory
        self.path = directory / "done.jsonl"
        self.offsets: dict[str, int] = {}
        self._reader = None
        stamp = directory / "fingerprint"
        with output_errors(directory):
            if directory.exists() and (fresh or not stamp.is_file() or stamp.read_text() != fingerprint):
                if not fresh:
                    log.info("work log %s is from another config or input; starting afresh", directory)
                shutil.rmtree(directory)
            directory.mkdir(parents=True, exist_ok=True)
            if not stamp.is_file():
                atomic_write_text(stamp, fingerprint)
            self.size = self._scan()
            self._f = self.path.open("ab")

    def _scan(self) -> int:
        """Index the good records; truncate a torn tail. Returns the good length in bytes."""
        if not self.path.exists():
            return 0
        good = 0
        with self.path.open("rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # the last write was cut short
                try:
                    doc_id = json.loads(line)["doc_id"]
                except (ValueError, KeyError, TypeError):
                    break  # a line torn by a kill: everything before it is good
                self.offsets[doc_id] = good
                good += len(line)
        if good < self.path.stat().st_size:
            log.info("work log %s: dropping a torn record at byte %d", self.path, good)
            os.truncate(self.path, good)
        return good

    def __len__(self) -> int:
        return len(self.offsets)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.offsets

    def add(self, rec: dict[str, Any]) -> int:
        """Append ``rec`` (one whole line, flushed); return its offset."""
        data = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
        with output_errors(self.path):
            self._f.write(data)
            self._f.flush()
        offset = self.offsets[rec["doc_id"]] = self.size
        self.size += len(data)
        return offset

    def read(self, offset: int) -> dict[str, Any]:
        """The record starting at byte ``offset``."""
        if self._reader is None:
            self._reader = self.path.open("rb")
        if self._reader.tell() != offset:
            self._reader.seek(offset)
        return json.loads(self._reader.readline())

    def close(self) -> None:
        self._f.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _remove_stale_temps(output_dir: Path) -> None:
    """Temp dirs that a killed run left beside the output (``.NAME.tmp-XXXXXXXX``)."""
    if not output_dir.parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(output_dir.name)}\.tmp-[0-9a-f]{{8}}")
    for entry in output_dir.parent.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            log.info("removing %s, left by an interrupted run", entry)
            shutil.rmtree(entry, ignore_errors=True)


def run_job(job: Job, output_dir: str | Path, *, resume: bool = True, progress: bool = True,
            workers: int = 1) -> dict[str, Any]:
    """Process every item of ``job`` into ``output_dir``; return the summary (also in summary.json).

    ``workers``: processes (1 = this one). The outputs do not depend on it,
    to float noise (see the module docstring).
    """
    output_dir = Path(output_dir)
    if workers < 1:
        raise ConfigError(f"workers must be 1 or more, not {workers}")
    cfg = job.cfg
    started = time.perf_counter()
    # Thread counts left on auto are split between the workers; the parent's
    # processor loads the models the forked workers will inherit.
    processor = job.factory(worker_config(cfg, workers) if workers > 1 else cfg)
    # Read (and validate) input and output before loading models, so bad
    # input or an unwritable output fails fast.
    items = job.items()
    first = list(itertools.islice(items, 1))
    if not first:
        raise InputError("no input items")
    check_output_dir(output_dir)
    processor.warm_up()
    pool = work = bar = restore_sigterm = None
    try:
        # Workers start before the work log is opened and before any
        # progress-bar thread, so that forked children inherit neither.
        if workers > 1:
            pool = WorkerPool(job.factory, cfg, workers)
            restore_sigterm = sigterm_raises()
            pool.check()  # a worker that failed to start (a model error, say) fails the run now
        loaded = time.perf_counter()
        _remove_stale_temps(output_dir)
        work = WorkLog(output_dir.parent / f".{output_dir.name}.work", fingerprint(cfg, job.fingerprint_paths()),
                       fresh=not resume)
        resumed = len(work)
        order: list[int] = []  # the work-log offset of each item, in input order
        waiting: deque[int] = deque()  # slots in ``order`` whose record is being made
        bar = tqdm(desc=f"{job.unit}s", unit=job.unit, disable=not progress)

        def todo() -> Iterator[Any]:
            for item in _first_of_each_id(itertools.chain(first, items), job.item_id):
                offset = work.offsets.get(job.item_id(item))
                if offset is not None:  # done in an earlier run
                    order.append(offset)
                    bar.update(1)
                    continue
                waiting.append(len(order))
                order.append(-1)
                yield item

        for rec in (pool.imap(todo()) if pool else map(processor, todo())):
            order[waiting.popleft()] = work.add(rec)
            bar.update(1)
        if pool:
            pool.close()
        processed = time.perf_counter()

        totals = job.totals(processor)
        with atomic_dir(output_dir) as tmp:
            out = CorpusOutput(tmp, job.output_options())
            try:
                out.write((work.read(offset) for offset in order), totals.add)
                summary = totals.summary(resumed)
                summary["export"] = out.close(job.card_info(summary))
            except BaseException:
                out.abort()
                raise
            summary["timing"] = {
                "load_s": round(loaded - started, 3),
                "process_s": round(processed - loaded, 3),
                "total_s": round(time.perf_counter() - started, 3),
                "docs_per_s": round(len(order) / max(processed - loaded, 1e-9), 2),
                "workers": workers,
            }
            atomic_write_text(tmp / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    finally:
        if pool:
            pool.terminate()  # no-op after a clean close; else stops the workers now
        if restore_sigterm:
            restore_sigterm()
        if bar is not None:
            bar.close()
        if work is not None:
            work.close()
    work.remove()
    return summary


def _first_of_each_id(items: Iterable[Any], item_id: Callable[[Any], str]) -> Iterator[Any]:
    seen: set[str] = set()
    for item in items:
        key = item_id(item)
        if key in seen:
            log.warning("id %r appears again; keeping the first", key)
            continue
        seen.add(key)
        yield item
