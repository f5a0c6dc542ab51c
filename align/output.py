"""The output stage of both verbs: one place that turns records into files.

Into a fresh directory (the engine's ``atomic_dir``), streaming, in input order:

* ``pairs.jsonl``: every record's pairs;
* the Hugging Face export (``dataset/``, ``data/*/train.parquet``,
  ``jsonl/``, ``README.md`` card) when ``hf`` is on;
* ``documents.jsonl.gz``: each item as ``align report`` shows it
  (:func:`document_view`): a mined document's text and foreign segments
  with their best candidates, an aligned pair's sentences, beads and
  similarity band;
* for records that carry an alignment (``align docalign``): the beads in
  Vecalign's format (``alignments.txt``, or ``alignments/NAME.txt`` for
  many pairs), the split sentences (``sentences.src``/``.tgt``, or
  ``sentences/NAME.*``) and the OPUS formats (``opus/``: Moses, TMX, XCES).

``summary.json`` is the engine's (it adds timings); the job's counts come
from its :class:`~align.engine.Totals`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import OPUS_FORMATS
from .export import StreamingExport, atomic_write_text, write_beads, write_pairs_jsonl
from .export.atomic import output_errors
from .shards import safe_name
from .types import Bead, Pair


@dataclass
class OutputOptions:
    single: bool = False  # one item: files at the top level, OPUS under the name "align"
    hf: bool = True
    opus: tuple[str, ...] = ()
    dataset_name: str = "align-pairs"
    license: str = "other"


DOCUMENTS = "documents.jsonl.gz"


def document_view(rec: dict[str, Any]) -> dict[str, Any]:
    """What ``align report`` needs of a record, besides its pairs: one line of ``documents.jsonl.gz``."""
    if "skipped" in rec:
        return {"doc_id": rec["doc_id"], "kind": "skipped", "reason": rec["skipped"]}
    if "alignment" in rec:
        a = rec["alignment"]
        costs = [score for _, _, score in a["line_beads"]]
        return {"doc_id": rec["doc_id"], "kind": "parallel", "src_lang": a["src_lang"], "tgt_lang": a["tgt_lang"],
                "src_sentences": a["src_sentences"], "tgt_sentences": a["tgt_sentences"],
                "beads": [[s, t, cost] for (s, t), cost in zip(a["beads"], costs)], "band": a.get("band")}
    return {"doc_id": rec["doc_id"], **(rec.get("view") or {"kind": "mining", "text": None, "segments": []})}


class FileNames:
    """Safe, unique file names for item ids: ids come from user input and
    must never steer a path outside the output directory ("../x", "/etc/x").

    ``max_length`` cuts long ids; ``fold_case``: unique also on a
    case-insensitive filesystem (``A`` and ``a`` are two files).
    """

    def __init__(self, *, max_length: int | None = None, fold_case: bool = False) -> None:
        self.used: set[str] = set()
        self.max_length = max_length
        self.fold_case = fold_case

    def __call__(self, doc_id: str) -> str:
        base = safe_name(doc_id, default="doc")[:self.max_length]
        name, n = base, 1
        while self._key(name) in self.used:
            n += 1
            name = f"{base}-{n}"
        self.used.add(self._key(name))
        return name

    def _key(self, name: str) -> str:
        return name.casefold() if self.fold_case else name


class CorpusOutput:
    """Writes the outputs of a run's records, streamed in input order, into ``out_dir``."""

    def __init__(self, out_dir: Path, options: OutputOptions):
        self.out_dir = Path(out_dir)
        self.options = options
        self.export = StreamingExport(self.out_dir) if options.hf else None
        self.names = FileNames()

    def write(self, records: Iterable[dict[str, Any]], on_record: Callable[[dict[str, Any], list[Pair]], None]) -> None:
        """Write every record's files and pairs; ``on_record(rec, pairs)`` sees each one after."""
        path = self.out_dir / DOCUMENTS
        # mtime=0: the same records give the same bytes. The directory is the
        # engine's temp dir, renamed into place whole: no atomic_open needed.
        with output_errors(path), gzip.GzipFile(path, "wb", mtime=0) as views:
            write_pairs_jsonl(self._pairs(records, on_record, views), self.out_dir / "pairs.jsonl")

    def _pairs(self, records: Iterable[dict[str, Any]], on_record, views) -> Iterator[Pair]:
        for rec in records:
            views.write((json.dumps(document_view(rec), ensure_ascii=False) + "\n").encode("utf-8"))
            pairs = [Pair.from_record(p) for p in rec.get("pairs", ())]
            if "alignment" in rec:
                self._alignment(rec)
            for pair in pairs:
                if self.export is not None:
                    self.export.add(pair)
                yield pair
            on_record(rec, pairs)

    def _alignment(self, rec: dict[str, Any]) -> None:
        """Beads, sentences and OPUS files of one aligned document pair; notes the OPUS files in ``rec``."""
        a = rec["alignment"]
        single = self.options.single
        name = self.names(rec["doc_id"])
        line_beads = [Bead(tuple(s), tuple(t), score) for s, t, score in a["line_beads"]]
        write_beads(line_beads, self.out_dir / ("alignments.txt" if single else f"alignments/{name}.txt"))
        if a["write_sentences"]:
            stem = "sentences" if single else f"sentences/{name}"
            atomic_write_text(self.out_dir / f"{stem}.src", "".join(s + "\n" for s in a["src_sentences"]))
            atomic_write_text(self.out_dir / f"{stem}.tgt", "".join(s + "\n" for s in a["tgt_sentences"]))
        formats = [f for f in self.options.opus if f in OPUS_FORMATS]
        if formats:
            from .export.opus import export_opus

            src_lang, tgt_lang = a["src_lang"], a["tgt_lang"]
            if src_lang == tgt_lang:
                src_lang, tgt_lang = f"{src_lang}1", f"{tgt_lang}2"
            beads = [Bead(tuple(s), tuple(t)) for s, t in a["beads"]]  # indices into the sentence lists
            rec["opus"] = export_opus(self.out_dir / "opus", a["src_sentences"], a["tgt_sentences"], beads,
                                      src_lang=src_lang, tgt_lang=tgt_lang, name="align" if single else name,
                                      formats=formats)

    def close(self, card_info: dict[str, Any]) -> dict[str, Any] | None:
        """Finish the HF export (if on); return what it wrote."""
        if self.export is None:
            return None
        o = self.options
        return self.export.close(dataset_name=o.dataset_name, license=o.license, extra_card_info=card_info)

    def abort(self) -> None:
        if self.export is not None:
            self.export.abort()
