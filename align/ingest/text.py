"""Text normalisation shared by every stage.

``clean_text`` defines what a segment's text is: for every segment,
``clean_text(doc.text[start:end]) == segment.text``.
"""

from __future__ import annotations

import re

# One pattern for every URL form met in scraped news: full URLs (also glued to
# the word before, "#wm2018https://t.co/x"), bare www., and the scheme-less
# twitter forms (pic.twitter.com/…, t.co/…). A URL stops at
# whitespace, quotes, guillemets and dashes (an attribution "…/abc— Name" must not
# be eaten) and never ends on prose punctuation ("see https://x.y/z.").
URL_RE = re.compile(
    r"(?:https?://|(?<![\w.@/-])(?:www\.|pic\.twitter\.com/|t\.co/))"
    r"(?:(?!&[mn]dash;)[^\s<>\"«»“”‘’—–…])*"
    r"(?<![.,;:!?)\]}'])",
    re.IGNORECASE,
)

# A '#' that starts a hashtag: not inside a word ("C#"), an HTML entity ("&#39;")
# or a run of '#'. Scraped pages often lose the spaces between hashtags, so a
# chain "#мкс#iss#космос" is three.
HASHTAG_RE = re.compile(r"(?<![\w&#/@])(@\w+)?(#\w+(?:#\w+)*)")


def _tag_words(m: re.Match) -> str:
    words = " ".join(m.group(2)[1:].split("#"))
    return f"{m.group(1)} {words}" if m.group(1) else words

# Links that mark an embedded tweet (media and shortened links).
TWITTER_LINK_RE = re.compile(
    r"(?:^|[/.])(?:pic\.twitter\.com/|t\.co/)|twitter\.com/\w+/status/", re.IGNORECASE
)


# Leftovers of embed HTML in scraped text ("<blockquote class=…><p lang=…>", "</a>"):
# a tag is "<", an optional "/", a letter, no "<" or ">" inside, then ">" — so
# prose such as "a < b" or "<3" is no tag. A script or style element goes whole.
HTML_RE = re.compile(
    r"<(script|style)\b[^<>]*>.*?</\1\s*>|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>",
    re.IGNORECASE | re.DOTALL,
)


def mask_html(text: str) -> str:
    """``text`` with every HTML tag (and script/style element) blanked out, same length.

    Line breaks inside a blanked tag are kept, so offsets and lines stay
    those of the original; everything that parses a page works on this copy.
    """
    if "<" not in text:
        return text
    return HTML_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


# Hashtags (and @mentions) that trail the text are tags, not words of the
# sentence: "… entre Lyon et Turin #Bahn #Europe".
TRAILING_TAGS_RE = re.compile(r"(?:\s*(?<![\w&#/])[#@]\w+(?:[#@]\w+)*)+\s*$")


def clean_text(raw: str) -> str:
    """Drop HTML tags, URLs, trailing hashtags and hashtag marks; collapse whitespace to one space.

    Inline hashtags keep their word ("#Putin sends …" -> "Putin sends …").
    """
    text = URL_RE.sub(" ", mask_html(raw))
    stripped = TRAILING_TAGS_RE.sub("", text)
    # A text made only of tags keeps them: dropping all would leave nothing.
    text = HASHTAG_RE.sub(_tag_words, stripped if stripped.strip() else text)
    # str.split() splits on every Unicode whitespace, NBSP and U+2028 included.
    return " ".join(text.split())


def find_urls(raw: str) -> list[str]:
    """URLs as written in ``raw`` (scheme kept when present), in order."""
    return [m.group(0) for m in URL_RE.finditer(raw)]


def find_hashtags(raw: str) -> list[str]:
    """Hashtag words without '#', in order; '#' inside URLs is not a hashtag."""
    return [tag for m in HASHTAG_RE.finditer(URL_RE.sub(" ", raw)) for tag in m.group(2)[1:].split("#")]


def is_twitter_link(url: str) -> bool:
    return TWITTER_LINK_RE.search(url) is not None
