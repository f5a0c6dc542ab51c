"""Text normalisation shared by every stage.

``clean_text`` defines what a segment's text is: for every segment,
``clean_text(doc.text[start:end]) == segment.text``.
"""

from __future__ import annotations

import re

# One pattern for every URL form met in scraped news: full URLs, bare www.,
# and the scheme-less twitter forms (pic.twitter.com/…, t.co/…). A URL stops at
# whitespace, quotes, guillemets and dashes (an attribution "…/abc— Name" must not
# be eaten) and never ends on prose punctuation ("see https://x.y/z.").
URL_RE = re.compile(
    r"(?:\bhttps?://|(?<![\w.@/-])(?:www\.|pic\.twitter\.com/|t\.co/))"
    r"(?:(?!&[mn]dash;)[^\s<>\"«»“”‘’—–…])*"
    r"(?<![.,;:!?)\]}'])",
    re.IGNORECASE,
)

# A '#' that starts a hashtag: not inside a word ("C#"), an HTML entity ("&#39;")
# or a run of '#'.
HASHTAG_RE = re.compile(r"(?<![\w&#/])#(\w+)")

# Links that mark an embedded tweet (media and shortened links).
TWITTER_LINK_RE = re.compile(
    r"(?:^|[/.])(?:pic\.twitter\.com/|t\.co/)|twitter\.com/\w+/status/", re.IGNORECASE
)


# Hashtags (and @mentions) that trail the text are tags, not words of the
# sentence: "… entre Lyon et Turin #Bahn #Europe".
TRAILING_TAGS_RE = re.compile(r"(?:\s*(?<![\w&#/])[#@]\w+)+\s*$")


def clean_text(raw: str) -> str:
    """Drop URLs, trailing hashtags and hashtag marks; collapse whitespace to one space.

    Inline hashtags keep their word ("#Putin sends …" -> "Putin sends …").
    """
    text = URL_RE.sub(" ", raw)
    stripped = TRAILING_TAGS_RE.sub("", text)
    # A text made only of tags keeps them: dropping all would leave nothing.
    text = HASHTAG_RE.sub(r"\1", stripped if stripped.strip() else text)
    # str.split() splits on every Unicode whitespace, NBSP and U+2028 included.
    return " ".join(text.split())


def find_urls(raw: str) -> list[str]:
    """URLs as written in ``raw`` (scheme kept when present), in order."""
    return [m.group(0) for m in URL_RE.finditer(raw)]


def find_hashtags(raw: str) -> list[str]:
    """Hashtag words without '#', in order; '#' inside URLs is not a hashtag."""
    return HASHTAG_RE.findall(URL_RE.sub(" ", raw))


def is_twitter_link(url: str) -> bool:
    return TWITTER_LINK_RE.search(url) is not None
