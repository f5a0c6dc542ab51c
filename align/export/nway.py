"""n-way export: one row per cluster of segments that say the same thing, a column per language.

Parallel pairs carry a ``cluster`` id when their segments are linked (an
English tweet, its Russian twin and the French sentence that both
translate). :func:`nway_rows` turns the pairs of each cluster into one row::

    {"cluster": "d1:c0", "doc_id": "d1", "languages": ["en", "fr", "ru"],
     "en": "...", "fr": "...", "ru": "...", "pairs": ["d1:...", ...]}

A language that appears on several sides of a cluster (two French units
linked to the same tweet) keeps the text of its best-scoring pair.
:func:`export_nway` writes them as ``dataset/`` (a ``DatasetDict`` with one
``train`` split), ``data/nway/train.parquet``, ``jsonl/nway.jsonl`` and a card.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from align.export.atomic import output_errors
from align.export.card import nway_card
from align.export.hf import _quiet_datasets
from align.types import PARALLEL, Pair


def nway_rows(pairs: Iterable[Pair]) -> list[dict[str, Any]]:
    """One row per cluster of parallel pairs, clusters in order of first appearance."""
    clusters: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.cluster and p.label == PARALLEL:
            clusters.setdefault(p.cluster, []).append(p)
    rows = []
    for cid, members in clusters.items():
        texts: dict[str, tuple[float, str]] = {}
        for p in members:
            for lang, text in ((p.src_lang, p.src), (p.tgt_lang, p.tgt)):
                if lang not in texts or p.score > texts[lang][0]:
                    texts[lang] = (p.score, text)
        row: dict[str, Any] = {"cluster": cid, "doc_id": members[0].doc_id, "languages": sorted(texts)}
        row.update({lang: text for lang, (_, text) in sorted(texts.items())})
        row["pairs"] = [p.id for p in members]
        rows.append(row)
    return rows


def export_nway(pairs: Iterable[Pair], out_dir: Path, *, dataset_name: str, license: str,
                extra_card_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the n-way rows of ``pairs`` into ``out_dir`` (wrap it in ``atomic_dir``)."""
    import datasets

    rows = nway_rows(pairs)
    languages = sorted({lang for r in rows for lang in r["languages"]})
    s = datasets.Value("string")
    features = datasets.Features({"cluster": s, "doc_id": s, "languages": datasets.Sequence(s),
                                  **{lang: s for lang in languages}, "pairs": datasets.Sequence(s)})
    columns = {name: [r.get(name) for r in rows] for name in features}
    out_dir = Path(out_dir)
    with output_errors(out_dir), _quiet_datasets():
        ds = datasets.Dataset.from_dict(columns, features=features)
        if rows:  # a zero-row split does not load back (datasets 5.x)
            datasets.DatasetDict({"train": ds}).save_to_disk(str(out_dir / "dataset"))
            parquet = out_dir / "data" / "nway" / "train.parquet"
            parquet.parent.mkdir(parents=True, exist_ok=True)
            ds.to_parquet(str(parquet))
        jsonl = out_dir / "jsonl" / "nway.jsonl"
        jsonl.parent.mkdir(parents=True, exist_ok=True)
        with open(jsonl, "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(json.dumps({k: r.get(k) for k in features}, ensure_ascii=False) + "\n")
        (out_dir / "README.md").write_text(
            nway_card(len(rows), languages, name=dataset_name, license=license,
                      description_extra=extra_card_info or {}), encoding="utf-8")
    return {"rows": len(rows), "languages": languages,
            "files": (["dataset", "data/nway/train.parquet"] if rows else []) + ["jsonl/nway.jsonl", "README.md"]}
