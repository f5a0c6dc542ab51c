"""Language identification with lingua, restricted to candidate languages.

Restricting lingua to the languages a corpus can contain is what makes it
reliable on tweet-length text; its models are offline and load once.
"""

from __future__ import annotations

from functools import lru_cache

from ..types import ConfigError

# Characters of a text that language identification looks at.
MAX_CHARS = 2000
# Answers kept per identifier (keys are at most MAX_CHARS characters each).
CACHE_SIZE = 2048


class LanguageIdentifier:
    def __init__(self, languages: list[str] | tuple[str, ...]):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        chosen = []
        for code in languages:
            try:
                chosen.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
            except (AttributeError, ValueError):
                raise ConfigError(f"segment.languages: unknown language code '{code}'") from None
        if len(chosen) < 2:
            raise ConfigError("segment.languages: give at least two languages")
        self.languages = tuple(languages)
        self._detector = (
            LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models().build()
        )
        # The same text comes back: a one-sentence paragraph is asked about once
        # for the main language and once as a sentence, and sites repeat their
        # boilerplate. Per instance, so identifiers never share answers.
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._identify)

    def identify(self, text: str) -> tuple[str | None, float]:
        """(ISO 639-1 code, confidence), or (None, 0.0) for text with no letters.

        Only the first MAX_CHARS characters are looked at: plenty to tell a
        language, and lingua's time grows with the square of a word's length
        (one 100,000-letter "word" took 3 s, a 1,000,000-letter one minutes).
        """
        return self._cached(text[:MAX_CHARS])

    def _identify(self, text: str) -> tuple[str | None, float]:
        values = self._detector.compute_language_confidence_values(text)
        if not values or not any(c.isalpha() for c in text):
            return None, 0.0
        top = values[0]
        return top.language.iso_code_639_1.name.lower(), float(top.value)

    def identify_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        return [self.identify(t) for t in texts]


@lru_cache(maxsize=4)
def get_identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    """One identifier per language set per process: loading the models takes seconds."""
    return LanguageIdentifier(languages)
