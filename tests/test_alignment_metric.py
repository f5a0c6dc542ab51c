"""Strict/lax P/R/F1 of sentence alignments (Vecalign's scorer convention), and ``align eval``."""

from __future__ import annotations

import pytest

from align.cli.main import main
from align.metrics.alignment import Counts, count, score, score_documents
from align.types import Bead

# A hand-worked case.
GOLD = [([0], [0]), ([1], [1, 2]), ([], [3]), ([2], [4])]
PRED = [([0], [0]), ([1], [1]), ([], [2]), ([], [3]), ([2], [4])]
# Precision, over all 5 predicted beads:
#   strict: [0]:[0], []:[3], [2]:[4] are gold beads -> 3/5
#   lax: also [1]:[1] (gold aligns source 1 to target 1); []:[2] has no source
#        sentence, so it cannot be laxly right -> 4/5
# Recall, over the 3 gold beads with both sides, against the 3 predicted beads with both sides:
#   strict: [0]:[0], [2]:[4] -> 2/3; lax: [1]:[1, 2] too (predicted 1 -> 1) -> 3/3


def test_hand_computed_case():
    s = score(GOLD, PRED)
    assert s.precision_strict == pytest.approx(3 / 5)
    assert s.recall_strict == pytest.approx(2 / 3)
    assert s.f1_strict == pytest.approx(2 * 0.6 * (2 / 3) / (0.6 + 2 / 3))
    assert s.precision_lax == pytest.approx(4 / 5)
    assert s.recall_lax == pytest.approx(1.0)
    assert s.f1_lax == pytest.approx(2 * 0.8 / 1.8)
    assert s.counts == Counts(p_strict=3, p_lax=4, p_total=5, r_strict=2, r_lax=3, r_total=3)


def test_bead_objects_and_duplicates_are_sets():
    pred = [Bead((0,), (0,), 0.1), Bead((0,), (0,), 0.2), Bead((1,), (1, 2))]
    s = score(GOLD, pred)
    assert s.counts.p_total == 2  # a duplicated bead counts once, as in Vecalign's scorer
    assert s.precision_strict == 1.0


def test_predicted_deletion_is_wrong_unless_gold_has_it():
    gold = [([0], [0]), ([1], [1])]
    pred = [([0], [0]), ([1], []), ([], [1])]
    s = score(gold, pred)
    assert s.precision_strict == pytest.approx(1 / 3)
    assert s.precision_lax == pytest.approx(1 / 3)  # deletions are never laxly right
    assert s.recall_strict == pytest.approx(1 / 2)
    assert s.recall_lax == pytest.approx(1 / 2)


def test_perfect_and_empty():
    assert score(GOLD, GOLD).f1_strict == 1.0
    assert score(GOLD, GOLD).f1_lax == 1.0
    empty = score(GOLD, [])
    assert empty.f1_strict == 0.0 and empty.precision_strict == 0.0


def test_documents_are_micro_averaged():
    per, overall = score_documents([GOLD, GOLD], [PRED, GOLD])
    assert per[0].f1_strict < 1.0 and per[1].f1_strict == 1.0
    c = count(GOLD, PRED) + count(GOLD, GOLD)
    assert overall.counts == c
    assert overall.precision_strict == pytest.approx((3 + 4) / (5 + 4))


def test_eval_cli_last_line(tmp_path, capsys):
    gold = tmp_path / "gold.txt"
    pred = tmp_path / "pred.txt"
    gold.write_text("[0]:[0]\n[1]:[1, 2]\n[]:[3]\n[2]:[4]\n")
    pred.write_text("[0]:[0]:0.1\n[1]:[1]:0.2\n[]:[2]:0.0\n[]:[3]:0.000000\n[2]:[4]:-1.5\n")
    code = main(["-q", "eval", "--gold", str(gold), "--pred", str(pred), "--json", str(tmp_path / "s.json")])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert out[-1] == "strict_f1=0.632 lax_f1=0.889"
    assert any(line.startswith("overall") for line in out)
    assert (tmp_path / "s.json").exists()


def test_eval_cli_bad_file(tmp_path, capsys):
    gold = tmp_path / "gold.txt"
    gold.write_text("[0]:[0]\nnot a bead\n")
    code = main(["-q", "eval", "--gold", str(gold), "--pred", str(gold)])
    err = capsys.readouterr().err.strip()
    assert code == 3 and len(err.splitlines()) == 1 and "gold.txt:2" in err
