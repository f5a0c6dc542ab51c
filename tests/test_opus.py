"""Vecalign bead files and OPUS exports (Moses, TMX 1.4, XCES cesAlign) with hostile text."""

from __future__ import annotations

import gzip
import re
import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from align.export import (
    bead_segments,
    check_monotonic,
    export_opus,
    format_bead,
    parse_bead,
    read_beads,
    read_moses,
    read_tmx,
    read_xces,
    read_xces_groups,
    read_xces_sentences,
    write_beads,
    write_moses,
    write_tmx,
    write_xces,
    write_xces_sentences,
    xml_safe,
)
from align.types import Bead, InputError, OutputError, Pair

GOLD = Path(__file__).resolve().parents[2].joinpath("shared/data/textberg_de-fr/dev.defr")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

CONTROLS = "".join(chr(c) for c in range(0x20))  # \x00-\x1f, tab/newline/CR included

SRC = [
    "a < b && c > d; 1 &lt; 2 is <not> a tag",          # 0
    "He said \"hi\" and 'bye' — «ok»",                    # 1
    "CDATA end ]]> and <![CDATA[ start",                  # 2
    "ctrl[" + CONTROLS + "]end",                           # 3
    "nonchars \ufffe\uffff and a lone \ud800 surrogate",  # 4
    "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇨🇭",                       # 5
    "مرحبا بالعالم، هذا نص عربي",                          # 6 RTL Arabic
    "combining: e\u0301 n\u0303 a\u030a\u0323",           # 7
    "Привет, мир! Ёжик в тумане.",                        # 8
    "windows\r\nline and lone\rcarriage",                 # 9
]
TGT = [
    "x < y & z",                                          # 0
    "quotes \" and ' and `",                              # 1
    "]]>",                                                # 2
    "tab\there, bell\x07, nul\x00 gone",                  # 3
    "Ünïcödé \u2028sep\u2029para\x85nel",                 # 4
    "שלום עולם (Hebrew, RTL)",                            # 5
    "ok",                                                 # 6
    "Здравствуй, мир",                                    # 7
]
# 1-1, 2-1, 0-1, 1-0, 1-2 and more, monotonic and complete over SRC/TGT.
BEADS = [
    Bead((0,), (0,), 0.125),
    Bead((1, 2), (1,), 0.5),
    Bead((), (2,), 0.0),
    Bead((3,), (3,), 1.0),
    Bead((4,), (), 0.0),
    Bead((5,), (4, 5), 0.333333),
    Bead((6, 7), (6,), -0.25),
    Bead((8, 9), (7,), 0.75),
]


def _xml_chars(text: str) -> str:
    """Independent restatement of XML 1.0's Char production."""
    return "".join(
        c for c in text
        if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) >= 0x10000
    )


def _moses_text(text: str) -> str:
    text = text.replace("\r\n", " ")
    for br in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
        text = text.replace(br, " ")
    return _xml_chars(text)


def _expected_segments() -> list[tuple[str, str]]:
    return [
        (" ".join(SRC[i] for i in b.src), " ".join(TGT[i] for i in b.tgt))
        for b in BEADS if b.src and b.tgt
    ]


def _strict_parse(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()  # raises ParseError on malformed XML
    xml.dom.minidom.parse(str(path))  # a second, DOM-building parse
    return root


# --- xml_safe -------------------------------------------------------------------------------

def test_xml_safe_drops_only_forbidden_characters():
    assert xml_safe(CONTROLS) == "\t\n\r"
    assert xml_safe("a\ufffeb\uffffc\ud800d\udfffe") == "abcde"
    kept = "<&>\"' ]]> \x7f\x85\u200f\ud7ff\ue000\ufffd\U00010000\U0010ffff 😀 مرحبا e\u0301"
    assert xml_safe(kept) == kept
    for s in SRC + TGT:
        assert xml_safe(s) == _xml_chars(s)


# --- Moses ----------------------------------------------------------------------------------

def test_moses_roundtrip(tmp_path: Path):
    segs = bead_segments(SRC, TGT, BEADS)
    assert len(segs) == 6  # the 0-1 and 1-0 beads have no Moses line
    n = write_moses(segs, tmp_path / "c.de", tmp_path / "c.fr")
    assert n == 6
    expected = [(_moses_text(s), _moses_text(t)) for s, t in _expected_segments()]
    assert read_moses(tmp_path / "c.de", tmp_path / "c.fr") == expected
    for name in ("c.de", "c.fr"):
        raw = (tmp_path / name).read_bytes()
        assert raw.count(b"\n") == 6 and raw.endswith(b"\n")
        assert b"\r" not in raw and b"\x00" not in raw
        text = raw.decode("utf-8")
        assert len(text.splitlines()) == 6  # no U+2028, NEL, \x1c... left to break a line
    assert "]]>" in expected[1][0] and "مرحبا" in expected[4][0]


def test_moses_accepts_pairs_and_skips_blank_sides(tmp_path: Path):
    pair = Pair(id="p", doc_id="d", src_lang="de", tgt_lang="fr", src="Hallo\nWelt", tgt="Bonjour",
                src_span=(0, 10), tgt_span=(0, 7), score=1.0, label="parallel", method="m")
    n = write_moses([pair, ("\x00\x01", "rien"), (" ", "x"), ("a", "b")], tmp_path / "s", tmp_path / "t")
    assert n == 2
    assert read_moses(tmp_path / "s", tmp_path / "t") == [("Hallo Welt", "Bonjour"), ("a", "b")]


def test_moses_read_errors(tmp_path: Path):
    (tmp_path / "s").write_text("a\nb\n", encoding="utf-8")
    (tmp_path / "t").write_text("a\n", encoding="utf-8")
    with pytest.raises(InputError, match="not line-aligned"):
        read_moses(tmp_path / "s", tmp_path / "t")
    with pytest.raises(InputError, match="cannot read"):
        read_moses(tmp_path / "s", tmp_path / "missing")


# --- TMX ------------------------------------------------------------------------------------

def test_tmx_roundtrip_strict(tmp_path: Path):
    path = tmp_path / "de-fr.tmx"
    n = write_tmx(path, "de", "fr", bead_segments(SRC, TGT, BEADS))
    assert n == 6
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n')

    root = _strict_parse(path)
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    assert header is not None
    for attr, value in {"srclang": "de", "adminlang": "en", "segtype": "sentence", "datatype": "PlainText",
                        "o-tmf": "unknown", "creationtool": "align"}.items():
        assert header.get(attr) == value, attr
    assert header.get("creationtoolversion")
    tus = root.findall("body/tu")
    assert len(tus) == 6
    expected = [(_xml_chars(s), _xml_chars(t)) for s, t in _expected_segments()]
    for tu, (src, tgt) in zip(tus, expected):
        tuvs = tu.findall("tuv")
        assert [t.get(XML_LANG) for t in tuvs] == ["de", "fr"]
        assert [t.find("seg").text or "" for t in tuvs] == [src, tgt]

    got = read_tmx(path)
    assert got == expected
    assert "\r\n" in got[5][0] and "\rcarriage" in got[5][0]  # CR survives (&#13;)
    assert got[1][0].startswith('He said "hi" and \'bye\'') and "]]>" in got[1][0]
    assert read_tmx(path, src_lang="FR", tgt_lang="de") == [(t, s) for s, t in expected]


def test_tmx_header_options_and_errors(tmp_path: Path):
    path = tmp_path / "x.tmx"
    write_tmx(path, "en", "zh_cn", [("a\"<&", "b")], creationtool='to"ol<&>', creationdate="20240102T030405Z")
    header = _strict_parse(path).find("header")
    assert header.get("creationtool") == 'to"ol<&>' and header.get("creationdate") == "20240102T030405Z"
    assert read_tmx(path) == [("a\"<&", "b")]
    with pytest.raises(OutputError, match="same source and target"):
        write_tmx(tmp_path / "y.tmx", "de", "DE", [("a", "b")])
    with pytest.raises(OutputError, match="language code"):
        write_tmx(tmp_path / "y.tmx", 'de"><x', "fr", [("a", "b")])
    assert not (tmp_path / "y.tmx").exists()
    (tmp_path / "bad.tmx").write_text("<tmx><body><tu></body></tmx>", encoding="utf-8")
    with pytest.raises(InputError, match="malformed XML"):
        read_tmx(tmp_path / "bad.tmx")


# --- XCES -----------------------------------------------------------------------------------

def test_xces_roundtrip_strict(tmp_path: Path):
    assert write_xces_sentences(tmp_path / "de" / "doc.xml", SRC, "de") == len(SRC)
    assert write_xces_sentences(tmp_path / "fr" / "doc.xml", TGT, "fr") == len(TGT)
    n = write_xces(tmp_path / "de-fr.xml", BEADS, "de/doc.xml", "fr/doc.xml")
    assert n == len(BEADS)

    raw = (tmp_path / "de-fr.xml").read_text(encoding="utf-8")
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'
                          '<!DOCTYPE cesAlign PUBLIC "-//CES//DTD XML cesAlign//EN" "">\n'
                          '<cesAlign version="1.0">\n')
    assert 'xtargets="s2 s3;s2"' in raw and 'xtargets=";s3"' in raw and 'xtargets="s5;"' in raw

    root = _strict_parse(tmp_path / "de-fr.xml")
    assert root.tag == "cesAlign" and root.get("version") == "1.0"
    (grp,) = root.findall("linkGrp")
    assert (grp.get("targType"), grp.get("fromDoc"), grp.get("toDoc")) == ("s", "de/doc.xml", "fr/doc.xml")
    assert [link.get("certainty") for link in grp.findall("link")][:2] == ["0.125000", "0.500000"]

    back = read_xces(tmp_path / "de-fr.xml")
    assert [(b.src, b.tgt) for b in back] == [(b.src, b.tgt) for b in BEADS]
    assert [b.score for b in back] == pytest.approx([b.score for b in BEADS], abs=1e-6)

    # The links resolve against the sentence documents.
    docs = {}
    for side in ("de", "fr"):
        doc_root = _strict_parse(tmp_path / side / "doc.xml")
        assert doc_root.tag == "text" and doc_root.get(XML_LANG) == side
        docs[side] = {s.get("id"): s.text or "" for s in doc_root.iter("s")}
    for link, bead in zip(grp.findall("link"), BEADS):
        src_ids, tgt_ids = (side.split() for side in link.get("xtargets").split(";"))
        assert [docs["de"][i] for i in src_ids] == [_xml_chars(SRC[i]) for i in bead.src]
        assert [docs["fr"][i] for i in tgt_ids] == [_xml_chars(TGT[i]) for i in bead.tgt]
    assert read_xces_sentences(tmp_path / "de" / "doc.xml") == [_xml_chars(s) for s in SRC]
    assert read_xces_sentences(tmp_path / "fr" / "doc.xml") == [_xml_chars(s) for s in TGT]


def test_xces_gzip_groups_and_errors(tmp_path: Path):
    write_xces(tmp_path / "a.xml", BEADS[:2], 'de/a&b "q".xml', "fr/a.xml", certainty=False)
    gz = tmp_path / "a.xml.gz"
    gz.write_bytes(gzip.compress((tmp_path / "a.xml").read_bytes()))
    assert "certainty" not in (tmp_path / "a.xml").read_text(encoding="utf-8")
    ((from_doc, to_doc, beads),) = read_xces_groups(gz)
    assert (from_doc, to_doc) == ('de/a&b "q".xml', "fr/a.xml")
    assert beads == [Bead(b.src, b.tgt, 0.0) for b in BEADS[:2]]

    two = ('<cesAlign version="1.0"><linkGrp fromDoc="a" toDoc="b"><link xtargets="1;1"/></linkGrp>'
           '<linkGrp fromDoc="c" toDoc="d"><link xtargets="s1 s2;" certainty="0.5"/></linkGrp></cesAlign>')
    (tmp_path / "two.xml").write_text(two, encoding="utf-8")
    groups = read_xces_groups(tmp_path / "two.xml")
    assert [g[2] for g in groups] == [[Bead((0,), (0,))], [Bead((0, 1), (), 0.5)]]
    with pytest.raises(InputError, match="expected one <linkGrp>, found 2"):
        read_xces(tmp_path / "two.xml")

    for xt in ("s1", "s1;s2;s3", "s0;s1", "s1.1;s1"):
        (tmp_path / "bad.xml").write_text(
            f'<cesAlign><linkGrp><link id="L7" xtargets="{xt}"/></linkGrp></cesAlign>', encoding="utf-8")
        with pytest.raises(InputError, match=r"bad\.xml: link L7: "):
            read_xces(tmp_path / "bad.xml")
    (tmp_path / "bad.xml").write_text("<tmx/>", encoding="utf-8")
    with pytest.raises(InputError, match="expected a <cesAlign> document"):
        read_xces(tmp_path / "bad.xml")


def test_export_opus_writes_every_format(tmp_path: Path):
    out = tmp_path / "out"
    res = export_opus(out, SRC, TGT, BEADS, src_lang="de", tgt_lang="fr", name="doc1")
    files = res["files"]
    assert files == {
        "moses_src": "doc1.de-fr.de", "moses_tgt": "doc1.de-fr.fr", "tmx": "doc1.de-fr.tmx",
        "xces": "doc1.de-fr.xml", "xces_src": "de/doc1.xml", "xces_tgt": "fr/doc1.xml",
    }
    assert res["segments"] == 6 and res["links"] == len(BEADS)
    assert all((out / f).is_file() for f in files.values())
    assert not [p for p in out.rglob(".*")]  # no temp files left behind
    assert len(read_moses(out / files["moses_src"], out / files["moses_tgt"])) == 6
    assert len(read_tmx(out / files["tmx"])) == 6
    ((from_doc, to_doc, beads),) = read_xces_groups(out / files["xces"])
    assert read_xces_sentences(out / from_doc) == [_xml_chars(s) for s in SRC]
    assert read_xces_sentences(out / to_doc) == [_xml_chars(s) for s in TGT]
    assert [(b.src, b.tgt) for b in beads] == [(b.src, b.tgt) for b in BEADS]

    only = export_opus(tmp_path / "o2", SRC, TGT, BEADS, src_lang="de", tgt_lang="fr", formats=["tmx"])
    assert list(only["files"]) == ["tmx"]
    with pytest.raises(ValueError, match="out of range"):
        export_opus(tmp_path / "o3", SRC[:2], TGT, BEADS, src_lang="de", tgt_lang="fr")
    with pytest.raises(OutputError):
        export_opus(tmp_path / "o3", SRC, TGT, BEADS, src_lang="de", tgt_lang="fr", name="../x")
    with pytest.raises(ValueError, match="unknown OPUS format"):
        export_opus(tmp_path / "o3", SRC, TGT, BEADS, src_lang="de", tgt_lang="fr", formats=["csv"])
    assert not (tmp_path / "o3").exists()


def test_bead_segments():
    assert bead_segments(["a", "b"], ["x"], [Bead((0, 1), (0,)), Bead((), ())]) == [("a b", "x")]
    assert bead_segments(["a"], ["x"], [Bead((0,), ()), Bead((), (0,))], keep_empty=True) == [("a", ""), ("", "x")]
    with pytest.raises(ValueError, match="bead 1: target index 3 out of range"):
        bead_segments(["a", "b"], ["x"], [Bead((0,), (0,)), Bead((1,), (3,))])


# --- Vecalign beads ---------------------------------------------------------------------------

def test_format_and_parse_bead():
    assert format_bead(Bead((0,), (0, 1), 0.123)) == "[0]:[0, 1]:0.123000"
    assert format_bead(Bead((), (5,), 0.0)) == "[]:[5]:0.000000"
    assert format_bead(Bead((3, 4), ()), with_score=False) == "[3, 4]:[]"
    for bead in BEADS + [Bead((10, 11, 12), (7,), 12.5), Bead((0,), (), -3.0)]:
        assert parse_bead(format_bead(bead)) == Bead(bead.src, bead.tgt, round(bead.score, 6))
        assert parse_bead(format_bead(bead, with_score=False)) == Bead(bead.src, bead.tgt, 0.0)
    assert parse_bead(" [0,1] : [ 2 ]:1e-3\r\n") == Bead((0, 1), (2,), 0.001)
    assert parse_bead("[7]:[]") == Bead((7,), ())
    assert parse_bead("[1]:[1]:-0.5") == Bead((1,), (1,), -0.5)


@pytest.mark.parametrize("line", [
    "", "[0]", "[0]:", "0:1", "[0]:[1]:", "[0]:[1]:abc", "[0]:[1]:0.1:2", "[-1]:[0]",
    "[0,]:[1]", "[0 1]:[1]", "[a]:[1]", "[]:[]", "[]:[]:0.5", "(0):(1)",
])
def test_parse_bead_rejects(line: str):
    with pytest.raises(ValueError):
        parse_bead(line)


def test_write_read_beads(tmp_path: Path):
    path = tmp_path / "sub" / "align.txt"
    assert write_beads(BEADS, path) == len(BEADS)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["[0]:[0]:0.125000", "[1, 2]:[1]:0.500000", "[]:[2]:0.000000"]
    assert read_beads(path) == BEADS
    write_beads(BEADS, path, with_score=False)
    assert path.read_text(encoding="utf-8").splitlines()[1] == "[1, 2]:[1]"
    assert read_beads(path) == [Bead(b.src, b.tgt) for b in BEADS]
    check_monotonic(read_beads(path), len(SRC), len(TGT))


def test_read_beads_errors(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text("[0]:[0]\n\n[1]:[1, 2\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_beads(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:3: not a bead") and "\n" not in msg
    path.write_text("[0]:[0]\n[]:[]:0.1\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}:2: empty bead")):
        read_beads(path)
    path.write_bytes(b"[0]:[0]\n\xff\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_beads(path)
    with pytest.raises(InputError, match="cannot read"):
        read_beads(tmp_path / "missing.txt")


def test_gold_file_parses():
    if not GOLD.exists():
        pytest.skip(f"gold alignment not found at {GOLD}")
    beads = read_beads(GOLD)
    assert len(beads) == 422
    assert beads[0] == Bead((0,), (0,), 0.0) and beads[-1] == Bead((), (553,), 0.0)
    assert sum(1 for b in beads if b.kind == "0-1") == 40
    assert [format_bead(b, with_score=False) for b in beads] == GOLD.read_text(encoding="utf-8").splitlines()
    # The hand alignment is not a strict monotonic cover: French lines 94 and
    # 371 are unaligned, some beads are non-contiguous and two cross.
    with pytest.raises(ValueError, match=r"bead 87 .*target sentence\(s\) 94 skipped"):
        check_monotonic(beads, 468, 554)


# --- check_monotonic --------------------------------------------------------------------------

def test_check_monotonic_accepts_complete_alignments():
    check_monotonic(BEADS, len(SRC), len(TGT))
    check_monotonic([], 0, 0)
    check_monotonic([Bead((0,), ()), Bead((), (0,))], 1, 1)


@pytest.mark.parametrize("beads, n_src, n_tgt, pattern", [
    ([Bead((0,), (0,)), Bead((2,), (1,))], 3, 2, r"bead 1 \(\[2\]:\[1\]\): source sentence\(s\) 1 skipped"),
    ([Bead((0,), (0,)), Bead((1,), (3,))], 2, 4, r"target sentence\(s\) 1\.\.2 skipped"),
    ([Bead((0,), (1,)), Bead((1,), (0,))], 2, 2, r"bead 0 .*target sentence\(s\) 0 skipped"),
    ([Bead((0, 1), (0,)), Bead((1,), (1,))], 2, 2, r"bead 1 .*source sentence 1 is aligned again"),
    ([Bead((0,), (0, 0))], 1, 1, r"target sentence 0 is aligned again"),
    ([Bead((1, 0), (0,))], 2, 1, r"source sentence\(s\) 0 skipped"),
    ([Bead((0,), (0,)), Bead((1,), (1,))], 2, 1, r"target index 1 out of range \(n_tgt=1\)"),
    ([Bead((0,), (0,)), Bead((), ())], 1, 1, r"bead 1 .*both sides are empty"),
    ([Bead((0,), (0,))], 3, 1, r"source sentence\(s\) 1\.\.2 not aligned \(n_src=3\)"),
    ([Bead((0,), (0,))], 1, 2, r"target sentence\(s\) 1 not aligned"),
])
def test_check_monotonic_rejects(beads, n_src, n_tgt, pattern):
    with pytest.raises(ValueError, match=pattern):
        check_monotonic(beads, n_src, n_tgt)
