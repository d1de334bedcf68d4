"""The intake pipeline end to end: a POST, the real Redis broker, a real Celery
worker process and the navigator's mail at a real SMTP server on loopback."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from admissions import tasks
from admissions.models import Intake
from tests.admissions.helpers import PERSONAL, PHONE_E164, form_data
from tests.harness import wait_until
from tests.integration.processes import broker_idle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_fill_time")]


def wait_for_the_worker() -> None:
    """Until every task queued so far has run: nothing waits on the broker and the
    worker holds nothing unacknowledged (it acknowledges a task once it has run)."""
    url = os.environ["REDIS_URL"]
    wait_until(lambda: broker_idle(url), 20, looks=2, what="the worker to finish its tasks")


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
    celery_worker_process, mailbox, client, navigator
):
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

    # The mail leaves inside the worker's transaction: its commit may come a moment later.
    wait_until(
        lambda: Intake.objects.filter(pk=intake.pk, notified_at__isnull=False).exists(),
        10,
        what="the intake to be marked notified",
    )
    intake.refresh_from_db()
    assert intake.assigned_to == navigator and intake.notified_at is not None
    wait_for_the_worker()
    assert len(mailbox.messages) == 1


def test_duplicate_deliveries_to_the_worker_send_one_mail(
    celery_worker_process, mailbox, client, navigator, monkeypatch
):
    monkeypatch.setattr(tasks.intake_notify, "delay", lambda *args: None)
    submit(client)
    monkeypatch.undo()
    intake = Intake.objects.get()
    for _ in range(4):  # the worker runs four threads: these race for the row
        tasks.intake_notify.delay(intake.pk)
    assert len(mailbox.wait_for(1)) == 1
    wait_for_the_worker()  # all four copies have run
    assert len(mailbox.messages) == 1


def test_intake_saved_while_the_broker_was_down_is_sent_by_the_sweep(
    celery_worker_process, mailbox, client, navigator, monkeypatch, caplog
):
    def broker_down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.intake_notify, "delay", broker_down)
    response = submit(client)
    assert response.status_code == 302  # the person is told we have it
    monkeypatch.undo()
    intake = Intake.objects.get()
    assert intake.notified_at is None
    assert "sweep will retry" in caplog.text
    wait_for_the_worker()  # had anything been queued, it would have run by now
    assert mailbox.messages == []

    # Two minutes later, beat's sweep (run here by the real worker) queues it again.
    Intake.objects.filter(pk=intake.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    tasks.intakes_requeue_unnotified.delay()
    messages = mailbox.wait_for(1)
    assert [message["Subject"] for message in messages] == [f"Intake {intake.reference} waiting"]
    assert_no_personal_data(messages[0])
