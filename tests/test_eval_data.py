"""eval/make_articles.py writes articles that ingest parses, with consistent gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from align.ingest.article import parse_article
from align.ingest.readers import read_documents



def _generate(make_articles, out: Path, fmt: str):
    corpus = make_articles.generate(5, out, seed=0, fmt=fmt)
    gold = [json.loads(line) for line in (out / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = list(read_documents(corpus, on_error="raise"))
    return docs, gold


@pytest.mark.parametrize("fmt", ["txt", "jsonl"])
def test_articles_parse_and_gold_is_consistent(make_articles, tmp_path, fmt):
    docs, gold = _generate(make_articles, tmp_path, fmt)
    assert len(docs) == len(gold) == 5
    for doc, g in zip(docs, gold):
        assert doc.id == g["doc_id"]
        assert 1 <= len(g["tweets"]) <= 3
        article = parse_article(doc)
        got = [(e.text, e.meta["handle"], e.meta["date"]) for e in article.embeds]
        assert got == [(t["text"], t["handle"], t["date"]) for t in g["tweets"]], doc.id
        if g["date_line"]:
            assert article.date == g["date"]
            assert doc.text[article.title[0]:article.title[1]] == g["title"]
        else:
            assert article.date is None and article.title is None
        roles = [t["role"] for t in g["tweets"]]
        assert "translation" in roles
        texts = {t["text"] for t in g["tweets"]}
        for t in g["tweets"]:
            assert "http" not in t["text"] and "pic.twitter" not in t["text"] and "#" not in t["text"]
            if t["counterpart_kind"] == "sentence":
                # The gold French sentence is in the body, not in a tweet.
                assert t["counterpart"] in doc.text
                assert t["counterpart"] not in texts
            elif t["counterpart_kind"] == "tweet":
                assert t["counterpart"] in texts and t["counterpart"] != t["text"]
            else:
                assert t["role"] == "distractor" and t["counterpart"] is None


def test_generation_is_deterministic_and_prefix_stable(make_articles, tmp_path):
    a, _ = _generate(make_articles, tmp_path / "a", "txt")
    b, _ = _generate(make_articles, tmp_path / "b", "txt")
    assert [(d.id, d.text) for d in a] == [(d.id, d.text) for d in b]
    src = make_articles.Sources.load()
    assert make_articles.make_article(src, 3, 0)[1] == a[3].text
    assert make_articles.make_article(src, 3, 1)[1] != a[3].text
