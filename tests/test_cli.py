"""CLI contract: documented exit codes, one-line errors, no half-written outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from align.cli.main import main


def run(capsys, *argv):
    code = main(["-q", *map(str, argv)])
    return code, capsys.readouterr()


def assert_one_line_error(captured, *needles):
    err = captured.err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err


@pytest.mark.parametrize(
    "yaml_text, needle",
    [
        ("mining:\n  tresh: 1.1\n", "unknown key 'mining.tresh'"),
        ("mining:\n  k: four\n", "mining.k must be an integer"),
        ("similarity:\n  method: magic\n", "similarity.method must be one of"),
        ("segment: [1, 2]\n", "segment must be a mapping"),
        ("translation:\n  models:\n    french: x\n", "language pair 'french'"),
        ("translation:\n  models:\n    xx-en: x\n", "translation.models.xx-en: unknown language code 'xx'"),
        ("mining: {k: [\n", "invalid YAML"),
    ],
)
def test_bad_config_exits_2(capsys, tmp_path, seed_path, yaml_text, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--config", cfg, "--input", seed_path, "--output", out)
    assert code == 2
    assert_one_line_error(captured, needle, str(cfg))
    assert not out.exists()


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"", "is empty"),
        (b"   \n\n  ", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Le texte est en français.".encode("latin-1"), "not valid UTF-8"),
        (b"a" * (5 * 1024 * 1024), "over the limit"),
    ],
    ids=["empty", "whitespace", "binary", "latin1", "5MB-line"],
)
def test_bad_input_exits_3_without_output(capsys, tmp_path, content, needle):
    src = tmp_path / "article.txt"
    src.write_bytes(content)
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--input", src, "--output", out)
    assert code == 3
    assert_one_line_error(captured, needle, "article.txt")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["article.txt"]  # no temp or work dirs left


def test_missing_input_exits_3(capsys, tmp_path):
    code, captured = run(capsys, "run", "--input", tmp_path / "nope.txt", "--output", tmp_path / "out")
    assert code == 3
    assert_one_line_error(captured, "nope.txt")


def test_missing_model_exits_4(capsys, tmp_path, seed_path):
    cfg = tmp_path / "mt.yaml"
    cfg.write_text(
        "similarity:\n  method: mt\ntranslation:\n  cache_dir: ''\n  models:\n"
        f"    fr-en: {tmp_path / 'no-such-model'}\n"
    )
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--config", cfg, "--input", seed_path, "--output", out)
    assert code == 4
    assert_one_line_error(captured, "no-such-model")
    assert not out.exists()


def test_article_without_foreign_segment_gives_empty_result(capsys, tmp_path):
    src = tmp_path / "fr.txt"
    src.write_text("Le conseil municipal s’est réuni hier soir. Il a voté le budget de l’année prochaine.\n")
    out = tmp_path / "out"
    code, _ = run(capsys, "run", "--input", src, "--output", out)
    assert code == 0
    assert (out / "pairs.jsonl").read_text() == ""
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pairs"] == 0 and summary["documents"] == 1
    from datasets import load_from_disk

    assert len(load_from_disk(str(out / "dataset"))) == 0


def test_corpus_run_skips_bad_documents(capsys, tmp_path, seed_path):
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"id": "seed", "text": seed_path.read_text(encoding="utf-8")}),
        "{not json",
        json.dumps({"id": "empty", "text": ""}),
    ]
    corpus.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    code, _ = run(capsys, "run", "--input", corpus, "--output", out)
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"] == 2 and summary["pairs"] == 2


def test_rerun_replaces_output_but_never_foreign_dirs(capsys, tmp_path, seed_path):
    out = tmp_path / "out"
    assert run(capsys, "run", "--input", seed_path, "--output", out)[0] == 0
    assert run(capsys, "run", "--input", seed_path, "--output", out)[0] == 0
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    code, captured = run(capsys, "run", "--input", seed_path, "--output", foreign)
    assert code == 5
    assert_one_line_error(captured, "refusing to overwrite")
    assert (foreign / "thesis.tex").read_text() == "keep me"


def test_export_filters_and_score(capsys, tmp_path, seed_path):
    out = tmp_path / "out"
    assert run(capsys, "run", "--input", seed_path, "--output", out)[0] == 0
    code, _ = run(capsys, "export", "--pairs", out / "pairs.jsonl", "--output", tmp_path / "par", "--label", "parallel")
    assert code == 0
    kept = [json.loads(x) for x in (tmp_path / "par" / "pairs.jsonl").read_text().splitlines()]
    assert kept and all(p["label"] == "parallel" for p in kept)

    hyp, ref = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp.write_text("the cat sat on the mat\nhello world\n")
    ref.write_text("the cat sat on the mat\nhello there world\n")
    code, captured = run(capsys, "score", "--hyp", hyp, "--ref", ref)
    assert code == 0
    scores = json.loads(captured.out)
    assert 0 < scores["bleu"] < 100 and scores["bleu_signature"].startswith("nrefs:1")
    ref.write_text("only one line\n")
    code, captured = run(capsys, "score", "--hyp", hyp, "--ref", ref)
    assert code == 3
    assert_one_line_error(captured, "2 lines", "1")


def test_module_entry_point_reports_usage_errors():
    proc = subprocess.run([sys.executable, "-m", "align", "run"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--input" in proc.stderr


def test_translate_verb_writes_one_line_per_input_and_reuses_cache(capsys, tmp_path, tiny_marian_dir):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"translation:\n  beam: 1\n  max_length: 8\n  cache_dir: {tmp_path / 'cache'}\n")
    src = tmp_path / "in.txt"
    src.write_text("Bonjour le monde.\n\nLe chat dort.\nBonjour le monde.\n")
    out = tmp_path / "out.txt"
    args = ["translate", "--config", cfg, "--model", tiny_marian_dir, "--src-lang", "fr", "--tgt-lang", "en",
            "--input", src, "--output", out]
    code, captured = run(capsys, *args)
    assert code == 0
    lines = out.read_text().split("\n")[:-1]
    assert len(lines) == 4 and lines[1] == "" and lines[0] == lines[3] and lines[0]
    assert "translated 2, from cache 0" in captured.err
    code, captured = run(capsys, *args)
    assert "translated 0, from cache 2" in captured.err
    assert out.read_text().split("\n")[:-1] == lines


def test_translate_verb_without_model_exits_2(capsys, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("x\n")
    code, captured = run(capsys, "translate", "--src-lang", "fr", "--tgt-lang", "en", "--input", src)
    assert code == 2
    assert_one_line_error(captured, "no model for fr-en")
