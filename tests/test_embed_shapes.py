"""Embeds as real news pages show them: one test per detection rule, on texts written in that shape.

(No page text is copied here: each text imitates a layout seen on real pages.)
"""

from __future__ import annotations

import pytest

from align.ingest import clean_text, find_hashtags, find_urls, parse_article
from align.ingest.text import mask_html
from align.types import QUOTE, TWEET, Document


def parse(text: str):
    return parse_article(Document("d", text))


def body_texts(article) -> list[str]:
    return [clean_text(article.doc.text[s:e]) for s, e in article.body]


# --- ingest ---------------------------------------------------------------------------------


def test_instagram_caption_runs_into_its_boilerplate() -> None:
    a = parse("Le vent a soufflé toute la nuit sur la ville.\n\n"
              "Упало дерево на машину, никто не пострадал!#буря #ветер Публикация от Анна Петрова (@anna_p) "
              "Июн 12 2018 в 3:15 PDT\n\nLes pompiers sont intervenus à l'aube.")
    (t,) = a.embeds
    assert t.text == "Упало дерево на машину, никто не пострадал!"
    assert t.meta["platform"] == "instagram" and t.meta["handle"] == "anna_p"
    assert t.meta["author"] == "Анна Петрова" and t.meta["date"] == "2018-06-12"
    assert t.meta["hashtags"] == ["буря", "ветер"]
    # The time after the date is stamp, not body text.
    assert body_texts(a) == ["Le vent a soufflé toute la nuit sur la ville.", "Les pompiers sont intervenus à l'aube."]


def test_english_instagram_boilerplate() -> None:
    a = parse("Intro du texte.\n\nSunset over the harbour tonight A post shared by Tom Fisher (@tfisher) on "
              "Jan 13, 2017 at 11:46am PST\n\nSuite du texte.")
    (t,) = a.embeds
    assert t.text == "Sunset over the harbour tonight"
    assert t.meta["platform"] == "instagram" and t.meta["date"] == "2017-01-13"
    assert body_texts(a) == ["Intro du texte.", "Suite du texte."]


def test_instagram_stub_without_caption_leaves_the_line_before_as_body() -> None:
    a = parse("Plusieurs régions se sont réveillées sous la neige.\n\n"
              "Публикация от Иван (@ivan_k) 22 Апр 2018 в 12:53 PDT\n\nLa suite du récit.")
    assert a.embeds == []
    assert body_texts(a) == ["Plusieurs régions se sont réveillées sous la neige.", "La suite du récit."]


def test_attribution_without_handle_after_a_link() -> None:
    a = parse("Der Text beginnt hier.\n\n\"Nobody is born knowing the way home...\" pic.twitter.com/Ab12Cd "
              "— Jane Roe 13. August 2017\n\nDer Text geht weiter.")
    (t,) = a.embeds
    assert t.text == "\"Nobody is born knowing the way home...\""
    assert (t.meta["author"], t.meta["handle"], t.meta["date"]) == ("Jane Roe", None, "2017-08-13")
    assert body_texts(a) == ["Der Text beginnt hier.", "Der Text geht weiter."]


def test_leftover_embed_html_is_blanked() -> None:
    text = ("Начало статьи.\n\n<blockquote class=\"twitter-tweet\" data-lang=\"cs\"><p lang=\"en\" dir=\"ltr\">"
            "The harbour will reopen on Monday after the storm repairs.</p>— Port Authority (@port_auth) "
            "<a href=\"https://twitter.com/port_auth/status/1234567890123456789?ref_src=twsrc\">7. října 2019</a>"
            "</blockquote>\n\n<script async src=\"https://platform.twitter.com/widgets.js\" charset=\"utf-8\">"
            "</script>\n\nКонец статьи.")
    a = parse(text)
    (t,) = a.embeds
    assert t.text == "The harbour will reopen on Monday after the storm repairs."
    assert t.meta["handle"] == "port_auth" and t.meta["date"] == "2019-10-07"
    assert body_texts(a) == ["Начало статьи.", "Конец статьи."]
    assert len(mask_html(text)) == len(text)


def test_glued_hashtags_and_urls() -> None:
    assert clean_text("Выход завершён 🌎#мкс#iss#космос") == "Выход завершён 🌎"
    assert find_hashtags("Bericht von @reporter#match#wm2018https://t.co/Ab12") == ["match", "wm2018"]
    assert find_urls("#wm2018https://t.co/Ab12") == ["https://t.co/Ab12"]
    assert clean_text("Mixed #one#two words") == "Mixed one two words"


# --- segmentation -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segment(offline_pipeline):
    return lambda text: offline_pipeline.segment(Document("d", text))


def test_main_language_lead_in_is_not_part_of_the_tweet(segment) -> None:
    seg = segment("Il ponte sul fiume resterà chiuso per tutta la settimana a causa dei lavori.\n\n"
                  "Il sindaco ha commentato la notizia su Twitter. The bridge will reopen on Monday after the repairs, "
                  "thank you all for your patience. pic.twitter.com/Ab12Cd — City Hall (@cityhall) May 7, 2019\n\n"
                  "I lavori sono costati due milioni di euro.")
    assert seg.main_lang == "it"
    (t,) = [e for e in seg.embeds if e.kind == TWEET]
    assert t.lang == "en" and t.text.startswith("The bridge will reopen on Monday")
    assert any(s.text == "Il sindaco ha commentato la notizia su Twitter." for s in seg.sentences)


def test_tweet_split_over_paragraphs_is_one_segment(segment) -> None:
    text = ("Les supporters ont salué l'équipe après le match de samedi soir.\n\n"
            "Мы уходим с турнира с высоко поднятой головой. Спасибо вам за поддержку!\n\n"
            "Вы лучшие болельщики в мире!!! pic.twitter.com/Ab12Cd — Сборная (@team_ru) 7 июля 2018 г.\n\n"
            "L'équipe rentrera dimanche à Moscou.")
    seg = segment(text)
    (t,) = seg.embeds
    assert t.kind == TWEET and t.lang == "ru" and len(t.spans) == 2
    assert t.text.startswith("Мы уходим с турнира") and t.text.endswith("Вы лучшие болельщики в мире!!!")
    assert t.span == (t.spans[0][0], t.spans[-1][1])
    assert " ".join(clean_text(text[s:e]) for s, e in t.spans) == t.text


def test_tweet_split_around_its_attribution_line(segment) -> None:
    text = ("Der Unternehmer forderte den Präsidenten auf Twitter zu einem Schachspiel heraus.\n"
            "I hereby invite\n— Max Muster (@maxmuster) March 14, 2022\nВладимир Путин\nto a game of chess\n"
            "Die Antwort des Kremls steht noch aus, hieß es am Abend in Berlin.")
    seg = segment(text)
    (t,) = seg.embeds
    assert t.text == "I hereby invite Владимир Путин to a game of chess"
    assert len(t.spans) == 2 and t.meta["handle"] == "maxmuster"
    assert seg.sentences[-1].text.startswith("Die Antwort des Kremls")


def test_foreign_paragraph_is_one_segment_with_its_short_greeting(segment) -> None:
    seg = segment("Министр ответил на вопросы журналистов после заседания правительства. Он пообещал, что новая "
                  "школа откроется в сентябре, а строительство закончится летом. Жители города давно ждали этого "
                  "решения и приветствовали его в социальных сетях.\n\n"
                  "Thanks @minister. You promised us that the new school will open in September. "
                  "This matters a lot to our town.")
    (q,) = seg.embeds
    assert q.kind == QUOTE and q.lang == "en" and q.text.startswith("Thanks @minister.")


def test_foreign_quotation_framed_by_main_language_stays_in_its_sentence(segment) -> None:
    seg = segment("Der Präsident hat den Streit kommentiert. \"The people are turning against their leaders as the "
                  "coalition is shaking\", schrieb er am Montag auf Twitter. Die Regierung wies das zurück.")
    assert seg.main_lang == "de"
    (q,) = seg.embeds
    assert q.kind == QUOTE and q.lang == "en" and "in_sentence" in q.meta
    assert any(s.text.endswith("schrieb er am Montag auf Twitter.") for s in seg.sentences)


@pytest.mark.parametrize("text, main, foreign", [
    ("O presidente afirmou que a floresta precisa de proteção urgente. A reunião acontece neste fim de semana.\n\n"
     "Our forest is burning and we must act together now. pic.twitter.com/Ab12Cd — Name (@name) August 22, 2019",
     "pt", "en"),
    ("Міністр звернувся до засновника компанії з проханням надати обладнання. Про це він написав у мережі.\n\n"
     "We ask you to send the equipment as soon as possible. pic.twitter.com/Ab12Cd — Name (@name) March 1, 2022",
     "uk", "en"),
    ("El expresidente advirtió que no se va a rendir ante la justicia. El mensaje se publicó el sábado.\n\n"
     "Que tothom ho tingui clar: no em rendiré davant de ningú i continuaré treballant pel país. "
     "pic.twitter.com/Ab12Cd — Name (@name) 31 de marzo de 2018", "es", "ca"),
])
def test_any_language_is_named_truly(segment, text: str, main: str, foreign: str) -> None:
    seg = segment(text)
    assert seg.main_lang == main
    assert [e.lang for e in seg.embeds] == [foreign]


def test_a_language_list_restricts_identification() -> None:
    from align.segment.langid import LanguageIdentifier

    restricted = LanguageIdentifier(["fr", "en"])
    assert restricted.identify("O presidente afirmou que a floresta precisa de proteção urgente.")[0] in ("fr", "en")
    assert LanguageIdentifier().identify("O presidente afirmou que a floresta precisa de proteção urgente.")[0] == "pt"
