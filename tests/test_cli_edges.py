"""CLI rough edges a new user ran into: option positions, --version, language codes, log lines, model direction."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

from align.cli.main import VERBS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def one_line_error(captured, *needles) -> None:
    err = captured.err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


# --- -q and --debug before or after the verb ------------------------------------------------------

@pytest.mark.parametrize("verb", sorted(VERBS))
def test_common_options_show_in_every_verbs_help(capsys, verb):
    with pytest.raises(SystemExit) as done:
        main([verb, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--debug" in out and "-q, --quiet" in out


RUN = ["run", "--input", "x", "--output", "y"]


@pytest.mark.parametrize("argv, quiet, debug", [
    (RUN, False, False),
    (["-q", *RUN], True, False),  # before the verb: not reset by the verb's default
    ([*RUN, "-q"], True, False),
    (["--debug", *RUN], False, True),
    ([*RUN, "--debug"], False, True),
    (["--quiet", *RUN, "--debug"], True, True),
])
def test_common_options_before_and_after_the_verb(argv, quiet, debug):
    args = build_parser().parse_args(argv)
    assert (args.quiet, args.debug) == (quiet, debug)


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_after_the_verb_shows_the_traceback(capsys, tmp_path, where):
    argv = ["score", "--hyp", str(tmp_path / "nope.txt"), "--ref", str(tmp_path / "nope.txt")]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.strip().endswith("nope.txt: file not found")


# --- --version ---------------------------------------------------------------------------------------

def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"align {version('align')}"


# --- language codes on the command line ----------------------------------------------------------------

@pytest.fixture
def texts(tmp_path):
    hyp, ref = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp.write_text("the cat sleeps\n", encoding="utf-8")
    ref.write_text("the cat is sleeping\n", encoding="utf-8")
    return hyp, ref


def test_score_rejects_unknown_language_code(capsys, texts):
    hyp, ref = texts
    assert main(["-q", "score", "--hyp", str(hyp), "--ref", str(ref), "--lang", "english"]) == 2
    one_line_error(capsys.readouterr(), "--lang", "'english'")
    assert main(["-q", "score", "--hyp", str(hyp), "--ref", str(ref), "--lang", "en"]) == 0
    assert json.loads(capsys.readouterr().out)["lines"] == 1


@pytest.mark.parametrize("option", ["--src-lang", "--tgt-lang"])
def test_translate_rejects_unknown_language_code(capsys, tmp_path, option):
    langs = {"--src-lang": "fr", "--tgt-lang": "en", option: "english"}
    argv = ["-q", "translate", "--model", "Helsinki-NLP/opus-mt-fr-en", "--input", str(tmp_path / "nope.txt")]
    assert main([*argv, *(x for kv in langs.items() for x in kv)]) == 2  # before the input is read (3)
    one_line_error(capsys.readouterr(), option, "'english'")


# --- warnings above the progress bar ------------------------------------------------------------------

_BAR_SCRIPT = textwrap.dedent("""
    import logging, sys, types
    from tqdm import tqdm
    import align.cli.main as cli

    def demo(args):
        for i in tqdm(range(3), desc="demo", file=sys.stderr, mininterval=0, miniters=1):
            if i == 1:
                logging.getLogger("align.demo").warning("careful")
        return 0

    cli.VERBS["demo"] = types.SimpleNamespace(add_parser=lambda sub: sub.add_parser("demo").set_defaults(func=demo))
    sys.exit(cli.main(["demo"]))
""")


def test_warning_gets_its_own_line_under_a_progress_bar():
    proc = subprocess.run([sys.executable, "-c", _BAR_SCRIPT], capture_output=True, timeout=120, check=False)
    err = proc.stderr.decode()  # not text=True: it would turn the bar's \r into \n
    assert proc.returncode == 0, err
    i = err.index("WARNING align.demo: careful\n")  # the log format is kept
    # What the terminal line shows before the warning: the bar, cleared.
    line = err[:i].rsplit("\n", 1)[-1].split("\r")
    assert len(line) > 1 and line[-1] == "" and line[-2].strip() == "", repr(err[:i][-80:])
    assert "demo: 100%" in err


# --- a model of another direction ---------------------------------------------------------------------

@pytest.mark.parametrize("model, direction", [
    ("Helsinki-NLP/opus-mt-fr-en", ("fr", "en")),
    ("Helsinki-NLP/opus-mt-tc-big-fr-en", ("fr", "en")),
    ("Helsinki-NLP/opus-mt-en-ROMANCE", ("en", None)),  # a group of languages: no single target
    ("Helsinki-NLP/opus-mt-mul-en", (None, "en")),
    ("someone/my-translator", (None, None)),
])
def test_model_direction_from_the_name(monkeypatch, model, direction):
    from align.translate import model_direction

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert model_direction(model) == direction


def _strip_direction(model: Path) -> None:
    """Drop source_lang/target_lang from a model's tokenizer_config.json."""
    tok = model / "tokenizer_config.json"
    cfg = json.loads(tok.read_text())
    del cfg["source_lang"], cfg["target_lang"]
    tok.write_text(json.dumps(cfg))


def test_model_direction_from_the_files(tmp_path, tiny_marian_dir):
    from align.translate import model_direction

    assert model_direction(str(tiny_marian_dir)) == ("fr", "en")  # tokenizer_config.json
    renamed = tmp_path / "opus-mt-de-en"
    shutil.copytree(tiny_marian_dir, renamed)
    assert model_direction(str(renamed)) == ("fr", "en")  # the files win over the name
    _strip_direction(renamed)
    assert model_direction(str(renamed)) == ("de", "en")
    assert model_direction(str(tmp_path / "elsewhere")) == (None, None)


def _translate(capsys, tmp_path, model, src, tgt, *extra):
    inp = tmp_path / "in.txt"
    inp.write_text("Le chat dort.\n", encoding="utf-8")
    code = main(["-q", "translate", "--model", str(model), "--src-lang", src, "--tgt-lang", tgt,
                 "--input", str(inp), "--output", str(tmp_path / "out.txt"), *extra])
    return code, capsys.readouterr()


def test_translate_refuses_a_model_of_another_direction(capsys, tmp_path, tiny_marian_dir):
    code, captured = _translate(capsys, tmp_path, tiny_marian_dir, "de", "en")
    assert code == 2
    one_line_error(captured, str(tiny_marian_dir), "translates fr-en, not de-en")
    assert not (tmp_path / "out.txt").exists()
    # Refused by name alone: no download, no network.
    code, captured = _translate(capsys, tmp_path, "Helsinki-NLP/opus-mt-fr-en", "en", "fr")
    assert code == 2
    one_line_error(captured, "translates fr-en, not en-fr")


def test_translate_refuses_a_configured_model_of_another_direction(capsys, tmp_path, tiny_marian_dir):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"translation:\n  cache_dir: ''\n  models:\n    de-en: {json.dumps(str(tiny_marian_dir))}\n")
    inp = tmp_path / "in.txt"
    inp.write_text("Hallo.\n", encoding="utf-8")
    code = main(["-q", "translate", "--config", str(cfg), "--src-lang", "de", "--tgt-lang", "en",
                 "--input", str(inp), "--output", str(tmp_path / "out.txt")])
    assert code == 2
    one_line_error(capsys.readouterr(), "translation.models.de-en", "translates fr-en")


def test_translate_allows_a_model_of_unknown_direction(capsys, tmp_path, tiny_marian_dir):
    model = tmp_path / "mystery"
    shutil.copytree(tiny_marian_dir, model)
    _strip_direction(model)
    conf = tmp_path / "cfg.yaml"
    conf.write_text("translation:\n  beam: 1\n  max_length: 4\n  cache_dir: ''\n")
    code, captured = _translate(capsys, tmp_path, model, "de", "en", "--config", str(conf))
    assert code == 0, captured.err
    assert len((tmp_path / "out.txt").read_text().splitlines()) == 1


# --- packaging -------------------------------------------------------------------------------------------

def test_build_has_no_setuptools_deprecation_warning(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copy(ROOT / "README.md", tmp_path)
    (tmp_path / "align").mkdir()
    (tmp_path / "align" / "__init__.py").write_text("")
    (tmp_path / "meta").mkdir()
    code = ("import setuptools.build_meta as b, sys; "
            "print(b.prepare_metadata_for_build_wheel(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-W", "always", "-c", code, str(tmp_path / "meta")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Deprecat" not in proc.stderr, proc.stderr
    meta = (tmp_path / "meta" / proc.stdout.strip().splitlines()[-1] / "METADATA").read_text()
    assert "License-Expression: Apache-2.0" in meta
