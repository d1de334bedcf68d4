"""Personal data: encrypted at rest, and never in logs, task messages, mail or __str__."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from admissions import crypto
from admissions.crypto import DecryptionError
from admissions.models import Intake, IntakeActivity
from admissions.services import intake_log_activity
from tests.admissions.helpers import PERSONAL, PHONE_E164, form_data

pytestmark = pytest.mark.django_db

PLAIN_VALUES = [*PERSONAL.values(), PHONE_E164, "4155552671", "opioids"]


def raw_row(intake_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM admissions_intake WHERE id = %s", [intake_id])
        return " ".join(str(value) for value in cursor.fetchone())


def test_raw_database_row_holds_no_plain_personal_data(client):
    client.post("/admissions/", form_data())
    intake = Intake.objects.get()
    row = raw_row(intake.pk)
    for value in PLAIN_VALUES:
        assert value not in row, value
    assert intake.reference in row  # the row is the right one


def test_timeline_notes_are_encrypted_at_rest(make_intake, navigator):
    intake = make_intake()
    intake_log_activity(
        intake=intake, author=navigator, kind="note", note="Thaddeus asked for evenings"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note FROM admissions_intakeactivity WHERE intake_id = %s", [intake.pk]
        )
        notes = " ".join(row[0] for row in cursor.fetchall())
    assert "Thaddeus" not in notes
    assert intake.activities.filter(kind="note").get().note == "Thaddeus asked for evenings"


def test_phone_hash_finds_repeat_contacts_without_decrypting(make_intake):
    first = make_intake()
    second = make_intake()
    make_intake(phone="+12025550123")
    assert first.phone_hash == crypto.phone_hash(PHONE_E164)
    assert set(Intake.objects.with_phone(PHONE_E164)) == {first, second}


def test_phone_hash_is_keyed(settings):
    before = crypto.phone_hash(PHONE_E164)
    settings.FIELD_HASH_KEY = "another-key"
    assert crypto.phone_hash(PHONE_E164) != before


def test_str_shows_the_reference_only(make_intake, navigator):
    intake = make_intake()
    assert str(intake) == intake.reference
    activity = intake_log_activity(intake=intake, author=navigator, kind="note", note="secret")
    for text in (str(activity), str(intake.consent)):
        for value in PLAIN_VALUES + ["secret"]:
            assert value not in text


def test_nothing_personal_in_logs_task_arguments_or_mail(
    client, caplog, mailoutbox, navigator, django_capture_on_commit_callbacks, monkeypatch
):
    from admissions.tasks import intake_notify

    queued = []
    original = intake_notify.apply_async

    def spy(args=None, kwargs=None, **options):
        queued.append((args, kwargs))
        return original(args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(intake_notify, "apply_async", spy)
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admissions/?from=naltrexone", form_data())
    assert response.status_code == 302
    client.get(response["Location"])

    intake = Intake.objects.get()
    assert queued == [((intake.pk,), {})]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    mail_text = " ".join([mail.subject, mail.body, *mail.to])
    assert intake.reference in mail.subject
    log_text = caplog.text + " ".join(str(record.args) for record in caplog.records)
    assert str(intake.pk) in log_text  # the logs do talk about the intake...
    for value in PLAIN_VALUES:
        assert value not in log_text, value  # ...but never about the person
        assert value not in mail_text, value
        assert value not in response["Location"]


def test_a_decryption_failure_names_no_value(make_intake, settings):
    intake = make_intake()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(DecryptionError) as caught:
        Intake.objects.get(pk=intake.pk)
    message = str(caught.value) + repr(caught.value.__cause__)
    for value in PLAIN_VALUES:
        assert value not in message


def test_encryption_key_is_read_when_used_so_it_can_change(make_intake, settings):
    old_key = settings.FIELD_ENCRYPTION_KEY
    new_key = Fernet.generate_key().decode()
    intake = make_intake()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert Intake.objects.get(pk=intake.pk).first_name == PERSONAL["first_name"]
    settings.FIELD_ENCRYPTION_KEY = new_key
    with pytest.raises(DecryptionError):
        Intake.objects.get(pk=intake.pk)


def test_rotate_encryption_key_reencrypts_everything_with_the_newest_key(
    make_intake, navigator, settings
):
    old_key = settings.FIELD_ENCRYPTION_KEY
    new_key = Fernet.generate_key().decode()
    intakes = [make_intake(), make_intake(phone="+12025550123", message="")]
    intake_log_activity(intake=intakes[0], author=navigator, kind="note", note="evenings only")

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 5 rows" in out.getvalue()  # 2 intakes, 3 timeline entries

    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is gone
    first = Intake.objects.get(pk=intakes[0].pk)
    assert first.first_name == PERSONAL["first_name"]
    assert first.phone == PHONE_E164
    assert first.insurance_member_id == PERSONAL["insurance_member_id"]
    assert Intake.objects.get(pk=intakes[1].pk).phone == "+12025550123"
    assert IntakeActivity.objects.get(kind="note").note == "evenings only"
    assert first.updated_at == intakes[0].updated_at  # rotation is not an edit


def test_sensitive_post_parameters_hide_form_values_from_error_reports(rf):
    from admissions.views import intake

    request = rf.post("/admissions/", form_data())
    intake(request)
    assert request.sensitive_post_parameters == "__ALL__"
