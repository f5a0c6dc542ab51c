"""``align run --workers N``: documents mined in N processes give the same outputs as one.

The parent alone writes the work log, in input order, so the outputs (the
same records in order, numbers within 1e-5), a resumed run and a failing
run's log are those of one process; errors
raised in a worker reach the CLI as one line with their exit code; SIGTERM
leaves neither worker processes nor outputs behind.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from align.cli.main import main
from align.config import Config
from align.pipeline import Pipeline
from align.runner import run_corpus
from align.types import ModelError

from conftest import assert_same_records

N_DOCS = 40
FAIL_AT = 10  # the index of the document that fails in the failing runs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, make_articles) -> Path:
    path = make_articles.generate(N_DOCS, tmp_path_factory.mktemp("corpus"), seed=3, fmt="jsonl")
    rows = path.read_text(encoding="utf-8").splitlines()
    # A repeated id: the first one is kept, with any number of workers.
    again = {**json.loads(rows[5]), "text": "Un autre texte, en français, sans tweet."}
    path.write_text("\n".join([*rows, json.dumps(again, ensure_ascii=False)]) + "\n", encoding="utf-8")
    return path


def _config(cache_dir: Path | str) -> Config:
    """The default config with its own (initially empty) embedding cache, or none for ""."""
    cfg = Config()
    cfg.similarity.cache_dir = str(cache_dir)
    return cfg


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One process, no embedding cache."""
    folder = tmp_path_factory.mktemp("ref")
    run_corpus(_config(""), corpus, folder / "out", progress=False, workers=1)
    return folder / "out"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _assert_same_outputs(got_dir: Path, want_dir: Path, *, resumed: int = 0) -> None:
    """The same outputs: the same records, numbers within float noise (see assert_same_records)."""
    got, want = _files(got_dir), _files(want_dir)
    assert sorted(got) == sorted(want)
    assert "pairs.jsonl" in got and any(name.startswith("jsonl/") for name in got)
    for name in want:
        if name.endswith((".jsonl", ".jsonl.gz")):  # BLAS threads differ by worker count: float noise
            assert_same_records(got[name], want[name])
        elif name != "summary.json" and not name.startswith(("dataset/", "data/")):  # jsonl/'s rows, binary
            assert got[name] == want[name], name
    summaries = []
    for data in (got["summary.json"], want["summary.json"]):
        s = json.loads(data)
        s.pop("timing")
        s.pop("documents_resumed")
        s["config"]["similarity"].pop("cache_dir")
        summaries.append(s)
    assert summaries[0] == summaries[1]
    assert json.loads(got["summary.json"])["documents_resumed"] == resumed


def test_two_workers_write_the_same_outputs(corpus: Path, reference: Path, tmp_path: Path) -> None:
    summary = run_corpus(_config(""), corpus, tmp_path / "out", progress=False, workers=2)
    assert summary["documents"] == N_DOCS and summary["pairs"] > 0 and summary["timing"]["workers"] == 2
    _assert_same_outputs(tmp_path / "out", reference)


def test_workers_share_the_embedding_cache(corpus: Path, reference: Path, tmp_path: Path) -> None:
    """Each worker writes the cache through its own connection. Which process encodes a recurring
    text first depends on timing; the pairs are the same, their scores to float noise."""
    from align.similarity.cache import EmbeddingCache

    run_corpus(_config(tmp_path / "cache"), corpus, tmp_path / "out", progress=False, workers=2)
    _assert_same_outputs(tmp_path / "out", reference)
    with EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite") as cache:
        assert len(cache) > 0
    # A second run reads everything from the now warm cache: still the same outputs.
    run_corpus(_config(tmp_path / "cache"), corpus, tmp_path / "again", progress=False, workers=2)
    _assert_same_outputs(tmp_path / "again", reference)


def test_default_worker_count(tmp_path: Path) -> None:
    from align.cpus import available_cpus
    from align.workers import default_workers

    no_cache = _config("")
    assert default_workers(no_cache, single=True) == 1  # a single article or document pair
    assert 1 <= default_workers(no_cache, single=False) <= available_cpus()
    assert default_workers(_config(tmp_path / "cache"), single=False) == default_workers(no_cache, single=False)
    with_mt = _config("")
    with_mt.translation.models = {"fr-en": "Helsinki-NLP/opus-mt-fr-en"}
    assert default_workers(with_mt, single=False) == 1


def _fail_on(monkeypatch: pytest.MonkeyPatch, doc_id: str, error: Exception) -> None:
    """Make Pipeline.process raise ``error`` for ``doc_id`` (forked workers inherit the patch)."""
    original = Pipeline.process

    def process(self, doc):
        if doc.id == doc_id:
            raise error
        return original(self, doc)

    monkeypatch.setattr(Pipeline, "process", process)


@pytest.mark.parametrize("first, second", [(2, 1), (1, 2)])
def test_failed_run_resumes_with_another_worker_count(corpus: Path, reference: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, first: int,
                                                       second: int) -> None:
    """A run that fails at one document has logged exactly the documents before it, with any
    worker count; the rerun, with another count, reuses that log (the fingerprint is the same)."""
    ids = [json.loads(line)["id"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _fail_on(m, ids[FAIL_AT], ModelError("model fell over"))
        with pytest.raises(ModelError, match="model fell over"):
            run_corpus(_config(""), corpus, out, progress=False, workers=first)
    assert not out.exists()
    log = (tmp_path / ".out.work" / "done.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["doc_id"] for line in log] == ids[:FAIL_AT]

    summary = run_corpus(_config(""), corpus, out, progress=False, workers=second)
    assert summary["documents_resumed"] == FAIL_AT
    _assert_same_outputs(out, reference, resumed=FAIL_AT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- the CLI -----------------------------------------------------------------------------------

def _one_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("WARNING ", "INFO "))]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("error, code, needle", [
    (ModelError("cannot load the model"), 4, "align run: error: cannot load the model"),
    (RuntimeError("worker bug"), 1, "align run: internal error: RuntimeError: worker bug"),
])
def test_error_in_a_worker_gives_its_exit_code(capsys, corpus: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, error, code, needle) -> None:
    ids = [json.loads(line)["id"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    _fail_on(monkeypatch, ids[FAIL_AT], error)
    conf = tmp_path / "c.yaml"
    conf.write_text('similarity:\n  cache_dir: ""\n', encoding="utf-8")
    out = tmp_path / "out"
    got = main(["-q", "run", "--config", str(conf), "--input", str(corpus), "--output", str(out), "--workers", "2"])
    assert got == code
    _one_line(capsys.readouterr().err, needle)
    assert not out.exists()


def test_error_starting_a_worker_fails_the_run(capsys, corpus: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose pipeline cannot be built does not hang the pool: its error is the run's."""
    parent, original = os.getpid(), Pipeline.warm_up

    def warm_up(self):
        if os.getpid() != parent:
            raise ModelError("no model in the worker")
        original(self)

    monkeypatch.setattr(Pipeline, "warm_up", warm_up)
    out = tmp_path / "out"
    assert main(["-q", "run", "--input", str(corpus), "--output", str(out), "--workers", "2"]) == 4
    _one_line(capsys.readouterr().err, "no model in the worker")
    assert not out.exists()


@pytest.mark.parametrize("value", ["-1", "-8"])
def test_negative_workers_is_a_usage_error(capsys, corpus: Path, tmp_path: Path, value: str) -> None:
    assert main(["-q", "run", "--input", str(corpus), "--output", str(tmp_path / "out"), "--workers", value]) == 2
    _one_line(capsys.readouterr().err, "align run: error: --workers must be 0", value)
    assert list(tmp_path.iterdir()) == []


# A run whose documents each take a while, so that it can be stopped while mining.
_SLOW = """
import sys, time
from align.pipeline import Pipeline
original = Pipeline.process
def process(self, doc):
    time.sleep(0.2)
    return original(self, doc)
Pipeline.process = process
from align.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(x) for x in (task / "children").read_text().split()]
    return out


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return "\nState:\tZ" in status  # a zombie has exited; init reaps it


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigterm_stops_workers_and_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    """SIGTERM runs the same cleanup as Ctrl-C (exit 130). Workers ignore Ctrl-C's SIGINT and are
    stopped by the parent; killed outright (SIGKILL), the parent takes them along (PR_SET_PDEATHSIG)."""
    out = tmp_path / "out"
    log = tmp_path / ".out.work" / "done.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW, "-q", "run", "--input", str(corpus),
                             "--output", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if log.exists() and log.read_bytes().count(b"\n") >= 4:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read()
        workers = _children(proc.pid)
        assert len(workers) >= 2
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130, err
    _one_line(err, "align run: interrupted")
    deadline = time.monotonic() + 10
    while not all(map(_gone, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(_gone, workers)), "worker processes outlived the run"
    # Nothing visible but the work log, which a rerun resumes from.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.work"]
    assert 4 <= log.read_bytes().count(b"\n") < N_DOCS


# --- the sqlite stores across fork ---------------------------------------------------------------

def _write_rows(path: str, k: int) -> int:
    from align.similarity.cache import EmbeddingCache

    cache = EmbeddingCache(path)
    for batch in range(30):
        texts = [f"text {(batch * 7 + i) % 200}" for i in range(20)]
        cache.put_many("m", texts, np.full((20, 4), k, dtype=np.float32))
        assert len(cache.get_many("m", texts)) == 20
    n = len(cache)
    cache.close()
    return n


_FORKED: dict = {}


def _use_inherited() -> tuple[int, int]:
    cache = _FORKED["cache"]  # the parent's object, inherited by fork (not pickled)
    cache.put_many("m", ["from the child"], np.zeros((1, 4), dtype=np.float32))
    return os.getpid(), len(cache)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_sqlite_store_reconnects_in_a_forked_child_and_takes_concurrent_writers(tmp_path: Path) -> None:
    from align.similarity.cache import EmbeddingCache

    path = tmp_path / "e.sqlite"
    cache = EmbeddingCache(path)
    cache.put_many("m", ["from the parent"], np.ones((1, 4), dtype=np.float32))
    parent_conn = cache._conn
    ctx = multiprocessing.get_context("fork")
    _FORKED["cache"] = cache
    try:
        with ctx.Pool(1) as pool:
            child_pid, n = pool.apply(_use_inherited)
    finally:
        _FORKED.clear()
    assert child_pid != os.getpid() and n == 2
    assert cache._conn is parent_conn and len(cache) == 2  # the parent's connection is untouched
    cache.close()
    # Several processes writing the same (new) file at once: WAL and the busy timeout.
    with ctx.Pool(4) as pool:
        counts = pool.starmap(_write_rows, [(str(tmp_path / "new.sqlite"), k) for k in range(4)])
    assert max(counts) == 200
