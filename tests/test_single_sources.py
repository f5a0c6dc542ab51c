"""Each schema and list of allowed values is written once; the rest derive from it."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from align.config import (
    COMPUTE_TYPES,
    EXPORT_FORMATS,
    MULTILINGUAL,
    OPUS_FORMATS,
    SIGNALS,
    Config,
    SimilarityEncoder,
    TranslationConfig,
    config_from_dict,
    load_config,
)
from align.types import ConfigError, Pair, record_key, required

ROOT = Path(__file__).resolve().parents[1]


def _pair() -> Pair:
    return Pair(id="p", doc_id="d", src_lang="en", tgt_lang="fr", src="Hello.", tgt="Bonjour.",
                src_span=(0, 6), tgt_span=(10, 18), score=0.5, label="parallel", method="m")


def _record_keys() -> list[str]:
    return [record_key(f) for f in dataclasses.fields(Pair)]


def _hf_columns() -> list[str]:
    # The record's keys, with one `translation` column for the languages and texts.
    keys = _record_keys()
    folded = ["src_lang", "tgt_lang", "src", "tgt"]
    at = keys.index(folded[0])
    return [*keys[:at], "translation", *(k for k in keys[at:] if k not in folded)]


def test_record_is_the_pair_fields() -> None:
    from align.export.jsonl import REQUIRED_FIELDS

    rec = _pair().to_record()
    assert list(rec) == _record_keys() and "doc" in rec  # doc_info's key
    assert Pair.from_record(rec).to_record() == rec
    assert list(REQUIRED_FIELDS) == [record_key(f) for f in dataclasses.fields(Pair) if required(f)]


def test_hf_features_and_card_are_the_pair_fields() -> None:
    pytest.importorskip("datasets")
    from align.export.card import dataset_card
    from align.export.hf import _row, features_for

    assert list(features_for("en", "fr")) == _hf_columns()
    assert list(_row(_pair())) == _hf_columns()
    card = dataset_card({"en-fr": 1}, ["en", "fr"], name="x", license="other", description_extra={})
    table = card.split("## Fields", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in table.splitlines() if line.startswith("| `")]
    assert [name.strip("`") for name, _, _ in rows] == _hf_columns()
    docs = {record_key(f): f.metadata["doc"] for f in dataclasses.fields(Pair)}
    assert [doc for _, _, doc in rows] == [docs.get(c, "`{src_lang: text, tgt_lang: text}`") for c in _hf_columns()]


def test_every_pair_field_is_described() -> None:
    assert all(f.metadata.get("doc") for f in dataclasses.fields(Pair))


def test_card_types_follow_the_features() -> None:
    pytest.importorskip("datasets")
    from align.export.card import fields

    types = {name: t for name, t, _ in fields()}
    assert types["translation"] == "Translation" and types["src_span"] == "int64[2]"
    assert types["src_spans"] == "list[int64[2]]" and types["src_ids"] == "list[string]"
    assert types["bleu"] == "float64 or null" and types["cluster"] == "string or null"
    assert types["doc"] == types["src_info"] == "struct" and types["meta"] == types["scores"] == "string"


def test_default_yaml_is_the_builtin_default() -> None:
    # README: no --config means configs/default.yaml; summary.json records what was configured.
    assert load_config(ROOT / "configs" / "default.yaml") == load_config(None) == Config()


def test_option_lists_derive_from_the_config() -> None:
    from align.similarity import evidence
    from align.translate import ctranslate2

    compute_type = typing.get_type_hints(TranslationConfig)["compute_type"]
    assert typing.get_args(compute_type) == COMPUTE_TYPES and ctranslate2.COMPUTE_TYPES is COMPUTE_TYPES
    assert evidence.MULTILINGUAL is MULTILINGUAL
    assert "+".join(MULTILINGUAL) in typing.get_args(SimilarityEncoder)
    d = Config().docalign
    assert tuple(d.evidence) == SIGNALS and tuple(d.exports) == EXPORT_FORMATS
    assert set(OPUS_FORMATS) < set(EXPORT_FORMATS)
    assert config_from_dict({"docalign": {"weights": dict.fromkeys(SIGNALS, 1.0)}}).docalign.weights
    with pytest.raises(ConfigError, match="unknown signal"):
        config_from_dict({"docalign": {"weights": {"bleu": 1.0}}})
    with pytest.raises(ConfigError, match="compute_type must be one of"):
        config_from_dict({"translation": {"compute_type": "int4"}})
