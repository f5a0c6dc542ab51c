"""Lexical anchors: what a tweet and the sentence restating it share, whatever the languages.

A restatement keeps the numbers (20%, 1.200, 2018), the names (Merkel,
Shoigu, Barcelona), the @handles and #hashtags of what it restates, and news
names the tweet's author ("a tweeté Theresa May", "renchérit Die Welt").
Names cross scripts by transliteration (anyascii: Шойгу -> Shoygu) and
survive inflection by comparing their beginnings (Merkelovou ~ Merkel,
Трампа -> Trampa ~ Trump).

Pure functions over strings; no model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Numbers, as digit strings without separators ("1.200" and "1,200" are "1200").
_NUMBER_RE = re.compile(r"\d[\d.,\u00a0\u202f ]*\d|\d")
# Where a CamelCase handle's words meet, and its underscores and digits.
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|[_\d]+")
# Words that start with a capital (names), @handles and #hashtags.
_WORD_RE = re.compile(r"[@#]?\w+", re.UNICODE)
# Shorter names are too often a common word or an abbreviation of something else.
MIN_NAME = 3
# Name prefixes compared: inflection changes the end of a name, not its start.
PREFIX = 6
# Names shorter than this match only exactly.
FUZZY_MIN = 5
# Share of matching characters (rapidfuzz ratio) above which two name prefixes are one name.
NAME_MATCH = 74.0


@lru_cache(maxsize=8192)
def _ascii(word: str) -> str:
    from anyascii import anyascii

    return re.sub(r"[^a-z0-9]", "", anyascii(word).lower())


def numbers(text: str) -> frozenset[str]:
    """Digit strings of the numbers in ``text`` (separators dropped); one-digit numbers left out."""
    out = set()
    for m in _NUMBER_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) >= 2:
            out.add(digits)
    return frozenset(out)


def names(text: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Transliterated lowercase forms of the capitalised words, @handles and #hashtags of ``text``.

    The first word of a sentence is capitalised by rule, not as a name: it
    counts only when it is an @handle or #hashtag. ``extra``: more names (a
    tweet's author and handle), split into words.
    """
    out = set()
    first = True
    for m in _WORD_RE.finditer(text):
        word = m.group()
        tagged = word[0] in "@#"
        core = word.lstrip("@#")
        if (tagged or (core[:1].isupper() and not first)) and not core.isdigit():
            form = _ascii(core)
            if len(form) >= MIN_NAME:
                out.add(form)
        # A new sentence starts after terminal punctuation.
        tail = text[m.end():m.end() + 3].lstrip(" \u00a0")
        first = tail[:1] in (".", "!", "?", ":", "«", "\"", "“")
    for name in extra:
        # A handle is words run together: "realDonaldTrump" is real, Donald, Trump.
        for part in _WORD_RE.findall(_CAMEL_RE.sub(" ", name or "")):
            form = _ascii(part.lstrip("@#"))
            if len(form) >= MIN_NAME:
                out.add(form)
    return frozenset(out)


@lru_cache(maxsize=65536)
def _same_name(a: str, b: str) -> bool:
    """Equal, or for names of 5+ letters, beginnings that mostly match (Trump ~ Trampa, Shoigu ~ Shoygu).

    Shorter names must be equal: "euro" is no "Europe", "Musk" risks too much
    against four letters of anything.
    """
    if a == b:
        return True
    n = min(len(a), len(b), PREFIX)
    if n < FUZZY_MIN:
        return False
    from rapidfuzz.fuzz import ratio

    return ratio(a[:n], b[:n]) >= NAME_MATCH


def matching(name: str, names_: Iterable[str]) -> frozenset[str]:
    """The forms among ``names_`` that are ``name`` (see ``_same_name``)."""
    return frozenset(y for y in names_ if _same_name(name, y))
