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
    ("src_spans", "list[int64[2]]", "the pieces of the source side in its document (a tweet split around its "
     "attribution line has several); the side's text is their cleaned texts joined by a space"),
    ("tgt_spans", "list[int64[2]]", "the pieces of the target side"),
    ("src_info", "struct", "what the page says of the source side when it is an embed: `platform` "
     "(twitter, instagram), `author`, `handle`, `date`, `urls`, `hashtags` (null / empty for body text)"),
    ("tgt_info", "struct", "the same for the target side"),
    ("doc", "struct", "the document's `url`, `date` and `title`, where the input gives them"),
    ("cluster", "string or null", "parallel pairs whose segments are linked (an en tweet, its ru twin and the "
     "French sentence) share an id; `align export --nway` writes one row per cluster"),
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
