"""Sentence splitting with character offsets.

Uses the Moses sentence splitter (``sentence-splitter``: Koehn & Schroeder's
heuristic with per-language non-breaking prefixes), which keeps French "M."
and "janv." and Russian "т.е." inside sentences. It returns strings, so the
offsets are recovered here by walking the original text.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from ..types import Span

log = logging.getLogger(__name__)

# Languages with Moses non-breaking-prefix lists in sentence-splitter.
_SUPPORTED = {
    "ca", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "is", "it", "lt",
    "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr",
}


@lru_cache(maxsize=None)
def _splitter(lang: str):
    from sentence_splitter import SentenceSplitter

    return SentenceSplitter(language=lang if lang in _SUPPORTED else "en")


def split_sentences(text: str, lang: str, offset: int = 0) -> list[Span]:
    """Sentence spans of ``text`` (offsets shifted by ``offset``), whitespace trimmed."""
    if not text.strip():
        return []
    # Moses treats a newline as a sentence end; inside a block it is wrapping.
    sentences = _splitter(lang).split(" ".join(text.split("\n")))
    spans = _locate(text, sentences)
    if spans is None:
        # The splitter changed characters we cannot map back: keep the block whole.
        log.debug("could not map sentence offsets; keeping block as one sentence")
        start = len(text) - len(text.lstrip())
        spans = [(start, len(text.rstrip()))]
    return [(s + offset, e + offset) for s, e in spans]


def _locate(text: str, sentences: list[str]) -> list[Span] | None:
    """Find each sentence in ``text`` in order, ignoring differences in whitespace."""
    spans: list[Span] = []
    pos, n = 0, len(text)
    for sentence in sentences:
        chars = [c for c in sentence if not c.isspace()]
        if not chars:
            continue
        while pos < n and text[pos].isspace():
            pos += 1
        start = pos
        for c in chars:
            while pos < n and text[pos].isspace():
                pos += 1
            if pos >= n or text[pos] != c:
                return None
            pos += 1
        spans.append((start, pos))
    return spans
