"""Sessions are stored under a hash of their key: a copy of the database holds no
session key a browser could present to take over a signed-in staff session."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from admissions.models import Intake
from cardinal.sessions import stored_key
from tests.admissions.helpers import form_data
from tests.factories import STAFF_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def sign_in(client: Client) -> str:
    """Sign the staff member in; their session key, as the cookie carries it."""
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ana", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def test_the_database_holds_only_a_hash_of_a_staff_session_key(client, two_factor_off):
    ana = make_user("ana", is_superuser=True)
    key = sign_in(client)
    assert client.get("/admin/").status_code == 200

    [row] = Session.objects.all()
    assert row.get_decoded()["_auth_user_id"] == str(ana.pk)  # the staff session...
    assert row.session_key == stored_key(key)  # ...stored under the hash of its key
    assert row.session_key != key and key not in row.session_data


def test_a_session_key_read_from_the_database_signs_nobody_in(client, two_factor_off):
    make_user("ana", is_superuser=True)
    sign_in(client)
    [row] = Session.objects.all()

    thief = Client()
    thief.cookies["sessionid"] = row.session_key  # what a stolen backup holds
    response = thief.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_signing_out_deletes_the_stored_session(client, two_factor_off):
    make_user("ana", is_superuser=True)
    sign_in(client)
    assert Session.objects.count() == 1
    client.post("/admin/logout/")
    assert not Session.objects.exists()


def test_the_intake_confirmation_finds_its_reference_in_the_hashed_session(client):
    response = client.post("/admissions/", form_data())
    assert response.status_code == 302
    [row] = Session.objects.all()
    assert row.session_key == stored_key(client.cookies["sessionid"].value)
    reference = Intake.objects.get().reference
    assert row.get_decoded()["admissions_reference"] == reference
    assert reference in client.get(response["Location"]).content.decode()


def test_a_new_session_is_written_without_first_reading_whether_its_key_is_taken():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cardinal.sessions import SessionStore

    session = SessionStore()
    session["admissions_reference"] = "CR-ABCDEF"
    with CaptureQueriesContext(connection) as queries:
        session.save()
    reads = [query["sql"] for query in queries if query["sql"].lstrip().startswith("SELECT")]
    assert reads == []
    assert Session.objects.filter(session_key=stored_key(session.session_key)).exists()


def test_a_new_session_drawing_a_taken_key_gets_another(monkeypatch):
    from cardinal.sessions import SessionStore

    first = SessionStore()
    first.save()
    keys = iter([first.session_key, "k" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    second = SessionStore()
    second.save()
    assert second.session_key == "k" * 32
    assert Session.objects.count() == 2
