"""The dataset card (``README.md``): Hub YAML front matter plus documentation."""

from __future__ import annotations

from typing import Any

import yaml

# Hub size buckets: (upper bound exclusive, label).
_SIZES = [
    (1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]

FIELDS: list[tuple[str, str, str]] = [
    ("id", "string", "pair id, unique within the export"),
    ("doc_id", "string", "id of the source document"),
    ("translation", "Translation", "`{src_lang: text, tgt_lang: text}`"),
    ("label", "string", "`parallel` or `partial`"),
    ("score", "float64", "alignment score used for the decision"),
    ("scores", "string", "JSON object of all component scores (keys vary by method)"),
    ("method", "string", "aligner that produced the pair"),
    ("src_span", "int64[2]", "`[start, end)` character offsets of the source text in its document"),
    ("tgt_span", "int64[2]", "`[start, end)` character offsets of the target text in its document"),
    ("src_kind", "string", "segment kind of the source side (title, body, tweet, quote, ...)"),
    ("tgt_kind", "string", "segment kind of the target side"),
    ("src_ids", "list[string]", "ids of the source segments"),
    ("tgt_ids", "list[string]", "ids of the target segments"),
    ("bleu", "float64 or null", "sacrebleu sentence BLEU for the pair; null when not computed"),
    ("chrf", "float64 or null", "sacrebleu sentence chrF for the pair; null when not computed"),
    ("bleu_signature", "string or null", "sacrebleu BLEU signature"),
    ("chrf_signature", "string or null", "sacrebleu chrF signature"),
    ("meta", "string", "JSON object of extra per-pair information"),
]


def size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>1B")


def _front_matter(configs: dict[str, int], languages: list[str], name: str, license: str) -> dict[str, Any]:
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
            {"config_name": c, "data_files": [{"split": "train", "path": f"data/{c}/train.parquet"}]}
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
) -> str:
    """README.md for a Hub dataset: ``configs`` maps ``"src-tgt"`` to its row count."""
    front = yaml.safe_dump(
        _front_matter(configs, languages, name, license), sort_keys=False, allow_unicode=True
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
        *(f"| `{f}` | {t} | {d} |" for f, t, d in FIELDS),
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
        f'ds = load_dataset("parquet", data_files={{"train": "data/{example}/train.parquet"}})["train"]',
        "# or the saved DatasetDict (one key per language pair)",
        f'ds = load_from_disk("dataset")["{example}"]',
        "# or, once pushed to the Hub",
        f'ds = load_dataset("<user>/<repo>", "{example}", split="train")',
        "```", "",
        "`scores` and `meta` are JSON strings: use `json.loads(row[\"scores\"])`.", "",
    ]
    return "\n".join(out)
