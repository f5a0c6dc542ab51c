"""Corpus runs: stream documents through the pipeline, resumably, into atomic outputs.

Per-document results are appended to a work log beside the output directory
as each document finishes. A run that is killed resumes from that log; the
output directory itself appears only when everything is written.

Memory stays bounded as the corpus grows: documents stream in one at a time,
results go to the work log on disk, and only each document's id and its
record's byte offset in the log stay in memory. The outputs are then written
in a second, streaming pass over the log in input order (pairs.jsonl, and the
dataset through :class:`align.export.StreamingExport`), so a resumed run writes
exactly what an uninterrupted one would.

With ``workers`` > 1, documents are mined in worker processes
(:mod:`align.workers`) while this process keeps reading the input lazily and
alone appends results to the work log, in input order. The worker count is
not part of the work log's fingerprint: a run resumes with any count, and its
outputs are byte-identical to a one-process run's.
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
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .config import Config
from .export import StreamingExport, atomic_dir, atomic_write_text, check_output_dir, write_pairs_jsonl
from .export.atomic import output_errors
from .ingest.readers import read_documents
from .pipeline import Pipeline
from .score import corpus_summary
from .types import ConfigError, Document, Pair
from .cpus import available_cpus
from .workers import WorkerPool, sigterm_raises, worker_config

log = logging.getLogger(__name__)


def _fingerprint(cfg: Config, input_path: Path) -> str:
    """Results in a work log are reusable only for the same config and input."""
    stat = input_path.stat()
    blob = json.dumps([cfg.to_dict(), str(input_path.resolve()), stat.st_size, stat.st_mtime_ns], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class WorkLog:
    """Append-only JSONL of finished documents (``done.jsonl`` in ``directory``).

    Only each document's id and the byte offset of its record are kept in
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


def run_corpus(cfg: Config, input_path: str | Path, output_dir: str | Path, *,
               resume: bool = True, progress: bool = True, workers: int = 1) -> dict[str, Any]:
    """Mine every document of ``input_path`` into ``output_dir``; return the summary.

    ``workers``: processes that mine documents (0 = one per CPU this process
    may use, see :func:`align.cpus.available_cpus`). A single ``.txt``
    article is always mined in this process. The outputs do not depend on it.
    """
    input_path, output_dir = Path(input_path), Path(output_dir)
    if workers < 0:
        raise ConfigError(f"workers must be 0 (one per CPU) or more, not {workers}")
    started = time.perf_counter()
    single = input_path.is_file() and input_path.suffix.lower() == ".txt"
    workers = 1 if single else workers or available_cpus()
    # Thread counts left on auto are split between the workers (results do not
    # depend on them); the parent's pipeline loads the encoder the forked
    # workers will inherit. summary.json and the fingerprint keep ``cfg``.
    pipeline = Pipeline(worker_config(cfg, workers) if workers > 1 else cfg)
    # Read (and validate) input and output before loading models, so bad
    # input or an unwritable output fails fast.
    docs = read_documents(input_path, max_chars=cfg.segment.max_doc_chars,
                          on_error="raise" if single else "skip")
    first = next(docs, None)
    check_output_dir(output_dir)
    pipeline.warm_up()
    pool = work = bar = restore_sigterm = None
    try:
        # Workers start before the work log is opened and before any
        # progress-bar thread, so that forked children inherit neither.
        if workers > 1:
            pool = WorkerPool(cfg, workers)
            restore_sigterm = sigterm_raises()
            pool.check()  # a worker that failed to start (a model error, say) fails the run now
        loaded = time.perf_counter()
        _remove_stale_temps(output_dir)
        work = WorkLog(output_dir.parent / f".{output_dir.name}.work", _fingerprint(cfg, input_path),
                       fresh=not resume)
        resumed = len(work)
        order: list[int] = []  # the work-log offset of each document, in input order
        bar = tqdm(desc="documents", unit="doc", disable=not progress)
        unique = _first_of_each_id(itertools.chain([first] if first else [], docs))
        if pool:
            pool.mine(unique, work, order, bar)
            pool.close()
        else:
            for doc in unique:
                offset = work.offsets.get(doc.id)
                if offset is None:
                    offset = work.add(pipeline.process(doc).to_record())
                order.append(offset)
                bar.update(1)
        mined = time.perf_counter()

        totals = _Totals()
        with atomic_dir(output_dir) as tmp:
            export = StreamingExport(tmp)
            try:
                write_pairs_jsonl(_stream_pairs(work, order, totals, export), tmp / "pairs.jsonl")
                summary = _summary(cfg, pipeline, totals, resumed)
                summary["export"] = export.close(dataset_name=cfg.export.name, license=cfg.export.license,
                                                 extra_card_info=_card_info(summary))
            except BaseException:
                export.abort()
                raise
            summary["timing"] = {
                "load_s": round(loaded - started, 3),
                "mine_s": round(mined - loaded, 3),
                "total_s": round(time.perf_counter() - started, 3),
                "docs_per_s": round(totals.documents / max(mined - loaded, 1e-9), 2),
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


def _first_of_each_id(docs: Iterable[Document]) -> Iterator[Document]:
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            log.warning("document id %r appears again (%s); keeping the first", doc.id,
                        doc.meta.get("source", "?"))
            continue
        seen.add(doc.id)
        yield doc


@dataclass
class _Totals:
    """Counts for summary.json, accumulated while the pairs stream past."""

    documents: int = 0
    with_embeds: int = 0
    embeds: int = 0
    sentences: int = 0
    pairs: int = 0
    methods: Counter = field(default_factory=Counter)
    main_languages: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    language_pairs: Counter = field(default_factory=Counter)
    uncovered: Counter = field(default_factory=Counter)
    # Pairs scored with MT: corpus BLEU/chrF needs their hypotheses and references.
    mt_pairs: list[Pair] = field(default_factory=list)

    def add_doc(self, rec: dict[str, Any]) -> None:
        self.documents += 1
        self.with_embeds += bool(rec["n_embeds"])
        self.embeds += rec["n_embeds"]
        self.sentences += rec["n_sentences"]
        self.main_languages[rec["main_lang"]] += 1
        if rec["method"]:
            self.methods[rec["method"]] += 1
        self.uncovered.update(rec.get("uncovered", {}))

    def add_pair(self, p: Pair) -> None:
        self.pairs += 1
        self.labels[p.label] += 1
        self.language_pairs[f"{p.src_lang}-{p.tgt_lang}"] += 1
        if p.bleu is not None and "mt_hypothesis" in p.meta:
            # Only what corpus_summary reads.
            self.mt_pairs.append(Pair(
                id=p.id, doc_id=p.doc_id, src_lang=p.src_lang, tgt_lang=p.tgt_lang, src=p.src, tgt=p.tgt,
                src_span=p.src_span, tgt_span=p.tgt_span, score=p.score, label=p.label, method=p.method,
                bleu=p.bleu, meta={k: p.meta[k] for k in ("mt_hypothesis", "mt_reference", "bleu_direction")
                                   if k in p.meta}))


def _stream_pairs(work: WorkLog, order: list[int], totals: _Totals, export: StreamingExport) -> Iterator[Pair]:
    """Every document's pairs from the work log, in input order; feeds the totals and the export."""
    for offset in order:
        rec = work.read(offset)
        totals.add_doc(rec)
        for p in rec["pairs"]:
            pair = Pair.from_record(p)
            totals.add_pair(pair)
            export.add(pair)
            yield pair


def _summary(cfg: Config, pipeline: Pipeline, t: _Totals, resumed: int) -> dict:
    translators = pipeline.translators
    mt_used = any(m.startswith("mt:") for m in t.methods)
    return {
        "documents": t.documents,
        "documents_resumed": resumed,
        "documents_with_embeds": t.with_embeds,
        "embeds": t.embeds,
        "sentences": t.sentences,
        "pairs": t.pairs,
        "labels": dict(t.labels),
        "language_pairs": dict(t.language_pairs),
        "main_languages": dict(t.main_languages),
        # Foreign segments not compared with text of another language because
        # no available evidence (encoder or MT model) covers the pair; each
        # was warned about.
        "uncovered_pairs": {"total": sum(t.uncovered.values()), "by_language_pair": dict(sorted(t.uncovered.items()))},
        "similarity": {
            "requested": cfg.similarity.method,
            # Which evidence each document's pairs rest on.
            "documents_by_method": dict(t.methods),
            "mt_models": {f"{s}-{t_}": tr.model_id for (s, t_), tr in translators.items()},
            "mt_used": mt_used,
        },
        "corpus_scores": corpus_summary(t.mt_pairs) if mt_used else {},
        "note": None if mt_used else "no machine translation was used: pairs carry no BLEU or chrF",
        "config": asdict(cfg),
    }


def _card_info(summary: dict) -> dict:
    return {
        "documents": summary["documents"],
        "similarity": summary["similarity"],
        "corpus_scores": summary["corpus_scores"],
        "labels": summary["labels"],
    }
