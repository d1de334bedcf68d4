"""Authenticator seeds are encrypted at rest: the database holds no seed, codes
still verify, devices enrolled before are moved and encrypted by a migration,
and key rotation re-encrypts them."""

import importlib
import io
import time
from base64 import b32encode

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cardinal.staff.models import StaffTOTPDevice
from tests.factories import make_user

pytestmark = pytest.mark.django_db

move_totp_devices = importlib.import_module("cardinal.staff.migrations.0002_move_totp_devices")


def code_for(seed: bytes, offset_steps: int = 0) -> str:
    generator = TOTP(seed, step=30, t0=0, digits=6)
    generator.time = time.time() + offset_steps * 30
    return str(generator.token()).zfill(6)


def stored_columns(table: str) -> str:
    """Every column of every row of `table`, as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def seed_forms(seed: bytes) -> list[str]:
    """How a seed may be written down: hex (django-otp's column) and base32 (the app's)."""
    return [seed.hex(), seed.hex().upper(), b32encode(seed).decode().rstrip("=")]


def test_the_database_holds_no_seed_and_codes_still_verify():
    device = StaffTOTPDevice.objects.create(user=make_user("nora"), name="phone")
    seed = StaffTOTPDevice.objects.get(pk=device.pk).bin_key
    assert len(seed) == 20

    stored = stored_columns("staff_stafftotpdevice")
    for form in seed_forms(seed):
        assert form not in stored
    assert "gAAAAA" in stored  # a Fernet token

    fresh = StaffTOTPDevice.objects.get(pk=device.pk)
    valid = {code_for(seed, step) for step in (-1, 0, 1)}
    assert not fresh.verify_token(next(c for c in ("000000", "111111", "222222") if c not in valid))
    fresh.throttle_reset()
    assert fresh.verify_token(code_for(seed))


def test_without_the_encryption_key_the_seed_cannot_be_read(settings):
    device = StaffTOTPDevice.objects.create(user=make_user("nora"), name="phone")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(InvalidToken):
        StaffTOTPDevice.objects.get(pk=device.pk).bin_key  # noqa: B018


def test_the_migration_moves_existing_devices_and_encrypts_their_seeds():
    nora = make_user("nora")
    old = TOTPDevice.objects.create(user=nora, name="Nora's phone", confirmed=True, drift=1)
    seed = old.bin_key

    move_totp_devices.move_devices(apps, None)

    assert not TOTPDevice.objects.exists()
    assert stored_columns("otp_totp_totpdevice") == ""
    for form in seed_forms(seed):
        assert form not in stored_columns("staff_stafftotpdevice")
    moved = StaffTOTPDevice.objects.get(user=nora)
    assert (moved.name, moved.confirmed, moved.drift) == ("Nora's phone", True, 1)
    assert moved.created_at == old.created_at
    assert moved.bin_key == seed
    assert moved.verify_token(code_for(seed, offset_steps=1))  # the phone works as before


def test_the_migration_can_be_reversed():
    nora = make_user("nora")
    device = StaffTOTPDevice.objects.create(user=nora, name="phone", confirmed=True)
    seed = device.bin_key
    move_totp_devices.move_devices_back(apps, None)
    assert not StaffTOTPDevice.objects.exists()
    assert TOTPDevice.objects.get(user=nora).bin_key == seed


def test_rotating_the_encryption_key_reencrypts_the_seeds(settings):
    old_key = settings.FIELD_ENCRYPTION_KEY
    device = StaffTOTPDevice.objects.create(user=make_user("nora"), name="phone")
    seed = device.bin_key
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 1 staff authenticator keys" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is gone
    assert StaffTOTPDevice.objects.get(pk=device.pk).bin_key == seed
