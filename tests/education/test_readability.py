"""Reading level of the guides (Flesch-Kincaid grade, CMU dictionary syllables)."""

import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from education import readability
from education.models import GuideTranslation
from education.readability import (
    INFLESZ_TARGET,
    grade_level,
    readable_text,
    sentence_count,
    syllable_count,
    words,
)

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


def test_grade_is_the_flesch_kincaid_formula():
    # 17 one-syllable words in 3 sentences: 0.39 * 17 / 3 + 11.8 * 1 - 15.59 = -1.58
    assert grade_level(PLAIN) == -1.6
    assert grade_level("") == 0.0


def test_punctuation_is_dropped_and_contractions_keep_their_apostrophe():
    assert words("Don't stop: it's 'quoted', well-known!") == [
        "don't",
        "stop",
        "it's",
        "quoted",
        "wellknown",
    ]


def test_a_sentence_of_two_words_adds_its_words_but_is_not_counted():
    text = "Side effects.\nThe cat sat on the mat. It was a warm day."
    assert sentence_count(text) == 2
    assert len(words(text)) == 13
    assert sentence_count("Yes.") == 1


def test_syllables_come_from_the_shipped_dictionary_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    readability._pronunciations.cache_clear()
    syllable_count.cache_clear()
    # Hyphenation alone would count one syllable in each of these.
    assert [syllable_count(word) for word in ("area", "idea", "medicine")] == [3, 3, 3]
    assert grade_level("Alcohol use disorder is treatable.") > 0


def test_a_word_missing_from_the_dictionary_is_counted_by_hyphenation():
    assert "baclofen" not in readability._pronunciations()
    assert syllable_count("baclofen") == 2
    assert syllable_count("naltrexone") == 3


def test_shipped_baclofen_guide_reads_at_grade_nine_or_below(shipped_guides, capsys):
    call_command("readability", "baclofen", "--max-grade", "9")
    report = capsys.readouterr().out
    assert "baclofen" in report


def test_command_fails_when_a_guide_is_above_the_limit(shipped_guides):
    with pytest.raises(CommandError, match="baclofen"):
        call_command("readability", "baclofen", "--max-grade", "3")


# --- Spanish: INFLESZ -------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("que", 1),  # the u after q is only spelling
        ("guerra", 2),  # and after g before e
        ("pingüino", 3),  # ü is sounded: güi is one syllable
        ("día", 2),  # a stressed í breaks the diphthong
        ("ciudad", 2),  # iu is a diphthong
        ("cuidado", 3),
        ("muy", 1),  # a final y closes the vowel before it
        ("y", 1),
        ("alcohol", 3),  # two strong vowels are two syllables
        ("reír", 2),
    ],
)
def test_spanish_syllables_of_known_words(word, syllables):
    assert readability.spanish_syllable_count(word) == syllables


def test_inflesz_is_the_flesch_szigriszt_formula():
    # la casa es azul: 1 + 2 + 1 + 2 = 6 syllables in 4 words, one sentence:
    # 206.835 - 62.3 * 6 / 4 - 4 / 1 = 109.385
    assert readability.inflesz("La casa es azul.") == 109.4
    # el perro come ya (1+2+2+1) and el gato duerme hoy (1+2+2+1): 12 syllables in
    # 8 words, 2 sentences: 206.835 - 62.3 * 12 / 8 - 8 / 2 = 109.385 again
    assert readability.inflesz("El perro come ya. El gato duerme hoy.") == 109.4
    assert readability.inflesz("") == 0.0


def test_inflesz_bands_are_barrio_cantalejos():
    assert readability.inflesz_band(85) == "muy fácil"
    assert readability.inflesz_band(65) == "bastante fácil"
    assert readability.inflesz_band(64.9) == "normal"
    assert readability.inflesz_band(40) == "algo difícil"
    assert readability.inflesz_band(39.9) == "muy difícil"


def test_every_shipped_spanish_guide_is_at_least_bastante_facil(shipped_guides, capsys):
    """INFLESZ 65 or more for each Spanish body and each summary with its FAQ answers."""
    assert GuideTranslation.objects.filter(language="es").exists()
    call_command("readability", "--lang", "es", "--min-inflesz", str(INFLESZ_TARGET))
    report = capsys.readouterr().out
    for text in GuideTranslation.objects.filter(language="es").select_related("guide"):
        assert text.guide.slug in report


def test_the_spanish_report_fails_below_the_minimum(shipped_guides):
    with pytest.raises(CommandError, match=r"Below INFLESZ 95: baclofen body \(\d"):
        call_command("readability", "baclofen", "--lang", "es", "--min-inflesz", "95")
