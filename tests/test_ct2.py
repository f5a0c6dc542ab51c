"""The CTranslate2 backend: conversion once, parity with transformers, int8, config wiring."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from align.config import config_from_dict
from align.translate import (
    TRANSLATORS,
    CTranslate2Translator,
    MarianTranslator,
    TranslationCache,
    Translator,
    build_translator,
    translator_options,
)
from align.types import ConfigError, ModelError

pytest.importorskip("ctranslate2")

from test_translate import TEXTS  # noqa: E402


@pytest.fixture(scope="module")
def ct2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ct2")


def ct2(model: Path, ct2_dir: Path, **kw: object) -> CTranslate2Translator:
    kw = {"beam": 1, "max_length": 12, "compute_type": "float32", "ct2_dir": ct2_dir, **kw}
    return CTranslate2Translator(str(model), "fr", "en", **kw)  # type: ignore[arg-type]


def hf(model: Path, **kw: object) -> MarianTranslator:
    return MarianTranslator(str(model), "fr", "en", **{"beam": 1, "max_length": 12, **kw})  # type: ignore[arg-type]


def test_registry_and_protocol(tiny_marian_dir: Path, ct2_dir: Path) -> None:
    assert TRANSLATORS["ctranslate2"] is CTranslate2Translator
    tr = build_translator("ctranslate2", str(tiny_marian_dir), "fr", "en", compute_type="int8", ct2_dir=ct2_dir,
                          inter_threads=1, intra_threads=1, beam=1)
    assert isinstance(tr, Translator) and isinstance(tr, CTranslate2Translator)
    with pytest.raises(ConfigError, match="compute_type"):
        build_translator("ctranslate2", "m", "fr", "en", compute_type="int4")
    with pytest.raises(ConfigError):
        build_translator("ctranslate2", "m", "fr", "en", inter_threads=0)
    import ctranslate2

    if "float16" not in ctranslate2.get_supported_compute_types("cpu"):
        with pytest.raises(ModelError, match="not supported on cpu"):  # before any conversion
            ct2(tiny_marian_dir, ct2_dir, compute_type="float16").load()


def test_greedy_parity_token_for_token(tiny_marian_dir: Path, ct2_dir: Path) -> None:
    """fp32 greedy: the same tokens as transformers, over the common length, and the same strings."""
    for max_length in (2, 6, 20):
        a, b = hf(tiny_marian_dir, max_length=max_length).load(), ct2(tiny_marian_dir, ct2_dir, max_length=max_length).load()
        ids = a._encode(TEXTS)
        assert b._encode(TEXTS) == ids
        specials = set(a._tokenizer.all_special_ids)
        ta = [[t for t in row if t not in specials] for row in a._generate(ids)]
        tb = [[t for t in row if t not in specials] for row in b._generate(ids)]
        for x, y in zip(ta, tb):
            n = min(len(x), len(y))
            assert n > 0 and x[:n] == y[:n]
            assert len(x) == len(y)  # max_length means the same for both backends
        assert a.translate(TEXTS) == b.translate(TEXTS)
    # Parts of a batch in parallel (inter_threads) change nothing in the outputs.
    parallel = ct2(tiny_marian_dir, ct2_dir, inter_threads=2, intra_threads=1)
    assert parallel.translate(TEXTS) == ct2(tiny_marian_dir, ct2_dir).translate(TEXTS)
    # Beam search goes through the same path.
    assert all(isinstance(t, str) and t for t in ct2(tiny_marian_dir, ct2_dir, beam=3).translate(TEXTS))
    assert ct2(tiny_marian_dir, ct2_dir, max_length=1).translate(TEXTS[:2]) == hf(tiny_marian_dir, max_length=1).translate(TEXTS[:2]) == ["", ""]


def test_int8_runs_and_is_keyed_apart(tiny_marian_dir: Path, ct2_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    f32 = ct2(tiny_marian_dir, ct2_dir, cache=db)
    i8 = ct2(tiny_marian_dir, ct2_dir, compute_type="int8", cache=db)
    out8 = i8.translate(TEXTS)
    assert len(out8) == len(TEXTS) and all(isinstance(o, str) and o for o in out8)
    assert len(set(out8)) >= 4
    f32.translate(TEXTS)
    plain = hf(tiny_marian_dir, cache=db)
    plain.translate(TEXTS)
    # Three model keys: transformers, ct2 float32, ct2 int8; none served another's outputs.
    assert f32.stats["cached"] == i8.stats["cached"] == plain.stats["cached"] == 0
    assert len({plain.model_key, f32.model_key, i8.model_key}) == 3
    again = ct2(tiny_marian_dir, ct2_dir, compute_type="int8", cache=TranslationCache(db))
    assert again.translate(TEXTS) == out8
    assert again.stats == {"translated": 0, "cached": len(TEXTS)} and again._model is None


def test_converted_once_and_atomically(tiny_marian_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctranslate2

    calls = []
    real = ctranslate2.converters.TransformersConverter.convert

    def convert(self, out, *a, **kw):
        calls.append(Path(out))
        return real(self, out, *a, **kw)

    monkeypatch.setattr(ctranslate2.converters.TransformersConverter, "convert", convert)
    root = tmp_path / "ct2"
    first = ct2(tiny_marian_dir, root).load()
    assert len(calls) == 1 and calls[0].parent.parent == root and calls[0].parent.name.startswith(".")
    assert first.converted_dir is not None and (first.converted_dir / "model.bin").is_file()
    assert [p.name for p in root.iterdir()] == [first.converted_dir.name]  # temp dir gone
    second = ct2(tiny_marian_dir, root).load()
    assert len(calls) == 1 and second.converted_dir == first.converted_dir  # reused, not converted again
    assert second.translate(TEXTS[:3]) == first.translate(TEXTS[:3])
    ct2(tiny_marian_dir, root, compute_type="int8").load()
    assert len(calls) == 2 and len(list(root.iterdir())) == 2  # one per weight type


def test_long_input_truncated_with_warning(tiny_marian_dir: Path, ct2_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    long_text = " ".join(["Le chat mange le jardin."] * 200)  # far over 512 tokens
    texts = [TEXTS[0], long_text, TEXTS[1]]
    for tr in (hf(tiny_marian_dir, max_input_tokens=64), ct2(tiny_marian_dir, ct2_dir, max_input_tokens=64)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="align.translate.marian"):
            out = tr.translate(texts)
        assert len(out) == 3 and all(out)  # never dropped
        assert len(tr._encode([long_text])[0]) == 64 and tr._encode([long_text])[0][-1] == 0  # ends in </s>
        msgs = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("truncated 1 of 3 inputs to 64 tokens" in m for m in msgs)
    # The default limit is the model's max_position_embeddings (512).
    tr = hf(tiny_marian_dir).load()
    assert tr._input_limit == 512 and max(len(x) for x in tr._encode([long_text])) == 512


def test_token_budget_batches_in_translator(tiny_marian_dir: Path, ct2_dir: Path) -> None:
    for tr in (hf(tiny_marian_dir, max_batch_tokens=40), ct2(tiny_marian_dir, ct2_dir, max_batch_tokens=40)):
        tr.load()
        seen: list[list[list[int]]] = []
        real = tr._generate
        tr._generate = lambda batch, real=real: (seen.append(batch), real(batch))[1]  # type: ignore[method-assign]
        out = tr.translate(TEXTS)
        assert sorted(len(b) for b in seen) != [len(TEXTS)]  # split by the budget
        assert all(len(b) * max(map(len, b)) <= 40 for b in seen)
        assert sum(len(b) for b in seen) == len(TEXTS)
        assert out == hf(tiny_marian_dir).translate(TEXTS)  # order restored, outputs unchanged


def test_config_selects_backend_in_one_line(tmp_path: Path) -> None:
    cfg = config_from_dict({"translation": {"type": "ctranslate2", "compute_type": "float32", "threads": 2,
                                            "inter_threads": 2, "max_batch_tokens": 1024, "cache_dir": str(tmp_path)}})
    opts = translator_options(cfg.translation)
    assert opts["compute_type"] == "float32" and opts["threads"] == 2 and opts["max_batch_tokens"] == 1024
    assert opts["inter_threads"] == 2
    assert opts["ct2_dir"] == tmp_path / "ct2"
    tr = build_translator(cfg.translation.type, "m", "fr", "en", **opts)
    assert isinstance(tr, CTranslate2Translator) and tr.threads == 2 and tr.intra_threads is None
    default = config_from_dict({}).translation
    assert default.type == "marian" and "compute_type" not in translator_options(default)
    with pytest.raises(ConfigError, match="compute_type"):
        config_from_dict({"translation": {"compute_type": "int4"}})
    with pytest.raises(ConfigError, match="max_batch_tokens"):
        config_from_dict({"translation": {"max_batch_tokens": 0}})
    with pytest.raises(ConfigError, match="threads"):
        config_from_dict({"translation": {"threads": -1}})
    with pytest.raises(ConfigError, match="inter_threads"):
        config_from_dict({"translation": {"inter_threads": 0}})


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickle_weights_refused_by_the_converter_too(tiny_marian_dir: Path, tmp_path: Path) -> None:
    """Conversion loads the model with transformers: pickled weights are refused there as well."""
    from test_untrusted import _malicious_model_dir

    marker = tmp_path / "PWNED"
    model = _malicious_model_dir(tiny_marian_dir, tmp_path / "model", marker, "legacy")
    with pytest.raises(ModelError) as err:
        ct2(model, tmp_path / "ct2").translate(["Le chat mange."])
    assert str(model) in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()
    assert not any((tmp_path / "ct2").iterdir())  # nothing converted, no temp dir left
