"""``align docalign`` as a job of the corpus engine: document pairs in, aligned records out.

One pair (``--src``/``--tgt``) or many (a folder, JSONL or TSV list, see
:mod:`align.docalign.reading`) stream through :class:`DocPairProcessor`,
which reads, splits and aligns a pair, in this process or in worker
processes. The engine (:mod:`align.engine`) does the work log, resume and
workers; the output stage (:mod:`align.output`) writes the beads,
sentences, pairs, HF dataset and OPUS files. A pair of a list that cannot be
read is skipped with a warning and counted (one given pair fails the run).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import Config
from ..cpus import available_cpus
from ..engine import run_job
from ..ingest.readers import ReadStats
from ..output import OutputOptions
from ..shards import Shard, chunks, expand, good_items, is_pattern, read_shard, shard_name, unique
from ..types import ConfigError, InputError, Pair
from .aligning import DocAligner, to_record
from .reading import PairSpec, folder_pairs, folder_stems, load_pair, read_pairs

_LISTS = (".jsonl", ".ndjson", ".tsv", ".txt")

log = logging.getLogger(__name__)


class DocPairProcessor:
    """A document pair's work-log record: read, split, align (or why it was skipped)."""

    def __init__(self, cfg: Config, *, presplit: bool, single: bool, progress: bool = False):
        self.cfg = cfg
        self.presplit = presplit
        self.single = single
        self.aligner = DocAligner(cfg, progress=progress)

    def warm_up(self) -> None:
        """Load the default encoder now: forked workers inherit it, and model errors come first."""
        if "embeddings" in self.cfg.docalign.evidence and self.cfg.docalign.aligner != "gale-church":
            d = self.cfg.docalign
            if d.src_lang and d.tgt_lang:
                self.aligner.encoder(self.aligner.encoder_name(d.src_lang, d.tgt_lang))
            else:
                self.aligner.encoder()

    def __call__(self, spec: PairSpec) -> dict[str, Any]:
        try:
            src, tgt, mt = load_pair(spec, self.cfg, presplit=self.presplit)
        except InputError as e:
            if self.single:
                raise
            log.warning("skipping document pair %s: %s", spec.doc_id, e)
            return {"doc_id": spec.doc_id, "skipped": str(e)}
        return to_record(self.aligner.align(spec.doc_id, src, tgt, mt))


class DocAlignJob:
    """Align every document pair of ``specs`` (one pair: ``single``)."""

    unit = "pair"

    def __init__(self, cfg: Config, pairs: PairSpec | Path, *, presplit: bool, progress: bool, workers: int):
        self.cfg = cfg
        self.pairs = pairs
        self.single = isinstance(pairs, PairSpec)
        self.presplit = presplit
        self.read = ReadStats()  # pairs read, and entries that could not be (bad list lines, missing partners)
        self.factory = functools.partial(DocPairProcessor, presplit=presplit, single=self.single,
                                         progress=progress and workers == 1)

    def items(self) -> Iterator[PairSpec]:
        if self.single:
            yield self.pairs
            return
        if is_pattern(self.pairs):  # many list files
            yield from (spec for shard in self.shards()
                        for spec in read_shard(shard, self.read_shard, self.read, "document pair"))
        else:  # a problem with the folder or list itself fails the run
            d = self.cfg.docalign
            yield from good_items(read_pairs(self.pairs, src_lang=d.src_lang, tgt_lang=d.tgt_lang), self.read,
                                  "document pair")
        if not self.read.read:
            raise InputError(f"{self.pairs}: no document pairs"
                             + (f" ({len(self.read.errors)} skipped; first: {self.read.errors[0]})"
                                if self.read.errors else ""))

    def shards(self) -> list[Shard]:
        """A pair list is a shard; a folder's pairs are cut into shards of files_per_shard."""
        if self.single:
            raise ConfigError("one document pair runs on the local engine: give --input for a corpus of pairs")
        p, d = self.pairs, self.cfg.docalign
        if not is_pattern(p) and p.is_dir():
            if not (d.src_lang and d.tgt_lang):
                raise ConfigError(f"{p} is a folder of NAME.SRC/NAME.TGT files: give --src-lang and --tgt-lang "
                                  "(the file extensions)")
            stems = folder_stems(p, d.src_lang, d.tgt_lang)
            return [Shard(name, "pairs", tuple(str(f) for stem in chunk for lang in (d.src_lang, d.tgt_lang)
                                               if (f := p / f"{stem}.{lang}").is_file()),
                          tuple(chunk), str(p))
                    for name, chunk in chunks(stems, self.cfg.engine.files_per_shard)]
        root, files = expand(p, _LISTS)
        if not files:
            raise InputError(f"{p} has no pair lists (.jsonl or .tsv)")
        return unique([Shard(shard_name(root, f), "list", (str(f),)) for f in files])

    def read_shard(self, shard: Shard) -> Iterator[PairSpec | InputError]:
        if shard.kind == "pairs":
            d = self.cfg.docalign
            return folder_pairs(Path(shard.source), d.src_lang, d.tgt_lang, list(shard.items))
        d = self.cfg.docalign
        return read_pairs(shard.paths[0], src_lang=d.src_lang, tgt_lang=d.tgt_lang)

    @staticmethod
    def item_id(spec: PairSpec) -> str:
        return spec.doc_id

    def fingerprint_paths(self) -> list[Path]:
        if self.single:
            sources = [self.pairs.src, self.pairs.tgt, self.pairs.src_translation]
            return [s.path for s in sources if s is not None and s.path is not None]
        if is_pattern(self.pairs):
            return [Path(f) for shard in self.shards() for f in shard.paths]
        return [Path(self.pairs)]

    def totals(self, processor: DocPairProcessor) -> _DocTotals:
        return _DocTotals(self)

    def output_options(self) -> OutputOptions:
        e, exports = self.cfg.export, self.cfg.docalign.exports
        return OutputOptions(single=self.single, hf="hf" in exports, opus=tuple(exports),
                             dataset_name=e.name, license=e.license)

    @staticmethod
    def card_info(summary: dict[str, Any]) -> dict[str, Any]:
        return {"method": "docalign", "evidence": summary["evidence"]}


class _DocTotals:
    def __init__(self, job: DocAlignJob):
        self.job = job
        self.docs: list[dict[str, Any]] = []
        self.skipped: list[dict[str, str]] = []
        self.pairs = 0
        self.beads = 0
        self.evidence: set[str] = set()
        self.bead_kinds: Counter[str] = Counter()

    def add(self, rec: dict[str, Any], pairs: list[Pair]) -> None:
        if "skipped" in rec:
            self.skipped.append({"doc_id": rec["doc_id"], "error": rec["skipped"]})
            return
        info = rec["info"]
        if "opus" in rec:
            info["opus"] = rec["opus"]
        self.docs.append(info)
        self.pairs += len(pairs)
        self.beads += info["beads"]
        self.evidence.update(info["evidence"])
        self.bead_kinds.update(info["bead_kinds"])

    def summary(self, resumed: int) -> dict[str, Any]:
        job = self.job
        if job.single:
            s = job.pairs
            inputs: dict[str, Any] = {"src": str(s.src), "tgt": str(s.tgt),
                                      "src_translation": str(s.src_translation) if s.src_translation else None}
        else:
            inputs = {"pairs": str(job.pairs)}
        inputs["presplit"] = job.presplit
        return {
            "verb": "docalign",
            "documents": len(self.docs),
            "documents_resumed": resumed,
            # Pairs of a list that could not be read (each warned about): bad
            # list entries and pairs whose files failed to read or split.
            "documents_skipped": len(job.read.errors) + len(self.skipped),
            "skipped": [{"error": e} for e in job.read.errors] + self.skipped,
            "shards_failed": job.read.failed_shards,
            "pairs": self.pairs,
            "beads": self.beads,
            "bead_kinds": dict(sorted(self.bead_kinds.items())),
            "evidence": sorted(self.evidence),
            "inputs": inputs,
            "docs": self.docs,
            "config": job.cfg.to_dict()["docalign"],
        }


def align_documents(cfg: Config, pairs: PairSpec | str | Path, output_dir: str | Path, *, presplit: bool = False,
                    resume: bool = True, progress: bool = True, workers: int = 1) -> dict[str, Any]:
    """Align one document pair (a :class:`PairSpec`) or many (a folder, JSONL or TSV list) into ``output_dir``.

    ``workers``: processes aligning pairs (0 = one per CPU); one pair is
    always aligned in this process. Returns the summary (also summary.json).
    """
    if workers < 0:
        raise ConfigError(f"workers must be 0 (one per CPU) or more, not {workers}")
    single = isinstance(pairs, PairSpec)
    workers = 1 if single else workers or available_cpus()
    # Actors of the Ray engine draw no bars of their own (their stderr is not the user's).
    job = DocAlignJob(cfg, pairs if single else Path(pairs), presplit=presplit,
                      progress=progress and cfg.engine.name == "local", workers=workers)
    if cfg.engine.name == "ray":
        from ..ray_engine import run_job_ray

        return run_job_ray(job, output_dir, resume=resume, progress=progress)
    return run_job(job, output_dir, resume=resume, progress=progress, workers=workers)
