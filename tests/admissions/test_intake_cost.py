"""What an intake costs the database and Redis, from the POST to the notification:
each statement and round trip listed, so that one coming back fails here
(bench/README.md, "Where an intake's CPU goes", says what each cost)."""

import re

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admissions import services
from admissions.forms import IntakeForm
from admissions.models import Intake, IntakeActivity, Language, NavigatorState
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.admissions.helpers import form_data, on_duty
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/admissions/"
STATEMENT = re.compile(r'^(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.*?"(\w+)"', re.DOTALL)


def statements(queries) -> list[str]:
    """Each SQL statement as "<verb> <first table>", savepoints left out (the test's
    transaction makes them of every atomic block)."""
    found = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            continue
        match = STATEMENT.match(sql)
        verb = match.group(1).split()[0] if match else sql.split()[0]
        locked = " FOR UPDATE" if " FOR UPDATE" in sql else ""
        found.append(f"{verb} {match.group(2) if match else '?'}{locked}")
    return found


# --- The POST -----------------------------------------------------------------------------


def test_an_intake_post_writes_its_rows_and_session_and_reads_nothing(client, queued):
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, form_data(client))
    assert response.status_code == 302
    # No SELECT: the reference is drawn and the unique index checks it on insert.
    assert statements(queries) == [
        "INSERT admissions_intake",
        "INSERT admissions_consentrecord",
        "INSERT admissions_intakeactivity",
        "INSERT django_session",
    ]


def test_a_reference_drawn_twice_is_drawn_again_and_the_intake_saved_once(
    make_intake, monkeypatch, django_capture_on_commit_callbacks, queued
):
    taken = make_intake().reference
    draws = iter([taken, "CR-222222"])
    monkeypatch.setattr(services, "random_reference", lambda: next(draws))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        intake = make_intake()
    assert intake.reference == "CR-222222"
    assert Intake.objects.filter(reference=taken).count() == 1
    assert intake.consent.page == "/admissions/"
    assert IntakeActivity.objects.filter(intake=intake).count() == 1
    assert len(callbacks) == 1  # the clashing attempt's notification went with it
    assert queued[-1] == (intake.pk,)


def test_a_reference_always_taken_gives_up(make_intake, monkeypatch):
    taken = make_intake().reference
    monkeypatch.setattr(services, "random_reference", lambda: taken)
    with pytest.raises(Exception, match="admissions_intake_reference"):
        make_intake()
    assert Intake.objects.count() == 1


class RedisCalls:
    """Redis clients built and round trips made, by any client."""

    def __init__(self, monkeypatch):
        self.clients = self.round_trips = 0
        real_init = redis.Redis.__init__
        real_send = redis.connection.AbstractConnection.send_packed_command

        def counting_init(client, *args, **kwargs):
            self.clients += 1
            real_init(client, *args, **kwargs)

        def counting_send(conn, *args, **kwargs):
            self.round_trips += 1
            return real_send(conn, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "__init__", counting_init)
        monkeypatch.setattr(
            redis.connection.AbstractConnection, "send_packed_command", counting_send
        )


def test_an_intake_post_talks_to_redis_in_four_round_trips_over_a_kept_client(
    client, queued, monkeypatch, settings
):
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 60
    client.get(URL)
    assert client.post(URL, form_data(client)).status_code == 302  # the client is made
    client.get(URL)
    calls = RedisCalls(monkeypatch)
    assert client.post(URL, form_data(client)).status_code == 302
    # The address's posts, the token's claim, the minute's ceiling, the address's accepted.
    assert (calls.clients, calls.round_trips) == (0, 4)


# --- The notification ---------------------------------------------------------------------


def notify_statements(intake) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert services.intake_notify(intake_id=intake.pk)
    return statements(queries)


def test_notifying_with_nobody_on_duty_asks_once_who_is(make_intake, queued, settings):
    settings.ADMISSIONS_ONCALL_EMAIL = "on-call@cardinal.example"
    make_user("sam", SUPERVISORS_GROUP)
    make_user("nora", NAVIGATORS_GROUP)  # a navigator, away
    intake = make_intake()
    assert notify_statements(intake) == [
        "SELECT admissions_intake FOR UPDATE",
        "SELECT admissions_navigatorstate",  # who is on duty: nobody
        "SELECT auth_user",  # the supervisors for the on-call mail
        "INSERT admissions_intakeactivity",
        "UPDATE admissions_intake",
    ]


def test_notifying_a_navigator_reads_them_with_their_duty_row(make_intake, navigator, queued):
    intake = make_intake()
    assert notify_statements(intake) == [
        "SELECT admissions_intake FOR UPDATE",
        "SELECT admissions_navigatorstate",  # who is on duty, and their languages
        "SELECT admissions_intake",  # the same person's last navigator
        "SELECT admissions_navigatorstate FOR UPDATE",  # with the user row
        "UPDATE admissions_navigatorstate",
        "UPDATE admissions_intake",
    ]
    intake.refresh_from_db()
    assert intake.assigned_to == navigator


def test_a_spanish_intake_with_no_speaker_on_duty_skips_the_speakers(
    make_intake, navigator, queued
):
    intake = make_intake(language=Language.SPANISH)
    assert notify_statements(intake) == [
        "SELECT admissions_intake FOR UPDATE",
        "SELECT admissions_navigatorstate",
        "SELECT admissions_intake",
        "SELECT admissions_navigatorstate FOR UPDATE",  # among all on duty at once
        "UPDATE admissions_navigatorstate",
        "INSERT admissions_intakeactivity",  # Spanish speaker needed
        "UPDATE admissions_intake",
    ]


def test_the_navigator_chosen_comes_with_their_duty_row(make_intake, navigator, queued):
    speaker = make_user("sofia", NAVIGATORS_GROUP)
    on_duty(speaker)
    NavigatorState.objects.filter(user=speaker).update(languages="en,es")
    intake = make_intake(language=Language.SPANISH)
    with CaptureQueriesContext(connection) as queries:
        chosen = services.navigator_next(intake=intake, language=Language.SPANISH)
        assert chosen == speaker and chosen.navigator_state.speaks(Language.SPANISH)
    assert statements(queries)[-1] == "UPDATE admissions_navigatorstate"


# --- The form -----------------------------------------------------------------------------


def test_forms_share_their_fixed_choices_and_nothing_else():
    first, second = IntakeForm(), IntakeForm()
    for name in ("state", "substances", "voicemail_ok", "language"):
        assert first.fields[name].choices is IntakeForm.base_fields[name].choices
        assert first.fields[name].widget is not second.fields[name].widget
    first.fields["state"].widget.attrs["class"] = "changed"
    first.fields["state"].error_messages["invalid_choice"] = "changed"
    first.fields["state"].validators.append(lambda value: None)
    assert "class" not in second.fields["state"].widget.attrs
    assert second.fields["state"].error_messages["invalid_choice"] != "changed"
    assert second.fields["state"].validators == IntakeForm.base_fields["state"].validators
    assert len(second.fields["state"].choices) == 53  # "Choose a state" and 52
