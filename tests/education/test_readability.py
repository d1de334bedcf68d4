"""Reading level of the guides (Flesch-Kincaid grade via textstat)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from education.readability import grade_level, readable_text

pytestmark = pytest.mark.django_db

PLAIN = "The cat sat on the mat. It was a warm day. We had fun in the sun."
DENSE = (
    "Pharmacological interventions demonstrating heterogeneous effectiveness necessitate "
    "individualised therapeutic consideration incorporating comorbidity evaluation."
)


def test_each_block_reads_as_a_sentence_and_citations_are_left_out():
    text = readable_text("## What it is\n\nA medicine.[^src1]\n\n- first item\n- second item!")
    assert text.splitlines() == ["What it is.", "A medicine.", "first item.", "second item!"]


def test_grade_rises_with_long_words_and_sentences():
    assert grade_level(PLAIN) < 3
    assert grade_level(DENSE) > 16


def test_syllables_come_from_the_shipped_dictionary_without_downloading(monkeypatch):
    import nltk

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(nltk, "download", no_download)
    assert grade_level("Alcohol use disorder is treatable.") > 0


@pytest.fixture
def shipped_guides():
    call_command("load_guides", verbosity=0)


def test_shipped_baclofen_guide_reads_at_grade_nine_or_below(shipped_guides, capsys):
    call_command("readability", "baclofen", "--max-grade", "9")
    report = capsys.readouterr().out
    assert "baclofen" in report


def test_command_fails_when_a_guide_is_above_the_limit(shipped_guides):
    with pytest.raises(CommandError, match="baclofen"):
        call_command("readability", "baclofen", "--max-grade", "3")
