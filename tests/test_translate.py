"""Translation layer: batching, cache, and MarianMT end to end on a tiny local model."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sacrebleu

from align.translate import (
    TRANSLATORS,
    MarianTranslator,
    TranslationCache,
    Translator,
    build_translator,
    marian_available_locally,
    model_cache_key,
    params_cache_key,
)
from align.translate.batching import scatter, token_budget_batches, unique_texts
from align.types import ConfigError, ModelError

# Varied lengths and words so a random model gives different outputs per input.
TEXTS = [
    "Le président parle aujourd'hui.",
    "Un chat.",
    "Nous votons contre la nouvelle loi demain, avec le parti 12.",
    "Elle écrit un article dans le journal.",
    "Rouge!",
    "Le gouvernement fait une déclaration très rapide sur le réseau ce soir.",
    "Il pense souvent au jardin.",
    "Bonjour le monde 7",
    "Les ministres regardent le message?",
    "Où?",
    "Vous lisez toujours le journal le matin, mais jamais le soir.",
    "Petit chien heureux",
]


def marian(model: str | Path, **kw: object) -> MarianTranslator:
    kw = {"beam": 1, "max_length": 12, **kw}  # greedy + short: fast and batch-independent
    return MarianTranslator(str(model), "fr", "en", **kw)  # type: ignore[arg-type]


def spy_generate(tr: MarianTranslator) -> list[tuple[int, int, int]]:
    """Record (batch rows, output length, num_beams) of every model.generate call."""
    tr.load()
    calls: list[tuple[int, int, int]] = []
    real = tr._model.generate

    def generate(**kw: object):
        ids = real(**kw)
        calls.append((*ids.shape, kw["num_beams"]))
        return ids

    tr._model.generate = generate
    return calls


# --- batching (pure) ---------------------------------------------------------


def test_token_budget_batches() -> None:
    lengths = [2, 1, 4, 3, 0, 3]
    # No budget limit: plain length-sorted batches of max_batch rows.
    batches = token_budget_batches(lengths, 10**9, 4)
    assert batches == [[2, 3, 5, 0], [1, 4]]  # longest first, ties in input order
    assert token_budget_batches(lengths, 10**9, 1) == [[2], [3], [5], [0], [1], [4]]
    # Budget 8 padded tokens (rows x longest): 2 x 4, then 2 x 3 (a third row
    # of width 3 would be 9), then 2 x 1 (an empty input still counts 1).
    got = token_budget_batches(lengths, 8)
    assert got == [[2, 3], [5, 0], [1, 4]]
    assert all(len(b) * max(max(lengths[i] for i in b), 1) <= 8 for b in got)
    assert token_budget_batches(lengths, 8, 1) == [[2], [3], [5], [0], [1], [4]]
    assert token_budget_batches([], 3) == []
    with pytest.raises(ValueError):
        token_budget_batches(lengths, 0)
    with pytest.raises(ValueError):
        token_budget_batches(lengths, 5, 0)


def test_token_budget_oversized_input_gets_its_own_batch() -> None:
    lengths = [3, 50, 3, 3, 2]
    batches = token_budget_batches(lengths, 8)
    assert batches[0] == [1]  # over budget alone: its own batch, never dropped
    assert batches[1:] == [[0, 2], [3, 4]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))


def test_unique_texts_and_scatter() -> None:
    texts = ["b", "a", "", "b", "  ", "c", "a"]
    assert unique_texts(texts) == ["b", "a", "c"]
    assert scatter(texts, {"a": "A", "b": "B", "c": "C"}) == ["B", "A", "", "B", "", "C", "A"]


# --- cache ----------------------------------------------------------------


def test_cache_roundtrip_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.sqlite"
    with TranslationCache(path) as cache:
        assert cache.get_many("m", "p", ["x"]) == {}
        cache.put_many("m", "p", {"x": "X", "y": "Y", "l'été": "summer"})
        cache.put_many("m", "p", {})
        assert cache.get_many("m", "p", ["x", "z", "l'été", "x"]) == {"x": "X", "l'été": "summer"}
        assert cache.get_many("m", "other", ["x"]) == {}
        assert cache.get_many("other", "p", ["x"]) == {}
        many = {f"s{i}": f"t{i}" for i in range(1200)}  # more than one SQL chunk
        cache.put_many("m", "q", many)
        assert cache.get_many("m", "q", list(many)) == many
    # Committed and in WAL mode: another connection (as another process would) sees it.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT tgt FROM translations WHERE src='y'").fetchone() == ("Y",)
    conn.close()


def test_cache_two_writers(tmp_path: Path) -> None:
    a, b = TranslationCache(tmp_path / "c.sqlite"), TranslationCache(tmp_path / "c.sqlite")
    a.put_many("m", "p", {"1": "one"})
    b.put_many("m", "p", {"2": "two"})
    assert a.get_many("m", "p", ["1", "2"]) == b.get_many("m", "p", ["1", "2"]) == {"1": "one", "2": "two"}
    a.close(), b.close()


def test_model_and_params_keys(tmp_path: Path) -> None:
    assert model_cache_key("Helsinki-NLP/opus-mt-fr-en") == "Helsinki-NLP/opus-mt-fr-en"
    (tmp_path / "model.safetensors").write_bytes(b"1234")
    key = model_cache_key(str(tmp_path))
    assert key.startswith(str(tmp_path.resolve())) and "model.safetensors" in key
    os.utime(tmp_path / "model.safetensors", ns=(1, 1))  # "rebuilt" model
    assert model_cache_key(str(tmp_path)) != key
    assert params_cache_key(beam=4, max_length=256) == "beam=4,max_length=256"


# --- tiny model ---------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Recommended. pip install sacremoses")
def test_tiny_model_layout(tiny_marian_dir: Path) -> None:
    from transformers import MarianMTModel, MarianTokenizer

    names = {p.name for p in tiny_marian_dir.iterdir()}
    assert {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "config.json",
            "generation_config.json", "model.safetensors"} <= names
    vocab = json.loads((tiny_marian_dir / "vocab.json").read_text(encoding="utf-8"))
    cfg = json.loads((tiny_marian_dir / "config.json").read_text())
    assert vocab["</s>"] == 0 and vocab["<unk>"] == 1 and vocab["<pad>"] == len(vocab) - 1
    assert sorted(vocab.values()) == list(range(len(vocab)))
    assert 200 <= len(vocab) <= 1000 and cfg["vocab_size"] == len(vocab)
    assert cfg["pad_token_id"] == cfg["decoder_start_token_id"] == vocab["<pad>"] and cfg["eos_token_id"] == 0
    assert cfg["d_model"] <= 32 and cfg["encoder_layers"] == cfg["decoder_layers"] == 2
    tok = MarianTokenizer.from_pretrained(tiny_marian_dir, local_files_only=True)
    model = MarianMTModel.from_pretrained(tiny_marian_dir, local_files_only=True)
    assert tok.pad_token_id == vocab["<pad>"] and tok.eos_token_id == 0
    assert model.config.vocab_size == len(vocab)
    ids = tok(["Le chat mange."])["input_ids"][0]
    assert ids[-1] == 0 and tok.unk_token_id not in ids  # real SentencePiece pieces, no <unk>


def test_import_is_light() -> None:
    code = ("import sys, align.translate; "
            "print(any(m in sys.modules for m in ('torch', 'transformers', 'ctranslate2')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_end_to_end_order_and_bleu(tiny_marian_dir: Path) -> None:
    tr = build_translator("marian", str(tiny_marian_dir), "fr", "en", beam=1, max_length=12, batch_size=4)
    assert isinstance(tr, Translator) and isinstance(tr, MarianTranslator)
    out = tr.translate(TEXTS)
    assert len(out) == len(TEXTS) and all(isinstance(o, str) and o for o in out)
    assert len(set(out)) >= 4, "tiny model output should depend on its input"
    assert tr.stats == {"translated": len(TEXTS), "cached": 0}
    # Order restored: each text translated alone gives the same, aligned output.
    assert [tr.translate([t])[0] for t in TEXTS] == out
    # The outputs are strings sacrebleu can score.
    assert all(sacrebleu.sentence_bleu(o, [o]).score == pytest.approx(100.0) for o in out)
    assert sacrebleu.corpus_bleu(out, [out]).score == pytest.approx(100.0)
    assert 0.0 <= sacrebleu.corpus_bleu(out, [TEXTS]).score < 100.0


def test_batch_size_independent_and_deterministic(tiny_marian_dir: Path) -> None:
    one = marian(tiny_marian_dir, batch_size=1).translate(TEXTS)
    eight = marian(tiny_marian_dir, batch_size=8).translate(TEXTS)
    assert one == eight
    assert marian(tiny_marian_dir, batch_size=8).translate(TEXTS[::-1]) == one[::-1]


def test_batches_are_length_sorted(tiny_marian_dir: Path) -> None:
    tr = marian(tiny_marian_dir, batch_size=5)
    calls = spy_generate(tr)
    tr.translate(TEXTS)
    assert [rows for rows, *_ in calls] == [5, 5, 2]


def test_beam_configurable(tiny_marian_dir: Path) -> None:
    tr = marian(tiny_marian_dir, beam=2)
    calls = spy_generate(tr)
    out = tr.translate(TEXTS)
    assert len(out) == len(TEXTS) and all(isinstance(o, str) for o in out)
    assert {beams for *_, beams in calls} == {2}
    assert out != marian(tiny_marian_dir, beam=1).translate(TEXTS)  # beam search changes some outputs
    assert tr.params_key == "beam=2,max_length=12"


def test_max_length_bounds_output(tiny_marian_dir: Path) -> None:
    short, long_ = marian(tiny_marian_dir, max_length=3), marian(tiny_marian_dir, max_length=20)
    calls = spy_generate(short)
    s, l = short.translate(TEXTS), long_.translate(TEXTS)
    assert calls and all(n <= 3 + 1 for _, n, _ in calls)  # + decoder start token
    assert sum(map(len, s)) < sum(map(len, l))
    # Greedy decoding: the short output is the start of the long one.
    assert all(b.startswith(a.strip()) for a, b in zip(s, l))


def test_dedup_and_empty(tiny_marian_dir: Path) -> None:
    tr = marian(tiny_marian_dir)
    calls = spy_generate(tr)
    out = tr.translate(["Un chat.", "", "Où?", "Un chat.", "   ", "Un chat."])
    assert out[0] == out[3] == out[5] and out[0] and out[2]
    assert out[1] == out[4] == ""
    assert sum(rows for rows, *_ in calls) == 2 and tr.stats["translated"] == 2
    assert tr.translate([]) == []

    lazy = marian(tiny_marian_dir)
    assert lazy.translate(["", " "]) == ["", ""]
    assert lazy._model is None  # blanks never load the model


def test_cache_reuse_and_keys(tiny_marian_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    first = marian(tiny_marian_dir, cache=db)
    out = first.translate(TEXTS)
    assert first.stats == {"translated": len(TEXTS), "cached": 0}

    second = marian(tiny_marian_dir, cache=TranslationCache(db))
    assert second.translate(TEXTS) == out
    assert second.stats == {"translated": 0, "cached": len(TEXTS)}
    assert second._model is None  # all hits: the model was never loaded

    extra = "Le chien mange le jardin."
    assert second.translate([TEXTS[0], extra])[0] == out[0]
    assert second.stats == {"translated": 1, "cached": len(TEXTS) + 1}

    beam2 = marian(tiny_marian_dir, cache=db, beam=2)  # other params: other key
    beam2.translate(TEXTS[:3])
    assert beam2.stats == {"translated": 3, "cached": 0}
    with TranslationCache(db) as c:
        assert len(c) == len(TEXTS) + 1 + 3


def test_missing_model_raises_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cases = ["Helsinki-NLP/opus-mt-xx-yy-nonexistent", str(tmp_path / "nope"), str(tmp_path)]
    for name in cases:
        with pytest.raises(ModelError) as err:
            build_translator("marian", name, "xx", "yy").translate(["bonjour"])
        msg = str(err.value)
        assert name in msg and "\n" not in msg and err.value.exit_code == 4
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        marian("Helsinki-NLP/opus-mt-xx-yy-nonexistent", local_files_only=True).load()


def test_unknown_type_is_config_error() -> None:
    assert "marian" in TRANSLATORS
    with pytest.raises(ConfigError, match="nope"):
        build_translator("nope", "m", "fr", "en")
    with pytest.raises(ConfigError):
        build_translator("marian", "m", "fr", "en", beam=0)


def test_available_locally(tiny_marian_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert marian_available_locally(str(tiny_marian_dir))
    assert not marian_available_locally("Helsinki-NLP/opus-mt-xx-yy-nonexistent")
    assert not marian_available_locally(str(tmp_path / "missing"))
    assert not marian_available_locally(str(tmp_path))  # a dir without config.json

    # A hub id found in a (fake) local HF cache loads offline by name.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    sha = "0" * 40
    repo = tmp_path / "hub" / "models--test-org--opus-mt-fr-en"
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    for f in tiny_marian_dir.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    assert marian_available_locally("test-org/opus-mt-fr-en")
    by_name = marian("test-org/opus-mt-fr-en").translate(TEXTS[:3])
    assert by_name == marian(tiny_marian_dir).translate(TEXTS[:3])


def test_progress_bar_only_for_many_batches(tiny_marian_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tr = marian(tiny_marian_dir, batch_size=6)
    tr.load()
    capsys.readouterr()
    tr.translate(TEXTS)  # 2 batches: no bar
    assert "translate" not in capsys.readouterr().err
    tr = marian(tiny_marian_dir, batch_size=2)
    tr.load()
    capsys.readouterr()
    tr.translate(TEXTS)  # 6 batches: bar on stderr, nothing on stdout
    cap = capsys.readouterr()
    assert "translate" in cap.err and cap.out == ""
