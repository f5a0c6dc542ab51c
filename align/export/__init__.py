"""Export stage: pairs.jsonl, Hugging Face dataset / Hub parquet, dataset card,
Vecalign bead files and OPUS formats (Moses, TMX, XCES).

Every output is written atomically (see :mod:`align.export.atomic`). The
``datasets`` library is imported only when an HF function is called.
"""

from align.export.atomic import atomic_dir, atomic_open, atomic_write_bytes, atomic_write_text, check_output_dir
from align.export.beads import check_monotonic, format_bead, parse_bead, read_beads, write_beads
from align.export.card import dataset_card
from align.export.hf import StreamingExport, datasetdict_to_pairs, export_all, pairs_to_datasetdict
from align.export.jsonl import read_pairs_jsonl, write_pairs_jsonl
from align.export.opus import (
    bead_segments,
    export_opus,
    read_moses,
    read_tmx,
    read_xces,
    read_xces_groups,
    read_xces_sentences,
    write_moses,
    write_tmx,
    write_xces,
    write_xces_sentences,
    xml_safe,
)

__all__ = [
    "StreamingExport",
    "atomic_dir",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "bead_segments",
    "check_monotonic",
    "check_output_dir",
    "dataset_card",
    "datasetdict_to_pairs",
    "export_all",
    "export_opus",
    "format_bead",
    "pairs_to_datasetdict",
    "parse_bead",
    "read_beads",
    "read_moses",
    "read_pairs_jsonl",
    "read_tmx",
    "read_xces",
    "read_xces_groups",
    "read_xces_sentences",
    "write_beads",
    "write_moses",
    "write_pairs_jsonl",
    "write_tmx",
    "write_xces",
    "write_xces_sentences",
    "xml_safe",
]
