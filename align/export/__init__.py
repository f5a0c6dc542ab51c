"""Export stage: pairs.jsonl, Hugging Face dataset / Hub parquet, dataset card.

Every output is written atomically (see :mod:`align.export.atomic`). The
``datasets`` library is imported only when an HF function is called.
"""

from align.export.atomic import atomic_dir, atomic_open, atomic_write_bytes, atomic_write_text
from align.export.card import dataset_card
from align.export.hf import datasetdict_to_pairs, export_all, pairs_to_datasetdict
from align.export.jsonl import read_pairs_jsonl, write_pairs_jsonl

__all__ = [
    "atomic_dir",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "dataset_card",
    "datasetdict_to_pairs",
    "export_all",
    "pairs_to_datasetdict",
    "read_pairs_jsonl",
    "write_pairs_jsonl",
]
