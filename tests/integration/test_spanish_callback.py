"""The callback in Spanish through the real pipeline: a form sent from /es/admissions/,
the real Redis broker, the session's Celery worker process and the mail at a real
SMTP server on loopback. The intake records Spanish and the consent wording the
Spanish form showed, and reaches the Spanish-speaking navigator on duty, whom
round robin alone would not have picked."""

import re

import pytest
from django.utils import timezone

from admissions import consent
from admissions.models import ConsentRecord, Intake, IntakeActivity, NavigatorState
from admissions.roles import NAVIGATORS_GROUP
from tests.admissions.helpers import form_data, on_duty
from tests.factories import make_user
from tests.harness import wait_until
from tests.integration.test_intake_pipeline import assert_no_personal_data, wait_for_the_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_fill_time")]


def submit_in_spanish(client):
    """Fill the Spanish form as a browser would: its CSRF token and signed start time."""
    html = client.get("/es/admissions/?from=naltrexone").content.decode()
    assert '<html lang="es"' in html
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = form_data(started=started, source="naltrexone", csrfmiddlewaretoken=token)
    return client.post("/es/admissions/?from=naltrexone", data)


def test_a_spanish_intake_reaches_the_spanish_speaking_navigator_by_mail(
    celery_worker_process, mailbox, client
):
    # ana, English only, is first in the round robin (never given an intake); sofia
    # speaks Spanish and was given one a minute ago.
    ana = make_user("ana", NAVIGATORS_GROUP)
    sofia = make_user("sofia", NAVIGATORS_GROUP)
    for user in (ana, sofia):
        on_duty(user)
    NavigatorState.objects.filter(user=sofia).update(
        languages="en,es", last_assigned_at=timezone.now()
    )

    response = submit_in_spanish(client)
    assert response.status_code == 302 and response["Location"] == "/es/admissions/thanks/"

    [message] = mailbox.wait_for(1)
    intake = Intake.objects.get()
    assert intake.language == "es"
    record = ConsentRecord.objects.get(intake=intake)
    assert record.wording_version == consent.CURRENT_VERSIONS["es"] == "2026-12-es"
    assert record.wording_sha256 == consent.WORDINGS["2026-12-es"].sha256

    assert message["X-Envelope-To"] == sofia.email
    assert message["Subject"] == f"Intake {intake.reference} waiting (Spanish speaker)"
    body = message.get_payload(decode=True).decode()
    assert "Spanish speaker" in body and "called back in Spanish" in body
    assert re.search(rf"https?://\S+/admin/admissions/intake/{intake.pk}/change/", body)
    assert_no_personal_data(message)

    wait_until(
        lambda: Intake.objects.filter(pk=intake.pk, notified_at__isnull=False).exists(),
        10,
        what="the intake to be marked notified",
    )
    intake.refresh_from_db()
    assert intake.assigned_to == sofia
    assert not intake.activities.filter(kind=IntakeActivity.Kind.SPANISH_NEEDED).exists()
    wait_for_the_worker()
    assert len(mailbox.messages) == 1


def test_with_no_spanish_speaker_on_duty_the_navigator_is_told_one_is_needed(
    celery_worker_process, mailbox, client
):
    ana = make_user("ana", NAVIGATORS_GROUP)
    on_duty(ana)
    assert submit_in_spanish(client).status_code == 302

    [message] = mailbox.wait_for(1)
    intake = Intake.objects.get()
    assert message["X-Envelope-To"] == ana.email
    assert message["Subject"] == f"Intake {intake.reference} waiting: Spanish speaker needed"
    assert "Spanish speaker needed" in message.get_payload(decode=True).decode()
    assert_no_personal_data(message)
    wait_until(
        lambda: intake.activities.filter(kind=IntakeActivity.Kind.SPANISH_NEEDED).exists(),
        10,
        what="the timeline to say a Spanish speaker is needed",
    )
