"""Embedded tweets: attribution lines, twitter links and dates in any language.

An embedded tweet, as scraped from news pages, reads
``<tweet text> <links> — Display Name (@handle) <date>`` where the date is in the
page's language ("5 septembre 2017", "May 7, 2017", "18 июня 2018 г."). Dates are
parsed by dateparser, restricted to the candidate languages; dateparser is fuzzy
and slow-ish, so it is only ever given short strings (attribution tails, short
lines), never whole paragraphs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

# "(@handle)" — the anchor of an attribution; Twitter handles are [A-Za-z0-9_]{1,15},
# a little slack costs nothing.
HANDLE_RE = re.compile(r"\(\s*@([A-Za-z0-9_]{1,30})\s*\)")

# The dash that opens an attribution. A hyphen only counts with space on both
# sides, so "el-Assad (@x)" is not an attribution.
DASH_RE = re.compile(r"—|–|&mdash;|&ndash;|&#821[12];|(?<!\S)-(?=\s)")

# What opens an Instagram embed's attribution in place of the dash, in the
# locales met in scraped news: "<caption> Публикация от Name (@handle) Май 29
# 2017 в 6:04 PDT". Instagram's own boilerplate, so a list: no library knows it.
INSTAGRAM_RE = re.compile(
    r"(?:\b(?:A|An)\s+(?:post|photo|video)\s+(?:shared|posted)\s+by"
    r"|Публикация\s+от|(?:Фото|Видео)\s+опубликовано|Допис\s+від"
    r"|(?:Une|Un)\s+(?:publication|photo|vidéo|post)\s+(?:partagée?|publiée?)\s+par"
    r"|Ein\s+(?:Beitrag|Foto|Video)\s+(?:geteilt|gepostet)\s+von"
    r"|Una?\s+(?:publicación|foto|vídeo|video|post)\s+(?:compartid[oa]|publicad[oa]|condivis[oa]|pubblicat[oa])\s+(?:por|de|da)"
    r"|Uma?\s+(?:publicação|foto|vídeo)\s+(?:compartilhad[oa]|partilhad[oa]|publicad[oa])\s+(?:por|de)"
    r"|(?:Post|Publikacja|Zdjęcie)\s+(?:udostępnion[ya]|opublikowan[ey])\s+przez)",
    re.IGNORECASE,
)

# Longest display name (plus spacing) between the dash and "(@handle)".
MAX_NAME_CHARS = 100

# A date prefix ends at its first year (optionally a numeric date after it, or the
# Russian "г." / "года"); only the first ~40 characters of a tail are looked at.
_DATE_PREFIX_RE = re.compile(
    r"\s*(.{0,40}?(?<!\d)(?:1[6-9]|20)\d\d(?!\d)(?:[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))?"
    r"(?:\s*(?:г\.|года\b|г\b))?)"
    # A time after the date belongs to the stamp: "Май 29 2017 в 6:04 PDT",
    # "on Jan 13, 2017 at 11:46am PST".
    r"(?:,?\s*(?:[^\W\d_]{1,5}\.?\s*)?\d{1,2}[:h.]\d\d(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,5}\b)?)?"
)
# A year, the cheap pre-filter before asking dateparser about a short line.
YEAR_RE = re.compile(r"(?<!\d)(?:1[6-9]|20)\d\d(?!\d)")
# Words left on a stamp line; numbers and times ("14h30") do not count.
_WORD_RE = re.compile(r"\b(?!\d+h\d*\b)\w*[^\W\d_]\w*")

# Absolute dates only: relative parsing turns "il a 3 ans" into a date.
_PARSERS = ["custom-formats", "absolute-time"]
# Numeric dates read day first ("05.09.2017" is 5 September), as in every default
# language but English; dateparser falls back when that order is impossible.
_FULL_DATE = {"PARSERS": _PARSERS, "REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY"}
_SEARCH = {"PARSERS": _PARSERS, "REQUIRE_PARTS": ["month"], "DATE_ORDER": "DMY"}

# Lines longer than this are never date stamps (and never go to search_dates).
MAX_STAMP_CHARS = 60
# A date stamp keeps at most this many words once its dates are removed
# ("Publié le …", "Опубликовано …").
MAX_STAMP_WORDS = 2


@dataclass
class Attribution:
    """One "— Name (@handle) date" found in a text."""

    dash_start: int  # where the tweet text ends
    end: int  # just after the date (or the handle when there is no date)
    author: str | None
    handle: str | None
    date: str | None
    platform: str = "twitter"


@lru_cache(maxsize=64)
def dateparser_languages(langs: tuple[str, ...]) -> tuple[str, ...] | None:
    """The languages dateparser knows among ``langs`` (unknown ones are warned about).

    No languages means every language dateparser knows (``None``): a page's
    dates are in its site's language, which may be none of its text's
    (Russian date stamps on a French page).
    """
    if not langs:
        return None
    from dateparser.data.languages_info import language_order

    known = tuple(lang for lang in langs if lang in language_order)
    unknown = sorted(set(langs) - set(known))
    if unknown:
        logger.warning("dateparser does not know languages %s; their dates are not parsed", unknown)
    return known


def parse_date(text: str, langs: Sequence[str]) -> str | None:
    """ISO ``YYYY-MM-DD`` of a full date written in any of ``langs`` (all if empty), else None."""
    languages = dateparser_languages(tuple(langs))
    if languages == () or not text.strip():
        return None
    return _parse_date(text, languages)


# News repeats its dates (a day's tweets, a site's stamps). With a year, month
# and day required and PREFER_DATES_FROM left at "current_period", the answer
# does not depend on today's date, so it can be kept for the whole process.
@lru_cache(maxsize=4096)
def _parse_date(text: str, languages: tuple[str, ...] | None) -> str | None:
    try:
        parsed = _full_date_parser(languages).get_date_data(text)["date_obj"]
    except Exception as exc:  # dateparser is third-party and fuzzy; arbitrary text must not crash ingest
        logger.debug("dateparser failed on %r: %s", text, exc)
        return None
    return parsed.date().isoformat() if parsed else None


@lru_cache(maxsize=64)
def _full_date_parser(languages: tuple[str, ...] | None) -> Any:
    """One parser per language tuple: what ``dateparser.parse(text, languages=...,
    settings=_FULL_DATE)`` builds on every call. It keeps no state between calls
    (no previous locales, no language detection), so sharing it changes nothing."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=None if languages is None else list(languages), settings=_FULL_DATE)


def search_dates(text: str, langs: Sequence[str]) -> list[tuple[str, Any]]:
    """dateparser's search_dates restricted to ``langs`` (all if empty) and absolute dates; [] on failure."""
    languages = dateparser_languages(tuple(langs))
    if languages == ():
        return []
    return list(_search_dates(text, languages))


# Only short lines get here (stamps, attribution tails) and sites repeat them.
@lru_cache(maxsize=4096)
def _search_dates(text: str, languages: tuple[str, ...] | None) -> tuple[tuple[str, Any], ...]:
    from dateparser.search import search_dates as _search

    try:
        found = _search(text, languages=None if languages is None else list(languages), settings=_SEARCH)
    except Exception as exc:  # see parse_date
        logger.debug("search_dates failed on %r: %s", text, exc)
        return ()
    return tuple(found or ())


def split_date_prefix(tail: str, langs: Sequence[str]) -> tuple[str | None, int]:
    """Parse the date that opens an attribution tail.

    Returns ``(iso_date_or_None, consumed)`` where ``tail[consumed:]`` is what
    follows the date (the next sentence when the attribution runs into it, as in
    "5 septembre 2017Selon lui"). ``consumed`` is 0 when no date opens the tail.
    """
    m = _DATE_PREFIX_RE.match(tail)
    if m:
        iso = parse_date(m.group(1), langs)
        if iso:
            return iso, m.end()
    # No year, or an odd shape: let search_dates find a date at the very start.
    head = tail[:MAX_STAMP_CHARS]
    if not any(ch.isdigit() for ch in head):
        return None, 0
    for found, _ in search_dates(head, langs)[:1]:
        idx = head.find(found)
        if idx >= 0 and not head[:idx].strip():
            return parse_date(found, langs), idx + len(found)
    return None, 0


def find_attributions(
    text: str, start: int, end: int, langs: Sequence[str]
) -> list[Attribution]:
    """Attributions in ``text[start:end]``, in order, non-overlapping.

    The dash is the last one before "(@handle)" on the same line, so a dash inside
    the tweet text does not swallow it into the display name.
    """
    found: list[Attribution] = []
    pos = start
    for hm in HANDLE_RE.finditer(text, start, end):
        if hm.start() < pos:
            continue
        line_start = _line_start(text, max(pos, hm.start() - MAX_NAME_CHARS), hm.start())
        openers = [*DASH_RE.finditer(text, line_start, hm.start()),
                   *INSTAGRAM_RE.finditer(text, line_start, hm.start())]
        if not openers:
            continue  # "(@handle)" in prose, not an attribution
        dash = max(openers, key=lambda m: m.end())
        name = " ".join(text[dash.end() : hm.start()].split()) or None
        # A date opens the tail within its first ~60 chars: look no further (and
        # keep many attributions on one long line linear).
        line_end = _line_end(text, hm.end(), min(end, hm.end() + 2 * MAX_STAMP_CHARS))
        date, consumed = split_date_prefix(text[hm.end() : line_end], langs)
        platform = "instagram" if INSTAGRAM_RE.fullmatch(dash.group()) else "twitter"
        found.append(Attribution(dash.start(), hm.end() + consumed, name, hm.group(1), date, platform))
        pos = hm.end() + consumed
    return found


# "— Barack Obama 13. August 2017": a display name with no handle, right after
# an embed's link: a dash, then a few words with no sentence punctuation.
_BARE_NAME_RE = re.compile(rf"\s*(?:{DASH_RE.pattern})\s*(?=[^\W\d])([^.!?:;\n]{{1,80}})")
MAX_NAME_WORDS = 6


def find_bare_attribution(text: str, start: int, end: int, langs: Sequence[str]) -> Attribution | None:
    """A handle-less attribution ``— Name <date>`` opening ``text[start:end]``, or None.

    Only trusted where an embed's link ends the text before it (the caller's
    job) and a full date follows the name; the name is the shortest run of
    words after which a date parses ("Barack Obama", then "13. August 2017").
    """
    m = _BARE_NAME_RE.match(text, start, end)
    if not m:
        return None
    words = list(re.finditer(r"\S+", text[m.start(1):m.end(1)]))
    for n in range(1, min(len(words), MAX_NAME_WORDS + 1)):
        rest = m.start(1) + words[n].start()
        line_end = _line_end(text, rest, min(end, rest + 2 * MAX_STAMP_CHARS))
        date, consumed = split_date_prefix(text[rest:line_end], langs)
        if date:
            name = " ".join(w.group() for w in words[:n])
            return Attribution(m.start(), rest + consumed, name, None, date)
    return None


def is_date_stamp(line: str, langs: Sequence[str]) -> bool:
    """A standalone date/publication stamp ("Publié le 5 septembre 2017")?

    True when the line is short, holds a date with a year, and at most
    MAX_STAMP_WORDS words remain once the dates are removed.
    """
    if len(line) >= MAX_STAMP_CHARS or not YEAR_RE.search(line):
        return False
    rest, hit = line, False
    for found, _ in search_dates(line, langs):
        if YEAR_RE.search(found) and found in rest:
            rest, hit = rest.replace(found, " ", 1), True
    return hit and len(_WORD_RE.findall(rest)) <= MAX_STAMP_WORDS


def warm_up(langs: Sequence[str]) -> None:
    """Pay dateparser's first-call cost (imports, locale data) up front."""
    parse_date("5 septembre 2017", langs)
    search_dates("Publié le 5 septembre 2017", langs)


# str.splitlines() boundaries.
_BREAK_RE = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _line_start(text: str, lo: int, pos: int) -> int:
    """Start of the line holding ``pos``, looking back no further than ``lo``."""
    last = None
    for last in _BREAK_RE.finditer(text, lo, pos):
        pass
    return last.end() if last else lo


def _line_end(text: str, pos: int, end: int) -> int:
    m = _BREAK_RE.search(text, pos, end)
    return m.start() if m else end
