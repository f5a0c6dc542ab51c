"""Monotonic alignment of parallel documents: DP core, evidence, bead types, ``align docalign`` end to end."""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

import numpy as np
import pytest

from align.aligners.evidence_parallel import (
    BeadScorer, GaleChurchScorer, LengthRatio, NgramMatch, OverlapEmbeddings, chrf_from_stats,
)
from align.aligners.monotonic import (
    Band, MonotonicAligner, VectorLevels, banded_dp, bead_types, coarse_path, split_at_anchors,
)
from align.cli.main import main
from align.config import Config
from align.docalign import DocAligner, split_presplit, split_raw
from align.export.beads import check_monotonic, read_beads

TEXTBERG = Path(__file__).resolve().parents[2].joinpath("shared/data/textberg_de-fr")


# ---------------------------------------------------------------------------
# a deterministic stand-in encoder: sentences are bags of concept ids


class BagEncoder:
    """``"s3 s17"`` (source) and ``"t3 t17"`` (target) say the same thing: each
    concept id has a fixed random vector and a text embeds as their normalised sum."""

    name = "bag"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def _vec(self, token: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(token.lstrip("st").encode()))
        return rng.standard_normal(self.dim)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for k, text in enumerate(texts):
            v = sum((self._vec(t) for t in text.split()), np.zeros(self.dim))
            out[k] = v / max(np.linalg.norm(v), 1e-9)
        return out


def make_pair(n: int, seed: int = 0, words: int = 6):
    """n parallel sentences of fresh concept ids: (source, target) token lists."""
    rng = random.Random(seed)
    ids = list(range(seed * 100000, seed * 100000 + n * words))
    rng.shuffle(ids)
    return [[ids[k * words + w] for w in range(words)] for k in range(n)]


def src_text(ids):
    return " ".join(f"s{i}" for i in ids)


def tgt_text(ids):
    return " ".join(f"t{i}" for i in ids)


def align_texts(src: list[str], tgt: list[str], *, evidence=("embeddings", "length"), check=True, **kw):
    cfg = Config()
    cfg.docalign.evidence = list(evidence)
    for k, v in kw.items():
        setattr(cfg.docalign, k, v)
    aligner = DocAligner(cfg)
    aligner._encoders["usem3"] = BagEncoder()
    s = split_presplit("\n".join(src) + "\n", "en", ".EOA")
    t = split_presplit("\n".join(tgt) + "\n", "fr", ".EOA")
    result = aligner.align("doc", s, t)
    beads = result.line_beads()
    check_monotonic(result.beads, len(s.sentences), len(t.sentences))
    if check:
        check_monotonic(beads, len(src), len(tgt))
    return {(b.src, b.tgt) for b in beads}, result


# ---------------------------------------------------------------------------
# bead types on small synthetic documents


def test_bead_types():
    assert bead_types(2) == [(1, 0), (0, 1), (1, 1)]
    t5 = bead_types(5)
    assert (1, 4) in t5 and (4, 1) in t5 and (2, 3) in t5 and (2, 4) not in t5 and (0, 2) not in t5
    assert (1, 3) not in bead_types(5, max_side=2)


def test_one_to_one_and_insertion_deletion():
    sents = make_pair(30, seed=1)
    junk = make_pair(2, seed=9, words=12)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    # insertion: an unrelated target sentence after target 10; deletion: source 20 has no translation
    tgt.insert(11, tgt_text(junk[0]))
    del tgt[21]
    beads, _ = align_texts(src, tgt)
    assert ((), (11,)) in beads  # 0-1
    assert ((20,), ()) in beads  # 1-0
    assert ((0,), (0,)) in beads and ((10,), (10,)) in beads and ((11,), (12,)) in beads
    assert ((29,), (29,)) in beads
    assert sum(1 for b in beads if len(b[0]) == 1 and len(b[1]) == 1) == 29


def test_split_and_merge():
    sents = make_pair(30, seed=2)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    # 1-2: target 5 is split in two; 2-1: source 15 and 16 are one target sentence
    s5 = sents[5]
    tgt[5:6] = [tgt_text(s5[:3]), tgt_text(s5[3:])]
    merged = tgt_text(sents[15] + sents[16])
    tgt[16:18] = [merged]  # indices shifted by one after the split
    beads, _ = align_texts(src, tgt)
    assert ((5,), (5, 6)) in beads
    assert ((15, 16), (16,)) in beads
    assert ((4,), (4,)) in beads and ((6,), (7,)) in beads and ((17,), (17,)) in beads


def test_two_two_bead():
    sents = make_pair(30, seed=3)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    # sentences 8-9 re-split differently: 2-2 with no 1-1 inside
    a, b = sents[8], sents[9]
    src[8:10] = [src_text(a[:4]), src_text(a[4:] + b)]
    tgt[8:10] = [tgt_text(a + b[:4]), tgt_text(b[4:])]
    beads, _ = align_texts(src, tgt)
    assert ((8, 9), (8, 9)) in beads


def test_crossing_is_never_produced():
    sents = make_pair(30, seed=4)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    tgt[12], tgt[13] = tgt[13], tgt[12]  # swapped: 12<->13, 13<->12 would cross
    beads, _ = align_texts(src, tgt)
    assert ((12,), (13,)) not in beads or ((13,), (12,)) not in beads
    # everything around the swap is still right
    assert ((11,), (11,)) in beads and ((14,), (14,)) in beads


def test_hard_boundaries_are_respected():
    sents = make_pair(30, seed=5)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    # a marker before source 10 but before target 12: the evidence says 10<->10,
    # the boundary forbids any bead across it
    src.insert(10, ".EOA")
    tgt.insert(12, ".EOA")
    beads, result = align_texts(src, tgt, check=False)
    for s, t in beads:
        assert 10 not in s and 12 not in t  # marker lines are never aligned
        assert all(i < 10 for i in s) == all(j < 12 for j in t) or not s or not t
        assert not (s and t and (min(s) < 10 < max(s) or min(t) < 12 < max(t)))


def test_split_at_anchors():
    assert split_at_anchors(10, 12, [(4, 5)]) == [(0, 4, 0, 5), (4, 10, 5, 12)]
    assert split_at_anchors(3, 3, [(0, 0), (3, 3)]) == [(0, 3, 0, 3)]
    with pytest.raises(ValueError):
        split_at_anchors(10, 12, [(4, 5), (6, 2)])


# ---------------------------------------------------------------------------
# the DP itself


def brute_force(cost, n, m, types, skip_src, skip_tgt):
    """O(n m T) reference DP over the full lattice."""
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0
    for i in range(n + 1):
        for j in range(m + 1):
            for a, b in types:
                if i - a < 0 or j - b < 0 or (a == 0 and b == 0):
                    continue
                if a == 0:
                    c = skip_tgt[j - 1]
                elif b == 0:
                    c = skip_src[i - 1]
                else:
                    c = cost(a, b, np.array([i]), np.array([j]))[0]
                D[i, j] = min(D[i, j], D[i - a, j - b] + c)
    return D[n, m]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_banded_dp_is_optimal_on_the_full_band(seed):
    rng = np.random.default_rng(seed)
    n, m = 9, 11
    table = rng.random((6, 6, n + 1, m + 1))

    def cost(a, b, I, J):
        return table[a, b, I, J]

    types = bead_types(5)
    skip_s, skip_t = rng.random(n) + 0.2, rng.random(m) + 0.2
    path = banded_dp(cost, n, m, types, Band.full(n, m), skip_s, skip_t, block_rows=4)
    total = sum(c for *_, c in path)
    assert total == pytest.approx(brute_force(cost, n, m, types, skip_s, skip_t))
    # the path is a valid monotonic tiling
    i = j = 0
    for a, b, ii, jj, _ in path:
        assert (ii, jj) == (i + a, j + b)
        i, j = ii, jj
    assert (i, j) == (n, m)


def test_coarse_to_fine_recovers_a_long_path_in_a_linear_band():
    rng = np.random.default_rng(0)
    n = 3000
    src = rng.standard_normal((n, 32)).astype(np.float32)
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    # target: a 40-sentence insertion in the middle and a deletion near the end
    extra = rng.standard_normal((40, 32)).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    tgt = np.vstack([src[:1500], extra, src[1500:2500], src[2501:]])
    tgt = tgt + 0.3 * rng.standard_normal(tgt.shape).astype(np.float32) / np.sqrt(32)
    tgt /= np.linalg.norm(tgt, axis=1, keepdims=True)
    nodes = coarse_path(VectorLevels(src, tgt), width=8, max_full_dp=100)
    assert tuple(nodes[0]) == (0, 0) and tuple(nodes[-1]) == (n, len(tgt))
    on = {tuple(x) for x in nodes}
    assert (1000, 1000) in on and (2000, 2040) in on and (2999, 3038) in on
    band = Band.around_path(nodes, n, len(tgt), 8)
    assert band.size < 25 * (n + len(tgt))  # linear, not n * m


def test_gale_church_baseline_aligns_by_length():
    rng = np.random.default_rng(1)
    ls = rng.integers(20, 200, 40).astype(float)
    lt = ls * 1.1 + rng.normal(0, 3, 40)
    lt = np.concatenate([lt[:10], [lt[10] + lt[11]], lt[12:]])  # a 2-1 merge
    scorer = GaleChurchScorer(LengthRatio(ls, lt))
    beads = MonotonicAligner(types=list(GaleChurchScorer.types)).align(scorer)
    pairs = {(b.src, b.tgt) for b in beads}
    assert ((10, 11), (10,)) in pairs and ((0,), (0,)) in pairs and ((39,), (38,)) in pairs


# ---------------------------------------------------------------------------
# evidence


def test_chrf_matches_sacrebleu_and_sums_over_sentences():
    from align.metrics.bleu import sentence_scores

    hyp = ["Le chat est sur le tapis.", "Il fait beau aujourd'hui.", "Nous partons demain matin."]
    ref = ["Le chat dort sur le tapis.", "Il fait très beau aujourd'hui.", "Nous partirons demain."]
    ng = NgramMatch(hyp, ref, max_overlap=2)
    got = ng.values(1, 1, np.arange(1, 4), np.arange(1, 4))
    want = [sentence_scores(h, r).chrf / 100 for h, r in zip(hyp, ref)]
    np.testing.assert_allclose(got, want, atol=1e-6)
    two = ng.values(2, 2, np.array([2]), np.array([2]))[0]
    # runs of sentences: n-grams across the sentence boundary are not counted
    assert two == pytest.approx(sentence_scores(" ".join(hyp[:2]), " ".join(ref[:2])).chrf / 100, abs=0.03)
    assert chrf_from_stats(np.zeros((1, 6)), np.zeros((1, 6)), np.zeros((1, 6)))[0] == 0.0


def test_merging_is_not_free():
    """Longer overlaps embed closer to everything; the per-type null absorbs that."""
    sents = make_pair(40, seed=7)
    src = [src_text(s) for s in sents]
    tgt = [tgt_text(s) for s in sents]
    emb = OverlapEmbeddings.from_encoder(BagEncoder(), src, tgt, 4)
    scorer = BeadScorer([emb])
    aligner = MonotonicAligner()
    guide = aligner.guide(VectorLevels(*emb.sentence_vectors()), 40, 40)
    scorer.calibrate(aligner.bead_types(), guide)
    one = scorer.cost(1, 1, np.array([20]), np.array([20]))[0] + scorer.cost(1, 1, np.array([21]), np.array([21]))[0]
    two = scorer.cost(2, 2, np.array([21]), np.array([21]))[0]
    assert one < two  # two right 1-1 beads beat the 2-2 bead covering both
    assert {(b.src, b.tgt) for b in aligner.align(scorer, guide)} == {((k,), (k,)) for k in range(40)}


def test_mt_evidence_alone_from_translations():
    rng = random.Random(0)
    vocab = [f"mot{k}" for k in range(400)]
    tgt = [" ".join(rng.sample(vocab, 8)) for _ in range(30)]
    mt = [" ".join(t.split()[:7] + ["x"]) for t in tgt]  # imperfect "translations"
    src = [f"source sentence {k}" for k in range(30)]
    tgt.insert(7, "une toute autre phrase , ajoutée ici sans le moindre rapport avec le texte source")
    cfg = Config()
    cfg.docalign.evidence = ["mt"]
    s = split_presplit("\n".join(src), "de", ".EOA")
    t = split_presplit("\n".join(tgt), "fr", ".EOA")
    result = DocAligner(cfg).align("doc", s, t, mt)
    beads = {(b.src, b.tgt) for b in result.beads}
    assert result.evidence == ["mt"]
    assert ((), (7,)) in beads and ((6,), (6,)) in beads and ((7,), (8,)) in beads


# ---------------------------------------------------------------------------
# reading


def test_presplit_markers_keep_line_numbers():
    side = split_presplit("a\nb\n.EOA\nc\n", "en", ".EOA")
    assert side.sentences == ["a", "b", "c"] and side.lines == [0, 1, 3] and side.breaks == [2]
    assert [side.text[s:e] for s, e in side.spans] == ["a", "b", "c"]


def test_raw_text_paragraphs_and_spans():
    text = "Premier paragraphe. Il a deux phrases.\n\nLe second\nparagraphe est court.\n"
    side = split_raw(text, "fr", ".EOA")
    assert side.sentences == ["Premier paragraphe.", "Il a deux phrases.", "Le second paragraphe est court."]
    assert side.paragraphs == [2]
    assert " ".join(text[side.spans[2][0]:side.spans[2][1]].split()) == side.sentences[2]


# ---------------------------------------------------------------------------
# end to end, with the real bundled encoder


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def textberg_slice(tmp_path_factory):
    if not TEXTBERG.exists():
        pytest.skip("Text+Berg dev data not found")
    d = tmp_path_factory.mktemp("tb")
    de = (TEXTBERG / "dev.de").read_text(encoding="utf-8").splitlines()
    fr = (TEXTBERG / "dev.fr").read_text(encoding="utf-8").splitlines()
    mt = (TEXTBERG / "dev.de-translated-to-fr.google-2010").read_text(encoding="utf-8").splitlines()
    # gold beads 0-5 are 1-1, bead 6 is [6]:[6, 7, 8]; keep source 0..7, target 0..9
    return {"src": _write(d / "src.de", de[:8]), "tgt": _write(d / "tgt.fr", fr[:10]),
            "mt": _write(d / "mt.fr", mt[:8]), "dir": d}


def _config(tmp: Path, **docalign) -> Path:
    lines = ["similarity:", "  cache_dir: ''", "translation:", "  cache_dir: ''", "docalign:",
             "  src_lang: de", "  tgt_lang: fr"]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in docalign.items()]
    return _write(tmp / "cfg.yaml", lines)


def test_docalign_cli_end_to_end(textberg_slice, tmp_path, capsys):
    from align.export.jsonl import read_pairs_jsonl
    from align.export.opus import read_moses, read_tmx, read_xces

    t = textberg_slice
    out = tmp_path / "out"
    code = main(["-q", "docalign", "--config", str(_config(tmp_path)), "--src", str(t["src"]),
                 "--tgt", str(t["tgt"]), "--src-translation", str(t["mt"]), "--presplit", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    beads = read_beads(out / "alignments.txt")
    check_monotonic(beads, 8, 10)
    got = {(b.src, b.tgt) for b in beads}
    assert {((k,), (k,)) for k in range(6)} <= got
    assert ((6,), (6, 7, 8)) in got and ((7,), (9,)) in got
    line = (out / "alignments.txt").read_text().splitlines()[0]
    assert line.startswith("[0]:[0]:")

    pairs = read_pairs_jsonl(out / "pairs.jsonl")
    assert len(pairs) == sum(1 for b in beads if b.src and b.tgt)
    src_text_all = t["src"].read_text(encoding="utf-8")
    tgt_text_all = t["tgt"].read_text(encoding="utf-8")
    for p in pairs:
        assert p.src_lang == "de" and p.tgt_lang == "fr" and p.label == "parallel"
        assert p.method == "docalign:embeddings+mt+length"
        assert src_text_all[p.src_span[0]:p.src_span[1]].split() == p.src.split()
        assert tgt_text_all[p.tgt_span[0]:p.tgt_span[1]].split() == p.tgt.split()
        assert 0.0 <= p.score <= 1.0 and p.chrf is not None and p.chrf_signature
    six = next(p for p in pairs if p.meta["bead"] == [[6], [6, 7, 8]])
    assert six.src_ids == ("src:src:6",) and len(six.tgt_ids) == 3

    summary = json.loads((out / "summary.json").read_text())
    assert summary["docs"][0]["evidence"] == ["embeddings", "mt", "length"]

    # exports read back
    import datasets

    dd = datasets.load_from_disk(str(out / "dataset"))
    assert dd["de-fr"].num_rows == len(pairs)
    assert dd["de-fr"][0]["translation"] == {"de": pairs[0].src, "fr": pairs[0].tgt}
    opus = out / "opus"
    moses = read_moses(opus / "align.de-fr.de", opus / "align.de-fr.fr")
    assert moses == [(p.src, p.tgt) for p in pairs]
    assert read_tmx(opus / "align.de-fr.tmx")[-1] == (pairs[-1].src, pairs[-1].tgt)
    assert [(b.src, b.tgt) for b in read_xces(opus / "align.de-fr.xml")] == [(b.src, b.tgt) for b in beads]

    # the eval verb on our own output
    gold = _write(tmp_path / "gold", ["[0]:[0]", "[1]:[1]", "[2]:[2]", "[3]:[3]", "[4]:[4]", "[5]:[5]",
                                      "[6]:[6, 7, 8]", "[7]:[9]"])
    capsys.readouterr()
    assert main(["eval", "--gold", str(gold), "--pred", str(out / "alignments.txt")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "strict_f1=1.000 lax_f1=1.000"


def test_docalign_raw_text_and_pair_list(tmp_path, capsys):
    fr = ["Le chat dort sur le canapé. Il fait très chaud aujourd'hui. Les fenêtres sont ouvertes.", "",
          "Nous irons à la plage demain matin. La mer sera calme. Les enfants apporteront un ballon."]
    en = ["The cat is sleeping on the sofa. It is very hot today. The windows are open.", "",
          "We will go to the beach tomorrow morning. The sea will be calm. The children will bring a ball."]
    _write(tmp_path / "a.fr", fr)
    _write(tmp_path / "a.en", en)
    _write(tmp_path / "b.fr", fr[:1])
    _write(tmp_path / "b.en", en[:1])
    lst = _write(tmp_path / "list.tsv", ["a.fr\ta.en", "b.fr\tb.en"])
    cfg = _write(tmp_path / "cfg.yaml", ["similarity:", "  cache_dir: ''", "docalign:", "  evidence: [embeddings, length]",
                                         "  exports: [moses]", "  src_lang: fr", "  tgt_lang: en"])
    out = tmp_path / "out"
    assert main(["-q", "docalign", "--config", str(cfg), "--pairs", str(lst), "--output", str(out)]) == 0
    a = read_beads(out / "alignments" / "a.txt")
    assert [(b.src, b.tgt) for b in a] == [((k,), (k,)) for k in range(6)]
    assert (out / "sentences" / "a.src").read_text().splitlines()[3] == "Nous irons à la plage demain matin."
    assert len(read_beads(out / "alignments" / "b.txt")) == 3
    assert (out / "opus" / "a.fr-en.fr").exists()
    rows = [json.loads(x) for x in (out / "pairs.jsonl").read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {"a", "b"} and len(rows) == 9


def test_docalign_input_errors(tmp_path, capsys):
    src = _write(tmp_path / "s.txt", ["Eins.", ".EOA", "Zwei."])
    tgt = _write(tmp_path / "t.txt", ["Un.", "Deux."])
    mt = _write(tmp_path / "mt.txt", ["Un."])
    cfg = _config(tmp_path, evidence=["length"])
    out = tmp_path / "out"
    code = main(["-q", "docalign", "--config", str(cfg), "--src", str(src), "--tgt", str(tgt),
                 "--presplit", "--output", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 3 and "boundary markers" in err and len(err.splitlines()) == 1
    code = main(["-q", "docalign", "--config", str(cfg), "--src", str(tgt), "--tgt", str(tgt),
                 "--src-translation", str(mt), "--presplit", "--output", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 3 and "line-aligned" in err
    assert not out.exists()


def test_docalign_translates_with_marian_on_the_fly(tiny_marian_dir, tmp_path):
    """No translation file: the configured MarianMT model (a tiny random one here) translates the source."""
    fr = [f"Phrase numéro {k} du texte original." for k in range(6)]
    en = [f"Sentence number {k} of the original text." for k in range(6)]
    cfg = Config()
    cfg.docalign.evidence = ["mt", "length"]
    cfg.translation.models = {"fr-en": str(tiny_marian_dir)}
    cfg.translation.cache_dir = ""
    cfg.translation.max_length = 16
    aligner = DocAligner(cfg)
    result = aligner.align("doc", split_presplit("\n".join(fr), "fr", ".EOA"), split_presplit("\n".join(en), "en", ".EOA"))
    assert result.evidence == ["mt", "length"]
    assert result.mt is not None and len(result.mt) == 6 and "translate" in result.timings
    check_monotonic(result.beads, 6, 6)
