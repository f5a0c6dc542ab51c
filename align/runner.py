"""``align run`` as a job of the corpus engine: documents in, mining records out.

Documents stream from :func:`align.ingest.readers.read_documents` through
the mining :class:`~align.pipeline.Pipeline`; the engine (:mod:`align.engine`)
does the work log, resume, worker processes and the outputs (pairs.jsonl
and the dataset). This module adds what is particular to mining: which
documents are read, and the counts of summary.json.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .cpus import available_cpus
from .engine import run_job
from .ingest.readers import ReadStats, read_documents, read_file_items, read_txt_items
from .output import OutputOptions
from .pipeline import Pipeline
from .score import corpus_summary
from .shards import Shard, chunks, expand, is_pattern, read_shard, safe_name, shard_name, unique
from .types import ConfigError, Document, InputError, Pair

# Files that hold many documents: each is a shard of a corpus.
_MANY = (".jsonl", ".ndjson", ".parquet")

log = logging.getLogger(__name__)


class MiningProcessor:
    """A document's work-log record: what the pipeline mined from it."""

    def __init__(self, cfg: Config):
        self.pipeline = Pipeline(cfg)

    def warm_up(self) -> None:
        self.pipeline.warm_up()

    def __call__(self, doc: Document) -> dict[str, Any]:
        return self.pipeline.process(doc).to_record()


class MiningJob:
    """Mine every document of ``input_path``."""

    factory = MiningProcessor
    unit = "doc"

    def __init__(self, cfg: Config, input_path: Path):
        self.cfg = cfg
        self.input_path = input_path
        self.single = input_path.is_file() and input_path.suffix.lower() == ".txt"
        # A glob, or a folder of .jsonl/.parquet files: read shard after shard.
        self.sharded = is_pattern(input_path) or (
            input_path.is_dir() and any(f.suffix.lower() in _MANY for f in input_path.rglob("*")))
        self.read = ReadStats()

    def items(self) -> Iterator[Document]:
        if self.sharded:
            return (doc for shard in self.shards() for doc in read_shard(shard, self.read_shard, self.read))
        return read_documents(self.input_path, max_chars=self.cfg.segment.max_doc_chars,
                              on_error="raise" if self.single else "skip", stats=self.read)

    @functools.cached_property
    def _shards(self) -> list[Shard]:
        return self._list_shards()

    def shards(self) -> list[Shard]:
        """The input's shards, in input order (listed once: items and fingerprint both need them)."""
        return self._shards

    def _list_shards(self) -> list[Shard]:
        """Each .jsonl/.parquet file; .txt documents by files_per_shard."""
        p = self.input_path
        if not is_pattern(p) and p.is_file():
            return [Shard(safe_name(p.stem), "txt" if p.suffix.lower() == ".txt" else "file", (str(p),))]
        root, files = expand(p, (*_MANY, ".txt"))
        many = [Shard(shard_name(root, f), "file", (str(f),)) for f in files if f.suffix.lower() in _MANY]
        # A folder's documents are its own .txt files (not those of subfolders), as for the local engine.
        txt = [str(f) for f in files if f.suffix.lower() == ".txt" and (is_pattern(p) or f.parent == p)]
        shards = unique(many + [Shard(name, "txt", tuple(chunk))
                                for name, chunk in chunks(txt, self.cfg.engine.files_per_shard)])
        if not shards:
            raise InputError(f"{p} has no .txt, .jsonl or .parquet files")
        return shards

    def read_shard(self, shard: Shard) -> Iterator[Document | InputError]:
        max_chars = self.cfg.segment.max_doc_chars
        if shard.kind == "txt":
            return read_txt_items([Path(f) for f in shard.paths], max_chars)
        return read_file_items(Path(shard.paths[0]), max_chars)

    @staticmethod
    def item_id(doc: Document) -> str:
        return doc.id

    def fingerprint_paths(self) -> list[Path]:
        if self.sharded:
            return [Path(f) for shard in self.shards() for f in shard.paths]
        return [self.input_path]

    def totals(self, processor: MiningProcessor) -> _Totals:
        return _Totals(self.cfg, self.read, processor.pipeline)

    def output_options(self) -> OutputOptions:
        e = self.cfg.export
        return OutputOptions(single=self.single, dataset_name=e.name, license=e.license)

    @staticmethod
    def card_info(summary: dict) -> dict:
        return {
            "documents": summary["documents"],
            "similarity": summary["similarity"],
            "corpus_scores": summary["corpus_scores"],
            "labels": summary["labels"],
        }


def run_corpus(cfg: Config, input_path: str | Path, output_dir: str | Path, *,
               resume: bool = True, progress: bool = True, workers: int = 1) -> dict[str, Any]:
    """Mine every document of ``input_path`` into ``output_dir``; return the summary.

    ``workers``: processes that mine documents (0 = one per CPU this process
    may use, see :func:`align.cpus.available_cpus`). A single ``.txt``
    article is always mined in this process. The outputs do not depend on it
    (to float noise: see :mod:`align.engine`).
    """
    if workers < 0:
        raise ConfigError(f"workers must be 0 (one per CPU) or more, not {workers}")
    job = MiningJob(cfg, Path(input_path))
    if cfg.engine.name == "ray":
        from .ray_engine import run_job_ray

        return run_job_ray(job, output_dir, resume=resume, progress=progress)
    workers = 1 if job.single else workers or available_cpus()
    return run_job(job, output_dir, resume=resume, progress=progress, workers=workers)


@dataclass
class _Totals:
    """Counts for summary.json, accumulated while the pairs stream past."""

    cfg: Config
    read: ReadStats
    pipeline: Pipeline  # the parent's: which MT directions were configured and loaded
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

    def add(self, rec: dict[str, Any], pairs: list[Pair]) -> None:
        self.add_doc(rec)
        for p in pairs:
            self.add_pair(p)

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
            self.mt_pairs.append(dataclasses.replace(p, meta={
                k: p.meta[k] for k in ("mt_hypothesis", "mt_reference", "bleu_direction") if k in p.meta}))

    def summary(self, resumed: int) -> dict[str, Any]:
        return _summary(self.cfg, self, resumed)


def _summary(cfg: Config, t: _Totals, resumed: int) -> dict:
    translators = t.pipeline.translators
    mt_used = any(m.startswith("mt:") for m in t.methods)
    return {
        "documents": t.documents,
        "documents_resumed": resumed,
        # Unreadable documents of a corpus, each warned about and skipped.
        "documents_skipped": t.read.skipped,
        # Shards of a sharded input that could not be read at all ("NAME: why").
        "shards_failed": t.read.failed_shards,
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
