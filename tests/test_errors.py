"""User errors: one line naming the problem and the file, a documented exit code, no traceback.

Families: config (2), input (3), model path (4), output path (5); anything
else is an internal error (1). ``--debug`` shows the traceback. More cases
(bad config values, binary/latin-1/oversized input) are in test_cli.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from align.cli.main import main

ARTICLE = "Un article en français. Il ne cite personne et ne contient aucun tweet.\n"


def run(capsys, *argv):
    code = main(["-q", *map(str, argv)])
    return code, capsys.readouterr()


def one_line(captured, *needles) -> str:
    """The error line: exactly one 'align VERB: ...error' line, no traceback, naming ``needles``."""
    err = captured.err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("WARNING ")]
    assert len(lines) == 1, err
    for needle in needles:
        assert str(needle) in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def article(tmp_path: Path) -> Path:
    f = tmp_path / "article.txt"
    f.write_text(ARTICLE, encoding="utf-8")
    return f


# --- config: exit 2 ---------------------------------------------------------------------------

CONFIGS = {
    "missing": (None, "config file not found"),
    "invalid-yaml": ("mining: {k: [\n", "invalid YAML"),
    "unknown-key": ("minning:\n  k: 2\n", "unknown key 'minning'"),
    "wrong-type": ("segment:\n  min_words: many\n", "segment.min_words must be an integer"),
    "not-a-mapping": ("- 1\n- 2\n", "top level must be a mapping"),
    "not-utf8": (b"mining:\n  k: \xff\n", "cannot read config"),
    "unknown-language": ("segment:\n  languages: [fr, xx]\n", "unknown language code 'xx'"),
    "mt-without-models": ("similarity:\n  method: mt\n", "translation.models is empty"),
    "python-tag": ("mining: !!python/object/apply:os.getcwd []\n", "invalid YAML"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_config_errors(capsys, tmp_path, article, case):
    content, needle = CONFIGS[case]
    cfg = tmp_path / "conf.yaml"
    if isinstance(content, bytes):
        cfg.write_bytes(content)
    elif content is not None:
        cfg.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--config", cfg, "--input", article, "--output", out)
    assert code == 2
    one_line(captured, needle, cfg)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["article.txt"] + (["conf.yaml"] if content else []))


def test_config_is_a_directory(capsys, tmp_path, article):
    code, captured = run(capsys, "run", "--config", tmp_path, "--input", article, "--output", tmp_path / "out")
    assert code == 2
    one_line(captured, tmp_path, "cannot read config")


# --- input: exit 3 ----------------------------------------------------------------------------

def _input_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "table.csv").write_text("text\nx\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": 5}\nnot json\n{"id": "x"}\n', encoding="utf-8")
    (tmp_path / "blank.jsonl").write_text("\n\n", encoding="utf-8")
    (tmp_path / "nul.txt").write_bytes(b"abc\x00def")
    (tmp_path / "fake.parquet").write_bytes(b"PAR1 not really")
    return {
        "missing": (tmp_path / "nope.txt", "does not exist"),
        "no-txt-in-folder": (tmp_path / "empty_dir", "contains no .txt files"),
        "unsupported-extension": (tmp_path / "table.csv", "unsupported extension"),
        "no-usable-document": (bad, "no usable document (3 skipped"),
        "blank-jsonl": (tmp_path / "blank.jsonl", "is empty"),
        "nul-byte": (tmp_path / "nul.txt", "NUL byte"),
        "not-parquet": (tmp_path / "fake.parquet", "not a readable Parquet file"),
    }


@pytest.mark.parametrize("case", ["missing", "no-txt-in-folder", "unsupported-extension", "no-usable-document",
                                  "blank-jsonl", "nul-byte", "not-parquet"])
def test_input_errors(capsys, tmp_path, case):
    src, needle = _input_cases(tmp_path)[case]
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--input", src, "--output", out)
    assert code == 3
    one_line(captured, needle, src)
    assert not out.exists() and not (tmp_path / ".out.work").exists()


def test_export_verb_input_errors(capsys, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"id": "a"}\n', encoding="utf-8")
    code, captured = run(capsys, "export", "--pairs", pairs, "--output", tmp_path / "out")
    assert code == 3
    one_line(captured, f"{pairs}:1", "missing required field")
    code, captured = run(capsys, "export", "--pairs", tmp_path / "none.jsonl", "--output", tmp_path / "out")
    assert code == 3
    one_line(captured, tmp_path / "none.jsonl")


# --- model path: exit 4 -----------------------------------------------------------------------

def _mt_config(tmp_path: Path, model: Path) -> Path:
    cfg = tmp_path / "mt.yaml"
    cfg.write_text("similarity:\n  method: mt\ntranslation:\n  cache_dir: ''\n  models:\n"
                   f"    fr-en: {json.dumps(str(model))}\n", encoding="utf-8")
    return cfg


@pytest.mark.parametrize("case", ["no-such-dir", "no-config-json", "corrupt-weights", "no-weights"])
def test_model_path_errors(capsys, tmp_path, article, tiny_marian_dir, case):
    model = tmp_path / "model"
    if case == "no-config-json":
        model.mkdir()
        (model / "README.md").write_text("not a model")
    elif case in ("corrupt-weights", "no-weights"):
        shutil.copytree(tiny_marian_dir, model)
        weights = model / "model.safetensors"
        if case == "corrupt-weights":
            weights.write_bytes(b"\x00" * 64)
        else:
            weights.unlink()
    out = tmp_path / "out"
    code, captured = run(capsys, "run", "--config", _mt_config(tmp_path, model), "--input", article, "--output", out)
    assert code == 4
    one_line(captured, model)
    assert not out.exists() and not (tmp_path / ".out.work").exists()


def test_translate_verb_model_error(capsys, tmp_path, article):
    code, captured = run(capsys, "translate", "--model", tmp_path / "nothing", "--src-lang", "fr",
                         "--tgt-lang", "en", "--input", article, "--output", tmp_path / "o.txt")
    assert code == 4
    one_line(captured, tmp_path / "nothing")


# --- output path: exit 5 ----------------------------------------------------------------------

def test_output_errors(capsys, tmp_path, article):
    file_in_the_way = tmp_path / "file"
    file_in_the_way.write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    cases = [
        (file_in_the_way, "is not an align output directory"),
        (file_in_the_way / "out", f"{file_in_the_way} is not a directory"),
        (file_in_the_way / "a" / "b", f"{file_in_the_way} is not a directory"),
        (foreign, "is not an align output directory"),
        (link, "symbolic link"),
    ]
    for out, needle in cases:
        code, captured = run(capsys, "run", "--input", article, "--output", out)
        assert code == 5, out
        one_line(captured, needle, out.name)
    assert (foreign / "precious.txt").read_text() == "keep me"
    assert file_in_the_way.read_text() == "x"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work log or temp dir made


def test_output_error_comes_before_any_work(capsys, tmp_path, article, monkeypatch):
    """A doomed run fails before models load or documents are mined."""
    import align.pipeline

    def boom(self):
        raise AssertionError("models loaded")

    monkeypatch.setattr(align.pipeline.Pipeline, "warm_up", boom)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    code, captured = run(capsys, "run", "--input", article, "--output", foreign)
    assert code == 5
    one_line(captured, foreign)


def test_export_verb_output_error(capsys, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("", encoding="utf-8")
    (tmp_path / "taken").write_text("x")
    code, captured = run(capsys, "export", "--pairs", pairs, "--output", tmp_path / "taken")
    assert code == 5
    one_line(captured, tmp_path / "taken")


# --- internal errors and --debug ----------------------------------------------------------------

def test_internal_error_is_one_line_and_debug_shows_traceback(capsys, tmp_path, article, monkeypatch):
    import align.runner

    def broken(*a, **kw):
        raise RuntimeError("something broke")

    monkeypatch.setattr(align.runner, "run_corpus", broken)
    code, captured = run(capsys, "run", "--input", article, "--output", tmp_path / "out")
    assert code == 1
    line = one_line(captured, "internal error", "RuntimeError: something broke", "--debug")
    assert line.startswith("align run: ")
    code = main(["--debug", "run", "--input", str(article), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback (most recent call last)" in err and "RuntimeError: something broke" in err


@pytest.mark.parametrize("argv, code, needle", [
    (["run", "--config", "{tmp}/nope.yaml", "--input", "{article}", "--output", "{tmp}/out"], 2, "nope.yaml"),
    (["run", "--input", "{tmp}/nope.txt", "--output", "{tmp}/out"], 3, "nope.txt"),
])
def test_debug_shows_traceback_for_user_errors_too(tmp_path, article, argv, code, needle):
    argv = [a.format(tmp=tmp_path, article=article) for a in argv]
    plain = subprocess.run([sys.executable, "-m", "align", *argv], capture_output=True, text=True)
    assert plain.returncode == code
    assert "Traceback" not in plain.stderr
    assert len(plain.stderr.strip().splitlines()) == 1 and needle in plain.stderr
    debug = subprocess.run([sys.executable, "-m", "align", "--debug", *argv], capture_output=True, text=True)
    assert debug.returncode == code
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == plain.stderr.strip()  # the same one line, last


def test_exit_codes_are_documented():
    """Every code the CLI can return is in the README table and in align.cli.main's docstring."""
    from align.cli import main as cli_main
    from align.types import AlignError

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    codes = {0, 1, 2, 3, 4, 5} | {cls.exit_code for cls in _subclasses(AlignError)}
    for code in codes:
        assert f"| {code} |" in readme, code
        assert str(code) in cli_main.__doc__


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# --- documents that could not be written back out -----------------------------------------------

def test_lone_surrogates_and_undecodable_names_are_skipped(tmp_path):
    import os

    from align.ingest import ReadStats, read_documents

    src = tmp_path / "c.jsonl"
    src.write_text('{"text": "bad \\ud800 text"}\n{"id": "\\udfff", "text": "ok"}\n{"id": "good", "text": "fine"}\n',
                   encoding="utf-8")
    stats = ReadStats()
    assert [d.id for d in read_documents(src, on_error="skip", stats=stats)] == ["good"]
    assert stats.skipped == 2 and all("lone surrogate" in e for e in stats.errors)
    assert "'text' contains a lone surrogate (U+D800) at offset 4" in stats.errors[0]

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Un texte.", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as f:  # latin-1 name
        f.write(b"Autre texte.")
    stats = ReadStats()
    assert [d.id for d in read_documents(folder, on_error="skip", stats=stats)] == ["a"]
    assert "file name is not valid UTF-8" in stats.errors[0]
