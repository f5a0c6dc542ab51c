"""The Ray engine: a job of the corpus engine as a Ray Data pipeline, written and resumed per shard.

``--engine ray`` runs the same jobs as :func:`align.engine.run_job` (mining,
docalign over many pairs) on a local Ray or a cluster::

    shards (job.shards(): a .jsonl/.parquet/list file each, loose files by files_per_shard)
      -> ray.data.from_items          one row per shard still to do
      -> map_batches(_read)           the shard's items (align's own readers), then a trailer row
                                      with its counts: a bad line or invalid UTF-8 is logged,
                                      counted and skipped, and the rest of the shard goes on
      -> map_batches(_Process, ActorPoolStrategy)
                                      each actor builds job.factory(cfg) once: models load once per actor
      -> this process (the driver)    spools each shard's records; when a shard's trailer and all
                                      its records are in, commits the shard

Ray's own readers are not used for the input: ``read_json`` fails the whole
dataset on one bad line and cannot give the local engine's document ids
(``FILE:LINE``); the read stage runs align's readers instead, on the node
that reads the shard (paths must be visible to every node: a shared
filesystem).

Output directory (``data/`` is the Hub layout, one parquet per shard and language pair)::

    data/{src}-{tgt}/{shard}-{fingerprint}.parquet
    shards/{shard}-{fingerprint}.records.jsonl.gz   the shard's records, in input order
    shards/{shard}-{fingerprint}.json               its manifest, written last: the shard is done
    README.md, summary.json                         written when every shard is done

A shard's files are written under ``.staging/`` and renamed into place, the
manifest last; a rerun skips shards with a manifest and removes files of
any shard without one (a crash between two renames) or of another
fingerprint (a changed file or config). ``merge`` writes the local engine's
single-file outputs instead (``pairs.jsonl``, ``dataset/``,
``data/*/train.parquet``, ...), keeping the shards beside the output until
the end. The records equal the local engine's under the rule in
:mod:`align.engine`.

Ray is imported here only: ``import align`` never loads it.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import logging
import os
import pickle
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .config import Config
from .cpus import available_cpus
from .engine import Job, config_stamp
from .export import atomic_dir, atomic_write_text
from .export.atomic import output_errors
from .export.card import dataset_card
from .export.hf import write_parquet_files
from .ingest.readers import ReadStats
from .output import CorpusOutput
from .shards import Shard, read_shard
from .types import AlignError, ConfigError, Pair

log = logging.getLogger(__name__)

_ROWS_PER_BLOCK = 64  # items per table out of the read stage
_BLOCK_BYTES = 64 * 1024  # Ray Data's target block size in this pipeline (see _execute)


def _schema():
    import pyarrow as pa

    # shard: index into the run's shard list; seq: the item's place in its
    # shard (-1: the trailer, whose payload is the shard's read counts).
    return pa.schema([("shard", pa.int32()), ("seq", pa.int64()), ("payload", pa.binary()),
                      ("record", pa.string())])


def _table(rows: list[dict[str, Any]]):
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=_schema())


def _read(batch, job: Job, shards: list[Shard]) -> Iterator[Any]:
    """Read stage: each shard row becomes its items (pickled), then its trailer."""
    for index in batch.column("shard").to_pylist():
        shard = shards[index]
        stats = ReadStats()
        rows: list[dict[str, Any]] = []
        seq = 0
        for item in read_shard(shard, job.read_shard, stats, job.unit):
            rows.append({"shard": index, "seq": seq, "payload": pickle.dumps(item), "record": ""})
            seq += 1
            if len(rows) == _ROWS_PER_BLOCK:
                yield _table(rows)
                rows = []
        rows.append({"shard": index, "seq": -1, "payload": json.dumps(asdict(stats)).encode(), "record": ""})
        yield _table(rows)


class _Process:
    """An actor of the pool: one processor (its models loaded once) for every batch it is given.

    Subclassed per run with ``factory`` and ``cfg`` as class attributes.
    """

    factory: Any
    cfg: Config

    def __init__(self):
        self.processor = self.factory(self.cfg)
        self.processor.warm_up()

    def __call__(self, batch):
        rows = batch.to_pylist()
        for row in rows:
            if row["seq"] >= 0:
                row["record"] = json.dumps(self.processor(pickle.loads(row["payload"])), ensure_ascii=False)
                row["payload"] = b""
        return _table(rows)


def actor_config(cfg: Config, cpus: int) -> Config:
    """``cfg`` with thread counts left on auto set to the actor's CPUs (Ray gives it that many)."""
    out = copy.deepcopy(cfg)
    if not cfg.similarity.encoder_threads:
        out.similarity.encoder_threads = cpus
    if not cfg.translation.threads:
        out.translation.threads = cpus
    return out


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail in seconds, with one line, when nothing listens at a cluster's HOST:PORT.

    ``ray.init`` would retry for a long while before giving up.
    """
    if address in ("auto", "local"):
        return
    target = address.split("://", 1)[1] if "://" in address else address
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"Ray address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {e.strerror or e}") from None


def connect(address: str | None, *, debug: bool = False) -> bool:
    """Join the cluster at ``address`` (or RAY_ADDRESS), else start a local Ray on loopback.

    Returns whether this call started Ray (and so should shut it down).
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    if not address:
        # A local Ray listens on loopback only. Ray does that when it runs as
        # a single-node "cluster" (its mode for laptops on macOS/Windows):
        # its servers bind 127.0.0.1, not every interface. Set before Ray is
        # imported; its children inherit it.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray engine needs Ray: pip install -e '.[ray]'") from None
    if ray.is_initialized():
        return False
    if not address:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False  # in case Ray was imported before (a library caller)
    # Ray's start-up notes (token auth, progress bars) are not the user's
    # concern; real failures still come back as exceptions.
    level = logging.INFO if debug else logging.ERROR
    try:
        if address:
            check_reachable(address)
            ray.init(address=address, logging_level=level, log_to_driver=debug)
        else:
            ray.init(num_cpus=available_cpus(), include_dashboard=False, logging_level=level, log_to_driver=debug)
    except AlignError:
        raise
    except Exception as e:  # noqa: BLE001 - Ray raises many kinds; the user needs one line
        raise ConfigError(f"cannot start or join Ray ({address or 'local'}): {_one_line(e)}") from None
    return True


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return (text[:300] + "...") if len(text) > 300 else text or type(e).__name__


@dataclass
class _Pending:
    """A shard in flight: its records spooled to disk until all have come."""

    shard: Shard
    stem: str
    spool: Path
    seen: set[int] = field(default_factory=set)
    stats: dict[str, Any] | None = None  # the trailer's read counts
    _file: Any = None

    def add(self, seq: int, record: str) -> None:
        if seq in self.seen:  # a retried batch: Ray may hand a record twice
            return
        self.seen.add(seq)
        if self._file is None:
            self._file = self.spool.open("a", encoding="utf-8")
        self._file.write(f"{seq}\t{record}\n")

    @property
    def complete(self) -> bool:
        return self.stats is not None and len(self.seen) == self.stats["read"]

    def records(self) -> list[dict[str, Any]]:
        if self._file is not None:
            self._file.close()
        if not self.spool.exists():
            return []
        lines = [line.split("\t", 1) for line in self.spool.read_text(encoding="utf-8").splitlines()]
        return [json.loads(rec) for _, rec in sorted(lines, key=lambda kv: int(kv[0]))]


class ShardStore:
    """The committed shards of a run: ``data/``, ``shards/`` and ``.staging/`` in ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.shards_dir = root / "shards"
        self.data_dir = root / "data"
        self.staging = root / ".staging"

    def manifest_path(self, stem: str) -> Path:
        return self.shards_dir / f"{stem}.json"

    def records_path(self, stem: str) -> Path:
        return self.shards_dir / f"{stem}.records.jsonl.gz"

    def done(self, stem: str) -> bool:
        return self.manifest_path(stem).is_file()

    def finished(self) -> list[str]:
        """The stems of every committed shard (those with a manifest), by name."""
        return sorted(p.stem for p in self.shards_dir.glob("*.json"))

    def manifest(self, stem: str) -> dict[str, Any]:
        return json.loads(self.manifest_path(stem).read_text(encoding="utf-8"))

    def records(self, stem: str) -> Iterator[dict[str, Any]]:
        with gzip.open(self.records_path(stem), "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)

    def open(self, keep: set[str], *, fresh: bool) -> None:
        """Make ``root`` a store holding only the committed shards named in ``keep``."""
        with output_errors(self.root):
            if fresh and self.shards_dir.is_dir():
                shutil.rmtree(self.shards_dir)
            for name in ("summary.json", "README.md"):  # rewritten when every shard is done
                (self.root / name).unlink(missing_ok=True)
            shutil.rmtree(self.staging, ignore_errors=True)
            self.shards_dir.mkdir(parents=True, exist_ok=True)
            committed = set(self.finished()) & keep
            for path in [*self.shards_dir.iterdir(), *self.data_dir.glob("*/*.parquet")]:
                stem = path.name
                for suffix in (".records.jsonl.gz", ".json", ".parquet"):
                    stem = stem.removesuffix(suffix)
                if stem not in committed:  # another fingerprint, a dropped shard, or a crash mid-commit
                    log.info("removing %s (not a finished shard of this run)", path)
                    path.unlink()
            for folder in self.data_dir.glob("*"):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            self.staging.mkdir()

    def commit(self, pending: _Pending, fingerprint: str) -> dict[str, Any]:
        """Write a finished shard's files: parquet per language pair, records, and the manifest last."""
        records = pending.records()
        stem = pending.stem
        stage = self.staging / stem
        with output_errors(self.root):
            shutil.rmtree(stage, ignore_errors=True)
            stage.mkdir(parents=True)
            pairs = (Pair.from_record(p) for rec in records for p in rec.get("pairs", ()))
            configs = write_parquet_files(pairs, lambda config: stage / f"{config}.parquet")
            with gzip.open(stage / "records.jsonl.gz", "wt", encoding="utf-8") as f:
                for rec in records:
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            for config in configs:
                (self.data_dir / config).mkdir(parents=True, exist_ok=True)
                os.replace(stage / f"{config}.parquet", self.data_dir / config / f"{stem}.parquet")
            os.replace(stage / "records.jsonl.gz", self.records_path(stem))
            manifest = {"shard": pending.shard.name, "fingerprint": fingerprint, "files": list(pending.shard.paths),
                        "items": len(records), "read": pending.stats, "configs": configs}
            atomic_write_text(self.manifest_path(stem), json.dumps(manifest, ensure_ascii=False) + "\n")
            shutil.rmtree(stage, ignore_errors=True)
            pending.spool.unlink(missing_ok=True)
        return manifest


def run_job_ray(job: Job, output_dir: str | Path, *, resume: bool = True, progress: bool = True) -> dict[str, Any]:
    """Run ``job`` on Ray into ``output_dir``; return the summary (also in summary.json).

    Settings come from ``job.cfg.engine``: the cluster address, actors,
    CPUs per actor, batch size, shard size and ``merge``.
    """
    output_dir = Path(output_dir)
    cfg = job.cfg
    e = cfg.engine
    debug = logging.getLogger().isEnabledFor(logging.DEBUG)
    started = time.perf_counter()
    shards = job.shards()  # bad input fails here, before Ray starts
    stamp = config_stamp(cfg)
    stems = [s.stem(stamp) for s in shards]
    # A missing Ray or an unreachable cluster fails before anything is written.
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError("the ray engine needs Ray: pip install -e '.[ray]'") from None
    address = e.ray_address or os.environ.get("RAY_ADDRESS")
    if address:
        check_reachable(address)
    root = output_dir.parent / f".{output_dir.name}.work" if e.merge else output_dir
    _check_output(output_dir, root)
    store = ShardStore(root)
    store.open(set(stems), fresh=not resume)
    todo = [i for i, stem in enumerate(stems) if not store.done(stem)]
    resumed_shards = len(shards) - len(todo)
    resumed = sum(store.manifest(stem)["items"] for stem in stems if store.done(stem))
    if resumed_shards:
        log.info("%d of %d shards are done already; %d to go", resumed_shards, len(shards), len(todo))
    items = 0
    loaded = processed = time.perf_counter()
    actors = 0
    clock = _Clock()
    if todo:
        started_ray = connect(e.ray_address, debug=debug)
        try:
            import ray

            loaded = time.perf_counter()
            actors = e.actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // e.cpus_per_actor)
            items = _execute(job, shards, stems, todo, store, actors, progress, clock)
            processed = time.perf_counter()
        finally:
            if started_ray:
                ray.shutdown()
    summary = _finish(job, shards, stems, store, output_dir, resumed, resumed_shards)
    summary["timing"] = {
        "load_s": round(loaded - started, 3),
        "process_s": round(processed - loaded, 3),
        "total_s": round(time.perf_counter() - started, 3),
        "docs_per_s": round(items / max(processed - loaded, 1e-9), 2),
        "engine": "ray",
        "actors": actors,
        # Until the first record came back: the pipeline's and actors' start (models loading).
        "actors_start_s": round(clock.first - loaded, 3) if clock.first else None,
        # After it: the rate of the loaded pool, and the driver's time spent committing shards.
        "steady_docs_per_s": round((items - clock.first_items) / max(processed - clock.first, 1e-9), 2)
        if clock.first else None,
        "commit_s": round(clock.commit, 3),
    }
    if e.merge:
        atomic_write_text(output_dir / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        shutil.rmtree(root, ignore_errors=True)
    else:
        atomic_write_text(root / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def _check_output(output_dir: Path, root: Path) -> None:
    """The output may be new, empty, an earlier align output (replaced) or this run's shard store (resumed)."""
    from .export import check_output_dir

    if root == output_dir and (output_dir / "shards").is_dir():
        return
    check_output_dir(output_dir)
    if root == output_dir and output_dir.is_dir():
        with output_errors(output_dir):  # an earlier align output of another kind: start afresh
            for entry in output_dir.iterdir():
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


class _Clock:
    """When the first record came back (the actors had loaded their models), and the driver's commit time."""

    first: float = 0.0
    first_items: int = 0
    commit: float = 0.0


def _execute(job: Job, shards: list[Shard], stems: list[str], todo: list[int], store: ShardStore,
             actors: int, progress: bool, clock: _Clock) -> int:
    """Stream the shards in ``todo`` through the actor pool; commit each as it completes. Returns items done."""
    import ray
    import ray.data

    e = job.cfg.engine
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # ours counts items; Ray's would interleave with it on stderr
    # Ray Data fills a block up to 128 MiB before handing it on: a shard of
    # articles would be one block, one actor task, with no record back until
    # it is done. Small blocks keep the actors' work in pieces of tens of
    # items: records stream back, work spreads over the pool, a retry redoes little.
    ctx.target_max_block_size = _BLOCK_BYTES
    debug = logging.getLogger().isEnabledFor(logging.DEBUG)
    ctx.print_on_execution_start = debug
    if not debug:
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    pending = {i: _Pending(shards[i], stems[i], store.staging / f"{stems[i]}.spool") for i in todo}
    # The actor class carries its factory and config itself, not as constructor
    # arguments in the object store: a restarted actor needs nothing that may be gone.
    process = type("MineActor" if job.unit == "doc" else "AlignActor", (_Process,),
                   {"factory": staticmethod(job.factory), "cfg": actor_config(job.cfg, e.cpus_per_actor)})
    ds = (ray.data.from_items([{"shard": i} for i in todo], override_num_blocks=len(todo))
          # Reading is light: it must not take the CPUs that the actors wait for.
          .map_batches(functools.partial(_read, job=job, shards=shards), batch_size=1, batch_format="pyarrow",
                       num_cpus=0, compute=ray.data.TaskPoolStrategy(size=max(1, min(len(todo), actors))))
          # Ray Data's retry settings for actor pools (max_restarts=-1, max_task_retries=-1):
          # an actor that dies is restarted and its batch retried elsewhere.
          .map_batches(process, batch_size=e.batch_size, batch_format="pyarrow",
                       compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=e.cpus_per_actor))
    done = 0
    clock.first = clock.commit = 0.0
    bar = tqdm(desc=f"{job.unit}s", unit=job.unit, disable=not progress)
    try:
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in batch.to_pylist():
                p = pending.get(row["shard"])
                if p is None:  # committed already: a retried block
                    continue
                if row["seq"] < 0:
                    p.stats = json.loads(row["payload"])
                    for error in p.stats["errors"]:
                        log.warning("skipping %s: %s", job.unit, error)
                    for failure in p.stats["failed_shards"]:
                        log.warning("skipping shard %s", failure)
                else:
                    before = len(p.seen)
                    p.add(row["seq"], row["record"])
                    done += len(p.seen) - before
                    bar.update(len(p.seen) - before)
                    if not clock.first:  # the actors are up: what follows is the steady rate
                        clock.first, clock.first_items = time.perf_counter(), done
                if p.complete:
                    t = time.perf_counter()
                    store.commit(p, p.stem.rsplit("-", 1)[1])
                    clock.commit += time.perf_counter() - t
                    del pending[row["shard"]]
                    bar.set_postfix_str(f"shards {len(todo) - len(pending)}/{len(todo)}")
    except AlignError:
        raise
    except Exception as exc:  # noqa: BLE001 - a task or actor failure: one line, the shards done so far stay
        raise AlignError(f"the Ray pipeline failed: {_one_line(exc)}") from None
    finally:
        bar.close()
    if pending:
        raise AlignError(f"{len(pending)} shard(s) did not complete (first: {next(iter(pending.values())).shard.name})")
    return done


def _finish(job: Job, shards: list[Shard], stems: list[str], store: ShardStore, output_dir: Path,
            resumed: int, resumed_shards: int) -> dict[str, Any]:
    """Summary counts over every committed shard, in input order; the card, or the merged outputs."""
    manifests = [store.manifest(stem) for stem in stems]
    read = getattr(job, "read", None)
    if read is not None:  # the shards' read counts, as the local engine would have kept them
        for m in manifests:
            read.read += m["read"]["read"]
            read.skipped += m["read"]["skipped"]
            read.errors += m["read"]["errors"]
            read.failed_shards += m["read"]["failed_shards"]
    processor = job.factory(job.cfg)  # its models load lazily: only what the summary names is built
    totals = job.totals(processor)

    def records() -> Iterator[dict[str, Any]]:
        for stem in stems:
            yield from store.records(stem)

    if job.cfg.engine.merge:
        with atomic_dir(output_dir) as tmp:
            out = CorpusOutput(tmp, job.output_options())
            try:
                out.write(records(), totals.add)
                summary = totals.summary(resumed)
                summary["export"] = out.close(job.card_info(summary))
            except BaseException:
                out.abort()
                raise
            summary["shards"] = {"total": len(shards), "resumed": resumed_shards}
            atomic_write_text(tmp / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        return summary
    for rec in records():
        totals.add(rec, [Pair.from_record(p) for p in rec.get("pairs", ())])
    summary = totals.summary(resumed)
    configs: dict[str, int] = {}
    for m in manifests:
        for name, rows in m["configs"].items():
            configs[name] = configs.get(name, 0) + rows
    configs = dict(sorted(configs.items()))
    languages = sorted({lang for name in configs for lang in name.split("-")})
    o = job.output_options()
    card = dataset_card(configs, languages, name=o.dataset_name, license=o.license,
                        description_extra=job.card_info(summary), files="*.parquet")
    atomic_write_text(store.root / "README.md", card)
    summary["export"] = {"rows": sum(configs.values()), "configs": configs, "languages": languages,
                         "files": ["README.md", *(f"data/{c}/" for c in configs), "shards/"]}
    summary["shards"] = {"total": len(shards), "resumed": resumed_shards}
    if not store.staging.exists() or not any(store.staging.iterdir()):
        shutil.rmtree(store.staging, ignore_errors=True)
    return summary
