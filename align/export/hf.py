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
import hashlib
import json
import logging
import re
import shutil
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from align.export.atomic import output_errors
from align.export.card import dataset_card
from align.export.schema import JSON_COLUMNS, REQUIRED_COLUMNS, COLUMNS, SCHEMA, config_name, features_for, members
from align.types import InputError, OutputError, Pair

if TYPE_CHECKING:
    import datasets

log = logging.getLogger(__name__)

# Language codes become config names and path components.
_LANG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

def _check_langs(src_lang: str, tgt_lang: str) -> None:
    for lang in (src_lang, tgt_lang):
        if not isinstance(lang, str) or not _LANG_RE.fullmatch(lang):
            raise OutputError(f"cannot export language code {lang!r}: use letters, digits, '-' or '_'")
    if src_lang == tgt_lang:  # Translation needs two distinct keys
        raise OutputError(f"cannot export pairs with the same source and target language ({src_lang!r})")


def _cell(hint: Any, value: Any) -> Any:
    if typing.is_typeddict(hint):  # string members as strings: a document's date may be a number
        return {k: value[k] if typing.get_origin(t) is list or value[k] is None else str(value[k])
                for k, t in members(hint).items()}
    return json.dumps(value, ensure_ascii=False) if typing.get_origin(hint) is dict else value


def _row(pair: Pair) -> dict[str, Any]:
    rec = pair.to_record()
    return {name: {rec["src_lang"]: rec["src"], rec["tgt_lang"]: rec["tgt"]} if hint is None
            else _cell(hint, rec[name]) for name, hint, _ in SCHEMA}


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


def write_parquet_files(pairs: Iterable[Pair], path_for: typing.Callable[[str], Path]) -> dict[str, int]:
    """Each language pair's rows as one parquet file, at ``path_for(config)``; returns rows per config.

    The files have the schema of ``data/*/train.parquet``; writing them
    atomically is the caller's business.
    """
    configs = {}
    with _quiet_datasets():
        for (src, tgt), rows in _group(pairs).items():
            name = config_name(src, tgt)
            path = path_for(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            _dataset(src, tgt, rows).to_parquet(str(path))
            configs[name] = len(rows)
    return configs


def datasetdict_to_pairs(dd: datasets.DatasetDict) -> list[Pair]:
    """Inverse of :func:`pairs_to_datasetdict` (pairs grouped by split, in split order)."""
    pairs: list[Pair] = []
    for split, ds in dd.items():
        trans = ds.features.get("translation")
        langs = getattr(trans, "languages", None)
        missing = [c for c in REQUIRED_COLUMNS if c not in ds.column_names]
        if missing or not langs or len(langs) != 2:
            what = f"missing column(s) {', '.join(missing)}" if missing else "'translation' is not a Translation feature"
            raise InputError(f"split {split!r} is not an align export: {what}")
        src_lang, tgt_lang = langs
        for row in ds:
            rec = {k: v for k, v in row.items() if k != "translation"}
            rec.update(src_lang=src_lang, tgt_lang=tgt_lang,
                       src=row["translation"][src_lang], tgt=row["translation"][tgt_lang])
            for k in JSON_COLUMNS:
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


class StreamingExport:
    """Write the HF export from pairs that arrive one at a time, in bounded memory.

    Each language pair gets a JSON-lines file (written as rows arrive) and an
    Arrow file in ``out_dir/.staging`` (written in batches by datasets'
    ``ArrowWriter``); :meth:`close` memory-maps the Arrow files as datasets,
    saves the ``DatasetDict`` and the Hub parquet files, writes the card and
    removes the staging folder. Rows never all sit in memory at once.

    ``out_dir`` is written in place (wrap it in ``atomic_dir``).
    """

    def __init__(self, out_dir: Path, *, batch_rows: int = 1000):
        self.out_dir = Path(out_dir)
        self.staging = self.out_dir / ".staging"
        self.batch_rows = batch_rows
        self._groups: dict[tuple[str, str], _GroupWriter] = {}

    def add(self, pair: Pair) -> None:
        key = (pair.src_lang, pair.tgt_lang)
        group = self._groups.get(key)
        if group is None:
            _check_langs(*key)  # before any file name is built from the codes
            with output_errors(self.out_dir):
                group = self._groups[key] = _GroupWriter(self.out_dir, self.staging, *key, self.batch_rows)
        with output_errors(self.out_dir):
            group.add(_row(pair))

    def close(self, *, dataset_name: str = "align-pairs", license: str = "other",
              extra_card_info: dict[str, Any] | None = None) -> dict[str, Any]:
        """Finish every file; return ``{"rows", "configs": {name: rows}, "languages", "files"}``."""
        import datasets
        from datasets.table import MemoryMappedTable


        groups = dict(sorted(self._groups.items()))
        files: list[str] = ["dataset"]
        try:
            with output_errors(self.out_dir), _quiet_datasets():
                self.out_dir.mkdir(parents=True, exist_ok=True)
                splits = {}
                for group in groups.values():
                    group.finish()
                    # Memory-mapped, not loaded; the fingerprint (saved in state.json)
                    # hashes the rows, so the same pairs give the same files.
                    splits[group.name] = datasets.Dataset(
                        MemoryMappedTable.from_file(str(group.arrow_path)),
                        info=datasets.DatasetInfo(features=group.features), fingerprint=group.fingerprint)
                dd = datasets.DatasetDict(splits)
                dd.save_to_disk(str(self.out_dir / "dataset"))
                for group in groups.values():
                    parquet = self.out_dir / "data" / group.name / "train.parquet"
                    parquet.parent.mkdir(parents=True, exist_ok=True)
                    dd[group.name].to_parquet(str(parquet))
                    files += [str(parquet.relative_to(self.out_dir)), str(group.jsonl_path.relative_to(self.out_dir))]
                    log.info("exported %s: %d rows", group.name, group.rows)
                configs = {g.name: g.rows for g in groups.values()}
                languages = sorted({lang for key in groups for lang in key})
                card = dataset_card(configs, languages, name=dataset_name, license=license,
                                    description_extra=extra_card_info or {})
                (self.out_dir / "README.md").write_text(card, encoding="utf-8")
                files.append("README.md")
                del dd, splits  # unmap the staging files before they go
        finally:
            self.abort()
        return {"rows": sum(configs.values()), "configs": configs, "languages": languages, "files": files}

    def abort(self) -> None:
        """Close every open file and remove the staging folder (idempotent)."""
        for group in self._groups.values():
            group.close()
        shutil.rmtree(self.staging, ignore_errors=True)


class _GroupWriter:
    """The rows of one language pair: ``jsonl/{name}.jsonl`` and a staged Arrow file."""

    def __init__(self, out_dir: Path, staging: Path, src: str, tgt: str, batch_rows: int):
        from datasets.arrow_writer import ArrowWriter

        self.name = config_name(src, tgt)
        self.features = features_for(src, tgt)
        self.rows = 0
        self._hash = hashlib.sha256(self.name.encode())
        self.jsonl_path = out_dir / "jsonl" / f"{self.name}.jsonl"
        self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir(parents=True, exist_ok=True)
        self.arrow_path = staging / f"{self.name}.arrow"
        self._jsonl = open(self.jsonl_path, "w", encoding="utf-8", newline="\n")
        self._arrow = ArrowWriter(features=self.features, path=str(self.arrow_path), writer_batch_size=batch_rows)
        self._open = True

    @property
    def fingerprint(self) -> str:
        return self._hash.hexdigest()[:16]

    def add(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False) + "\n"
        self._jsonl.write(line)
        self._hash.update(line.encode("utf-8"))
        self._arrow.write(row)
        self.rows += 1

    def finish(self) -> None:
        self._arrow.finalize()
        self.close()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._jsonl.close()
            self._arrow.close()


def export_all(
    pairs: Iterable[Pair],
    out_dir: Path,
    *,
    dataset_name: str = "align-pairs",
    license: str = "other",
    extra_card_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``dataset/``, ``data/*/train.parquet``, ``jsonl/*.jsonl`` and ``README.md`` into ``out_dir``.

    ``pairs`` may be any iterable (a generator streams: see :class:`StreamingExport`).
    ``out_dir`` is written in place (no atomicity here: wrap the call in
    ``atomic_dir``). Returns ``{"rows", "configs": {name: rows}, "languages", "files"}``
    with paths relative to ``out_dir``.
    """
    export = StreamingExport(Path(out_dir))
    try:
        for pair in pairs:
            export.add(pair)
    except BaseException:
        export.abort()
        raise
    return export.close(dataset_name=dataset_name, license=license, extra_card_info=extra_card_info)
