"""From an ingested article to language-tagged segments.

The body is split into sentences; each sentence and each embed gets a
language. Runs of body sentences in another language, and quotations inside
body sentences that are in another language, become ``quote`` segments.
Short foreign snippets (display names, date stamps) are boilerplate and
dropped.

Embeds are cut to what is really foreign, and joined where a page split them:

- a tweet's leading (or trailing) sentences in the page's language are a
  lead-in glued to it ("Il sindaco ha commentato su Twitter: …"): they go
  back to the body, so a foreign segment never swallows main-language text;
- a tweet whose first lines stand in the paragraphs before its attributed
  last line, or whose last lines follow its attribution line, is one segment
  with several pieces (``Segment.spans``), when those lines are foreign and
  nothing in the page's language stands between them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..ingest.text import clean_text
from ..types import BODY, QUOTE, TITLE, TWEET, Article, Document, Segment, Span
from .langid import LanguageIdentifier
from .splitter import split_sentences

# Quotations inside a sentence: «…», “…”, „…“, "…". The content is the span.
_QUOTATION = re.compile(r"«\s*([^«»]+?)\s*»|“([^“”]+)”|„([^„“”]+)[“”]|\"([^\"]+)\"")
# Twitter's limit; a tweet rebuilt from pieces stays within it.
MAX_TWEET_CHARS = 280


@dataclass
class SegmentedDoc:
    doc: Document
    main_lang: str | None
    # Title and body sentences, in document order. meta["paragraph"] groups them.
    sentences: list[Segment] = field(default_factory=list)
    # Tweets and quotes with a language; the candidates for mining.
    embeds: list[Segment] = field(default_factory=list)
    dropped: list[Segment] = field(default_factory=list)
    # The text that was parsed (embed HTML blanked out); offsets are doc.text's.
    text: str = ""
    # The page's title and date (YYYY-MM) where its first line gives them.
    title: str | None = None
    date: str | None = None

    def __post_init__(self) -> None:
        self.text = self.text or self.doc.text


def word_count(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quotation contents in ``text`` (relative offsets)."""
    spans = []
    for m in _QUOTATION.finditer(text):
        group = next(i for i in range(1, 5) if m.group(i) is not None)
        spans.append((m.start(group), m.end(group)))
    return spans


@dataclass
class _Sentence:
    span: Span
    text: str
    lang: str | None  # None: in the main language (or not asked)
    conf: float = 0.0


@dataclass
class _Block:
    """A title, a body paragraph or a tweet, in document order."""

    kind: str
    span: Span
    sentences: list[_Sentence] = field(default_factory=list)
    tweet: Segment | None = None


class _Segmenter:
    def __init__(self, article: Article, identifier: LanguageIdentifier, min_words: int, min_confidence: float):
        self.doc = article.doc
        self.text = article.text or article.doc.text
        self.identifier = identifier
        self.min_words = min_words
        self.min_confidence = min_confidence
        self.main = _main_language(article, identifier)
        self.main_scripts: set[str] = set()  # scripts of the main-language sentences, once known

    def clean(self, span: Span) -> str:
        return clean_text(self.doc.text[span[0]:span[1]])

    def foreign_lang(self, text: str) -> tuple[str | None, float]:
        """The language of ``text`` if it is confidently not the main one, else (None, conf)."""
        if self.main is None or not text or word_count(text) < self.min_words:
            return None, 0.0
        lang, conf = self.identifier.identify(text, hint=self.main)
        if lang is None or lang == self.main or conf < self.min_confidence:
            return None, conf
        return lang, conf

    def foreign_line(self, text: str) -> bool:
        """A line identified as another language, or written partly in a script the page's sentences do not use.

        "Владимир Путин to single combat" on a German page is foreign by its
        script (lingua, asked, still says German); "Oh, il y a un papillon !"
        on a French page is not, however unsure lingua is of it.
        """
        if _scripts(text) - self.main_scripts:
            return True
        lang, _ = self.identifier.identify(text, hint=self.main)
        return lang is not None and lang != self.main

    def sentences(self, span: Span) -> list[_Sentence]:
        out = []
        for s in split_sentences(self.text[span[0]:span[1]], self.main or "en", span[0]):
            text = self.clean(s)
            if not text:
                continue
            lang, conf = self.foreign_lang(text)
            if lang is not None:
                # A foreign quotation framed by main-language words ('"…", so
                # Trump am Montag.') leaves the sentence in the main language;
                # the quotation becomes a segment of its own.
                frame = clean_text(_without_quotations(self.text[s[0]:s[1]]))
                if word_count(frame) >= self.min_words and self.foreign_lang(frame)[0] is None:
                    lang, conf = None, 0.0
            out.append(_Sentence(s, text, lang, conf))
        return out


def segment_article(
    article: Article,
    identifier: LanguageIdentifier,
    *,
    min_words: int = 3,
    min_confidence: float = 0.5,
) -> SegmentedDoc:
    sg = _Segmenter(article, identifier, min_words, min_confidence)
    doc, main = sg.doc, sg.main
    out = SegmentedDoc(doc=doc, main_lang=main, text=sg.text, date=article.date,
                       title=sg.clean(article.title) if article.title else None)

    blocks: list[_Block] = []
    if article.title:
        title = sg.clean(article.title)
        blocks.append(_Block(TITLE, article.title, [_Sentence(article.title, title, None)] if title else []))
    blocks += [_Block(BODY, span, sg.sentences(span)) for span in article.body]
    for tweet in article.embeds:
        blocks += _trim_tweet(sg, tweet)
    blocks.sort(key=lambda b: b.span)
    sg.main_scripts = set().union(*(_scripts(s.text) for b in blocks if b.tweet is None for s in b.sentences
                                    if s.lang is None and s.conf >= sg.min_confidence))
    _join_split_tweets(sg, blocks)

    n_sent = n_quote = 0

    def add_quote(spans: list[Span], lang: str, conf: float, para: int, **meta) -> None:
        nonlocal n_quote
        span = (spans[0][0], spans[-1][1])
        out.embeds.append(Segment(id=f"{doc.id}:q{n_quote}", doc_id=doc.id, kind=QUOTE, text=sg.clean(span),
                                  span=span, lang=lang, meta={"confidence": conf, "paragraph": para, **meta}))
        n_quote += 1

    for para, block in enumerate(blocks):
        if block.tweet is not None:
            block.tweet.meta["paragraph"] = para
            _add_tweet(sg, block.tweet, out)
            continue
        for run in _runs(sg, block.sentences):
            if run[0].lang is not None:
                add_quote([s.span for s in run], run[0].lang, max(s.conf for s in run), para)
                continue
            for s in run:
                kind = block.kind
                seg = Segment(id=f"{doc.id}:{'title' if kind == TITLE else f's{n_sent}'}", doc_id=doc.id,
                              kind=kind, text=s.text, span=s.span, lang=main, meta={"paragraph": para})
                out.sentences.append(seg)
                n_sent += kind != TITLE
                # A quotation in another language inside a main-language sentence.
                raw = sg.text[s.span[0]:s.span[1]]
                for qs, qe in quotation_spans(raw):
                    qlang, qconf = sg.foreign_lang(clean_text(doc.text[s.span[0] + qs:s.span[0] + qe]))
                    if qlang:
                        add_quote([(s.span[0] + qs, s.span[0] + qe)], qlang, qconf, para, in_sentence=seg.id)
    out.embeds.sort(key=lambda s: s.span)
    return out


def _runs(sg: _Segmenter, sentences: list[_Sentence]) -> list[list[_Sentence]]:
    """Consecutive sentences grouped: foreign runs of one language, and main-language ones.

    A sentence too short to be asked about on its own ("Thanks @x.") joins a
    neighbouring foreign run when lingua, asked anyway, names that run's
    language; it never starts one.
    """
    labels = [s.lang for s in sentences]
    for i, s in enumerate(sentences):
        if s.lang is None and word_count(s.text) < sg.min_words:
            near = {sentences[j].lang for j in (i - 1, i + 1) if 0 <= j < len(sentences)} - {None}
            if near and sg.main:
                guess, _ = sg.identifier.identify(s.text, hint=sg.main)
                if guess in near:
                    labels[i] = guess
    runs: list[list[_Sentence]] = []
    for i, s in enumerate(sentences):
        s.lang = labels[i]
        if runs and runs[-1][0].lang == s.lang:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def _trim_tweet(sg: _Segmenter, tweet: Segment) -> list[_Block]:
    """The tweet as a block, with glued main-language lead-in or tail as body blocks."""
    sents = sg.sentences(tweet.span) if sg.main else []
    foreign = [i for i, s in enumerate(sents) if s.lang is not None]
    # Only cut when the tweet has a confidently foreign core and the cut-off
    # sentences are confidently the page's language (asked and answered).
    def is_main(s: _Sentence) -> bool:
        return s.lang is None and word_count(s.text) >= sg.min_words and s.conf >= sg.min_confidence

    if not foreign:
        return [_Block(TWEET, tweet.span, tweet=tweet)]
    first, last = foreign[0], foreign[-1]
    head = sents[:first] if all(is_main(s) for s in sents[:first]) else []
    tail = sents[last + 1:] if all(is_main(s) for s in sents[last + 1:]) else []
    if not head and not tail:
        return [_Block(TWEET, tweet.span, tweet=tweet)]
    start = sents[len(head)].span[0]
    end = sents[len(sents) - len(tail) - 1].span[1]
    tweet.span = (start, end)
    tweet.text = sg.clean(tweet.span)
    out = [_Block(TWEET, tweet.span, tweet=tweet)]
    if head:
        out.append(_Block(BODY, (head[0].span[0], head[-1].span[1]), head))
    if tail:
        out.append(_Block(BODY, (tail[0].span[0], tail[-1].span[1]), tail))
    return out


def _join_split_tweets(sg: _Segmenter, blocks: list[_Block]) -> None:
    """Fold into a tweet the foreign paragraphs right before it and the foreign lines right after its attribution."""
    i = 0
    while i < len(blocks):
        block = blocks[i]
        tweet = block.tweet
        if tweet is None or sg.main is None:
            i += 1
            continue
        lang, _ = sg.identifier.identify(tweet.text, hint=sg.main)
        pieces = list(tweet.pieces)
        size = len(tweet.text)
        # Before: whole paragraphs in the tweet's language, no attribution of their own.
        j = i - 1
        while j >= 0 and blocks[j].tweet is None and blocks[j].kind == BODY and blocks[j].sentences \
                and all(s.lang == lang for s in blocks[j].sentences if s.lang or word_count(s.text) >= sg.min_words) \
                and any(s.lang == lang for s in blocks[j].sentences) and lang != sg.main:
            extra = sum(len(s.text) + 1 for s in blocks[j].sentences)
            if size + extra > MAX_TWEET_CHARS:
                break
            size += extra
            pieces.insert(0, blocks[j].span)
            j -= 1
        # After: short lines past the attribution, none of them in the page's
        # language, each in the tweet's language or sharing its script.
        k = i + 1
        if tweet.meta.get("has_attribution"):
            scripts = _scripts(tweet.text)
            while k < len(blocks) and blocks[k].tweet is None and blocks[k].kind == BODY and blocks[k].sentences:
                lines = blocks[k].sentences
                text = " ".join(s.text for s in lines)
                # Two words at least: a date cut off at the end of a page ("13. Aug") is no tweet line.
                if not all(sg.foreign_line(s.text) for s in lines) or _letter_words(text) < 2 or not (
                        _scripts(text) & scripts or sg.identifier.identify(text, hint=sg.main)[0] == lang):
                    break
                extra = sum(len(s.text) + 1 for s in lines)
                if size + extra > MAX_TWEET_CHARS:
                    break
                size += extra
                pieces.append(blocks[k].span)
                k += 1
        if j < i - 1 or k > i + 1:
            tweet.spans = tuple(pieces)
            tweet.span = (pieces[0][0], pieces[-1][1])
            tweet.text = " ".join(sg.clean(p) for p in pieces)
            block.span = tweet.span
            del blocks[i + 1:k]
            del blocks[j + 1:i]
            i = j + 1
        i += 1


def _letter_words(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalpha() for c in w))


def _scripts(text: str) -> set[str]:
    """Unicode scripts of the letters of ``text`` (the first word of their names: LATIN, CYRILLIC, ...)."""
    return {unicodedata.name(c, "?").split(" ")[0] for c in text if c.isalpha()}


def _add_tweet(sg: _Segmenter, tweet: Segment, out: SegmentedDoc) -> None:
    if word_count(tweet.text) < sg.min_words:
        out.dropped.append(tweet)
        return
    lang, conf = sg.identifier.identify(tweet.text, hint=sg.main)
    tweet.lang = lang
    tweet.meta = {**tweet.meta, "confidence": conf}
    (out.embeds if lang else out.dropped).append(tweet)


def _without_quotations(text: str) -> str:
    """``text`` with the contents of its quotations cut out."""
    kept, pos = [], 0
    for qs, qe in quotation_spans(text):
        kept.append(text[pos:qs])
        pos = qe
    return " ".join(kept + [text[pos:]])


def _main_language(article: Article, identifier: LanguageIdentifier) -> str | None:
    """The language holding most characters of the title and body (embeds left out).

    Sentences vote with their length, quotations left out: a German report
    quoting English tweets at length is still German.
    """
    text = article.text or article.doc.text
    spans = ([article.title] if article.title else []) + article.body
    votes: Counter[str] = Counter()
    for start, end in spans:
        for s, e in split_sentences(text[start:end], "en", start):
            chunk = clean_text(_without_quotations(text[s:e]))[:1000]
            if word_count(chunk) < 2:
                continue
            lang, _ = identifier.identify(chunk)
            if lang:
                votes[lang] += len(chunk)
    return votes.most_common(1)[0][0] if votes else None
