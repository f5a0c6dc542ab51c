"""The dataset card (``README.md``): Hub YAML front matter plus documentation."""

from __future__ import annotations

import typing
from typing import Any

import yaml

from align.export.schema import SCHEMA, features_for

# Hub size buckets: (upper bound exclusive, label).
_SIZES = [
    (1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def _type_name(feature: Any) -> str:
    import datasets

    if isinstance(feature, dict):
        return "struct"
    if isinstance(feature, datasets.Translation):
        return "Translation"
    inner = getattr(feature, "feature", None)  # a Sequence (List in datasets 4+)
    if inner is not None:
        n = getattr(feature, "length", -1)
        return f"{_type_name(inner)}[{n}]" if n > 0 else f"list[{_type_name(inner)}]"
    return feature.dtype


def fields() -> list[tuple[str, str, str]]:
    """``(name, type, description)`` rows of the card's field table: the HF columns and their features."""
    features = features_for("src", "tgt")  # the languages do not change the types
    return [(name, _type_name(features[name]) + (" or null" if type(None) in typing.get_args(hint) else ""), doc)
            for name, hint, doc in SCHEMA]


def size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>1B")


def _front_matter(configs: dict[str, int], languages: list[str], name: str, license: str,
                  files: str = "train.parquet") -> dict[str, Any]:
    meta: dict[str, Any] = {
        "pretty_name": name,
        "language": list(languages),
        "license": license,
        "multilinguality": "translation",
        "task_categories": ["translation"],
        "size_categories": [size_category(sum(configs.values()))],
    }
    if configs:  # an empty `configs:` list is not a valid Hub config section
        meta["configs"] = [
            {"config_name": c, "data_files": [{"split": "train", "path": f"data/{c}/{files}"}]}
            for c in configs
        ]
    return meta


def _render_extra(extra: dict[str, Any]) -> list[str]:
    """Scalars as bullets; nested values as YAML blocks (readable and exact)."""
    lines: list[str] = []
    for key, value in extra.items():
        if isinstance(value, (dict, list, tuple)):
            block = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False).rstrip()
            lines += [f"- **{key}**:", "", "  ```yaml", *(f"  {ln}" for ln in block.splitlines()), "  ```", ""]
        else:
            lines.append(f"- **{key}**: `{value}`")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def dataset_card(
    configs: dict[str, int],
    languages: list[str],
    *,
    name: str,
    license: str,
    description_extra: dict[str, Any],
    files: str = "train.parquet",
) -> str:
    """README.md for a Hub dataset: ``configs`` maps ``"src-tgt"`` to its row count.

    ``files``: each config's parquet file(s) in ``data/{config}/`` (the Ray
    engine writes one per shard: ``*.parquet``).
    """
    front = yaml.safe_dump(
        _front_matter(configs, languages, name, license, files), sort_keys=False, allow_unicode=True
    )
    total = sum(configs.values())
    out = [
        "---", front.rstrip(), "---", "",
        f"# {name}", "",
        "Parallel text segments mined and aligned by the `align` toolkit, for machine-translation "
        f"training and evaluation. {total} pair(s) in {len(configs)} language pair(s); "
        "each language pair is a config with one `train` split.", "",
        "| config | rows |", "|---|---:|",
        *(f"| `{c}` | {n} |" for c, n in configs.items()),
        "", "## Fields", "",
        "| field | type | description |", "|---|---|---|",
        *(f"| `{f}` | {t} | {d} |" for f, t, d in fields()),
        "", "## How it was produced", "",
        *(_render_extra(description_extra) or ["No production details were recorded."]),
        "", "## How to load", "",
        "```python",
        "from datasets import load_dataset, load_from_disk",
        "",
    ]
    example = next(iter(configs), "en-fr")
    out += [
        "# from this directory's Hub-layout parquet files",
        f'ds = load_dataset("parquet", data_files={{"train": "data/{example}/{files}"}})["train"]',
        *(["# or the saved DatasetDict (one key per language pair)",
           f'ds = load_from_disk("dataset")["{example}"]'] if files == "train.parquet" else []),
        "# or, once pushed to the Hub",
        f'ds = load_dataset("<user>/<repo>", "{example}", split="train")',
        "```", "",
        "`scores` and `meta` are JSON strings: use `json.loads(row[\"scores\"])`.", "",
    ]
    return "\n".join(out)


def nway_card(rows: int, languages: list[str], *, name: str, license: str,
              description_extra: dict[str, Any]) -> str:
    """README.md of an n-way export (``align export --nway``): one row per cluster."""
    front: dict[str, Any] = {
        "pretty_name": name, "language": list(languages), "license": license,
        "multilinguality": "multilingual", "task_categories": ["translation"],
        "size_categories": [size_category(rows)],
    }
    if rows:
        front["configs"] = [{"config_name": "nway",
                             "data_files": [{"split": "train", "path": "data/nway/train.parquet"}]}]
    out = [
        "---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", "",
        f"# {name}", "",
        f"Segments that say the same thing in several languages, mined by the `align` toolkit: {rows} "
        "cluster(s), one row each, with a column per language (null where the cluster has no text "
        "in that language). A cluster links segments of one document through parallel pairs.", "",
        "| field | type | description |", "|---|---|---|",
        "| `cluster` | string | cluster id (`<doc_id>:c<n>`) |",
        "| `doc_id` | string | the document it comes from |",
        "| `languages` | list[string] | the languages the cluster has text in |",
        *(f"| `{lang}` | string or null | the cluster's text in `{lang}` |" for lang in languages),
        "| `pairs` | list[string] | ids of the parallel pairs that link it (see `pairs.jsonl`) |",
        "", "## How it was produced", "",
        *(_render_extra(description_extra) or ["No production details were recorded."]),
        "", "## How to load", "", "```python", "from datasets import load_from_disk", "",
        'ds = load_from_disk("dataset")["train"]', "```", "",
    ]
    return "\n".join(out)
