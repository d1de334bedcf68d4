"""cardinal.lib.mail: one SMTP connection kept per thread, from one mail to the next."""

import pytest
from django.core.mail import get_connection, send_mail
from django.test import override_settings

from cardinal.lib import mail
from tests.harness import SmtpSink

BACKEND = "cardinal.lib.mail.KeptConnectionBackend"


@pytest.fixture
def sink():
    server = SmtpSink().up()
    with override_settings(
        EMAIL_BACKEND=BACKEND, EMAIL_HOST="127.0.0.1", EMAIL_PORT=server.port, EMAIL_USE_TLS=False
    ):
        yield server
    mail._drop()
    server.down()


def send(number: int) -> None:
    send_mail(f"Intake {number} waiting", "A link.", None, ["navigator@example.org"])


def test_successive_mails_go_over_one_connection(sink):
    for number in range(5):
        send(number)
    assert len(sink.wait_for(5)) == 5
    assert sink.connections == 1


def test_a_mail_after_the_server_restarted_goes_over_a_new_connection(sink):
    send(1)
    sink.wait_for(1)
    sink.down()  # the kept connection is gone with the server
    sink.up()
    send(2)
    assert [message["Subject"] for message in sink.wait_for(2)] == [
        "Intake 1 waiting",
        "Intake 2 waiting",
    ]
    assert sink.connections == 2


def test_an_idle_connection_is_checked_before_it_is_used_again(sink, monkeypatch):
    send(1)
    sink.wait_for(1)
    monkeypatch.setattr(mail.KeptConnectionBackend, "IDLE_SECONDS", 0.0)
    send(2)
    assert len(sink.wait_for(2)) == 2
    assert sink.connections == 1  # it answered the NOOP


def test_a_connection_is_replaced_after_its_share_of_mails(sink, monkeypatch):
    monkeypatch.setattr(mail.KeptConnectionBackend, "MAX_MESSAGES", 2)
    for number in range(4):
        send(number)
    assert len(sink.wait_for(4)) == 4
    assert sink.connections == 2


def test_a_backend_closed_by_its_caller_leaves_the_kept_connection_open(sink):
    with get_connection() as connection:
        connection.send_messages([])
    send(1)
    send(2)
    assert len(sink.wait_for(2)) == 2
    assert sink.connections == 1
