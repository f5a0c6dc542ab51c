"""Property-based tests: ingest, tweet detection, segmentation, mining and span bookkeeping.

Generated documents mix random Unicode (any code point but surrogates),
control characters, right-to-left text and bidi controls, emoji (ZWJ
sequences, skin tones, flags), combining marks, mixed scripts, very long lines,
and empty or whitespace-only documents, with pieces of real article layout
(tweet attributions, links, hashtags, date lines, quotations) so that every
code path is reached. Nothing may crash, and every span must point at its
segment's text in the original document: ``clean_text(text[s:e]) == seg.text``.

Example counts are small so the file runs in well under a minute; set
``HYPOTHESIS_PROFILE=thorough`` for 20x more (and
``pytest --hypothesis-show-statistics`` to see the counts).
"""

from __future__ import annotations

import json
import math
import os
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from align.ingest import clean_text, parse_article, read_documents
from align.segment.langid import known_languages
from align.types import BODY, EMBED_KINDS, PARALLEL, PARTIAL, QUOTE, TITLE, TWEET, Article, Document, InputError

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE", "") == "thorough"
LANGS = ("fr", "en", "ru", "de", "es", "it")


def examples(n: int) -> settings:
    return settings(
        max_examples=n * 20 if THOROUGH else n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- generated text ---------------------------------------------------------------------------

SENTENCES = [
    "Le président a parlé hier soir devant les députés réunis à Paris.",
    "The president spoke last night in front of the deputies gathered in Paris.",
    "Министр обороны доложил Президенту о завершении операции.",
    "Die Regierung hat am Montag ein neues Gesetz beschlossen.",
    "El gobierno aprobó ayer una nueva ley sobre el clima.",
    "Il governo ha approvato una nuova legge sul clima.",
    "الحكومة وافقت على قانون جديد بشأن المناخ.",  # Arabic (RTL)
    "הממשלה אישרה חוק חדש בנושא האקלים.",  # Hebrew (RTL)
    "政府は気候に関する新しい法律を承認した。",
    "Он сказал: «Мы победим», и ушёл.",
    "Selon lui, « the war is over » et rien d'autre.",
]
CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
EMOJI = ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🏳️‍🌈", "❤️", "😀", "🤖", "1️⃣", "🧑🏿‍🚀"]
COMBINING = "\u0300\u0301\u0302\u0308\u0327\u0338\u20dd\u0489\u05b7\u064b"
LAYOUT = [
    "\n\n", "\n", "\r\n", " — Name (@h_1) 5 septembre 2017", " — Дмитрий Песков (@peskov) 18 июня 2018 г.",
    " – Jane Doe (@jane) May 7, 2017", "— X (@x)", " (@nohandle_dash) ", " pic.twitter.com/AbCdEf12 ",
    " https://t.co/XyZ123abcd ", "https://example.org/a?b=c&d=<e>", " #Breaking ", "#tag", "@mention",
    "date 2017-09 Titre de l'article\n", "Publié le 5 mai 2017", "&mdash;", "&amp;", "<script>", "«", "»",
    "“", "”", '"', "...", "…", "¿", "¡", "?!", "15h30", "2017", "C#", "&#39;",
]


@st.composite
def zalgo(draw: st.DrawFn) -> str:
    base = draw(st.text(alphabet="aeioubcdxyzабвгαβγ", min_size=1, max_size=8))
    marks = draw(st.text(alphabet=COMBINING, max_size=30))
    return "".join(ch + marks[i::len(base)] for i, ch in enumerate(base))


fragment = st.one_of(
    st.sampled_from(SENTENCES),
    st.sampled_from(LAYOUT),
    st.text(max_size=60),  # any code point but surrogates: every script, Cc, Cf, Co, unassigned
    st.text(alphabet=CONTROLS + BIDI + INVISIBLE + WHITESPACE, max_size=12),
    st.lists(st.sampled_from(EMOJI), max_size=8).map("".join),
    st.lists(st.sampled_from(EMOJI), max_size=6).map(" ".join),
    zalgo(),
    st.tuples(st.sampled_from(SENTENCES), st.text(alphabet=BIDI + COMBINING + INVISIBLE, min_size=1, max_size=3))
    .map(lambda t: t[1] + t[0] + t[1]),
    st.builds(lambda w, n: (w + " ") * n, st.sampled_from(["mot", "слово", "كلمة", "👍", "x"]),
              st.integers(200, 1500)),  # very long lines
    st.integers(1, 20000).map(lambda n: "a" * n),  # one huge "word"
    # a tweet paragraph whose text is anything
    st.tuples(st.text(min_size=1, max_size=80), st.sampled_from(LAYOUT[3:9])).map(lambda t: f"\n\n{t[0]}{t[1]}\n\n"),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.text(alphabet=WHITESPACE, max_size=40))  # empty or whitespace-only
    parts = draw(st.lists(fragment, max_size=14))
    seps = draw(st.lists(st.sampled_from(["", " ", "\n", "\n\n", ". "]), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps))


def as_read(text: str) -> str:
    """The text as a reader hands it on: NUL is refused there, line breaks normalised."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


# --- invariants -------------------------------------------------------------------------------

def _in_bounds(span: tuple[int, int], n: int) -> None:
    s, e = span
    assert isinstance(s, int) and isinstance(e, int) and 0 <= s <= e <= n, (span, n)


def _no_overlap(spans: list[tuple[int, int]]) -> None:
    ordered = sorted(spans)
    for (s0, e0), (s1, e1) in zip(ordered, ordered[1:]):
        assert e0 <= s1, ((s0, e0), (s1, e1))


def check_article(a: Article) -> None:
    text = a.doc.text
    spans = ([a.title] if a.title else []) + [seg.span for seg in a.embeds] + list(a.body)
    for span in spans:
        _in_bounds(span, len(text))
    for seg in a.embeds:
        assert seg.kind == TWEET and seg.doc_id == a.doc.id
        assert clean_text(text[seg.span[0]:seg.span[1]]) == seg.text
        assert seg.text and any(ch.isalnum() for ch in seg.text)
    for s, e in a.body:
        assert clean_text(text[s:e]) and text[s:e] == text[s:e].strip()
    _no_overlap(spans)
    assert len({seg.id for seg in a.embeds}) == len(a.embeds)


def check_segmented(seg, languages=None) -> None:
    languages = languages or known_languages()
    text = seg.doc.text
    everything = seg.sentences + seg.embeds + seg.dropped
    for s in everything:
        _in_bounds(s.span, len(text))
        assert " ".join(clean_text(text[a:b]) for a, b in s.pieces) == s.text, s
        assert s.span == (s.pieces[0][0], s.pieces[-1][1])
    assert len({s.id for s in everything}) == len(everything)
    assert seg.main_lang is None or seg.main_lang in languages
    for s in seg.sentences:
        assert s.kind in (TITLE, BODY) and s.text and s.lang == seg.main_lang
    # Main-language segments never overlap each other, and come in document order.
    assert [s.span for s in seg.sentences] == sorted(s.span for s in seg.sentences)
    _no_overlap([s.span for s in seg.sentences])
    by_id = {s.id: s for s in seg.sentences}
    for e in seg.embeds:
        assert e.kind in EMBED_KINDS and e.text and e.lang in languages and e.lang
        if e.kind == QUOTE and "in_sentence" in e.meta:  # a quotation inside a sentence
            host = by_id[e.meta["in_sentence"]]
            assert host.span[0] <= e.span[0] <= e.span[1] <= host.span[1]
        else:  # a foreign sentence or a tweet stands apart from the main-language text
            for s in seg.sentences:
                assert e.span[1] <= s.span[0] or s.span[1] <= e.span[0], (e, s)
    assert [e.span for e in seg.embeds] == sorted(e.span for e in seg.embeds)


def check_pairs(doc: Document, result, languages=None) -> None:
    languages = languages or known_languages()
    text = doc.text
    assert result.doc_id == doc.id
    assert len({p.id for p in result.pairs}) == len(result.pairs)
    for p in result.pairs:
        for span, pieces, side, lang in ((p.src_span, p.src_spans or (p.src_span,), p.src, p.src_lang),
                                         (p.tgt_span, p.tgt_spans or (p.tgt_span,), p.tgt, p.tgt_lang)):
            _in_bounds(span, len(text))
            assert side and side == " ".join(clean_text(text[a:b]) for a, b in pieces)
            assert span == (pieces[0][0], pieces[-1][1])
            assert lang in languages
        assert p.src_lang < p.tgt_lang
        assert p.src_span[1] <= p.tgt_span[0] or p.tgt_span[1] <= p.src_span[0]  # two distinct places
        assert p.label in (PARALLEL, PARTIAL) and math.isfinite(p.score)
        assert all(math.isfinite(v) for v in p.scores.values())
        json.dumps(p.to_record(), ensure_ascii=False).encode("utf-8")  # writable as it stands


# --- ingest -----------------------------------------------------------------------------------

@examples(300)
@given(documents())
def test_parse_article_spans(text: str) -> None:
    a = parse_article(Document("d", text))
    check_article(a)
    event(f"tweets found: {bool(a.embeds)}")


@examples(150)
@given(st.binary(max_size=400) | documents().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_read_txt_never_crashes(tmp_path_factory, data: bytes) -> None:
    f = tmp_path_factory.mktemp("txt") / "doc.txt"
    f.write_bytes(data)
    try:
        (doc,) = list(read_documents(f, max_chars=5000))
    except InputError as e:
        assert "\n" not in str(e) and str(f) in str(e)
        event("refused (InputError)")
        return
    event("read")
    expected = data.decode("utf-8-sig")
    assert doc.text == expected.replace("\r\n", "\n").replace("\r", "\n")
    assert doc.text.strip() and "\x00" not in doc.text and len(doc.text) <= 5000


@examples(100)
@given(st.lists(st.one_of(documents(), st.text(alphabet="\ud800\udfff\x00ab", max_size=5)), min_size=1, max_size=5),
       st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(), st.sampled_from(["../x", "\ud800"])),
                min_size=5, max_size=5))
def test_read_jsonl_never_crashes(tmp_path_factory, texts: list[str], ids: list) -> None:
    f = tmp_path_factory.mktemp("jsonl") / "docs.jsonl"
    rows = [{"text": t} if i is None else {"id": i, "text": t} for t, i in zip(texts, ids)]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")  # \\u escapes: any str fits
    try:
        docs = list(read_documents(f, on_error="skip", max_chars=50_000))
    except InputError as e:  # only when no document at all is usable
        assert "\n" not in str(e) and "no usable document" in str(e)
        event("no usable document")
        return
    event(f"{len(docs)} of {len(rows)} documents read")
    for doc in docs:
        doc.text.encode("utf-8")  # no lone surrogate gets through
        doc.id.encode("utf-8")
        assert "\x00" not in doc.text and "\r" not in doc.text


# --- tweet detection ---------------------------------------------------------------------------

# Tweet text: letters of many scripts, digits, emoji, combining marks, RTL, bidi marks;
# nothing that is itself layout (dashes, '@', '#', brackets, line breaks, links).
TWEET_CHARS = st.one_of(
    st.characters(categories=["Lu", "Ll", "Lo", "Nd"], exclude_characters="@#—–-()\u2028\u2029"),
    st.sampled_from(list("  .,!?'") + EMOJI + list(COMBINING) + list("\u200e\u200f")),
)


@st.composite
def tweet_article(draw: st.DrawFn) -> tuple[str, str, str, bool]:
    words = draw(st.lists(st.lists(TWEET_CHARS, min_size=1, max_size=10).map("".join), min_size=3, max_size=20))
    tweet = " ".join(words).strip()
    assume(sum(ch.isalnum() for ch in clean_text(tweet)) >= 3 and len(clean_text(tweet)) <= 250)
    handle = draw(st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True))
    name = draw(st.sampled_from(["Jane Doe", "Дмитрий Песков", "محمد", "José 👍", "X"]))
    date = draw(st.sampled_from(["5 septembre 2017", "May 7, 2017", "18 июня 2018 г.", ""]))
    link = draw(st.sampled_from(["", " https://t.co/AbC123xyz0", " pic.twitter.com/AbCdEf12"]))
    own_line = draw(st.booleans())  # attribution on the tweet's line, or on its own line
    before = draw(st.sampled_from(SENTENCES[:6]))
    after = draw(st.sampled_from(["", "\n\n" + SENTENCES[0], "\n\n" + SENTENCES[3]]))
    attribution = f"— {name} (@{handle}) {date}".rstrip()
    sep = "\n" if own_line else " "
    text = f"{before}\n\n{tweet}{link}{sep}{attribution}{after}\n"
    return text, tweet, handle, bool(date)


@examples(200)
@given(tweet_article())
def test_attributed_tweets_are_found(case: tuple[str, str, str, bool]) -> None:
    text, tweet, handle, dated = case
    a = parse_article(Document("d", text))
    check_article(a)
    found = [seg for seg in a.embeds if seg.meta["handle"] == handle]
    assert len(found) == 1, (text, a.embeds)
    assert found[0].text == clean_text(tweet)
    assert found[0].meta["has_attribution"]
    if dated:
        assert found[0].meta["date"] is not None
    event(f"attribution on its own line: {text.count(chr(10) + '—') > 0}")
    body = " ".join(text[s:e] for s, e in a.body)
    assert f"@{handle})" not in body  # the attribution is not left in the body


# --- segmentation and mining (offline pipeline: bundled encoder, lingua) -----------------------

# The same three sentences in several languages: articles built from them have something to mine.
PARALLEL_SETS = [
    {"fr": "Le président a parlé hier soir devant les députés réunis à Paris.",
     "en": "The president spoke last night in front of the deputies gathered in Paris.",
     "ru": "Президент выступил вчера вечером перед депутатами, собравшимися в Париже.",
     "de": "Der Präsident sprach gestern Abend vor den in Paris versammelten Abgeordneten."},
    {"fr": "Le gouvernement a approuvé hier une nouvelle loi sur le climat.",
     "en": "The government approved a new climate law yesterday.",
     "ru": "Правительство вчера одобрило новый закон о климате.",
     "es": "El gobierno aprobó ayer una nueva ley sobre el clima."},
    {"fr": "Les manifestants se sont rassemblés devant la mairie ce matin.",
     "en": "Protesters gathered in front of the town hall this morning.",
     "it": "I manifestanti si sono radunati davanti al municipio questa mattina."},
]
FR_BODY = [s["fr"] for s in PARALLEL_SETS] + [
    "Il a annoncé une nouvelle loi sur le climat.", "Les députés ont longuement applaudi.",
    "Selon lui, « the war is over » et rien d'autre."]
FOREIGN = [text for s in PARALLEL_SETS for lang, text in s.items() if lang != "fr"]


@st.composite
def article_with_foreign_text(draw: st.DrawFn) -> str:
    """Article-shaped (French body, foreign tweets translating it) with noise mixed in: pairs get mined."""
    pieces = [("body", b) for b in draw(st.lists(st.sampled_from(FR_BODY), min_size=2, max_size=6))]
    pieces += [("tweet", t) for t in draw(st.lists(st.sampled_from(FOREIGN), min_size=1, max_size=3))]
    pieces += [("noise", n) for n in draw(st.lists(fragment, max_size=5))]
    out = []
    for kind, piece in draw(st.permutations(pieces)):
        if kind == "tweet":
            piece = draw(st.sampled_from(["", "\u202b", "👍 "])) + piece + draw(st.sampled_from(["", " #tag", " 👍🏽"]))
            link = draw(st.sampled_from(["", " https://t.co/AbC123xyz0", " pic.twitter.com/AbCdEf12"]))
            out.append(f"\n\n{piece}{link} — Jane Doe (@jane_{len(out)}) 5 septembre 2017\n\n")
        else:
            out.append(piece + draw(st.sampled_from([" ", "\n", "\n\n"])))
    return "".join(out)


@examples(120)
@given(st.one_of(documents(), article_with_foreign_text()))
def test_segment_spans(offline_pipeline, text: str) -> None:
    doc = Document("d", as_read(text))
    seg = offline_pipeline.segment(doc)
    check_segmented(seg, known_languages())
    event(f"main language found: {seg.main_lang is not None}")
    event(f"foreign segments found: {bool(seg.embeds)}")


@examples(80)
@given(st.one_of(documents(), article_with_foreign_text()))
def test_mining_spans(offline_pipeline, text: str) -> None:
    doc = Document("d", as_read(text))
    result = offline_pipeline.process(doc)
    check_pairs(doc, result, known_languages())
    event(f"pairs mined: {bool(result.pairs)}")


def test_generators_reach_every_path(offline_pipeline) -> None:
    """The strategies are not vacuous: a fixed article from the same pieces mines a pair."""
    text = (f"{SENTENCES[0]} Il a annoncé une nouvelle loi sur le climat.\n\n{SENTENCES[1]}"
            f"{LAYOUT[8]}{LAYOUT[3]}\n\n\u202e{SENTENCES[6]}\u202c 👍🏽\n")
    doc = Document("d", text)
    check_article(parse_article(doc))
    check_segmented(offline_pipeline.segment(doc))
    result = offline_pipeline.process(doc)
    check_pairs(doc, result)
    assert any(p.src_lang == "en" and p.tgt_lang == "fr" for p in result.pairs)
    assert unicodedata.category("\u202e") == "Cf"


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", "\u3000\u2028\xa0", "\t\x0b\x0c", "a" * 100_000, "a" * 1_000_000,
                                  "👍" * 5000, "\u0301" * 1000, "\u202e" * 100, "#" * 300, "@" * 300,
                                  "— (@x)" * 200, "https://t.co/" * 500])
def test_edge_documents(offline_pipeline, text: str) -> None:
    doc = Document("d", text)
    check_article(parse_article(doc))
    check_segmented(offline_pipeline.segment(doc))
    check_pairs(doc, offline_pipeline.process(doc))
