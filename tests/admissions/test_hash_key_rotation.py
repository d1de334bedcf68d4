"""FIELD_HASH_KEY can be rotated: phones are hashed with the newest key and found
under any key in the list, and `manage.py rehash_phones` moves every stored hash
to the newest key so the old one can go."""

import hashlib
import hmac
import io
import secrets

import pytest
from django.core.management import call_command

from admissions import services
from admissions.models import Intake
from tests.admissions.helpers import PHONE_E164

pytestmark = pytest.mark.django_db

OTHER_PHONE = "+12025550123"


def hashed(key: str, e164: str) -> str:
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def keys(settings):
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    settings.FIELD_HASH_KEY = old
    return old, new


def test_during_rotation_phones_are_hashed_with_the_newest_key_and_found_under_both(
    make_intake, settings, keys
):
    old, new = keys
    before = make_intake()
    assert before.phone_hash == hashed(old, PHONE_E164)

    settings.FIELD_HASH_KEY = f"{new},{old}"
    after = make_intake()
    assert after.phone_hash == hashed(new, PHONE_E164)
    assert set(Intake.objects.with_phone(PHONE_E164)) == {before, after}
    assert not Intake.objects.with_phone(OTHER_PHONE).exists()


def test_rehash_phones_moves_every_stored_hash_to_the_newest_key(make_intake, settings, keys):
    old, new = keys
    first, second = make_intake(), make_intake(phone=OTHER_PHONE)
    forgotten = make_intake()
    Intake.objects.filter(pk=forgotten.pk).update(phone_hash="")  # anonymised: no phone kept

    settings.FIELD_HASH_KEY = f"{new},{old}"
    already_new = make_intake()
    out = io.StringIO()
    call_command("rehash_phones", stdout=out)
    assert "Re-hashed the phone numbers of 2 intakes" in out.getvalue()

    settings.FIELD_HASH_KEY = new  # the old key is gone
    assert set(Intake.objects.with_phone(PHONE_E164)) == {first, already_new}
    assert set(Intake.objects.with_phone(OTHER_PHONE)) == {second}
    assert Intake.objects.get(pk=first.pk).phone_hash == hashed(new, PHONE_E164)
    assert Intake.objects.get(pk=forgotten.pk).phone_hash == ""
    assert services.intakes_rehash_phones() == 0  # nothing left to move
