"""Ingest: readers, clean_text, and article parsing (tweets, title, body, stamps)."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.ingest import ReadStats, clean_text, find_hashtags, find_urls, parse_article, read_documents
from align.ingest.embeds import _FULL_DATE, _full_date_parser, parse_date, split_date_prefix, warm_up
from align.types import Article, Document, InputError

SEED = Path(__file__).parents[2] / "shared/seeds/000_a6168a8a3db5cb58.txt"
LANGS = ("fr", "en", "ru", "de", "es", "it")


def parse(text: str, doc_id: str = "d") -> Article:
    return parse_article(Document(doc_id, text))


def spans_ok(a: Article) -> None:
    """Every span is in bounds, ordered, and tweets satisfy the clean_text invariant."""
    n = len(a.doc.text)
    spans = [a.title] if a.title else []
    spans += [seg.span for seg in a.embeds] + a.body
    for s, e in spans:
        assert 0 <= s <= e <= n
    for seg in a.embeds:
        assert clean_text(a.doc.text[seg.span[0] : seg.span[1]]) == seg.text
        assert seg.text  # no empty tweets
    for s, e in a.body:
        assert clean_text(a.doc.text[s:e])  # no empty body spans
        assert a.doc.text[s:e] == a.doc.text[s:e].strip()
    ordered = sorted(spans)  # title, tweets and body never overlap
    assert all(e0 <= s1 for (_, e0), (s1, _) in zip(ordered, ordered[1:]))


def body_texts(a: Article) -> list[str]:
    return [a.doc.text[s:e] for s, e in a.body]


# --- text ---------------------------------------------------------------------


def test_clean_text() -> None:
    raw = "#Putin  sends\u00a0message\n\nto #Syria https://t.co/ab1 pic.twitter.com/G8k www.x.org/p?q=1 http://a.b/c."
    assert clean_text(raw) == "Putin sends message to Syria ."
    assert find_urls(raw) == ["https://t.co/ab1", "pic.twitter.com/G8k", "www.x.org/p?q=1", "http://a.b/c"]
    assert find_hashtags(raw) == ["Putin", "Syria"]
    assert clean_text("C# and &#39; stay; microsoft.co/x stays") == "C# and &#39; stay; microsoft.co/x stays"
    assert clean_text(" \t\n ") == ""
    # A URL stops at a dash glued to it (the attribution is not part of it).
    assert find_urls("see pic.twitter.com/abc— Name") == ["pic.twitter.com/abc"]


# --- the seed -----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Article:
    if not SEED.exists():
        pytest.skip(f"seed not found at {SEED}")
    return parse_article(Document("seed", SEED.read_text(encoding="utf-8")))


def test_seed_tweets(seed: Article) -> None:
    assert [t.meta["handle"] for t in seed.embeds] == ["EmbassyofRussia", "KremlinRussia_E", "KremlinRussia"]
    emb, kre, kru = seed.embeds
    # Display names are kept verbatim, flag emoji included.
    assert emb.meta["author"] == "Russia in RSA 🇷🇺"
    assert emb.meta["date"] == "2017-09-05"
    assert emb.meta["urls"] == ["pic.twitter.com/G8kh9yXtwM"]
    assert emb.meta["hashtags"] == ["Putin", "Syria"]
    assert emb.meta["has_attribution"] is True
    assert emb.text.startswith("Putin sends message to President Assad")
    assert "http" not in emb.text and "pic.twitter" not in emb.text and "—" not in emb.text
    assert kre.meta["author"] == "President of Russia" and kre.meta["urls"] == ["https://t.co/rjzaHUOf48"]
    assert kru.text.startswith("Министр обороны доложил") and kru.text.endswith("Дейр-эз-Зора")
    assert kru.meta["date"] == "2017-09-05"
    assert [t.id for t in seed.embeds] == ["seed:t0", "seed:t1", "seed:t2"]
    assert all(t.kind == "tweet" and t.lang is None and t.doc_id == "seed" for t in seed.embeds)


def test_seed_title_body(seed: Article) -> None:
    text = seed.doc.text
    assert seed.date == "2017-09"
    assert seed.title and text[seed.title[0] : seed.title[1]].startswith("Le Président Poutine a adressé")
    body = body_texts(seed)
    assert len(body) == 7
    assert body[0].startswith("Réagissant") and body[-1].endswith("l’ouest de la ville.")
    for b in body:
        assert "@" not in b and "pic.twitter" not in b and "t.co/" not in b and "date 2017" not in b
    spans_ok(seed)


def test_seed_speed(seed: Article) -> None:
    warm_up(LANGS)
    parse_article(seed.doc)
    t0 = time.perf_counter()
    for _ in range(10):
        parse_article(seed.doc)
    assert (time.perf_counter() - t0) / 10 < 0.05


# --- hand-made articles ---------------------------------------------------------


def test_english_date_and_title() -> None:
    a = parse(
        " date 2019-03 Un sommet à Paris\n\nLe sommet a eu lieu hier.\n\n"
        "Great talks with my friends in Paris pic.twitter.com/Ab12 — John Smith (@jsmith) May 7, 2017\n\nFin."
    )
    assert a.date == "2019-03" and a.doc.text[a.title[0] : a.title[1]] == "Un sommet à Paris"  # type: ignore[index]
    (t,) = a.embeds
    assert t.text == "Great talks with my friends in Paris"
    assert t.meta == {
        "platform": "twitter", "author": "John Smith", "handle": "jsmith", "date": "2017-05-07",
        "urls": ["pic.twitter.com/Ab12"], "hashtags": [], "has_attribution": True,
    }
    assert body_texts(a) == ["Le sommet a eu lieu hier.", "Fin."]
    spans_ok(a)


def test_russian_date() -> None:
    a = parse("Текст статьи.\n\nВстреча прошла успешно https://t.co/xYz — МИД России (@MID_RF) 18 июня 2018 г.\n\nКонец.")
    (t,) = a.embeds
    assert (t.text, t.meta["author"], t.meta["date"]) == ("Встреча прошла успешно", "МИД России", "2018-06-18")
    assert body_texts(a) == ["Текст статьи.", "Конец."]
    spans_ok(a)


def test_tweet_without_attribution() -> None:
    a = parse("Intro.\n\nThe army liberated the city #Victory pic.twitter.com/abcd\n\nSuite du texte.")
    (t,) = a.embeds
    # A trailing hashtag is a tag, not a word of the sentence; meta keeps it.
    assert t.text == "The army liberated the city"
    assert t.meta == {
        "platform": "twitter", "author": None, "handle": None, "date": None,
        "urls": ["pic.twitter.com/abcd"], "hashtags": ["Victory"], "has_attribution": False,
    }
    assert body_texts(a) == ["Intro.", "Suite du texte."]
    spans_ok(a)


@pytest.mark.parametrize("glue", ["", " "])
def test_attribution_runs_into_next_sentence(glue: str) -> None:
    a = parse(f"Intro.\n\nHello world pic.twitter.com/x1 — Jane Doe (@jane) 5 septembre 2017{glue}Selon lui, tout va bien.")
    (t,) = a.embeds
    assert (t.text, t.meta["date"]) == ("Hello world", "2017-09-05")
    assert body_texts(a) == ["Intro.", "Selon lui, tout va bien."]
    spans_ok(a)


def test_publication_stamps_dropped() -> None:
    a = parse("Опубликовано 5 сентября 2018\nТекст статьи здесь.\n\nPublié le 5 septembre 2017\n\n12 mai 2016\n\nEt la suite.")
    assert body_texts(a) == ["Текст статьи здесь.", "Et la suite."]
    # Times do not count as words; German ordinal dates are found too.
    a = parse("Publié le 5 septembre 2017 à 14h30\nVeröffentlicht am 5. September 2017\nTexte.")
    assert body_texts(a) == ["Texte."]
    # A short line with a date and more words is content, not a stamp.
    a = parse("Le 5 mai 2017, Poutine a parlé.")
    assert body_texts(a) == ["Le 5 mai 2017, Poutine a parlé."]


@pytest.mark.parametrize("dash", ["–", "-", "&mdash;"])
def test_dash_variants(dash: str) -> None:
    a = parse(f"We won https://t.co/a {dash} Team A (@teama) September 5, 2017\n\nCorps du texte.")
    (t,) = a.embeds
    assert (t.text, t.meta["author"], t.meta["handle"]) == ("We won", "Team A", "teama")
    assert body_texts(a) == ["Corps du texte."]


def test_hyphenated_words_and_dash_inside_tweet() -> None:
    a = parse("Big day - thanks all pic.twitter.com/z — Jean-Pierre (@jp) May 7, 2017")
    (t,) = a.embeds
    assert (t.text, t.meta["author"]) == ("Big day - thanks all", "Jean-Pierre")
    # A handle in prose with no dash before it is not an attribution.
    a = parse("L'ambassade (@EmbassyofRussia) a publié un communiqué.")
    assert not a.embeds and len(a.body) == 1


def test_twitter_link_cited_in_prose_is_body() -> None:
    text = "Le ministère a publié une vidéo (pic.twitter.com/xyz) montrant le convoi."
    a = parse(text)
    assert not a.embeds and body_texts(a) == [text]
    # …but a link followed by a new sentence closes an unattributed tweet.
    a = parse("Victory in the city pic.twitter.com/xyz Selon lui, c'est fini.")
    assert [t.text for t in a.embeds] == ["Victory in the city"]
    assert body_texts(a) == ["Selon lui, c'est fini."]


def test_short_dated_tweet_before_its_attribution_is_not_a_stamp() -> None:
    a = parse("Victory Day, 9 May 2017\n— Some One (@someone) May 9, 2017")
    assert [(t.text, t.meta["handle"]) for t in a.embeds] == [("Victory Day, 9 May 2017", "someone")]


def test_body_glued_before_a_tweet_stays_body() -> None:
    french = "Le ministre a parlé longuement de la situation dans la région. " * 6  # > 280 chars
    a = parse(french + "The siege is broken https://t.co/q1 — Ministry (@mod) May 7, 2017")
    (t,) = a.embeds
    assert len(t.text) <= 280 and t.text.endswith("The siege is broken")
    assert body_texts(a) and body_texts(a)[0].startswith("Le ministre a parlé")
    spans_ok(a)


def test_attribution_on_its_own_line() -> None:
    a = parse("Avant.\n\nThe tweet text here\n\n— Some One (@someone) 7 mai 2017\n\nAprès.")
    (t,) = a.embeds
    assert (t.text, t.meta["handle"], t.meta["date"]) == ("The tweet text here", "someone", "2017-05-07")
    assert body_texts(a) == ["Avant.", "Après."]
    spans_ok(a)


def test_soft_wrapped_paragraph() -> None:
    a = parse("Ceci est une phrase qui\ncontinue ici. Et une autre.\nNouvelle ligne.")
    assert body_texts(a) == ["Ceci est une phrase qui\ncontinue ici. Et une autre.", "Nouvelle ligne."]


def test_split_date_prefix() -> None:
    assert split_date_prefix(" 5 septembre 2017Selon lui", LANGS) == ("2017-09-05", 17)
    assert split_date_prefix(" 18 июня 2018 г. Далее", LANGS) == ("2018-06-18", 16)
    assert split_date_prefix(" Selon lui", LANGS) == (None, 0)
    assert split_date_prefix(" 05.09.2017", LANGS) == ("2017-09-05", 11)  # day first
    assert split_date_prefix(" 5 de septiembre de 2017 Luego", LANGS) == ("2017-09-05", 24)
    # A date without a year is consumed (boilerplate) but gives no ISO date.
    assert split_date_prefix(" May 7 Next", LANGS) == (None, 6)


def test_parse_date_reuses_one_parser_per_language_set() -> None:
    # Cached answers and shared parsers must stay keyed by the language set:
    # asked in turn, each set keeps its own answer, the second time too.
    cases = {
        "5 septembre 2017": {("fr",): "2017-09-05", ("en",): None, ("ru", "en"): None},
        "May 7, 2017": {("fr",): None, ("en",): "2017-05-07", ("ru", "en"): "2017-05-07"},
        "18 июня 2018 г.": {("fr",): None, ("en",): None, ("ru", "en"): "2018-06-18"},
    }
    for _ in range(2):
        for text, by_langs in cases.items():
            for langs, iso in by_langs.items():
                assert parse_date(text, langs) == iso, (text, langs)
    assert _full_date_parser(("fr",)) is _full_date_parser(("fr",))
    assert _full_date_parser(("fr",)) is not _full_date_parser(("en",))


@pytest.mark.parametrize(
    "text",
    ["5 septembre 2017", "05.09.2017", "5/9/17", "12/31/2018", "Q3 2017", "29 février 2017", "May 7",
     "5 septembre 2017 23:30 +0200", "2 февраля 1999 года", "5 de septiembre de 2017", "il y a 3 ans", "x" * 50],
)
def test_parse_date_matches_dateparser_parse(text: str) -> None:
    # The shared parser must answer as dateparser.parse, which builds a new one per call.
    import dateparser

    expected = dateparser.parse(text, languages=list(LANGS), settings=_FULL_DATE)
    for _ in range(2):
        assert parse_date(text, LANGS) == (expected.date().isoformat() if expected else None)


def test_identify_cache_is_per_identifier() -> None:
    from align.segment.langid import get_identifier

    text = "The minister reported to the president"
    en_fr, de_es = get_identifier(("en", "fr")), get_identifier(("de", "es"))
    for _ in range(2):
        assert en_fr.identify(text)[0] == "en"
        assert de_es.identify(text)[0] in ("de", "es")
    # Only the first MAX_CHARS characters count, so they are the cache key.
    assert en_fr.identify(text + " x" * 2000) == en_fr.identify((text + " x" * 2000)[:2000])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.text(alphabet="אבגד مرحبا 👍🏽\u0301\u200f\u202e\x00\x1c\r\n\t\u2028\u00a0#@—-–()", max_size=60),
            st.sampled_from([
                "\n\n", "\r\n", " — Name (@h_1) ", "5 septembre 2017", "pic.twitter.com/x", "https://t.co/",
                "date 2017-09 ", "Publié le 5 mai 2017", "&mdash;", "#tag", "x" * 3000, "",
            ]),
        ),
        max_size=12,
    )
)
def test_parse_article_never_raises(parts: list[str]) -> None:
    spans_ok(parse("".join(parts)))


# --- readers -------------------------------------------------------------------


def test_read_txt(tmp_path: Path) -> None:
    f = tmp_path / "art.txt"
    f.write_bytes(b"\xef\xbb\xbfline one\r\nline two\rthree\n")
    (doc,) = read_documents(f)
    assert (doc.id, doc.text) == ("art", "line one\nline two\nthree\n")
    if SEED.exists():  # the seed as well, where ../shared is beside the checkout
        (seed,) = read_documents(SEED)
        assert seed.id == SEED.stem and seed.text == SEED.read_text(encoding="utf-8")


def test_read_folder(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "c.txt").write_text("  \n", encoding="utf-8")  # whitespace-only: kept
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    stats = ReadStats()
    docs = list(read_documents(tmp_path, stats=stats))
    assert [(d.id, d.text) for d in docs] == [("a", "first"), ("b", "second"), ("c", "  \n")]
    assert (stats.read, stats.skipped) == (3, 0)


def test_read_jsonl(tmp_path: Path) -> None:
    f = tmp_path / "corpus.jsonl"
    rows = [{"text": "un", "id": "x1", "url": "http://a", "date": "2017-09-05"}, {"text": "deux\r\n"}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    d1, d2 = read_documents(f)
    assert (d1.id, d1.text, d1.meta["url"], d1.meta["date"]) == ("x1", "un", "http://a", "2017-09-05")
    assert (d2.id, d2.text) == ("corpus:2", "deux\n") and "url" not in d2.meta


def test_read_parquet(tmp_path: Path) -> None:
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "corpus.parquet"
    table = pa.table({
        "text": ["un", "deux", None],
        "id": ["p1", None, "p3"],
        "date": [datetime.date(2017, 9, 5), None, None],
    })
    pq.write_table(table, f, row_group_size=2)
    stats = ReadStats()
    docs = list(read_documents(f, on_error="skip", stats=stats))
    assert [(d.id, d.text) for d in docs] == [("p1", "un"), ("corpus:2", "deux")]
    assert docs[0].meta["date"] == "2017-09-05"
    assert (stats.read, stats.skipped) == (2, 1) and "row 3" in stats.errors[0]


def _error(path: Path, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        list(read_documents(path, **kw))  # type: ignore[arg-type]
    msg = str(info.value)
    assert "\n" not in msg and info.value.exit_code == 3
    return msg


def test_reader_errors(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nope.txt")
    (tmp_path / "x.csv").write_text("a", encoding="utf-8")
    assert "unsupported extension '.csv'" in _error(tmp_path / "x.csv")
    (tmp_path / "empty.txt").write_bytes(b"")
    assert _error(tmp_path / "empty.txt").endswith("empty.txt is empty")
    (tmp_path / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    assert "is empty" in _error(tmp_path / "blank.txt")
    (tmp_path / "dir").mkdir()
    assert "contains no .txt files" in _error(tmp_path / "dir")
    (tmp_path / "bad.txt").write_bytes("café ".encode() + b"\xff rest")
    assert _error(tmp_path / "bad.txt").endswith("bad.txt is not valid UTF-8 text (byte 0xff at offset 6)")
    (tmp_path / "nul.txt").write_bytes(b"abc\x00def")
    assert "NUL byte at offset 3" in _error(tmp_path / "nul.txt")
    (tmp_path / "big.txt").write_text("é" * 11, encoding="utf-8")
    assert _error(tmp_path / "big.txt", max_chars=10).endswith(
        "big.txt has 11 characters, over the limit of 10 (max_doc_chars)"
    )
    (tmp_path / "huge.txt").write_text("a" * 100, encoding="utf-8")  # over 4 bytes/char: counted in chunks
    assert "has 100 characters, over the limit of 10" in _error(tmp_path / "huge.txt", max_chars=10)
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    assert "empty.jsonl is empty" in _error(tmp_path / "empty.jsonl")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    assert "not a readable Parquet file" in _error(tmp_path / "junk.parquet")
    with pytest.raises(ValueError):
        read_documents(tmp_path / "x.csv", on_error="ignore")  # type: ignore[arg-type]


def test_jsonl_errors_raise_or_skip(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    f = tmp_path / "c.jsonl"
    lines = [
        json.dumps({"text": "ok"}),
        "{not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"text": 5}),
        json.dumps({"text": "a\u0000b"}),
        json.dumps({"text": "x" * 20}),
        json.dumps(["a list"]),
        json.dumps({"text": "   "}),  # whitespace-only: kept for corpus input
    ]
    f.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    assert _error(f).startswith(f"{f}:2: not valid JSON")
    stats = ReadStats()
    with caplog.at_level(logging.WARNING, logger="align.ingest.readers"):
        docs = list(read_documents(f, max_chars=10, on_error="skip", stats=stats))
    assert [d.id for d in docs] == ["c:1", "c:8"]
    assert (stats.read, stats.skipped) == (2, 7)
    line_numbers = [re.match(rf"{re.escape(str(f))}:(\d+)", e).group(1) for e in stats.errors]  # type: ignore[union-attr]
    assert line_numbers == ["2", "3", "4", "5", "6", "7", "9"]
    assert "no 'text' field" in stats.errors[1] and "NUL character" in stats.errors[3]
    assert "over the limit of 10 (max_doc_chars)" in stats.errors[4]
    assert "not valid UTF-8 text (byte 0xff at offset 0)" in stats.errors[6]
    assert all("\n" not in e for e in stats.errors)
    assert sum("skipping document" in r.getMessage() for r in caplog.records) == 7


def test_folder_skip(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("good", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.txt").write_text("also good", encoding="utf-8")
    assert "b.txt contains a NUL byte" in _error(tmp_path)
    stats = ReadStats()
    assert [d.id for d in read_documents(tmp_path, on_error="skip", stats=stats)] == ["a", "c"]
    assert stats.skipped == 1
