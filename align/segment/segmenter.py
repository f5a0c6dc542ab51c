"""From an ingested article to language-tagged segments.

The body is split into sentences; each sentence and each embed gets a
language. Body sentences in another language, and quotations inside body
sentences that are in another language, become ``quote`` segments. Short
foreign snippets (display names, date stamps) are boilerplate and dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..ingest.text import clean_text
from ..types import BODY, QUOTE, TITLE, Article, Document, Segment
from .langid import LanguageIdentifier
from .splitter import split_sentences

# Quotations inside a sentence: «…», “…”, „…“, "…". The content is the span.
_QUOTATION = re.compile(r"«\s*([^«»]+?)\s*»|“([^“”]+)”|„([^„“”]+)[“”]|\"([^\"]+)\"")


@dataclass
class SegmentedDoc:
    doc: Document
    main_lang: str | None
    # Title and body sentences, in document order. meta["paragraph"] groups them.
    sentences: list[Segment] = field(default_factory=list)
    # Tweets and quotes with a language; the candidates for mining.
    embeds: list[Segment] = field(default_factory=list)
    dropped: list[Segment] = field(default_factory=list)


def word_count(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quotation contents in ``text`` (relative offsets)."""
    spans = []
    for m in _QUOTATION.finditer(text):
        group = next(i for i in range(1, 5) if m.group(i) is not None)
        spans.append((m.start(group), m.end(group)))
    return spans


def segment_article(
    article: Article,
    identifier: LanguageIdentifier,
    *,
    min_words: int = 3,
    min_confidence: float = 0.5,
) -> SegmentedDoc:
    doc = article.doc
    text = doc.text
    main_lang = _main_language(article, identifier)
    out = SegmentedDoc(doc=doc, main_lang=main_lang)
    split_lang = main_lang or "en"

    def make(kind: str, idx: str, span: tuple[int, int], lang: str | None, **meta) -> Segment:
        return Segment(
            id=f"{doc.id}:{idx}", doc_id=doc.id, kind=kind, text=clean_text(text[span[0]:span[1]]),
            span=span, lang=lang, meta=meta,
        )

    blocks: list[tuple[str, tuple[int, int]]] = []
    if article.title:
        blocks.append((TITLE, article.title))
    blocks += [(BODY, span) for span in article.body]

    n_sent = n_quote = 0
    for para, (kind, (start, end)) in enumerate(blocks):
        spans = [(start, end)] if kind == TITLE else split_sentences(text[start:end], split_lang, start)
        for span in spans:
            sentence = clean_text(text[span[0]:span[1]])
            if not sentence:
                continue
            # Without a main language, or with too few words, a sentence stays
            # in the main language whatever lingua says: do not ask it.
            foreign = False
            if main_lang is not None and word_count(sentence) >= min_words:
                lang, conf = identifier.identify(sentence)
                foreign = lang is not None and lang != main_lang and conf >= min_confidence
            if foreign:
                out.embeds.append(make(QUOTE, f"q{n_quote}", span, lang, confidence=conf, paragraph=para))
                n_quote += 1
                continue
            seg = make(kind, "title" if kind == TITLE else f"s{n_sent}", span, main_lang, paragraph=para)
            out.sentences.append(seg)
            n_sent += kind != TITLE
            # A quotation in another language inside a main-language sentence.
            raw = text[span[0]:span[1]]
            for qs, qe in quotation_spans(raw):
                quote = clean_text(raw[qs:qe])
                if word_count(quote) < min_words:
                    continue
                qlang, qconf = identifier.identify(quote)
                if qlang and qlang != main_lang and qconf >= min_confidence:
                    out.embeds.append(
                        make(QUOTE, f"q{n_quote}", (span[0] + qs, span[0] + qe), qlang,
                             confidence=qconf, paragraph=para, in_sentence=seg.id)
                    )
                    n_quote += 1

    for seg in article.embeds:
        if word_count(seg.text) < min_words:
            out.dropped.append(seg)
            continue
        lang, conf = identifier.identify(seg.text)
        seg.lang = lang
        seg.meta = {**seg.meta, "confidence": conf}
        (out.embeds if lang else out.dropped).append(seg)
    out.embeds.sort(key=lambda s: s.span)
    return out


def _main_language(article: Article, identifier: LanguageIdentifier) -> str | None:
    """The language holding most body characters (title if there is no body)."""
    text = article.doc.text
    spans = article.body or ([article.title] if article.title else [])
    votes: Counter[str] = Counter()
    for start, end in spans:
        chunk = clean_text(text[start:end])[:1000]
        lang, _ = identifier.identify(chunk)
        if lang:
            votes[lang] += len(chunk)
    return votes.most_common(1)[0][0] if votes else None
