"""Reading document pairs: files or inline texts, split into sentences with their offsets.

A side is read as raw text (paragraphs at blank lines, sentences by the
Moses splitter, character spans kept) or, with ``--presplit``, one sentence
per line. Lines equal to ``docalign.marker`` are hard boundaries on both.
Many pairs come as a folder of ``NAME.SRC``/``NAME.TGT`` files (the
extensions are the language codes), a JSONL list (``src``/``tgt`` texts or
``src_path``/``tgt_path`` files, an ``id`` per line) or a TSV list of paths.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..export.jsonl import json_object
from ..types import ConfigError, InputError, Span

log = logging.getLogger(__name__)

MAX_DOC_CHARS = 500_000_000


@dataclass
class ParallelSide:
    """One side of a document pair: the text as read and its sentences.

    ``lines[k]`` is the line (``--presplit``) or sentence index that sentence
    ``k`` of ``sentences`` is written under in the beads; ``breaks`` are the
    sentence positions where a hard boundary (marker) falls, ``paragraphs``
    those where a paragraph starts (raw text only, first excluded).
    """

    text: str
    sentences: list[str]
    spans: list[Span]
    lines: list[int]
    lang: str
    breaks: list[int] = field(default_factory=list)
    paragraphs: list[int] = field(default_factory=list)
    n_lines: int = 0
    presplit: bool = True


def read_text(path: str | Path, allow_empty: bool = False) -> str:
    """UTF-8 text (BOM dropped, newlines normalised); InputError on anything else."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a text file") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    if b"\x00" in data:
        raise InputError(f"{path} contains a NUL byte (binary file?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not valid UTF-8 text (offset {e.start})") from None
    return check_text(text, str(path), allow_empty)


def check_text(text: str, where: str, allow_empty: bool = False) -> str:
    """``text`` with newlines normalised; InputError if it is too long, holds NUL or (unless allowed) is empty."""
    if "\x00" in text:
        raise InputError(f"{where} contains a NUL character")
    if len(text) > MAX_DOC_CHARS:
        raise InputError(f"{where} has {len(text)} characters, over the limit of {MAX_DOC_CHARS}")
    if not text.strip() and not allow_empty:
        raise InputError(f"{where} is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_presplit(text: str, lang: str, marker: str) -> ParallelSide:
    """One sentence per line; lines equal to ``marker`` are hard boundaries, not sentences."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    sentences, spans, index, breaks = [], [], [], []
    pos = 0
    for k, line in enumerate(lines):
        if line.strip() == marker:
            breaks.append(len(sentences))
        else:
            lead = len(line) - len(line.lstrip())
            sentences.append(line.strip())
            spans.append((pos + lead, pos + lead + len(line.strip())))
            index.append(k)
        pos += len(line) + 1
    return ParallelSide(text, sentences, spans, index, lang, breaks=breaks, n_lines=len(lines))


_PARA_RE = re.compile(r"\n[ \t]*\n")


def split_raw(text: str, lang: str, marker: str) -> ParallelSide:
    """Paragraphs at blank lines, sentences with the Moses splitter, offsets kept.

    Lines equal to ``marker`` are hard boundaries; a new paragraph is recorded
    in ``paragraphs`` (candidate soft boundaries).
    """
    from ..segment.splitter import split_sentences

    regions: list[tuple[int, int] | None] = []  # None marks a marker line
    start = pos = 0
    for line in text.split("\n"):
        if line.strip() == marker:
            regions += [(start, pos), None]
            start = pos + len(line) + 1
        pos += len(line) + 1
    regions.append((start, len(text)))
    sentences: list[str] = []
    spans: list[Span] = []
    breaks: list[int] = []
    paragraphs: list[int] = []
    for region in regions:
        if region is None:
            breaks.append(len(sentences))
            continue
        r0, r1 = region
        block_start = r0
        bounds = [(m.start() + r0, m.end() + r0) for m in _PARA_RE.finditer(text[r0:r1])]
        for gap_start, gap_end in bounds + [(r1, r1)]:
            block = text[block_start:gap_start]
            if block.strip():
                if sentences and len(sentences) not in breaks and len(sentences) not in paragraphs:
                    paragraphs.append(len(sentences))
                for s, e in split_sentences(block, lang, block_start):
                    sentences.append(" ".join(text[s:e].split()))
                    spans.append((s, e))
            block_start = gap_end
    return ParallelSide(text, sentences, spans, list(range(len(sentences))), lang,
                        breaks=breaks, paragraphs=paragraphs, n_lines=len(sentences), presplit=False)


def detect_language(text: str, languages: list[str] | None) -> str:
    from ..segment.langid import get_identifier

    lang, _ = get_identifier(tuple(languages or ())).identify(text[:5000])
    if lang is None:
        raise InputError("cannot identify the language of a document; set docalign.src_lang/tgt_lang")
    return lang


@dataclass
class Source:
    """A side's text: a file, or text given inline (a JSONL line's ``src``/``tgt``)."""

    path: Path | None = None
    text: str | None = None
    where: str = ""  # names inline text in messages ("list.jsonl:3 src")

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.where

    def read(self, allow_empty: bool = False) -> str:
        if self.path is not None:
            return read_text(self.path, allow_empty)
        return check_text(self.text or "", self.where, allow_empty)


def read_side(source: Source, *, lang: str | None, presplit: bool, cfg: Config) -> ParallelSide:
    """One side of a pair. An empty side is allowed: its partner is then all deletions."""
    text = source.read(allow_empty=True)
    if not text.strip():
        log.warning("%s is empty: every sentence of the other side will be aligned to nothing", source)
        return ParallelSide(text, [], [], [], lang or "und", n_lines=len(text.split("\n")) - 1 if text else 0,
                            presplit=presplit)
    lang = lang or detect_language(text, cfg.segment.languages)
    marker = cfg.docalign.marker
    return split_presplit(text, lang, marker) if presplit else split_raw(text, lang, marker)


def read_translation(source: Source, side: ParallelSide, presplit: bool) -> list[str]:
    """A user's MT of the source, one line per source line (presplit) or per split sentence."""
    text = source.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if presplit:
        if len(lines) != side.n_lines:
            raise InputError(f"{source} has {len(lines)} lines but the source has {side.n_lines}: "
                             "a translation must be line-aligned with the source")
        return [lines[k].strip() for k in side.lines]
    if len(lines) != len(side.sentences):
        raise InputError(f"{source} has {len(lines)} lines but the source splits into {len(side.sentences)} "
                         "sentences; translate the split sentences (sentences.src) or use --presplit")
    return [line.strip() for line in lines]


def hard_anchors(src: ParallelSide, tgt: ParallelSide, mode: str) -> list[tuple[int, int]]:
    """Sentence positions ``(i, j)`` that no bead may straddle."""
    if len(src.breaks) != len(tgt.breaks):
        raise InputError(f"the source has {len(src.breaks)} boundary markers but the target has "
                         f"{len(tgt.breaks)}; they must correspond one to one")
    anchors = list(zip(src.breaks, tgt.breaks))
    if mode != "none" and (src.paragraphs or tgt.paragraphs):
        if len(src.paragraphs) == len(tgt.paragraphs):
            anchors += list(zip(src.paragraphs, tgt.paragraphs))
        elif mode == "paragraphs":
            raise InputError(f"the source has {len(src.paragraphs) + 1} paragraphs but the target "
                             f"{len(tgt.paragraphs) + 1}; docalign.boundaries 'paragraphs' needs as many on both sides")
        else:
            log.info("paragraph counts differ (%d vs %d): not using paragraphs as boundaries",
                     len(src.paragraphs) + 1, len(tgt.paragraphs) + 1)
    anchors = sorted(set(anchors))
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:]):
        if j1 < j0:
            raise InputError("boundary markers and paragraphs give crossing boundaries; set docalign.boundaries: none")
    return anchors


# ---------------------------------------------------------------------------
# lists of document pairs


@dataclass
class PairSpec:
    """One document pair to align (``src_translation``: a user's MT of the source, optional)."""

    doc_id: str
    src: Source
    tgt: Source
    src_translation: Source | None = None

    @classmethod
    def from_files(cls, doc_id: str, src: str | Path, tgt: str | Path,
                   src_translation: str | Path | None = None) -> PairSpec:
        return cls(doc_id, Source(Path(src)), Source(Path(tgt)),
                   Source(Path(src_translation)) if src_translation else None)


def read_pairs(path: str | Path, *, src_lang: str | None = None, tgt_lang: str | None = None) -> Iterator[PairSpec | InputError]:
    """The pairs of a folder, JSONL or TSV list, lazily; a bad entry comes as its InputError.

    Problems with ``path`` itself raise here. Relative paths in a list are
    taken from the list's folder; ids are made unique (``id-2``, ...).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        if not (src_lang and tgt_lang):
            raise ConfigError(f"{path} is a folder of NAME.SRC/NAME.TGT files: give --src-lang and --tgt-lang "
                              "(the file extensions)")
        entries = folder_pairs(path, src_lang, tgt_lang)
    else:
        entries = _list_pairs(path)
    seen: Counter[str] = Counter()
    for spec in entries:
        if isinstance(spec, PairSpec):
            seen[spec.doc_id] += 1
            if seen[spec.doc_id] > 1:
                spec.doc_id = f"{spec.doc_id}-{seen[spec.doc_id]}"
        yield spec


def folder_stems(folder: Path, src_lang: str, tgt_lang: str) -> list[str]:
    """The NAMEs of a folder's NAME.SRC/NAME.TGT files (either side), sorted."""
    names = {f.name for f in folder.iterdir() if f.is_file()}
    stems = sorted({n[: -len(ext) - 1] for n in names for ext in (src_lang, tgt_lang) if n.endswith(f".{ext}")})
    if not stems:
        raise InputError(f"{folder} has no NAME.{src_lang} or NAME.{tgt_lang} files")
    return stems


def folder_pairs(folder: Path, src_lang: str, tgt_lang: str,
                 stems: list[str] | None = None) -> Iterator[PairSpec | InputError]:
    """The pairs of a folder (of its ``stems`` only, if given); a NAME without its partner as an InputError."""
    names = {f.name for f in folder.iterdir() if f.is_file()}
    for stem in folder_stems(folder, src_lang, tgt_lang) if stems is None else stems:
        src, tgt = f"{stem}.{src_lang}", f"{stem}.{tgt_lang}"
        if src in names and tgt in names:
            yield PairSpec.from_files(stem, folder / src, folder / tgt)
        else:
            yield InputError(f"{folder / (tgt if src in names else src)} is missing: {stem} has no partner")


def _list_pairs(path: Path) -> Iterator[PairSpec | InputError]:
    """JSONL (``{"id", "src"|"src_path", "tgt"|"tgt_path", "src_translation"|"src_translation_path"}``)
    or TSV (``src<TAB>tgt[<TAB>mt]`` paths)."""
    base = path.parent
    try:
        f = path.open(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    with f:
        lineno = 0
        try:
            for lineno, line in enumerate(f, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                try:
                    yield _list_entry(line, base, f"{path}:{lineno}", f"{path.stem}:{lineno}")
                except InputError as e:
                    yield e
        except UnicodeDecodeError:
            raise InputError(f"{path} is not valid UTF-8 text (after line {lineno})") from None


def _list_entry(line: str, base: Path, where: str, default_id: str) -> PairSpec:
    if not line.lstrip().startswith("{"):
        cols = line.rstrip("\n").split("\t")
        if len(cols) not in (2, 3) or not all(c.strip() for c in cols):
            raise InputError(f"{where}: expected 'src<TAB>tgt' or 'src<TAB>tgt<TAB>translation' (paths)")
        return PairSpec.from_files(Path(cols[0].strip()).stem, base / cols[0].strip(), base / cols[1].strip(),
                                   base / cols[2].strip() if len(cols) == 3 else None)
    rec = json_object(line, where)

    def side(key: str, required: bool) -> Source | None:
        text, file = rec.get(key), rec.get(f"{key}_path")
        if (text is None) == (file is None):
            if not required and text is None:
                return None
            raise InputError(f"{where}: give one of '{key}' (text) and '{key}_path' (a file)")
        if not isinstance(text if text is not None else file, str):
            raise InputError(f"{where}: '{key if text is not None else key + '_path'}' must be a string")
        return Source(path=base / file) if file is not None else Source(text=text, where=f"{where} {key}")

    src, tgt = side("src", True), side("tgt", True)
    doc_id = rec.get("id")
    if doc_id is None:
        doc_id = src.path.stem if src.path is not None else default_id
    return PairSpec(str(doc_id), src, tgt, side("src_translation", False))


def load_pair(spec: PairSpec, cfg: Config, *, presplit: bool) -> tuple[ParallelSide, ParallelSide, list[str] | None]:
    d = cfg.docalign
    src = read_side(spec.src, lang=d.src_lang, presplit=presplit, cfg=cfg)
    tgt = read_side(spec.tgt, lang=d.tgt_lang, presplit=presplit, cfg=cfg)
    if src.lang == tgt.lang and not (d.src_lang and d.tgt_lang):
        log.warning("%s: both sides identified as '%s'; set docalign.src_lang/tgt_lang if that is wrong",
                    spec.doc_id, src.lang)
    mt = read_translation(spec.src_translation, src, presplit) if spec.src_translation else None
    return src, tgt, mt
