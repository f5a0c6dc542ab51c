"""Export: pairs.jsonl, HF DatasetDict / parquet / jsonl, dataset card, atomic outputs."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from align.export import (
    atomic_dir,
    atomic_write_bytes,
    atomic_write_text,
    datasetdict_to_pairs,
    export_all,
    pairs_to_datasetdict,
    read_pairs_jsonl,
    write_pairs_jsonl,
)
from align.types import InputError, OutputError, Pair

datasets = pytest.importorskip("datasets")

SIG = "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.4.0"


def _pairs() -> list[Pair]:
    return [
        Pair(id="p1", doc_id="d1", src_lang="ru", tgt_lang="en", src="Привет, мир!", tgt="Hello, world!",
             src_span=(0, 12), tgt_span=(40, 53), score=0.912345, label="parallel", method="marian+bleu",
             src_kind="tweet", tgt_kind="body", src_ids=("d1:t0",), tgt_ids=("d1:s3", "d1:s4"),
             scores={"bleu": 41.2, "cosine": 0.88}, bleu=41.2, chrf=63.5,
             bleu_signature=SIG, chrf_signature="nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.0",
             meta={"url": "https://example.org/1", "note": "ёж"}),
        Pair(id="p2", doc_id="d2", src_lang="en", tgt_lang="fr", src="Good morning.", tgt="Bonjour.",
             src_span=(5, 18), tgt_span=(0, 8), score=0.5, label="partial", method="similarity",
             scores={"cosine": 0.5}),  # bleu/chrf/signatures stay None
        Pair(id="p3", doc_id="d2", src_lang="en", tgt_lang="fr", src="Thanks «a lot»", tgt="Merci beaucoup",
             src_span=(20, 34), tgt_span=(10, 24), score=0.75, label="parallel", method="similarity",
             scores={"cosine": 0.75, "len_ratio": 1.0, "lex": 0.1}, bleu=None, chrf=12.0),
        Pair(id="p4", doc_id="d3", src_lang="uk", tgt_lang="en", src="Слава Україні", tgt="Glory to Ukraine",
             src_span=(0, 13), tgt_span=(100, 116), score=1.0, label="parallel", method="marian+bleu"),
    ]


def _norm(pairs: list[Pair]) -> dict[str, Pair]:
    # The dataset carries the pairs.jsonl values (to_record rounds score/scores).
    return {p.id: Pair.from_record(p.to_record()) for p in pairs}


def _assert_same(got: list[Pair], want: list[Pair]) -> None:
    exp = _norm(want)
    assert sorted(p.id for p in got) == sorted(exp)
    for p in got:
        for f in dataclasses.fields(Pair):
            assert getattr(p, f.name) == getattr(exp[p.id], f.name), (p.id, f.name)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("exp") / "out"
    with atomic_dir(out) as tmp:
        info = export_all(_pairs(), tmp, dataset_name="Test pairs", license="cc-by-4.0",
                          extra_card_info={"method": "marian+bleu", "models": {"ru-en": "Helsinki-NLP/opus-mt-ru-en"},
                                           "thresholds": {"bleu": 30}, "bleu_signature": SIG})
        (tmp / "summary.json").write_text(json.dumps(info))
    return out, info


def test_export_info(exported: tuple[Path, dict]) -> None:
    out, info = exported
    assert info["configs"] == {"en-fr": 2, "ru-en": 1, "uk-en": 1}
    assert info["rows"] == 4 and info["languages"] == ["en", "fr", "ru", "uk"]
    assert all((out / f).exists() for f in info["files"])
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_load_from_disk_roundtrip(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    dd = datasets.load_from_disk(str(out / "dataset"))
    assert sorted(dd) == ["en-fr", "ru-en", "uk-en"]
    for name, ds in dd.items():
        src, tgt = name.split("-")
        assert isinstance(ds.features["translation"], datasets.Translation)
        assert ds.features["translation"].languages == [src, tgt]
        assert ds.features["bleu"] == datasets.Value("float64")
    assert dd["en-fr"]["bleu"] == [None, None] and dd["en-fr"]["chrf"] == [None, 12.0]
    assert dd["ru-en"][0]["translation"] == {"ru": "Привет, мир!", "en": "Hello, world!"}
    _assert_same(datasetdict_to_pairs(dd), _pairs())


def test_in_memory_roundtrip() -> None:
    _assert_same(datasetdict_to_pairs(pairs_to_datasetdict(_pairs())), _pairs())


def test_parquet_and_jsonl_rows(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    dd = datasets.load_from_disk(str(out / "dataset"))
    for name, ds in dd.items():
        want = ds.to_list()
        assert pq.read_table(out / "data" / name / "train.parquet").to_pylist() == want
        lines = (out / "jsonl" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(ln) for ln in lines] == want
    assert "Привет" in (out / "jsonl" / "ru-en.jsonl").read_text(encoding="utf-8")  # not \u-escaped
    # load_dataset("parquet") restores the Translation feature from the file's metadata.
    from align.export.hf import _quiet_datasets

    with _quiet_datasets():
        ds = datasets.load_dataset("parquet", data_files={"train": str(out / "data/uk-en/train.parquet")},
                                   cache_dir=str(out.parent / "cache"))["train"]
    assert isinstance(ds.features["translation"], datasets.Translation)
    assert ds[0]["translation"] == {"uk": "Слава Україні", "en": "Glory to Ukraine"}


def _front_matter(card: str) -> tuple[dict, str]:
    assert card.startswith("---\n")
    _, front, body = card.split("---\n", 2)
    return yaml.safe_load(front), body


def test_card(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    meta, body = _front_matter((out / "README.md").read_text(encoding="utf-8"))
    assert meta["language"] == ["en", "fr", "ru", "uk"]
    assert meta["license"] == "cc-by-4.0"
    assert meta["task_categories"] == ["translation"]
    assert meta["multilinguality"] == "translation"
    assert meta["size_categories"] == ["n<1K"]
    assert meta["pretty_name"] == "Test pairs"
    assert [c["config_name"] for c in meta["configs"]] == ["en-fr", "ru-en", "uk-en"]
    for c in meta["configs"]:
        (df,) = c["data_files"]
        assert df == {"split": "train", "path": f"data/{c['config_name']}/train.parquet"}
        assert (out / df["path"]).is_file()
    assert "Helsinki-NLP/opus-mt-ru-en" in body and SIG in body and "load_from_disk" in body


def test_card_quotes_yaml_lookalikes() -> None:
    from align.export import dataset_card

    card = dataset_card({"no-en": 3}, ["en", "no"], name="x: y", license="other", description_extra={})
    meta, _ = _front_matter(card)
    assert meta["language"] == ["en", "no"] and meta["pretty_name"] == "x: y"  # "no" is not False


def test_empty_export(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    with atomic_dir(out) as tmp:
        info = export_all([], tmp)
    assert info["rows"] == 0 and info["configs"] == {}
    dd = datasets.load_from_disk(str(out / "dataset"))
    assert len(dd) == 0 and datasetdict_to_pairs(dd) == []
    meta, body = _front_matter((out / "README.md").read_text(encoding="utf-8"))
    assert meta["license"] == "other" and meta["language"] == [] and "configs" not in meta
    assert "0 pair(s)" in body


def test_same_language_pair_rejected() -> None:
    p = dataclasses.replace(_pairs()[1], tgt_lang="en")
    with pytest.raises(OutputError):
        pairs_to_datasetdict([p])


# --- atomic outputs ---------------------------------------------------------

def test_atomic_dir_exception_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out"
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "half.txt").write_text("x")
        raise RuntimeError("boom")
    assert not out.exists()
    assert list(out.parent.iterdir()) == []


def test_atomic_dir_refuses_foreign_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep")
    with pytest.raises(OutputError, match="refusing to overwrite"), atomic_dir(out):
        pytest.fail("body must not run")  # checked up front
    assert (out / "precious.txt").read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_dir_refuses_if_dir_appears_meanwhile(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputError), atomic_dir(out) as tmp:
        (tmp / "summary.json").write_text("{}")
        out.mkdir()
        (out / "other.txt").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["other.txt"]


def test_atomic_dir_overwrites_own_output_and_empty_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()  # empty: allowed
    for run in ("1", "2"):
        with atomic_dir(out) as tmp:
            (tmp / "summary.json").write_text(run)
            (tmp / f"only-{run}.txt").write_text(run)
        assert (out / "summary.json").read_text() == run
    assert sorted(p.name for p in out.iterdir()) == ["only-2.txt", "summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_dir_unwritable_parent(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError) as e, atomic_dir(blocker / "out"):
        pass
    assert "\n" not in str(e.value)


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    p = tmp_path / "a" / "b.txt"
    atomic_write_text(p, "ёж\n")
    atomic_write_text(p, "second\n")
    assert p.read_text(encoding="utf-8") == "second\n"
    atomic_write_bytes(tmp_path / "c.bin", b"\x00\x01")
    assert (tmp_path / "c.bin").read_bytes() == b"\x00\x01"
    assert sorted(x.name for x in (tmp_path / "a").iterdir()) == ["b.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    from align.export import atomic_open

    p = tmp_path / "x.txt"
    p.write_text("old")
    with pytest.raises(ValueError), atomic_open(p) as f:
        f.write("partial")
        raise ValueError
    assert p.read_text() == "old" and [x.name for x in tmp_path.iterdir()] == ["x.txt"]


# --- pairs.jsonl --------------------------------------------------------------

def test_pairs_jsonl_roundtrip(tmp_path: Path) -> None:
    p = tmp_path / "pairs.jsonl"
    assert write_pairs_jsonl(iter(_pairs()), p) == 4
    text = p.read_text(encoding="utf-8")
    assert "Привет" in text and len(text.splitlines()) == 4
    _assert_same(read_pairs_jsonl(p), _pairs())
    assert [x.name for x in tmp_path.iterdir()] == ["pairs.jsonl"]


@pytest.mark.parametrize(
    "bad, msg",
    [
        ("{not json", "invalid JSON"),
        ('{"id": "x"}', "missing required field"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_read_pairs_jsonl_bad_line(tmp_path: Path, bad: str, msg: str) -> None:
    p = tmp_path / "pairs.jsonl"
    good = json.dumps(_pairs()[0].to_record(), ensure_ascii=False)
    p.write_text(f"{good}\n\n{bad}\n", encoding="utf-8")
    with pytest.raises(InputError, match=msg) as e:
        read_pairs_jsonl(p)
    assert f"{p}:3:" in str(e.value) and "\n" not in str(e.value)


def test_read_pairs_jsonl_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_pairs_jsonl(tmp_path / "nope.jsonl")
