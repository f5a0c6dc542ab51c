"""Hugging Face export: a DatasetDict with one split per language pair.

Layout written by :func:`export_all` (into a directory the caller owns, normally
the temp dir yielded by :func:`align.export.atomic.atomic_dir`)::

    dataset/                       DatasetDict.save_to_disk (keys "en-fr", ...)
    data/{src}-{tgt}/train.parquet Hub layout, one config per language pair
    jsonl/{src}-{tgt}.jsonl        the same rows as JSON lines
    README.md                      dataset card (YAML front matter + docs)

Rows are built from :meth:`Pair.to_record`, so they carry exactly the values of
``pairs.jsonl`` (``score``/``scores`` rounded to 6 decimals). ``scores`` and
``meta`` are JSON strings: their keys differ between methods and pairs, and a
string column round-trips any of them without null-filled struct fields.

``datasets`` is imported lazily: importing ``align`` must stay light.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from align.export.atomic import output_errors
from align.export.card import dataset_card
from align.types import InputError, OutputError, Pair

if TYPE_CHECKING:
    import datasets

log = logging.getLogger(__name__)

# Language codes become config names and path components.
_LANG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

# Columns in order (``translation`` replaces src/tgt/src_lang/tgt_lang).
COLUMNS = (
    "id", "doc_id", "translation", "label", "score", "scores", "method",
    "src_span", "tgt_span", "src_kind", "tgt_kind", "src_ids", "tgt_ids",
    "bleu", "chrf", "bleu_signature", "chrf_signature", "meta",
)


def config_name(src_lang: str, tgt_lang: str) -> str:
    return f"{src_lang}-{tgt_lang}"


def features_for(src_lang: str, tgt_lang: str) -> datasets.Features:
    """Explicit schema: empty splits and all-None columns keep stable types."""
    import datasets

    s, f, i = datasets.Value("string"), datasets.Value("float64"), datasets.Value("int64")
    return datasets.Features({
        "id": s,
        "doc_id": s,
        "translation": datasets.Translation(languages=[src_lang, tgt_lang]),
        "label": s,
        "score": f,
        "scores": s,  # JSON object as a string
        "method": s,
        "src_span": datasets.Sequence(i, length=2),
        "tgt_span": datasets.Sequence(i, length=2),
        "src_kind": s,
        "tgt_kind": s,
        "src_ids": datasets.Sequence(s),
        "tgt_ids": datasets.Sequence(s),
        "bleu": f,
        "chrf": f,
        "bleu_signature": s,
        "chrf_signature": s,
        "meta": s,  # JSON object as a string
    })


def _check_langs(src_lang: str, tgt_lang: str) -> None:
    for lang in (src_lang, tgt_lang):
        if not _LANG_RE.match(lang or ""):
            raise OutputError(f"cannot export language code {lang!r}: use letters, digits, '-' or '_'")
    if src_lang == tgt_lang:  # Translation needs two distinct keys
        raise OutputError(f"cannot export pairs with the same source and target language ({src_lang!r})")


def _row(pair: Pair) -> dict[str, Any]:
    rec = pair.to_record()
    return {
        "id": rec["id"],
        "doc_id": rec["doc_id"],
        "translation": {rec["src_lang"]: rec["src"], rec["tgt_lang"]: rec["tgt"]},
        "label": rec["label"],
        "score": rec["score"],
        "scores": json.dumps(rec["scores"], ensure_ascii=False),
        "method": rec["method"],
        "src_span": rec["src_span"],
        "tgt_span": rec["tgt_span"],
        "src_kind": rec["src_kind"],
        "tgt_kind": rec["tgt_kind"],
        "src_ids": rec["src_ids"],
        "tgt_ids": rec["tgt_ids"],
        "bleu": rec["bleu"],
        "chrf": rec["chrf"],
        "bleu_signature": rec["bleu_signature"],
        "chrf_signature": rec["chrf_signature"],
        "meta": json.dumps(rec["meta"], ensure_ascii=False),
    }


def _group(pairs: Iterable[Pair]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Rows by (src_lang, tgt_lang), keys sorted, input order kept within a group."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in pairs:
        groups.setdefault((p.src_lang, p.tgt_lang), []).append(_row(p))
    for src, tgt in groups:
        _check_langs(src, tgt)
    return dict(sorted(groups.items()))


def _dataset(src: str, tgt: str, rows: list[dict[str, Any]]) -> datasets.Dataset:
    import datasets

    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    return datasets.Dataset.from_dict(columns, features=features_for(src, tgt))


def _datasetdict(groups: dict[tuple[str, str], list[dict[str, Any]]]) -> datasets.DatasetDict:
    import datasets

    return datasets.DatasetDict({config_name(s, t): _dataset(s, t, rows) for (s, t), rows in groups.items()})


def pairs_to_datasetdict(pairs: Iterable[Pair]) -> datasets.DatasetDict:
    """One split per language pair, named ``"{src_lang}-{tgt_lang}"``, sorted by name.

    No pairs gives an empty DatasetDict (no keys), which saves and loads fine;
    a zero-row split would not (``load_from_disk`` fails on it in datasets 5.x).
    """
    return _datasetdict(_group(pairs))


def datasetdict_to_pairs(dd: datasets.DatasetDict) -> list[Pair]:
    """Inverse of :func:`pairs_to_datasetdict` (pairs grouped by split, in split order)."""
    pairs: list[Pair] = []
    for split, ds in dd.items():
        trans = ds.features.get("translation")
        langs = getattr(trans, "languages", None)
        missing = [c for c in ("id", "doc_id", "translation", "label", "score", "method", "src_span", "tgt_span")
                   if c not in ds.column_names]
        if missing or not langs or len(langs) != 2:
            what = f"missing column(s) {', '.join(missing)}" if missing else "'translation' is not a Translation feature"
            raise InputError(f"split {split!r} is not an align export: {what}")
        src_lang, tgt_lang = langs
        for row in ds:
            rec = {k: v for k, v in row.items() if k != "translation"}
            rec.update(src_lang=src_lang, tgt_lang=tgt_lang,
                       src=row["translation"][src_lang], tgt=row["translation"][tgt_lang])
            for k in ("scores", "meta"):
                rec[k] = json.loads(row[k]) if row.get(k) else {}
            pairs.append(Pair.from_record(rec))
    return pairs


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Hide datasets' tqdm bars (they go to stderr); restore the caller's setting."""
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            enable_progress_bars()


def export_all(
    pairs: Iterable[Pair],
    out_dir: Path,
    *,
    dataset_name: str = "align-pairs",
    license: str = "other",
    extra_card_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``dataset/``, ``data/*/train.parquet``, ``jsonl/*.jsonl`` and ``README.md`` into ``out_dir``.

    ``out_dir`` is written in place (no atomicity here: wrap the call in
    ``atomic_dir``). Returns ``{"rows", "configs": {name: rows}, "languages", "files"}``
    with paths relative to ``out_dir``.
    """
    out_dir = Path(out_dir)
    groups = _group(pairs)
    dd = _datasetdict(groups)
    configs = {name: len(ds) for name, ds in dd.items()}
    languages = sorted({lang for key in groups for lang in key})
    files: list[str] = ["dataset"]
    with output_errors(out_dir), _quiet_datasets():
        out_dir.mkdir(parents=True, exist_ok=True)
        dd.save_to_disk(str(out_dir / "dataset"))
        for (src, tgt), rows in groups.items():
            name = config_name(src, tgt)
            parquet = out_dir / "data" / name / "train.parquet"
            parquet.parent.mkdir(parents=True, exist_ok=True)
            dd[name].to_parquet(str(parquet))
            jsonl = out_dir / "jsonl" / f"{name}.jsonl"
            jsonl.parent.mkdir(parents=True, exist_ok=True)
            with open(jsonl, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            files += [str(parquet.relative_to(out_dir)), str(jsonl.relative_to(out_dir))]
            log.info("exported %s: %d rows", name, len(rows))
        card = dataset_card(configs, languages, name=dataset_name, license=license,
                            description_extra=extra_card_info or {})
        (out_dir / "README.md").write_text(card, encoding="utf-8")
        files.append("README.md")
    return {"rows": sum(configs.values()), "configs": configs, "languages": languages, "files": files}
