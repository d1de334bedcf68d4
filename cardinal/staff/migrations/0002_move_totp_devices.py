"""Move django-otp's TOTP devices here, with their seeds encrypted.

otp_totp_totpdevice keeps each seed as plain hex; every row is copied into
staff_stafftotpdevice with the seed sealed under FIELD_ENCRYPTION_KEY, then
deleted, so no seed stays readable in the database. Staff keep their app; a
session verified with an old device signs in with a code again. Reversing the
migration moves them back.
"""

from binascii import hexlify, unhexlify

from django.db import migrations

FIELDS = [
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
]


def move_devices(apps, schema_editor):
    from cardinal.staff.models import seal

    old_model = apps.get_model("otp_totp", "TOTPDevice")
    new_model = apps.get_model("staff", "StaffTOTPDevice")
    for old in old_model.objects.order_by("pk"):
        new = new_model.objects.create(
            encrypted_key=seal(unhexlify(old.key.encode())),
            **{field: getattr(old, field) for field in FIELDS},
        )
        # created_at is auto_now_add: keep the enrolment date.
        new_model.objects.filter(pk=new.pk).update(created_at=old.created_at)
        old.delete()


def move_devices_back(apps, schema_editor):
    from cardinal.staff.models import unseal

    old_model = apps.get_model("otp_totp", "TOTPDevice")
    new_model = apps.get_model("staff", "StaffTOTPDevice")
    for new in new_model.objects.order_by("pk"):
        old = old_model.objects.create(
            key=hexlify(unseal(new.encrypted_key)).decode(),
            **{field: getattr(new, field) for field in FIELDS},
        )
        old_model.objects.filter(pk=old.pk).update(created_at=new.created_at)
        new.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(move_devices, move_devices_back)]
