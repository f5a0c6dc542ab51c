"""Corpus runs: stream documents through the pipeline, resumably, into atomic outputs.

Per-document results are appended to a work log beside the output directory
as each document finishes. A run that is killed resumes from that log; the
output directory itself appears only when everything is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .config import Config
from .export import atomic_dir, atomic_write_text, export_all, write_pairs_jsonl
from .ingest.readers import read_documents
from .pipeline import DocResult, Pipeline
from .score import corpus_summary
from .types import Pair

log = logging.getLogger(__name__)


def _fingerprint(cfg: Config, input_path: Path) -> str:
    """Results in a work log are reusable only for the same config and input."""
    stat = input_path.stat()
    blob = json.dumps([cfg.to_dict(), str(input_path.resolve()), stat.st_size, stat.st_mtime_ns], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class WorkLog:
    """Append-only JSONL of finished documents; a torn last line is ignored."""

    def __init__(self, directory: Path, fingerprint: str):
        self.directory = directory
        self.path = directory / "done.jsonl"
        stamp = directory / "fingerprint"
        if directory.exists() and (not stamp.exists() or stamp.read_text() != fingerprint):
            log.info("work log %s is from another config or input; starting afresh", directory)
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)
        self.done: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            with self.path.open("rb") as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        break  # a line torn by a kill: everything before it is good
                    self.done[rec["doc_id"]] = rec
            # Rewrite without the torn tail so appends start on a clean line.
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as f:
                for rec in self.done.values():
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)
        self._f = self.path.open("a", encoding="utf-8")

    def add(self, rec: dict[str, Any]) -> None:
        self._f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._f.flush()
        self.done[rec["doc_id"]] = rec

    def close(self) -> None:
        self._f.close()

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _result_record(r: DocResult) -> dict[str, Any]:
    return {
        "doc_id": r.doc_id, "main_lang": r.main_lang, "n_sentences": r.n_sentences,
        "n_embeds": r.n_embeds, "method": r.method, "pairs": [p.to_record() for p in r.pairs],
    }


def run_corpus(cfg: Config, input_path: str | Path, output_dir: str | Path, *,
               resume: bool = True, progress: bool = True) -> dict[str, Any]:
    input_path, output_dir = Path(input_path), Path(output_dir)
    started = time.perf_counter()
    single = input_path.is_file() and input_path.suffix.lower() == ".txt"
    pipeline = Pipeline(cfg)
    # Read (and validate) before loading models, so bad input fails fast.
    docs = read_documents(input_path, max_chars=cfg.segment.max_doc_chars,
                          on_error="raise" if single else "skip")
    first = next(docs, None)
    pipeline.warm_up()
    loaded = time.perf_counter()

    work = WorkLog(output_dir.parent / f".{output_dir.name}.work", _fingerprint(cfg, input_path))
    if not resume:
        work.done.clear()
    resumed = len(work.done)
    order: list[str] = []
    bar = tqdm(desc="documents", unit="doc", disable=not progress)
    try:
        for doc in itertools.chain([first] if first else [], docs):
            order.append(doc.id)
            if doc.id not in work.done:
                work.add(_result_record(pipeline.process(doc)))
            bar.update(1)
    finally:
        bar.close()
        work.close()
    mined = time.perf_counter()

    records = [work.done[d] for d in dict.fromkeys(order)]
    pairs = [Pair.from_record(p) for rec in records for p in rec["pairs"]]
    summary = _summary(cfg, pipeline, records, pairs, resumed)
    with atomic_dir(output_dir) as tmp:
        write_pairs_jsonl(pairs, tmp / "pairs.jsonl")
        exported = export_all(pairs, tmp, dataset_name=cfg.export.name, license=cfg.export.license,
                              extra_card_info=_card_info(summary))
        summary["export"] = exported
        summary["timing"] = {
            "load_s": round(loaded - started, 3),
            "mine_s": round(mined - loaded, 3),
            "total_s": round(time.perf_counter() - started, 3),
            "docs_per_s": round(len(records) / max(mined - loaded, 1e-9), 2),
        }
        atomic_write_text(tmp / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    work.remove()
    return summary


def _summary(cfg: Config, pipeline: Pipeline, records: list[dict], pairs: list[Pair], resumed: int) -> dict:
    methods = Counter(r["method"] for r in records if r["method"])
    translators = pipeline.translators
    mt_used = any(m.startswith("mt:") for m in methods)
    return {
        "documents": len(records),
        "documents_resumed": resumed,
        "documents_with_embeds": sum(1 for r in records if r["n_embeds"]),
        "embeds": sum(r["n_embeds"] for r in records),
        "sentences": sum(r["n_sentences"] for r in records),
        "pairs": len(pairs),
        "labels": dict(Counter(p.label for p in pairs)),
        "language_pairs": dict(Counter(f"{p.src_lang}-{p.tgt_lang}" for p in pairs)),
        "main_languages": dict(Counter(r["main_lang"] for r in records)),
        "similarity": {
            "requested": cfg.similarity.method,
            # Which evidence each document's pairs rest on.
            "documents_by_method": dict(methods),
            "mt_models": {f"{s}-{t}": tr.model_id for (s, t), tr in translators.items()},
            "mt_used": mt_used,
        },
        "corpus_scores": corpus_summary(pairs) if mt_used else {},
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
