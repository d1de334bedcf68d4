"""The worker sends its mails over kept SMTP connections (cardinal.lib.mail), not
one connection per mail."""

import pytest

from admissions import services
from admissions.models import Intake
from tests.integration.test_intake_pipeline import wait_for_the_worker

pytestmark = pytest.mark.django_db(transaction=True)

MAILS = 12


def test_the_worker_sends_successive_notifications_over_kept_connections(
    celery_worker_process, mailbox, navigator
):
    for number in range(MAILS):
        services.intake_submit(
            first_name=f"Person {number}",
            phone=f"+1415555{number:04d}",
            who_needs_help="self",
            best_time="any",
            voicemail_ok=True,
            contact_method="call",
            consent_page="/admissions/",
        )
    assert len(mailbox.wait_for(MAILS)) == MAILS
    wait_for_the_worker()
    assert Intake.objects.filter(notified_at__isnull=False).count() == MAILS
    # At most one connection for each of the worker's four threads, not one a mail.
    assert mailbox.connections <= 4
