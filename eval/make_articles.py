"""Synthetic seed-shaped articles with known (gold) tweet <-> sentence pairs.

Usage::

    python eval/make_articles.py --n 1000 --out DIR --seed 0 [--format txt|jsonl]

Writes ``DIR/articles/<doc_id>.txt`` (``--format txt``, the default) or
``DIR/articles.jsonl`` (``--format jsonl``: one ``{"id", "text", "date"}`` object
per line), plus ``DIR/gold.jsonl`` (one line per article, same order).

Source sentences
----------------
The Tatoeba similarity-search test sets (LASER, Artetxe & Schwenk 2019; Tatoeba
data, CC-BY 2.0 FR) in ``../shared/data/tatoeba`` (``--tatoeba`` to change):
``tatoeba.fra-eng.{fra,eng}`` and ``tatoeba.rus-eng.{rus,eng}``, line ``i`` of one
side translating line ``i`` of the other. Lines are filtered so that one line is
one sentence and the layout stays unambiguous: no internal sentence break, a
terminal punctuation mark, no double quotes, dashes, ``@`` or URLs; body
sentences have at least 4 words, tweet texts at least 5 (the pipeline drops
foreign segments under 3 words, and language ID needs a few words).

Article shape (as ../shared/seeds/*.txt)
-------------------------------------------
* optional first line `` date YYYY-MM <title>`` (80 %); the title is one more
  French Tatoeba sentence without its final punctuation;
* a French body of 8-14 Tatoeba ``fra`` sentences, grouped into 3-6 paragraphs
  separated by blank lines;
* 1-3 embedded tweets, each a paragraph of its own, placed between or after body
  paragraphs (never before the first)::

      <tweet text> <https://t.co/XXXXXXXXXX | pic.twitter.com/XXXXXXXXXX> — Display Name (@handle) <date>

  the date in French (``5 septembre 2017``), English (``May 7, 2017``) or
  Russian (``18 июня 2018 г.``) style, chosen at random and falling in the
  article's month. One tweet in five carries a hashtag (``#`` put before one of
  its words; the cleaned text is unchanged).

Tweets and gold
---------------
Every article has one English ``translation`` tweet: the ``eng`` side of one of
its body's French sentences (gold counterpart: that French sentence). Then, at
random, one of:

* nothing more (25 %);
* a ``distractor`` tweet (30 %): an English or Russian sentence from the
  rus-eng set, unrelated to the article (gold counterpart: null);
* an en<->ru tweet ``pair`` (30 %): both sides of one rus-eng line, as two
  adjacent tweets (in either order) that translate each other and have no
  French counterpart (gold counterpart of each: the other tweet);
* a second ``translation`` tweet plus a distractor (15 %).

English texts are never repeated inside an article (a rus-eng line whose English
side equals the English side of a body sentence is never used), so every gold
counterpart is unique.

``gold.jsonl`` rows::

    {"doc_id": ..., "date": "2017-09", "date_line": true, "title": ... | null, "n_sentences": 11,
     "tweets": [{"text": <as align.ingest.text.clean_text gives it: no URL, no '#'>,
                 "lang": "en"|"ru", "role": "translation"|"pair"|"distractor",
                 "handle": ..., "author": ..., "date": "YYYY-MM-DD",
                 "counterpart": <French sentence | other tweet's text | null>,
                 "counterpart_kind": "sentence"|"tweet"|null,
                 "counterpart_lang": "fr"|"en"|"ru"|null,
                 "source": "fra-eng:123" | "rus-eng:45"}, ...]}

Deterministic: article ``i`` depends only on ``--seed`` and ``i``, so the first
``k`` articles of ``--n 1000`` are the articles of ``--n k``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

try:
    from align.ingest.text import clean_text
except ImportError:  # pragma: no cover - the generator also works without align
    def clean_text(raw: str) -> str:
        raw = re.sub(r"(?:https?://|pic\.twitter\.com/)\S+", " ", raw)
        raw = re.sub(r"(?<![\w&#/])#(\w+)", r"\1", raw)
        return " ".join(raw.split())

TATOEBA = Path(__file__).resolve().parents[2].joinpath("shared/data/tatoeba")

FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]

# Synthetic display names and handles (no real accounts).
EN_NAME_A = ["Daily", "Global", "Northern", "Open", "City", "World", "Morning", "Metro", "Public", "Civic"]
EN_NAME_B = ["News", "Desk", "Watch", "Report", "Wire", "Observer", "Herald", "Digest", "Bulletin", "Post"]
RU_NAME_A = ["Новости", "Вестник", "Обозреватель", "Хроника", "Дневник", "Голос"]
RU_NAME_B = ["дня", "города", "региона", "недели", "столицы", "севера"]
FLAGS = {"en": ["", "", "", " 🇬🇧", " 🇺🇸"], "ru": ["", "", " 🇷🇺"]}

# One line, one sentence: a terminal mark at the end, none followed by more text.
_TERMINAL_END = re.compile(r"[.!?…]$")
_INNER_BREAK = re.compile(r"[.!?…]\s+\S")
_BAD_CHARS = re.compile(r"[\"“”«»—–@]|\s-\s|https?:|www\.|\.com\b")


def _ok_sentence(s: str, min_words: int) -> bool:
    return (
        bool(_TERMINAL_END.search(s)) and not _INNER_BREAK.search(s) and not _BAD_CHARS.search(s)
        and len(s.split()) >= min_words and len(s) <= 200
    )


@dataclass
class Sources:
    fra: list[str]
    fra_eng: list[str]
    rus: list[str]
    rus_eng: list[str]
    body: list[int]  # fra-eng lines usable as body sentences
    translation: list[int]  # fra-eng lines usable as a (French sentence, English tweet) pair
    russian: list[int]  # rus-eng lines usable as tweets (both sides)

    @classmethod
    def load(cls, root: Path = TATOEBA) -> "Sources":
        def read(name: str) -> list[str]:
            return [" ".join(line.split()) for line in (root / name).read_text(encoding="utf-8").splitlines()]

        fra, fra_eng = read("tatoeba.fra-eng.fra"), read("tatoeba.fra-eng.eng")
        rus, rus_eng = read("tatoeba.rus-eng.rus"), read("tatoeba.rus-eng.eng")
        if len(fra) != len(fra_eng) or len(rus) != len(rus_eng):
            raise SystemExit("tatoeba files are not line-aligned")
        # Duplicated French or English lines would make gold ambiguous.
        dup_fr = {s for s, k in Counter(fra).items() if k > 1}
        dup_en = {s for s, k in Counter(fra_eng).items() if k > 1}
        body = [i for i, s in enumerate(fra) if _ok_sentence(s, 4) and s not in dup_fr and fra_eng[i] not in dup_en]
        translation = [i for i in body if _ok_sentence(fra_eng[i], 5)]
        russian = [i for i in range(len(rus)) if _ok_sentence(rus[i], 5) and _ok_sentence(rus_eng[i], 5)]
        return cls(fra, fra_eng, rus, rus_eng, body, translation, russian)


def _link(rng: random.Random) -> str:
    code = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))
    return f"https://t.co/{code}" if rng.random() < 0.5 else f"pic.twitter.com/{code}"


def _date_text(rng: random.Random, year: int, month: int, day: int) -> str:
    style = rng.choice(["fr", "en", "ru"])
    if style == "fr":
        return f"{day} {FR_MONTHS[month - 1]} {year}"
    if style == "en":
        return f"{EN_MONTHS[month - 1]} {day}, {year}"
    return f"{day} {RU_MONTHS[month - 1]} {year}" + (" г." if rng.random() < 0.7 else "")


def _author(rng: random.Random, lang: str) -> tuple[str, str]:
    if lang == "ru":
        name = f"{rng.choice(RU_NAME_A)} {rng.choice(RU_NAME_B)}"
        handle = rng.choice(["Novosti", "Vestnik", "Obozr", "Khronika", "Golos"]) + rng.choice(["", "_ru", "RU", "24"])
    else:
        a, b = rng.choice(EN_NAME_A), rng.choice(EN_NAME_B)
        name = f"{a} {b}"
        handle = a + b + rng.choice(["", "_en", "HQ", str(rng.randint(1, 99))])
    return name + rng.choice(FLAGS[lang]), handle[:15]


def _hashtag(rng: random.Random, text: str) -> str:
    """Put '#' before one word made of letters (clean_text removes it again)."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 3]
    if not idx or rng.random() >= 0.2:
        return text
    i = rng.choice(idx)
    words[i] = "#" + words[i]
    return " ".join(words)


def make_article(src: Sources, index: int, seed: int) -> tuple[str, str, dict]:
    """(doc_id, text, gold record) of article ``index``."""
    rng = random.Random(f"align-eval:{seed}:{index}")
    year, month = rng.randint(2015, 2020), rng.randint(1, 12)
    doc_id = f"{index:05d}_" + hashlib.sha1(f"{seed}:{index}".encode()).hexdigest()[:12]

    n_body = rng.randint(8, 14)
    pattern = rng.choices(["alone", "distractor", "pair", "two"], weights=[25, 30, 30, 15])[0]
    n_trans = 2 if pattern == "two" else 1
    trans = rng.sample(src.translation, n_trans)
    others = rng.sample([i for i in src.body if i not in trans], n_body - n_trans + 1)
    title_idx, fillers = others[0], others[1:]
    body = fillers + trans
    rng.shuffle(body)
    used_en = {src.fra_eng[i] for i in body + [title_idx]}

    def russian_line(exclude: set[int]) -> int:
        while True:
            j = rng.choice(src.russian)
            if j not in exclude and src.rus_eng[j] not in used_en:
                return j

    tweets: list[dict] = []
    for i in trans:
        tweets.append({"text": src.fra_eng[i], "lang": "en", "role": "translation",
                       "counterpart": src.fra[i], "counterpart_kind": "sentence", "counterpart_lang": "fr",
                       "source": f"fra-eng:{i}", "_after": body.index(i)})
    taken: set[int] = set()
    if pattern == "pair":
        j = russian_line(taken)
        taken.add(j)
        en = {"text": src.rus_eng[j], "lang": "en", "role": "pair", "counterpart": src.rus[j],
              "counterpart_kind": "tweet", "counterpart_lang": "ru", "source": f"rus-eng:{j}"}
        ru = {"text": src.rus[j], "lang": "ru", "role": "pair", "counterpart": src.rus_eng[j],
              "counterpart_kind": "tweet", "counterpart_lang": "en", "source": f"rus-eng:{j}"}
        tweets.append({"_group": [en, ru] if rng.random() < 0.7 else [ru, en]})
    if pattern in ("distractor", "two"):
        j = russian_line(taken)
        taken.add(j)
        lang = rng.choice(["en", "ru"])
        tweets.append({"text": src.rus_eng[j] if lang == "en" else src.rus[j], "lang": lang,
                       "role": "distractor", "counterpart": None, "counterpart_kind": None,
                       "counterpart_lang": None, "source": f"rus-eng:{j}"})

    # Paragraphs: split the body into 3-6 runs of at least one sentence.
    n_par = rng.randint(3, min(6, n_body))
    cuts = sorted(rng.sample(range(1, n_body), n_par - 1))
    bounds = list(zip([0] + cuts, cuts + [n_body]))
    paragraphs = [[src.fra[i] for i in body[a:b]] for a, b in bounds]

    # Tweets go after a paragraph (never before the first); a translation
    # tweet usually follows the paragraph holding its sentence, as in news.
    slots: dict[int, list[dict]] = {}
    for t in tweets:
        if "_after" in t and rng.random() < 0.6:
            par = next(k for k, (a, b) in enumerate(bounds) if a <= t["_after"] < b)
        else:
            par = rng.randrange(n_par)
        slots.setdefault(par, []).extend(t.get("_group", [t]))

    day_max = 28
    lines: list[str] = []
    title = None
    if rng.random() < 0.8:
        title = src.fra[title_idx].rstrip(" .!?…")
        lines.append(f" date {year}-{month:02d} {title}")
    gold_tweets: list[dict] = []
    for k, sentences in enumerate(paragraphs):
        lines.append(" ".join(sentences))
        for t in slots.get(k, []):
            day = rng.randint(1, day_max)
            author, handle = _author(rng, t["lang"])
            raw = f"{_hashtag(rng, t['text'])} {_link(rng)}"
            lines.append(f"{raw} — {author} (@{handle}) {_date_text(rng, year, month, day)}")
            gold_tweets.append({
                "text": clean_text(raw), "lang": t["lang"], "role": t["role"], "handle": handle,
                "author": author, "date": f"{year}-{month:02d}-{day:02d}",
                "counterpart": t["counterpart"], "counterpart_kind": t["counterpart_kind"],
                "counterpart_lang": t["counterpart_lang"], "source": t["source"],
            })
    text = "\n\n".join(lines) + "\n"
    gold = {"doc_id": doc_id, "date": f"{year}-{month:02d}", "date_line": title is not None,
            "title": title, "n_sentences": n_body,
            "tweets": gold_tweets}
    return doc_id, text, gold


def generate(n: int, out: str | Path, *, seed: int = 0, fmt: str = "txt",
             tatoeba: str | Path = TATOEBA) -> Path:
    """Write ``n`` articles and ``gold.jsonl`` under ``out``; return the corpus path
    (the ``articles`` folder or ``articles.jsonl``), ready for ``align run --input``."""
    if fmt not in ("txt", "jsonl"):
        raise ValueError(f"format must be 'txt' or 'jsonl', not {fmt!r}")
    src = Sources.load(Path(tatoeba))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / ("articles" if fmt == "txt" else "articles.jsonl")
    if fmt == "txt":
        corpus.mkdir(exist_ok=True)
        for old in corpus.glob("*.txt"):
            old.unlink()
    with (out / "gold.jsonl").open("w", encoding="utf-8") as gold_f, \
            (corpus.open("w", encoding="utf-8") if fmt == "jsonl" else _Null()) as jsonl_f:
        for i in range(n):
            doc_id, text, gold = make_article(src, i, seed)
            if fmt == "txt":
                (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
            else:
                jsonl_f.write(json.dumps({"id": doc_id, "text": text, "date": gold["date"]}, ensure_ascii=False) + "\n")
            gold_f.write(json.dumps(gold, ensure_ascii=False) + "\n")
    return corpus


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="number of articles (default 1000)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["txt", "jsonl"], default="txt")
    ap.add_argument("--tatoeba", default=str(TATOEBA), help="folder with the tatoeba.*-eng.* files")
    args = ap.parse_args(argv)
    corpus = generate(args.n, args.out, seed=args.seed, fmt=args.format, tatoeba=args.tatoeba)
    print(f"wrote {args.n} articles to {corpus} and gold to {Path(args.out) / 'gold.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
