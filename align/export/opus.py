"""OPUS formats for aligned sentences: Moses plain text, TMX 1.4 and XCES (cesAlign).

From sentences and beads (:class:`align.types.Bead`, 0-based indices) or
ready-made ``(src, tgt)`` segments:

- **Moses**: two line-aligned UTF-8 files, one segment per line. The sentences
  of a bead side are joined with a space; line breaks inside a segment (``\\n``,
  ``\\r``, ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, NEL, U+2028/U+2029) become
  spaces, and the characters XML 1.0 forbids are dropped (see
  :func:`xml_safe`), so the files hold no NUL or lone surrogate either.
- **TMX 1.4**: ``<tmx version="1.4">`` with a full ``<header>`` and one
  ``<tu>`` of two ``<tuv xml:lang=".."><seg>..</seg></tuv>`` per segment.
- **XCES**: a ``cesAlign`` file as OPUS distributes sentence alignments, one
  ``<link xtargets="s1 s2;s3" certainty=".."/>`` per bead (1-based ids, empty
  side allowed: ``xtargets="s4;"``), plus the two sentence documents
  (``<text xml:lang=".."><s id="s1">..</s>..</text>``) its ``fromDoc`` and
  ``toDoc`` point to. As in OPUS, the documents are named on ``<linkGrp>``
  only; the languages live in the document paths and on ``<text xml:lang>``.

XML is serialized element by element with :mod:`xml.etree.ElementTree` (which
escapes ``&``, ``<``, ``>`` and, in attributes, quotes and whitespace), after
:func:`xml_safe` has dropped what XML 1.0 cannot hold. ElementTree leaves a
``\\r`` in text literal, which a parser would turn into ``\\n``; it is written as
``&#13;`` so it reads back unchanged. Files are UTF-8 with an XML declaration
and OPUS's DOCTYPE line, and are written atomically; readers accept ``.gz``.
"""

from __future__ import annotations

import gzip
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Union

from align import __version__
from align.config import OPUS_FORMATS
from align.export.atomic import atomic_open, output_errors
from align.types import Bead, InputError, OutputError, Pair

Segment = tuple[str, str]
SegmentLike = Union[Segment, Sequence[str], Pair]

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
TMX_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
CES_DOCTYPE = '<!DOCTYPE cesAlign PUBLIC "-//CES//DTD XML cesAlign//EN" "">\n'

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
# Lone surrogates (U+D800-U+DFFF) are outside it, so they are dropped too.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Everything str.splitlines() breaks on.
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Language codes and export names become path components.
_LANG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SID_RE = re.compile(r"^s?([0-9]+)$")


# --- text helpers -----------------------------------------------------------------------------

def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids.

    Dropped: C0 controls other than tab, newline and carriage return, U+FFFE,
    U+FFFF and lone surrogates. Escaping ``<``, ``&`` and quotes is left to
    the XML serializer.
    """
    return _XML_FORBIDDEN.sub("", text)


def plain_line(text: str) -> str:
    """One line of a plain-text (Moses) file: line breaks become spaces, then :func:`xml_safe`."""
    return xml_safe(_LINE_BREAKS.sub(" ", text))


def _as_segment(item: SegmentLike) -> Segment:
    if isinstance(item, Pair):
        return item.src, item.tgt
    src, tgt = item
    return str(src), str(tgt)


def bead_segments(
    src_sents: Sequence[str],
    tgt_sents: Sequence[str],
    beads: Iterable[Bead],
    *,
    keep_empty: bool = False,
) -> list[Segment]:
    """``(src, tgt)`` text of each bead, the sentences of a side joined with a space.

    Beads with an empty side (1-0, 0-1) are left out unless ``keep_empty``.
    Raises ValueError on an index outside the sentence lists.
    """
    out: list[Segment] = []
    for k, bead in enumerate(beads):
        for side, idx, sents in (("source", bead.src, src_sents), ("target", bead.tgt, tgt_sents)):
            bad = [i for i in idx if not 0 <= i < len(sents)]
            if bad:
                raise ValueError(f"bead {k}: {side} index {bad[0]} out of range ({len(sents)} sentence(s))")
        if not keep_empty and not (bead.src and bead.tgt):
            continue
        out.append((" ".join(src_sents[i] for i in bead.src), " ".join(tgt_sents[i] for i in bead.tgt)))
    return out


def _check_lang(lang: str, what: str) -> None:
    if not isinstance(lang, str) or not _LANG_RE.fullmatch(lang):
        raise OutputError(f"cannot export {what} language code {lang!r}: use letters, digits, '-' or '_'")


def _check_langs(src_lang: str, tgt_lang: str) -> None:
    _check_lang(src_lang, "source")
    _check_lang(tgt_lang, "target")
    if src_lang.lower() == tgt_lang.lower():
        raise OutputError(f"cannot export with the same source and target language ({src_lang!r})")


# --- XML plumbing -----------------------------------------------------------------------------

def _xml(elem: ET.Element) -> str:
    # ElementTree keeps a literal \r in text (attributes already get &#13;);
    # a parser would normalize it to \n, so write it as a character reference.
    return ET.tostring(elem, encoding="unicode").replace("\r", "&#13;")


def _start_end(tag: str, attrib: dict[str, str]) -> tuple[str, str]:
    """Start and end tags of an element, attributes escaped by ElementTree."""
    elem = ET.Element(tag, attrib)
    elem.text = "\n"  # the only literal newline: attribute newlines are escaped as &#10;
    start, end = _xml(elem).split("\n")
    return start, end


def _attrs(**kw: str | None) -> dict[str, str]:
    return {k.replace("_", "-"): xml_safe(str(v)) for k, v in kw.items() if v is not None}


def _open_bin(path: str | os.PathLike[str]) -> IO[bytes]:
    if str(path).endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _parse_xml(path: str | os.PathLike[str], root_tag: str) -> ET.Element:
    """Parse a whole XML file strictly; InputError (one line) if unreadable or malformed."""
    try:
        with _open_bin(path) as f:
            root = ET.parse(f).getroot()
    except ET.ParseError as e:
        raise InputError(f"{path}: malformed XML: {e}") from None
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    if root.tag != root_tag:
        raise InputError(f"{path}: expected a <{root_tag}> document, found <{root.tag}>")
    return root


def _text(elem: ET.Element | None) -> str:
    return "" if elem is None else "".join(elem.itertext())


# --- Moses --------------------------------------------------------------------------------------

def write_moses(
    segments: Iterable[SegmentLike],
    src_path: str | os.PathLike[str],
    tgt_path: str | os.PathLike[str],
) -> int:
    """Write line-aligned source and target files (UTF-8, ``\\n``); return the line count.

    ``segments`` holds ``(src, tgt)`` tuples or :class:`Pair` objects (see
    :func:`bead_segments` for beads). Each side goes through :func:`plain_line`;
    a segment with a blank side is skipped. Both files are complete or neither
    is replaced (barring a failure between the two final renames).
    """
    n = 0
    with atomic_open(src_path, "w") as fs, atomic_open(tgt_path, "w") as ft:
        for item in segments:
            src, tgt = (plain_line(x) for x in _as_segment(item))
            if not src.strip() or not tgt.strip():
                continue
            with output_errors(src_path):
                fs.write(src + "\n")
            with output_errors(tgt_path):
                ft.write(tgt + "\n")
            n += 1
    return n


def _read_lines(path: str | os.PathLike[str]) -> list[str]:
    try:
        # newline="\n": split on \n only (the writer leaves no other break in a line).
        with open(path, encoding="utf-8", newline="\n") as f:
            return [line[:-1].removesuffix("\r") if line.endswith("\n") else line for line in f]
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 ({e.reason})") from None


def read_moses(src_path: str | os.PathLike[str], tgt_path: str | os.PathLike[str]) -> list[Segment]:
    """Read two line-aligned files back into ``(src, tgt)`` segments.

    Raises InputError if they cannot be read or differ in line count.
    """
    src, tgt = _read_lines(src_path), _read_lines(tgt_path)
    if len(src) != len(tgt):
        raise InputError(f"{src_path} has {len(src)} line(s) but {tgt_path} has {len(tgt)}: not line-aligned")
    return list(zip(src, tgt))


# --- TMX --------------------------------------------------------------------------------------

def _tu(src_lang: str, tgt_lang: str, src: str, tgt: str) -> ET.Element:
    tu = ET.Element("tu")
    tu.text = "\n      "  # whitespace between elements only: <seg> text is untouched
    for lang, text, tail in ((src_lang, src, "\n      "), (tgt_lang, tgt, "\n    ")):
        tuv = ET.SubElement(tu, "tuv", {XML_LANG: lang})
        ET.SubElement(tuv, "seg").text = text
        tuv.tail = tail
    return tu


def write_tmx(
    path: str | os.PathLike[str],
    src_lang: str,
    tgt_lang: str,
    segments: Iterable[SegmentLike],
    *,
    creationtool: str = "align",
    creationtoolversion: str = __version__,
    adminlang: str = "en",
    o_tmf: str = "unknown",
    datatype: str = "PlainText",
    creationdate: str | None = None,
) -> int:
    """Write a TMX 1.4 file (one ``<tu>`` per segment); return the ``<tu>`` count.

    ``segments`` holds ``(src, tgt)`` tuples or :class:`Pair` objects. Text goes
    through :func:`xml_safe` and is otherwise kept as is (line breaks
    included); a segment with a blank side is skipped. ``creationdate``
    (``YYYYMMDDThhmmssZ``) is omitted unless given, so output is reproducible.
    Raises OutputError on invalid or identical language codes.
    """
    _check_langs(src_lang, tgt_lang)
    header = ET.Element("header", _attrs(
        creationtool=creationtool, creationtoolversion=creationtoolversion, segtype="sentence",
        o_tmf=o_tmf, adminlang=adminlang, srclang=src_lang, datatype=datatype, creationdate=creationdate,
    ))
    n = 0
    with atomic_open(path, "w") as f:
        with output_errors(path):
            f.write(XML_DECL + TMX_DOCTYPE + '<tmx version="1.4">\n  ' + _xml(header) + "\n  <body>\n")
        for item in segments:
            src, tgt = (xml_safe(x) for x in _as_segment(item))
            if not src.strip() or not tgt.strip():
                continue
            chunk = "    " + _xml(_tu(src_lang, tgt_lang, src, tgt)) + "\n"
            with output_errors(path):
                f.write(chunk)
            n += 1
        with output_errors(path):
            f.write("  </body>\n</tmx>\n")
    return n


def read_tmx(
    path: str | os.PathLike[str],
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> list[Segment]:
    """``(src, tgt)`` segment text of each ``<tu>`` of a TMX file, parsed strictly.

    ``src_lang`` defaults to the header's ``srclang``, ``tgt_lang`` to the first
    other language met; languages compare case-insensitively (``xml:lang``, or
    TMX 1.1's ``lang``). A ``<tu>`` lacking either language is skipped; the
    text of a ``<seg>`` includes that of any inline elements.
    """
    root = _parse_xml(path, "tmx")
    header = root.find("header")
    src = (src_lang or (header.get("srclang") if header is not None else None) or "").lower()
    if not src or src == "*all*":
        raise InputError(f"{path}: no usable srclang in the TMX header: pass src_lang")
    tgt = (tgt_lang or "").lower()
    body = root.find("body")
    out: list[Segment] = []
    for tu in (body.iter("tu") if body is not None else ()):
        texts: dict[str, str] = {}
        for tuv in tu.iter("tuv"):
            lang = (tuv.get(XML_LANG) or tuv.get("lang") or "").lower()
            if not tgt and lang and lang != src:
                tgt = lang
            texts.setdefault(lang, _text(tuv.find("seg")))
        if src in texts and tgt and tgt in texts:
            out.append((texts[src], texts[tgt]))
    return out


# --- XCES (cesAlign) -----------------------------------------------------------------------

def _format_certainty(score: float) -> str:
    return f"{float(score):.6f}"


def xtargets(bead: Bead) -> str:
    """OPUS ``xtargets`` of a bead: 1-based ``s{n}`` ids, ``;`` between the sides."""
    return " ".join(f"s{i + 1}" for i in bead.src) + ";" + " ".join(f"s{i + 1}" for i in bead.tgt)


def parse_xtargets(value: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Inverse of :func:`xtargets` (0-based); ids may be ``s{n}`` or ``{n}``. ValueError otherwise."""
    sides = value.split(";")
    if len(sides) != 2:
        raise ValueError(f"xtargets {value!r} must have exactly one ';'")
    out: list[tuple[int, ...]] = []
    for side in sides:
        idx = []
        for sid in side.split():
            m = _SID_RE.fullmatch(sid)
            if not m or int(m.group(1)) < 1:
                raise ValueError(f"unsupported sentence id {sid!r} in xtargets {value!r} (expected s1, s2, ...)")
            idx.append(int(m.group(1)) - 1)
        out.append(tuple(idx))
    return out[0], out[1]


def write_xces_sentences(path: str | os.PathLike[str], sents: Iterable[str], lang: str | None = None) -> int:
    """Write an OPUS-like sentence document ``<text xml:lang=".."><s id="s1">..</s>..</text>``.

    Sentence ``i`` (0-based) gets id ``s{i+1}``, matching :func:`write_xces`;
    every sentence is written, empty ones included, so ids stay in step.
    Text goes through :func:`xml_safe`. Returns the sentence count.
    """
    if lang is not None:
        _check_lang(lang, "document")
    start, end = _start_end("text", {XML_LANG: lang} if lang else {})
    n = 0
    with atomic_open(path, "w") as f:
        with output_errors(path):
            f.write(XML_DECL + start + "\n")
        for i, sent in enumerate(sents):
            s = ET.Element("s", {"id": f"s{i + 1}"})
            s.text = xml_safe(sent)
            chunk = _xml(s) + "\n"
            with output_errors(path):
                f.write(chunk)
            n += 1
        with output_errors(path):
            f.write(end + "\n")
    return n


def read_xces_sentences(path: str | os.PathLike[str]) -> list[str]:
    """Sentences of a document written by :func:`write_xces_sentences` (ids must run s1, s2, ...)."""
    root = _parse_xml(path, "text")
    sents: list[str] = []
    for s in root.iter("s"):
        sid = s.get("id", "")
        m = _SID_RE.fullmatch(sid)
        if not m or int(m.group(1)) != len(sents) + 1:
            raise InputError(f"{path}: sentence id {sid!r} out of sequence (expected s{len(sents) + 1})")
        sents.append(_text(s))
    return sents


def write_xces(
    path: str | os.PathLike[str],
    beads: Iterable[Bead],
    src_doc: str,
    tgt_doc: str,
    *,
    certainty: bool = True,
) -> int:
    """Write an OPUS cesAlign file with one ``<linkGrp>`` (``fromDoc``/``toDoc``); return the link count.

    One ``<link id="SL{k}" xtargets=".." certainty=".."/>`` per bead, in order,
    1-0 and 0-1 beads included. ``certainty`` is the bead score (``%.6f``) as
    is, so for Vecalign it is a cost (lower is better); ``certainty=False``
    leaves it out. ``src_doc``/``tgt_doc`` are the sentence documents' paths,
    conventionally relative to the alignment file (``de/doc.xml``).
    """
    start, end = _start_end("linkGrp", _attrs(targType="s", fromDoc=src_doc, toDoc=tgt_doc))
    n = 0
    with atomic_open(path, "w") as f:
        with output_errors(path):
            f.write(XML_DECL + CES_DOCTYPE + '<cesAlign version="1.0">\n' + start + "\n")
        for bead in beads:
            n += 1
            attrs = {"id": f"SL{n}", "xtargets": xtargets(bead)}
            if certainty:
                attrs["certainty"] = _format_certainty(bead.score)
            chunk = _xml(ET.Element("link", attrs)) + "\n"
            with output_errors(path):
                f.write(chunk)
        with output_errors(path):
            f.write(end + "\n</cesAlign>\n")
    return n


def read_xces_groups(path: str | os.PathLike[str]) -> list[tuple[str, str, list[Bead]]]:
    """``(fromDoc, toDoc, beads)`` for each ``<linkGrp>`` of a cesAlign file (``.gz`` too).

    Beads are 0-based; ``certainty`` (absent: 0.0) becomes the score.
    """
    root = _parse_xml(path, "cesAlign")
    groups: list[tuple[str, str, list[Bead]]] = []
    for grp in root.iter("linkGrp"):
        beads: list[Bead] = []
        for link in grp.iter("link"):
            try:
                src, tgt = parse_xtargets(link.get("xtargets", ""))
                score = float(link.get("certainty", "0") or 0)
            except ValueError as e:
                raise InputError(f"{path}: link {link.get('id') or len(beads) + 1}: {e}") from None
            beads.append(Bead(src=src, tgt=tgt, score=score))
        groups.append((grp.get("fromDoc", ""), grp.get("toDoc", ""), beads))
    return groups


def read_xces(path: str | os.PathLike[str]) -> list[Bead]:
    """The beads (0-based) of a cesAlign file holding exactly one ``<linkGrp>``."""
    groups = read_xces_groups(path)
    if len(groups) != 1:
        raise InputError(f"{path}: expected one <linkGrp>, found {len(groups)} (use read_xces_groups)")
    return groups[0][2]


# --- all at once ------------------------------------------------------------------------------

def export_opus(
    out_dir: str | os.PathLike[str],
    src_sents: Sequence[str],
    tgt_sents: Sequence[str],
    beads: Sequence[Bead],
    *,
    src_lang: str,
    tgt_lang: str,
    name: str = "align",
    formats: Iterable[str] = OPUS_FORMATS,
) -> dict[str, Any]:
    """Write one aligned document pair in OPUS formats into ``out_dir`` (each file atomically)::

        {name}.{src}-{tgt}.{src}, {name}.{src}-{tgt}.{tgt}   Moses (beads with both sides)
        {name}.{src}-{tgt}.tmx                             TMX 1.4 (beads with both sides)
        {name}.{src}-{tgt}.xml                             XCES cesAlign (every bead)
        {src}/{name}.xml, {tgt}/{name}.xml                 the sentence documents it links

    Returns ``{"files": {role: path relative to out_dir}, "segments": n, "links": n}``.
    Raises OutputError on bad language codes or name, ValueError on an index
    outside the sentence lists.
    """
    _check_langs(src_lang, tgt_lang)
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise OutputError(f"cannot export under the name {name!r}: use letters, digits, '.', '-' or '_'")
    formats = list(formats)
    unknown = sorted(set(formats) - set(OPUS_FORMATS))
    if unknown:
        raise ValueError(f"unknown OPUS format(s): {', '.join(unknown)} (choose from {', '.join(OPUS_FORMATS)})")
    out = Path(out_dir)
    segments = bead_segments(src_sents, tgt_sents, beads)  # also checks every index
    stem = f"{name}.{src_lang}-{tgt_lang}"
    files: dict[str, str] = {}
    result: dict[str, Any] = {"files": files, "segments": len(segments), "links": 0}
    if "moses" in formats:
        files["moses_src"], files["moses_tgt"] = f"{stem}.{src_lang}", f"{stem}.{tgt_lang}"
        result["segments"] = write_moses(segments, out / files["moses_src"], out / files["moses_tgt"])
    if "tmx" in formats:
        files["tmx"] = f"{stem}.tmx"
        result["segments"] = write_tmx(out / files["tmx"], src_lang, tgt_lang, segments)
    if "xces" in formats:
        files["xces"] = f"{stem}.xml"
        files["xces_src"], files["xces_tgt"] = f"{src_lang}/{name}.xml", f"{tgt_lang}/{name}.xml"
        write_xces_sentences(out / files["xces_src"], src_sents, src_lang)
        write_xces_sentences(out / files["xces_tgt"], tgt_sents, tgt_lang)
        result["links"] = write_xces(out / files["xces"], beads, files["xces_src"], files["xces_tgt"])
    return result
