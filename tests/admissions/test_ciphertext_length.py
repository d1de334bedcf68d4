"""What a stolen copy of the database can tell from the length of a token: the
text is padded before it is encrypted, so every choice of substances of concern
gives a token of one length; values stored before padding still read, and key
rotation pads them."""

import io
from itertools import combinations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from admissions import crypto
from admissions.fields import PAD_BYTES, pad, unpad
from admissions.models import Intake

pytestmark = pytest.mark.django_db

CODES = [code for code in Intake.Substance.values if code != "prefer_not_to_say"]


def stored(intake: Intake, column: str) -> str:
    """The token as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_name, substances FROM admissions_intake WHERE id = %s", [intake.pk]
        )
        first_name, substances = cursor.fetchone()
    return {"first_name": first_name, "substances": substances}[column]


def every_choice() -> list[list[str]]:
    choices = [["prefer_not_to_say"]]
    for size in range(1, len(CODES) + 1):
        choices += [list(combination) for combination in combinations(CODES, size)]
    return choices


def test_every_choice_of_substances_is_stored_as_a_token_of_one_length(make_intake):
    lengths = {}
    for chosen in every_choice():
        intake = make_intake(substances=chosen)
        lengths[",".join(chosen)] = len(stored(intake, "substances"))
        assert Intake.objects.get(pk=intake.pk).substance_list == chosen
    assert len(set(lengths.values())) == 1, lengths


def test_names_of_different_lengths_give_tokens_of_one_length(make_intake):
    short = make_intake(first_name="Al")
    long = make_intake(first_name="Maximiliana-Josephine")
    assert len(stored(short, "first_name")) == len(stored(long, "first_name"))
    assert Intake.objects.get(pk=long.pk).first_name == "Maximiliana-Josephine"


def test_padding_is_to_whole_steps_of_utf8_bytes_and_comes_off_again():
    for text in ["a", "x" * 63, "x" * 64, "x" * 65, "Ж" * 40, "🙂" * 17]:
        padded = pad(text)
        assert len(padded.encode()) % PAD_BYTES == 0
        assert unpad(padded) == text


def test_a_value_stored_before_padding_still_reads_and_rotation_pads_it(make_intake, settings):
    intake = make_intake(substances=["alcohol"])
    with connection.cursor() as cursor:  # as the code before padding wrote it
        cursor.execute(
            "UPDATE admissions_intake SET substances = %s WHERE id = %s",
            [crypto.encrypt("alcohol,opioids"), intake.pk],
        )
    unpadded = len(stored(intake, "substances"))
    assert Intake.objects.get(pk=intake.pk).substances == "alcohol,opioids"

    old_key = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old_key}"
    call_command("rotate_encryption_key", stdout=io.StringIO())
    assert Intake.objects.get(pk=intake.pk).substances == "alcohol,opioids"
    assert len(stored(intake, "substances")) > unpadded  # padded now
    assert crypto.decrypt(stored(intake, "substances")) == pad("alcohol,opioids")
