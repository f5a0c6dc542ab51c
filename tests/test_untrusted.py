"""Untrusted files: model weights, YAML configs, output paths.

* Model weights load from safetensors when present; a pickled ``.bin`` is read
  only in weights-only mode, so a malicious pickle is refused (ModelError) and
  never runs its payload. ``trust_remote_code`` appears nowhere in align.
* YAML configs are read with ``yaml.safe_load``: a ``!!python/...`` tag is a
  config error (exit 2), not an object built.
* Output file names that derive from data (language codes, export names) are
  validated, so nothing is written outside the chosen output directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from align.cli.main import main
from align.types import ModelError, OutputError, Pair

ROOT = Path(__file__).resolve().parents[1]


class _Payload:
    """Pickles to a call of ``os.system("touch MARKER")``: runs code when unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious_model_dir(src: Path, dest: Path, marker: Path, fmt: str) -> Path:
    """Copy of ``src`` whose weights are a pytorch_model.bin that runs code when unpickled."""
    import pickle

    import torch
    from safetensors.torch import load_file

    shutil.copytree(src, dest)
    weights = dest / "model.safetensors"
    state = load_file(weights)
    weights.unlink()
    if fmt == "zip":  # torch.save's format: a real state dict with the payload inside
        state["payload"] = _Payload(marker)
        torch.save(state, dest / "pytorch_model.bin")
    else:  # a bare (legacy) pickle
        (dest / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    return dest


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_malicious_pickle_weights_are_refused(tmp_path, tiny_marian_dir, fmt):
    from align.translate import build_translator

    marker = tmp_path / "PWNED"
    model = _malicious_model_dir(tiny_marian_dir, tmp_path / "model", marker, fmt)
    translator = build_translator("marian", str(model), "fr", "en", cache=None)
    with pytest.raises(ModelError) as err:
        translator.translate(["Le chat mange."])
    assert str(model) in str(err.value)
    assert "\n" not in str(err.value)
    assert not marker.exists(), "the pickle's payload ran"


def test_payload_is_live(tmp_path, tiny_marian_dir):
    """The refusal above is meaningful: unpickled without weights-only mode, the file runs code."""
    marker = tmp_path / "PWNED"
    model = _malicious_model_dir(tiny_marian_dir, tmp_path / "model", marker, "legacy")
    # In a child process, so nothing it builds leaks into this one.
    code = f"import pickle; pickle.load(open({str(model / 'pytorch_model.bin')!r}, 'rb'))"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert marker.exists()


def test_safetensors_preferred_over_pickle(tmp_path, tiny_marian_dir):
    """With both files present, the safetensors weights load and the pickle is never opened."""
    from align.translate import build_translator

    marker = tmp_path / "PWNED"
    model = tmp_path / "model"
    shutil.copytree(tiny_marian_dir, model)
    import pickle

    (model / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    out = build_translator("marian", str(model), "fr", "en", cache=None).translate(["Le chat mange."])
    assert len(out) == 1 and isinstance(out[0], str)
    assert not marker.exists()


def test_no_trust_remote_code_anywhere():
    """No code path passes trust_remote_code (not even =False: the key is simply never set)."""
    hits = []
    for path in (ROOT / "align").rglob("*.py"):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"trust_remote_code\s*=", line):
                hits.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not hits, hits


# --- YAML -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "payload",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
    ],
)
def test_yaml_python_tags_are_refused(capsys, tmp_path, payload):
    marker = tmp_path / "PWNED"
    cfg = tmp_path / "evil.yaml"
    cfg.write_text("mining:\n  k: " + payload.format(marker=marker) + "\n", encoding="utf-8")
    src = tmp_path / "a.txt"
    src.write_text("Un article en français. Il parle de politique.\n", encoding="utf-8")
    code = main(["-q", "run", "--config", str(cfg), "--input", str(src), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert str(cfg) in err and "invalid YAML" in err
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_config_loader_uses_safe_load():
    src = (ROOT / "align" / "config.py").read_text(encoding="utf-8")
    assert "yaml.safe_load(" in src
    assert not re.search(r"yaml\.(unsafe_)?load\(|yaml\.full_load|yaml\.Loader\b|UnsafeLoader", src)


# --- output paths -----------------------------------------------------------------------------

def _pair(src_lang: str, tgt_lang: str, doc_id: str = "d") -> Pair:
    return Pair(id=f"{doc_id}:0-1:2-3", doc_id=doc_id, src_lang=src_lang, tgt_lang=tgt_lang, src="a", tgt="b",
                src_span=(0, 1), tgt_span=(2, 3), score=1.3, label="parallel", method="embeddings:usem3")


EVIL_LANGS = ["../x", "..", "/etc", "en/../../x", "en\n", "en\\..\\x", "", ".hidden", "x" + os.sep + "y", "en\x00"]


@pytest.mark.parametrize("lang", EVIL_LANGS)
def test_hf_export_refuses_path_like_language_codes(tmp_path, lang):
    from align.export import atomic_dir, export_all

    out = tmp_path / "sub" / "out"
    with pytest.raises(OutputError), atomic_dir(out) as tmp:
        export_all([_pair("en", "fr"), _pair(lang, "zz")], tmp)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub"]  # nothing written, nothing left


@pytest.mark.parametrize("lang", EVIL_LANGS)
def test_opus_export_refuses_path_like_language_codes(tmp_path, lang):
    from align.export import export_opus
    from align.types import Bead

    out = tmp_path / "sub" / "out"
    with pytest.raises(OutputError):
        export_opus(out, ["a"], ["b"], [Bead((0,), (0,))], src_lang=lang, tgt_lang="fr")
    with pytest.raises(OutputError):
        export_opus(out, ["a"], ["b"], [Bead((0,), (0,))], src_lang="en", tgt_lang="fr", name="../x")
    assert [p.name for p in tmp_path.iterdir()] == [] or not any(tmp_path.rglob("*.*"))


def test_doc_ids_never_become_paths(tmp_path):
    """Hostile document ids (JSONL input) end up as values inside files, never as file names."""
    import json

    src = tmp_path / "in.jsonl"
    ids = ["../../escape", "/etc/passwd", "..", "a/b", "\u202eevil"]
    text = ("Le président a parlé hier soir devant les députés réunis à Paris. "
            "Il a annoncé une nouvelle loi sur le climat.\n\n"
            "The president spoke last night in front of the deputies gathered in Paris. "
            "https://t.co/abcdefghij — Someone (@someone) 5 septembre 2017\n")
    src.write_text("".join(json.dumps({"id": i, "text": text}) + "\n" for i in ids), encoding="utf-8")
    out = tmp_path / "run" / "out"
    assert main(["-q", "run", "--input", str(src), "--output", str(out)]) == 0
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert all(p.parts[0] in ("in.jsonl", "run") for p in written), written
    assert {p.relative_to(out).parts[0] for p in out.rglob("*")} <= {
        "pairs.jsonl", "documents.jsonl.gz", "dataset", "data", "jsonl", "README.md", "summary.json"}
    assert {p.name for p in (tmp_path / "run").iterdir()} == {"out"}  # no work log or temp left beside
    doc_ids = {json.loads(line)["doc_id"] for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()}
    assert doc_ids == set(ids)  # every hostile id mined, as data
    # The report names a page per document: all of them inside report/docs/.
    before = {p for p in tmp_path.rglob("*")}
    assert main(["-q", "report", str(out)]) == 0
    pages = {p.relative_to(out / "report") for p in tmp_path.rglob("*") if p not in before and p.is_file()}
    assert len([p for p in pages if p.parts[0] == "docs" and p.suffix == ".html"]) == len(ids)
    assert {p.parts[0] for p in pages} == {"index.html", "docs", "assets"}


# --- XML exports, end to end --------------------------------------------------------------------

NASTY_SRC = ['The <b>cat</b> & the "dog" sat on the mat.', "It's a \x01bell\x08 and \x1bescape \ufffe\uffff here.",
             "Tom said: 'A < B && C > D'.", "]]> is the CDATA end; <!-- not a comment --> &amp; &#0;"]
NASTY_TGT = ["Le <b>chat</b> & le « chien » étaient assis sur le tapis.",
             "C'est une \x01cloche\x08 et un \x1béchappement \ufffe\uffff ici.",
             "Tom a dit : 'A < B && C > D'.", "]]> est la fin de CDATA ; <!-- pas un commentaire --> &amp; &#0;"]


def test_docalign_xml_exports_read_back_strictly(tmp_path):
    """TMX and XCES written by `align docalign` parse with a strict XML parser and hold the text
    (minus what XML 1.0 forbids), whatever markup-like characters the input had."""
    import xml.etree.ElementTree as ET

    from align.export import xml_safe

    if "docalign" not in __import__("align.cli.main", fromlist=["VERBS"]).VERBS \
            or not (ROOT / "configs" / "parallel.yaml").exists():
        pytest.skip("no docalign verb")
    (tmp_path / "a.en").write_text("\n".join(NASTY_SRC) + "\n", encoding="utf-8")
    (tmp_path / "a.fr").write_text("\n".join(NASTY_TGT) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["-q", "docalign", "--config", str(ROOT / "configs" / "parallel.yaml"), "--src", str(tmp_path / "a.en"),
                 "--tgt", str(tmp_path / "a.fr"), "--presplit", "--src-lang", "en", "--tgt-lang", "fr",
                 "--output", str(out)])
    assert code == 0
    xml_files = sorted((out / "opus").rglob("*.tmx")) + sorted((out / "opus").rglob("*.xml"))
    assert len(xml_files) >= 4  # TMX, cesAlign, two sentence documents
    parsed = {p.name if p.suffix == ".tmx" else str(p.relative_to(out / "opus")): ET.parse(p).getroot()
              for p in xml_files}  # strict: any malformed byte raises ParseError
    tmx = next(root for name, root in parsed.items() if name.endswith(".tmx"))
    segs = [[seg.text or "" for seg in tu.iter("seg")] for tu in tmx.iter("tu")]
    assert segs == [[xml_safe(s), xml_safe(t)] for s, t in zip(NASTY_SRC, NASTY_TGT)]
    sentences = ["".join(s.itertext()) for s in parsed["en/align.xml"].iter("s")]
    assert sentences == [xml_safe(s) for s in NASTY_SRC]
    raw = b"".join(p.read_bytes() for p in xml_files)
    assert b"\x01" not in raw and b"\x1b" not in raw and "\ufffe".encode() not in raw
    assert b"<b>" not in raw and b"&amp;amp;" in raw  # markup escaped, once


def test_docalign_pair_ids_cannot_escape_the_output_dir(tmp_path):
    if "docalign" not in __import__("align.cli.main", fromlist=["VERBS"]).VERBS:
        pytest.skip("no docalign verb")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "x.en").write_text("The cat sat on the mat.\nIt was happy.\n", encoding="utf-8")
    (work / "x.fr").write_text("Le chat était assis sur le tapis.\nIl était content.\n", encoding="utf-8")
    ids = ["../../../escaped", str(tmp_path / "absolute"), "..", ".hidden", "a/b"]
    (work / "pairs.jsonl").write_text("".join(
        f'{{"id": {json.dumps(i)}, "src_path": "x.en", "tgt_path": "x.fr"}}\n' for i in ids), encoding="utf-8")
    before = {p for p in tmp_path.rglob("*")}
    main(["-q", "docalign", "--pairs", str(work / "pairs.jsonl"), "--src-lang", "en", "--tgt-lang", "fr",
          "--output", str(work / "out")])
    outside = {p for p in tmp_path.rglob("*") if p not in before and work / "out" not in p.parents
               and p != work / "out"}
    assert not outside, sorted(map(str, outside))
    assert (work / "out" / "summary.json").exists()  # hostile ids are data, not a reason to fail
