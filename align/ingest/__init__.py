"""Ingest: read documents and find their title, embedded tweets and body paragraphs."""

from align.ingest.article import DEFAULT_LANGS, parse_article
from align.ingest.readers import ReadStats, read_documents
from align.ingest.text import clean_text, find_hashtags, find_urls

__all__ = [
    "DEFAULT_LANGS",
    "ReadStats",
    "clean_text",
    "find_hashtags",
    "find_urls",
    "parse_article",
    "read_documents",
]
