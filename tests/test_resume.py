"""Interrupted corpus runs resume to the output of an uninterrupted run.

The end-to-end test mines 300 synthetic articles (eval/make_articles.py) with
``python -m align run`` in a child process, kills it with SIGKILL partway
through, checks that no output is visible (only the hidden work log), reruns
it (after also tearing the log's last line by hand) with a SIGKILL while the
outputs are being written, reruns it again, and compares every output with
an uninterrupted run's: the same records in order, numbers within 1e-5
(``assert_same_records``); summary.json without timings and resume count. Throughout, an earlier output in the same place stays intact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from align.engine import WorkLog

from conftest import assert_same_records

N_DOCS = 300


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, make_articles) -> Path:
    return make_articles.generate(N_DOCS, tmp_path_factory.mktemp("corpus"), seed=1, fmt="jsonl")


def _config(folder: Path) -> Path:
    """The default config with its own, initially empty, embedding cache.

    Scores depend on the encoder's batches in the last digits, and batches on
    what the cache already holds: each run sequence starts from an empty cache
    so that the comparison does not depend on what earlier runs left in the
    user's cache.
    """
    cfg = folder / "config.yaml"
    cfg.write_text(f"similarity:\n  cache_dir: {json.dumps(str(folder / 'cache'))}\n", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ref")
    out = folder / "out"
    subprocess.run([sys.executable, "-m", "align", "-q", "run", "--config", str(_config(folder)),
                    "--input", str(corpus), "--output", str(out)], check=True, capture_output=True)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _summary_without_run_facts(data: bytes) -> dict:
    s = json.loads(data)
    for key in ("timing", "documents_resumed"):
        s.pop(key)
    s["config"]["similarity"].pop("cache_dir")  # each run sequence has its own
    return s


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


# A run that SIGKILLs itself once every document is mined, in the middle of writing the outputs.
_DIE_IN_EXPORT = """
import os, signal, sys
import align.export.hf as hf
def die(self, **kw):
    os.kill(os.getpid(), signal.SIGKILL)
hf.StreamingExport.close = die
from align.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_then_resume_gives_identical_output(corpus: Path, reference: Path, tmp_path: Path,
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path / "out"
    work = tmp_path / ".out.work"
    log = work / "done.jsonl"
    # An earlier complete output is in place: it must stay intact until the new one is complete.
    out.mkdir()
    old_summary = b'{"earlier": "run"}\n'
    (out / "summary.json").write_bytes(old_summary)
    conf_dir = tmp_path_factory.mktemp("conf")
    argv = ["-q", "run", "--config", str(_config(conf_dir)), "--input", str(corpus), "--output", str(out)]

    # 1. SIGKILL while mining.
    proc = subprocess.Popen([sys.executable, "-m", "align", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = N_DOCS // 4
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and _lines(log) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Nothing half-written is visible: the earlier output untouched, no temp dir; only the hidden work log.
    assert _files(out) == {"summary.json": old_summary}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.work", "out"]
    done = _lines(log)
    assert target <= done < N_DOCS
    # A kill can also tear the last record: simulate that too.
    with log.open("ab") as f:
        f.write(b'{"doc_id": "torn", "main_lang": "fr", "pai')

    # 2. Resume, and SIGKILL while the outputs are being written.
    died = subprocess.run([sys.executable, "-c", _DIE_IN_EXPORT, *argv], capture_output=True, text=True)
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert _lines(log) == N_DOCS
    assert _files(out) == {"summary.json": old_summary}
    (stale,) = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]  # hidden, half-written
    assert (stale / "pairs.jsonl").exists()

    # 3. Resume again: everything comes from the log.
    rerun = subprocess.run([sys.executable, "-m", "align", *argv], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    got, want = _files(out), _files(reference)
    assert sorted(got) == sorted(want)
    # No duplicates, nothing missing, same order. Documents mined after the kill
    # met a cache the killed run had filled: scores agree to float noise.
    for name in want:
        if name.endswith((".jsonl", ".jsonl.gz")):
            assert_same_records(got[name], want[name])
    assert _summary_without_run_facts(got["summary.json"]) == _summary_without_run_facts(want["summary.json"])
    summary = json.loads(got["summary.json"])
    assert summary["documents"] == N_DOCS and summary["documents_resumed"] == N_DOCS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # work log and stale temp dir gone

    pairs = [json.loads(line) for line in got["pairs.jsonl"].decode("utf-8").splitlines()]
    assert len({p["id"] for p in pairs}) == len(pairs) == summary["pairs"] > 0


def test_reference_dataset_rows_match_pairs(reference: Path) -> None:
    import datasets

    dd = datasets.load_from_disk(str(reference / "dataset"))
    ids = [json.loads(line)["id"] for line in (reference / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(i for ds in dd.values() for i in ds["id"]) == sorted(ids)


# --- the work log itself ---------------------------------------------------------------------

def _rec(doc_id: str, n: int = 0) -> dict:
    return {"doc_id": doc_id, "main_lang": "fr", "n_sentences": n, "n_embeds": 0, "method": None, "pairs": []}


def test_work_log_keeps_offsets_not_records(tmp_path: Path) -> None:
    w = WorkLog(tmp_path / "w", "fp")
    offsets = [w.add(_rec(f"d{i}", i)) for i in range(5)]
    assert list(w.offsets) == [f"d{i}" for i in range(5)] and list(w.offsets.values()) == offsets
    assert [w.read(o)["n_sentences"] for o in reversed(offsets)] == [4, 3, 2, 1, 0]  # random access
    w.close()
    again = WorkLog(tmp_path / "w", "fp")
    assert again.offsets == w.offsets and "d3" in again and len(again) == 5
    again.close()


@pytest.mark.parametrize("tail", [b'{"doc_id": "x", "pa', b'{"doc_id": "x"}', b"\xff\xfe", b"[1, 2]\n", b"{}\n"])
def test_work_log_drops_torn_tail(tmp_path: Path, tail: bytes) -> None:
    w = WorkLog(tmp_path / "w", "fp")
    w.add(_rec("a"))
    w.add(_rec("b"))
    w.close()
    good = w.path.read_bytes()
    with w.path.open("ab") as f:
        f.write(tail)
    w2 = WorkLog(tmp_path / "w", "fp")
    assert list(w2.offsets) == ["a", "b"]
    assert w2.path.read_bytes() == good  # truncated to the last whole record
    w2.add(_rec("c"))
    w2.close()
    assert list(WorkLog(tmp_path / "w", "fp").offsets) == ["a", "b", "c"]


def test_work_log_from_another_run_or_fresh_is_discarded(tmp_path: Path) -> None:
    w = WorkLog(tmp_path / "w", "fp1")
    w.add(_rec("a"))
    w.close()
    other = WorkLog(tmp_path / "w", "fp2")
    assert len(other) == 0
    other.add(_rec("b"))
    other.close()
    fresh = WorkLog(tmp_path / "w", "fp2", fresh=True)
    assert len(fresh) == 0 and fresh.path.read_bytes() == b""
    fresh.close()


def test_no_resume_and_duplicate_ids(tmp_path: Path, offline_pipeline) -> None:
    """--no-resume ignores an old log; a repeated document id is mined once (the first)."""
    from align.config import Config
    from align.runner import run_corpus

    src = tmp_path / "in.jsonl"
    text = ("Le président a parlé hier soir devant les députés réunis à Paris. "
            "Il a annoncé une nouvelle loi sur le climat.\n\n"
            "The president spoke last night in front of the deputies gathered in Paris. "
            "https://t.co/abcdefghij — Someone (@someone) 5 septembre 2017\n")
    rows = [{"id": "a", "text": text}, {"id": "b", "text": text}, {"id": "a", "text": "Autre chose."}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    first = run_corpus(Config(), src, out, progress=False)
    assert first["documents"] == 2 and first["pairs"] == 2
    # A leftover log with a bogus record for "a": --no-resume must not use it.
    from align.engine import fingerprint

    w = WorkLog(tmp_path / ".out.work", fingerprint(Config(), [src]))
    w.add({**_rec("a"), "pairs": []})
    w.close()
    again = run_corpus(Config(), src, out, resume=False, progress=False)
    assert again["documents_resumed"] == 0 and again["pairs"] == 2
    assert not (tmp_path / ".out.work").exists()


def test_stale_temp_dirs_of_a_killed_run_are_cleaned(tmp_path: Path, offline_pipeline) -> None:
    from align.config import Config
    from align.runner import run_corpus

    src = tmp_path / "a.txt"
    src.write_text("Un article en français. Il ne cite personne.\n", encoding="utf-8")
    stale = tmp_path / ".out.tmp-0123abcd"
    (stale / "dataset").mkdir(parents=True)
    keep = tmp_path / ".other.tmp-0123abcd"
    keep.mkdir()
    run_corpus(Config(), src, tmp_path / "out", progress=False)
    assert not stale.exists() and keep.exists()
