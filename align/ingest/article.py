"""Document -> Article: title line, embedded tweets, body paragraphs (all as spans).

Layout handled (news articles scraped to plain text):

* an optional first line `` date YYYY-MM <title>``;
* paragraphs separated by blank lines, or one paragraph per line; a line break
  inside a sentence (previous line ends without terminal punctuation and the next
  starts lowercase) is a soft wrap and does not split the paragraph;
* embedded tweets ``<text> <links> — Name (@handle) <date>`` on one line, with the
  attribution on its own line after the tweet's paragraph, or running straight
  into the next sentence ("… 5 septembre 2017Selon lui …": the tail is body);
* tweets without attribution: text followed by a pic.twitter.com / t.co link;
* Instagram embeds: ``<caption> Публикация от Name (@handle) <date> <time>``
  ("A post shared by …", "Фото опубликовано …"), kept as tweets;
* a handle-less attribution after an embed's link (``pic.twitter.com/x — Name 13. August 2017``);
* leftovers of embed HTML (``<blockquote class="twitter-tweet"><p>…</p>— Name (@h) <a …>date</a>``):
  tags are blanked out (:func:`mask_html`) before anything is parsed;
* standalone date / publication stamps ("Publié le 5 septembre 2017") are dropped.

Languages of embedded text are not decided here (segmentation does language ID);
foreign quotes inside paragraphs stay in the body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from align.ingest.embeds import (
    DASH_RE,
    HANDLE_RE,
    Attribution,
    find_attributions,
    find_bare_attribution,
    is_date_stamp,
)
from align.ingest.text import URL_RE, clean_text, find_hashtags, find_urls, is_twitter_link, mask_html
from align.types import BODY, TWEET, Article, Document, Segment, Span

logger = logging.getLogger(__name__)

# Date languages: none named means every language dateparser knows.
DEFAULT_LANGS: tuple[str, ...] = ()
MAX_TITLE_CHARS = 300
# Twitter's limit (URLs excluded, as clean_text drops them).
MAX_TWEET_CHARS = 280

# First line "date 2017-09 Title…" (an optional day is accepted and dropped).
_DATE_LINE_RE = re.compile(r"date\s+(\d{4}-(?:0[1-9]|1[0-2]))(?:-\d\d)?(?:\s+(\S.*))?", re.I)
# Line boundaries as str.splitlines() sees them, "\r\n" as one.
_BREAK_RE = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# A line ending with one of these ends its sentence, so the next line is a new paragraph.
_TERMINAL = frozenset(".!?…:;»\"”’)]")
# A sentence or line break: where glued body text may end and a tweet begin.
_GAP_RE = re.compile(r"(?<=[.!?…»\"”])\s+|\n\s*")
# Characters that continue a sentence rather than start one.
_CONTINUATIONS = frozenset(",;:)]}»”’")


@dataclass
class _Piece:
    kind: str  # BODY or TWEET
    start: int
    end: int  # for tweets, trailing links included (urls come from here)
    unit: int  # index of the paragraph it came from
    attribution: Attribution | None = None


def parse_article(doc: Document, *, langs: Sequence[str] = DEFAULT_LANGS) -> Article:
    """Find the title, embedded tweets and body paragraphs of ``doc``.

    Every span indexes ``doc.text``; tweet segments satisfy
    ``clean_text(doc.text[s:e]) == seg.text``. Never raises on odd text.
    """
    # Offsets are the document's; only the parsing sees tags as blanks.
    text = mask_html(doc.text)
    article = Article(doc=doc, text=text)
    lines = _lines(text)

    first = next(((i, ln) for i, ln in enumerate(lines) if ln), None)
    if first:
        i, (s, e) = first
        m = _DATE_LINE_RE.fullmatch(text, s, e)
        if m:
            article.date = m.group(1)
            if m.group(2) and m.end(2) - m.start(2) > MAX_TITLE_CHARS:
                lines[i] = m.span(2)  # no title is that long: a paragraph glued to the date
            else:
                article.title = m.span(2) if m.group(2) else None
                lines[i] = None

    pieces: list[_Piece] = []
    for k, (us, ue) in enumerate(_paragraphs(text, lines, langs)):
        pos = us
        for att in find_attributions(text, us, ue, langs):
            if _has_content(text, pos, att.dash_start):
                _add_tweet(text, pieces, pos, att.dash_start, k, att)
            elif pos == us and pieces and pieces[-1].unit == k - 1 and pieces[-1].attribution is None \
                    and att.platform == "twitter":
                # Attribution on its own line: the paragraph before is the tweet.
                # (An Instagram caption stands on its attribution's line; with
                # none there, the caption was lost, and the line before is body.)
                prev = pieces.pop()
                _add_tweet(text, pieces, prev.start, prev.end, prev.unit, att)
            else:
                logger.debug("%s: attribution at %d has no tweet text", doc.id, att.dash_start)
            pos = att.end
        _plain_region(text, pos, ue, k, pieces, langs)

    for p in pieces:
        if p.kind == BODY:
            article.body.append(_strip(text, p.start, p.end))
        else:
            article.embeds.append(_tweet(doc, text, p, len(article.embeds)))
    return article


def _tweet(doc: Document, text: str, p: _Piece, n: int) -> Segment:
    region = text[p.start : p.end]
    span = _tweet_span(text, p.start, p.end)
    att = p.attribution
    return Segment(
        id=f"{doc.id}:t{n}",
        doc_id=doc.id,
        kind=TWEET,
        text=clean_text(doc.text[span[0] : span[1]]),
        span=span,
        meta={
            "platform": att.platform if att else "twitter",
            "author": att.author if att else None,
            "handle": att.handle if att else None,
            "date": att.date if att else None,
            "urls": find_urls(region),
            "hashtags": find_hashtags(region),
            "has_attribution": att is not None,
        },
    )


def _plain_region(text: str, start: int, end: int, unit: int, pieces: list[_Piece],
                  langs: Sequence[str]) -> None:
    """Text with no attribution: an unattributed tweet (text + twitter link), then body."""
    links = [m for m in URL_RE.finditer(text, start, end) if is_twitter_link(m.group())]
    after = text[links[-1].end() : end].lstrip() if links else ""
    # A link followed by a lowercase continuation ("(pic.twitter.com/x) montrant")
    # is a link cited in prose, not an embedded tweet.
    if links and not (after and (after[0].islower() or after[0] in _CONTINUATIONS)):
        att = find_bare_attribution(text, links[-1].end(), end, langs)
        if _has_content(text, start, links[0].start()):
            _add_tweet(text, pieces, start, links[-1].end(), unit, att)
        start = att.end if att else links[-1].end()  # a bare link with no text before it is not content
    if _has_content(text, start, end):
        pieces.append(_Piece(BODY, start, end, unit))


def _add_tweet(
    text: str, pieces: list[_Piece], start: int, end: int, unit: int, att: Attribution | None = None
) -> None:
    cut = _tweet_start(text, start, end)
    if cut > start and _has_content(text, start, cut):
        pieces.append(_Piece(BODY, start, cut, unit))
    pieces.append(_Piece(TWEET, cut, end, unit, att))


def _tweet_start(text: str, start: int, end: int) -> int:
    """Where the tweet in ``text[start:end]`` starts.

    A tweet is at most MAX_TWEET_CHARS long; a longer region is body text glued
    to the tweet (no paragraph break), so the tweet starts at the earliest
    sentence or line break after which it fits.
    """
    if len(clean_text(text[start:end])) <= MAX_TWEET_CHARS:
        return start
    for m in _GAP_RE.finditer(text, start, end):
        if end - m.end() > 4 * MAX_TWEET_CHARS:
            continue  # cheap skip: far too long even once URLs and spaces go
        tail = clean_text(text[m.end() : end])
        if len(tail) <= MAX_TWEET_CHARS:
            return m.end() if any(ch.isalnum() for ch in tail) else start
    return start


def _lines(text: str) -> list[Span | None]:
    """Each line's whitespace-stripped span; None for a blank line."""
    out: list[Span | None] = []
    pos = 0
    for m in [*_BREAK_RE.finditer(text), None]:
        end = m.start() if m else len(text)
        s, e = _strip(text, pos, end)
        out.append((s, e) if s < e else None)
        if m:
            pos = m.end()
    return out


def _paragraphs(text: str, lines: list[Span | None], langs: Sequence[str]) -> list[Span]:
    """Join lines into paragraphs; drop standalone date stamps."""
    paras: list[Span] = []
    cur: Span | None = None
    for i, ln in enumerate(lines):
        if ln is None:
            if cur:
                paras.append(cur)
            cur = None
            continue
        s, e = ln
        if _is_stamp_line(text, lines, i, langs):
            logger.debug("dropping date stamp %r", text[s:e])
            if cur:
                paras.append(cur)
            cur = None
            continue
        if cur and text[cur[1] - 1] not in _TERMINAL and text[s].islower():
            cur = (cur[0], e)  # soft wrap inside a sentence
        else:
            if cur:
                paras.append(cur)
            cur = (s, e)
    if cur:
        paras.append(cur)
    return paras


def _is_stamp_line(text: str, lines: list[Span | None], i: int, langs: Sequence[str]) -> bool:
    s, e = lines[i] or (0, 0)
    line = text[s:e]
    if HANDLE_RE.search(line) or not is_date_stamp(line, langs):
        return False
    # A short dated line right before a standalone attribution is that tweet's text.
    nxt = next((lines[j] for j in range(i + 1, len(lines)) if lines[j]), None)
    return not (nxt and _is_attribution_line(text, nxt))


def _is_attribution_line(text: str, span: Span) -> bool:
    s, e = span
    return bool(DASH_RE.match(text, s, e)) and HANDLE_RE.search(text, s, e) is not None


def _tweet_span(text: str, start: int, end: int) -> Span:
    """The tweet text without surrounding whitespace and trailing links."""
    for m in reversed(list(URL_RE.finditer(text, start, end))):
        if text[m.end() : end].strip():
            break
        end = m.start()
    return _strip(text, start, end)


def _strip(text: str, start: int, end: int) -> Span:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    return (start + left, start + len(chunk.rstrip())) if chunk.strip() else (start, start)


def _has_content(text: str, start: int, end: int) -> bool:
    return start < end and any(ch.isalnum() for ch in clean_text(text[start:end]))
