"""``--engine ray``: the corpus jobs on a local Ray with 2 CPUs, against the local engine.

Same records as the local engine (under the rule of align.engine) for
mining (200 articles in 4 JSONL shards) and docalign (10 document pairs);
a run killed with SIGKILL resumes, skipping the shards it had finished; an
actor killed mid-run is restarted by Ray and no item is lost or doubled; a
corrupt shard is counted and the rest goes on; an unreachable cluster is a
one-line error; ``import align`` loads no Ray. Everything listens on
loopback only.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The local Ray of these tests listens on loopback only (see align.ray_engine.connect).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")

from align.config import Config  # noqa: E402
from align.docalign import align_documents  # noqa: E402
from align.docalign.job import DocAlignJob  # noqa: E402
from align.ray_engine import run_job_ray  # noqa: E402
from align.runner import run_corpus  # noqa: E402

from conftest import assert_same_records  # noqa: E402
from test_docalign_corpus import _write_folder  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray (2 CPUs, loopback) for the in-process runs; the engine joins it."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    assert [n["NodeManagerAddress"] for n in ray.nodes()] == ["127.0.0.1"]
    # Test-only processors (below) travel to the actors by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.shutdown()


def _mining_cfg(engine: str = "local", **ray_settings) -> Config:
    cfg = Config()
    cfg.similarity.cache_dir = ""
    cfg.engine.name = engine
    for key, value in ray_settings.items():
        setattr(cfg.engine, key, value)
    return cfg


def _shards(make_articles, folder: Path, n: int, per_shard: int) -> Path:
    """``n`` synthetic articles as JSONL shards of ``per_shard`` lines."""
    make_articles.main(["--n", str(n), "--out", str(folder / "gen"), "--format", "jsonl", "--seed", "3"])
    lines = (folder / "gen" / "articles.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    shards = folder / "shards"
    shards.mkdir()
    for k in range(0, n, per_shard):
        (shards / f"news-{k // per_shard:03d}.jsonl").write_text("".join(lines[k:k + per_shard]), encoding="utf-8")
    return shards


def _shard_pairs(out: Path) -> bytes:
    """The pairs of a Ray output's shards, in input order, as pairs.jsonl lines."""
    lines = []
    for records in sorted((out / "shards").glob("*.records.jsonl.gz")):
        with gzip.open(records, "rt", encoding="utf-8") as f:
            for rec in f:
                lines += [json.dumps(p, ensure_ascii=False) + "\n" for p in json.loads(rec)["pairs"]]
    return "".join(lines).encode("utf-8")


def test_mining_200_articles_gives_the_pairs_of_the_local_engine(tmp_path: Path, make_articles, local_ray) -> None:
    import pyarrow.parquet as pq

    shards = _shards(make_articles, tmp_path, 200, 50)
    local = run_corpus(_mining_cfg(), str(shards / "*.jsonl"), tmp_path / "local", progress=False, workers=1)
    summary = run_corpus(_mining_cfg("ray", actors=2), str(shards / "*.jsonl"), tmp_path / "ray", progress=False)
    out = tmp_path / "ray"
    assert summary["documents"] == local["documents"] == 200
    assert summary["pairs"] == local["pairs"] > 100
    assert summary["labels"] == local["labels"] and summary["language_pairs"] == local["language_pairs"]
    assert summary["shards"] == {"total": 4, "resumed": 0} and summary["timing"]["actors"] == 2
    assert_same_records(_shard_pairs(out), (tmp_path / "local" / "pairs.jsonl").read_bytes())
    # The Hub layout: per language pair, one parquet per shard, named by shard and fingerprint;
    # in shard order they hold the rows of the local engine's train.parquet.
    assert len(list((out / "data" / "en-fr").glob("*.parquet"))) == 4
    for config, rows in summary["export"]["configs"].items():
        files = sorted((out / "data" / config).glob("news-*-*.parquet"))
        assert 1 <= len(files) <= 4 and all(len(f.stem.rsplit("-", 1)[1]) == 16 for f in files)
        got = [r for f in files for r in pq.read_table(f).to_pylist()]
        want = pq.read_table(tmp_path / "local" / "data" / config / "train.parquet").to_pylist()
        assert len(got) == len(want) == rows
        assert [r["id"] for r in got] == [r["id"] for r in want]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "data/en-fr/*.parquet" in card
    assert not (out / "pairs.jsonl").exists() and not (out / ".staging").exists()


def test_docalign_10_pairs_merged_gives_the_outputs_of_the_local_engine(tmp_path: Path, local_ray) -> None:
    _write_folder(tmp_path / "docs", 10, 15, seed=5)
    cfg = Config()
    cfg.similarity.cache_dir = ""
    cfg.docalign.src_lang, cfg.docalign.tgt_lang = "en", "fr"
    cfg.docalign.exports = ["hf", "moses"]
    local = align_documents(cfg, tmp_path / "docs", tmp_path / "local", progress=False, workers=1)
    cfg.engine.name, cfg.engine.actors, cfg.engine.files_per_shard, cfg.engine.merge = "ray", 2, 3, True
    summary = align_documents(cfg, tmp_path / "docs", tmp_path / "ray", progress=False)
    assert summary["documents"] == local["documents"] == 10
    assert summary["shards"] == {"total": 4, "resumed": 0}  # 10 pairs by 3
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    assert sorted(p.relative_to(ray_out) for p in ray_out.rglob("*") if "dataset" not in p.parts) == \
        sorted(p.relative_to(local_out) for p in local_out.rglob("*") if "dataset" not in p.parts)
    for name in sorted(p.name for p in (local_out / "alignments").iterdir()):
        beads = [line.split(":")[:2] for line in (ray_out / "alignments" / name).read_text().splitlines()]
        assert beads == [line.split(":")[:2] for line in (local_out / "alignments" / name).read_text().splitlines()]
    assert_same_records((ray_out / "pairs.jsonl").read_bytes(), (local_out / "pairs.jsonl").read_bytes())
    assert not (tmp_path / ".ray.work").exists()  # the shards are gone once merged


class _KillOnce:
    """A processor whose actor process kills itself (SIGKILL) at its third item, once per run."""

    def __init__(self, cfg: Config, *, inner, marker: str):
        self.inner = inner(cfg)
        self.marker = marker
        self.calls = 0

    def warm_up(self) -> None:
        self.inner.warm_up()

    def __call__(self, item):
        self.calls += 1
        if self.calls == 3:
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return self.inner(item)


def test_an_actor_killed_mid_run_is_restarted_and_nothing_is_lost_or_doubled(tmp_path: Path, local_ray) -> None:
    _write_folder(tmp_path / "docs", 10, 12, seed=9)
    cfg = Config()
    cfg.similarity.cache_dir = ""
    cfg.docalign.src_lang, cfg.docalign.tgt_lang = "en", "fr"
    cfg.docalign.exports = ["hf"]
    align_documents(cfg, tmp_path / "docs", tmp_path / "local", progress=False, workers=1)
    cfg.engine.name, cfg.engine.actors, cfg.engine.files_per_shard, cfg.engine.batch_size = "ray", 2, 5, 1
    job = DocAlignJob(cfg, tmp_path / "docs", presplit=False, progress=False, workers=2)
    marker = tmp_path / "killed"
    job.factory = functools.partial(_KillOnce, inner=job.factory, marker=str(marker))
    summary = run_job_ray(job, tmp_path / "ray", progress=False)
    assert marker.exists(), "no actor was killed"
    assert summary["documents"] == 10
    records = [json.loads(line) for f in sorted((tmp_path / "ray" / "shards").glob("*.records.jsonl.gz"))
               for line in gzip.open(f, "rt", encoding="utf-8")]
    assert [r["doc_id"] for r in records] == [f"doc{k:03d}" for k in range(10)]  # each once, in order
    assert_same_records(_shard_pairs(tmp_path / "ray"), (tmp_path / "local" / "pairs.jsonl").read_bytes())


def test_a_corrupt_shard_is_counted_and_the_rest_goes_on(tmp_path: Path, local_ray) -> None:
    shards = tmp_path / "in"
    shards.mkdir()
    doc = {"text": "Le gouvernement a annoncé hier une nouvelle loi sur le climat. Elle entre en vigueur en mai."}
    good = "".join(json.dumps({**doc, "id": f"a{k}"}, ensure_ascii=False) + "\n" for k in range(3))
    (shards / "a.jsonl").write_text(good, encoding="utf-8")
    (shards / "b.jsonl").write_bytes(json.dumps({**doc, "id": "b0"}).encode() + b"\n{not json\n"
                                     + b'{"id": "b2", "text": "caf\xe9 cr\xe8me"}\n'
                                     + json.dumps({**doc, "id": "b3"}).encode() + b"\n")
    (shards / "c.parquet").write_bytes(b"PAR1 this is no parquet file")
    summary = run_corpus(_mining_cfg("ray", actors=2), shards, tmp_path / "out", progress=False)
    assert summary["documents"] == 5 and summary["documents_skipped"] == 2
    assert len(summary["shards_failed"]) == 1 and summary["shards_failed"][0].startswith("c: ")
    records = [json.loads(line) for f in sorted((tmp_path / "out" / "shards").glob("*.records.jsonl.gz"))
               for line in gzip.open(f, "rt", encoding="utf-8")]
    assert [r["doc_id"] for r in records] == ["a0", "a1", "a2", "b0", "b3"]
    # The local engine reads the same folder of shards the same way.
    local = run_corpus(_mining_cfg(), shards, tmp_path / "local", progress=False, workers=1)
    assert (local["documents"], local["documents_skipped"], local["shards_failed"]) == \
        (5, 2, summary["shards_failed"])


def _align(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "align", *args], capture_output=True, text=True, timeout=timeout)


def test_sigkill_then_resume_skips_the_finished_shards(tmp_path: Path, make_articles) -> None:
    shards = _shards(make_articles, tmp_path, 48, 8)  # 6 shards
    argv = ["-q", "run", "--input", str(shards), "--engine", "ray", "--actors", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "align", *argv, "--output", str(tmp_path / "out")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    manifests = tmp_path / "out" / "shards"
    deadline = time.monotonic() + 300
    while len(list(manifests.glob("*.json"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the local Ray it started
    proc.wait()
    done = len(list(manifests.glob("*.json")))
    assert 2 <= done < 6, f"the kill came after {done} of 6 shards"
    assert not (tmp_path / "out" / "summary.json").exists()
    # No half-written shard is visible: every parquet belongs to a shard with a manifest.
    finished = {p.name.removesuffix(".json") for p in manifests.glob("*.json")}
    assert {p.stem for p in (tmp_path / "out" / "data").rglob("*.parquet")} <= finished

    rerun = _align(*argv, "--output", str(tmp_path / "out"))
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["shards"] == {"total": 6, "resumed": done} and summary["documents"] == 48
    assert summary["documents_resumed"] == 8 * done
    fresh = _align(*argv, "--output", str(tmp_path / "fresh"))
    assert fresh.returncode == 0, fresh.stderr
    assert_same_records(_shard_pairs(tmp_path / "out"), _shard_pairs(tmp_path / "fresh"))
    assert sorted(p.name for p in (tmp_path / "out" / "data").rglob("*.parquet")) == \
        sorted(p.name for p in (tmp_path / "fresh" / "data").rglob("*.parquet"))


def test_an_unreachable_cluster_is_a_one_line_error_within_seconds(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "Un texte."}) + "\n", encoding="utf-8")
    started = time.monotonic()
    r = _align("run", "--input", str(tmp_path / "a.jsonl"), "--output", str(tmp_path / "out"),
               "--engine", "ray", "--ray-address", "127.0.0.1:9", timeout=60)
    assert r.returncode == 2 and time.monotonic() - started < 30
    assert r.stderr.strip().splitlines()[-1].startswith("align run: error: cannot reach the Ray cluster at 127.0.0.1:9")
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
    r = _align("run", "--input", str(tmp_path / "a.jsonl"), "--output", str(tmp_path / "out"), "--merge")
    assert r.returncode == 2 and "for --engine ray" in r.stderr


def test_import_align_loads_no_ray() -> None:
    code = ("import sys, align, align.runner, align.engine, align.cli.main, align.docalign, align.ray_engine; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
