"""The staff marker cookie (cardinal/staff_marker.py): set at staff sign-in with the
session cookie's lifetime, renewed with it, bound to the session, gone at sign-out."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from cardinal.staff_marker import COOKIE_NAME, staff_marker_valid, staff_marker_value

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _sign_in(client, username: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user(
        "editor", "editor@example.org", PASSWORD, is_staff=True
    )


def test_staff_sign_in_sets_a_marker_bound_to_the_session(client, staff_user, two_factor_off):
    response = _sign_in(client, "editor")
    assert response.status_code == 302
    session, marker = response.cookies["sessionid"], response.cookies[COOKIE_NAME]
    assert marker.value == staff_marker_value(session_key=session.value)
    assert marker["max-age"] == session["max-age"]
    assert marker["httponly"] is True
    assert marker["samesite"] == "Lax"
    assert marker["path"] == "/"


@pytest.mark.parametrize("secure", [True, False])
def test_the_marker_is_secure_when_the_session_cookie_is(
    client, staff_user, two_factor_off, settings, secure
):
    settings.SESSION_COOKIE_SECURE = secure
    response = _sign_in(client, "editor")
    assert bool(response.cookies[COOKIE_NAME]["secure"]) is secure
    assert bool(response.cookies["sessionid"]["secure"]) is secure


def test_the_marker_is_renewed_with_the_session(client, staff_user, two_factor_off):
    _sign_in(client, "editor")
    response = client.get("/")
    assert response.cookies[COOKIE_NAME].value == staff_marker_value(
        session_key=response.cookies["sessionid"].value
    )


def test_sign_out_deletes_the_marker(client, staff_user, two_factor_off):
    _sign_in(client, "editor")
    response = client.post("/admin/logout/")
    assert response.cookies[COOKIE_NAME].value == ""
    assert response.cookies[COOKIE_NAME]["max-age"] == 0


def test_a_marker_left_after_the_session_ended_is_deleted(client, staff_user, two_factor_off):
    _sign_in(client, "editor")
    client.session.flush()  # the session expired or was removed on the server
    client.cookies["sessionid"] = "expired-session-key"
    response = client.get("/")
    assert response.cookies[COOKIE_NAME]["max-age"] == 0


def test_a_user_who_is_not_staff_gets_no_marker(client):
    client.force_login(get_user_model().objects.create_user("visitor", "v@example.org"))
    response = client.get("/")
    assert "sessionid" in response.cookies
    assert COOKIE_NAME not in response.cookies


def test_anonymous_pages_set_no_marker(client):
    assert COOKIE_NAME not in client.get("/").cookies


def test_a_marker_is_valid_only_with_the_session_it_was_made_for():
    factory = RequestFactory()
    good = factory.get(
        "/", HTTP_COOKIE=f"sessionid=abc; {COOKIE_NAME}=" + staff_marker_value(session_key="abc")
    )
    assert staff_marker_valid(good)
    for cookie in (
        f"sessionid=other; {COOKIE_NAME}=" + staff_marker_value(session_key="abc"),
        f"sessionid=abc; {COOKIE_NAME}=1",
        f"{COOKIE_NAME}=" + staff_marker_value(session_key="abc"),
        "sessionid=abc",
    ):
        assert not staff_marker_valid(factory.get("/", HTTP_COOKIE=cookie)), cookie
