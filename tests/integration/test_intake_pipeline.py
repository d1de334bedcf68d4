"""The intake pipeline end to end: a POST, the real Redis broker, a real Celery
worker process and the navigator's mail at a real SMTP server on loopback."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from kombu.exceptions import OperationalError

from admissions import tasks
from admissions.models import Intake
from tests.admissions.helpers import PERSONAL, PHONE_E164, form_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def navigator(django_user_model):
    # Transactional tests empty the tables between tests: make the group here.
    group, _ = Group.objects.get_or_create(name="Navigators")
    user = django_user_model.objects.create_user(
        username="nia", email="nia@cardinal.example", password="a-long-test-password-1"
    )
    user.groups.add(group)
    return user


def submit(client, **overrides):
    """Fill the form as a browser would: its CSRF token and signed start time."""
    html = client.get("/admissions/?from=naltrexone").content.decode()
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = form_data(started=started, source="naltrexone", csrfmiddlewaretoken=token)
    data.update(overrides)
    return client.post("/admissions/", data)


def assert_no_personal_data(message) -> None:
    text = message.as_string()
    for value in [*PERSONAL.values(), PHONE_E164, "4155552671"]:
        assert value not in text, value


def test_posted_intake_reaches_the_navigator_by_mail(
    celery_worker_process, mailbox, client, navigator, settings
):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 0
    response = submit(client)
    assert response.status_code == 302

    messages = mailbox.wait_for(1)
    assert len(messages) == 1
    intake = Intake.objects.get()
    message = messages[0]
    assert message["X-Envelope-To"] == navigator.email
    assert message["Subject"] == f"Intake {intake.reference} waiting"
    body = message.get_payload(decode=True).decode()
    assert intake.reference in body
    assert re.search(rf"https?://\S+/admin/admissions/intake/{intake.pk}/change/", body)
    assert_no_personal_data(message)

    intake.refresh_from_db()
    assert intake.assigned_to == navigator and intake.notified_at is not None
    time.sleep(1)
    assert len(mailbox.messages) == 1


def test_duplicate_deliveries_to_the_worker_send_one_mail(
    celery_worker_process, mailbox, client, navigator, settings, monkeypatch
):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 0
    monkeypatch.setattr(tasks.intake_notify, "delay", lambda *args: None)
    submit(client)
    monkeypatch.undo()
    intake = Intake.objects.get()
    for _ in range(4):  # the worker runs four threads: these race for the row
        tasks.intake_notify.delay(intake.pk)
    assert len(mailbox.wait_for(1)) == 1
    time.sleep(2)
    assert len(mailbox.messages) == 1


def test_intake_saved_while_the_broker_was_down_is_sent_by_the_sweep(
    celery_worker_process, mailbox, client, navigator, settings, monkeypatch, caplog
):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 0

    def broker_down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.intake_notify, "delay", broker_down)
    response = submit(client)
    assert response.status_code == 302  # the person is told we have it
    monkeypatch.undo()
    intake = Intake.objects.get()
    assert intake.notified_at is None
    assert "sweep will retry" in caplog.text
    time.sleep(1)
    assert mailbox.messages == []

    # Two minutes later, beat's sweep (run here by the real worker) queues it again.
    Intake.objects.filter(pk=intake.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    tasks.intakes_requeue_unnotified.delay()
    messages = mailbox.wait_for(1)
    assert [message["Subject"] for message in messages] == [f"Intake {intake.reference} waiting"]
    assert_no_personal_data(messages[0])
