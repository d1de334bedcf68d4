"""A navigator sets the languages they speak on "My languages": their own only, and
nothing else of their staff profile."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from admissions.models import NavigatorState
from admissions.roles import NAVIGATORS_GROUP
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

URL = "/admin/admissions/intake/my-languages/"


def ticked(html: str) -> list[str]:
    return re.findall(r'name="languages" value="(\w+)"[^>]*checked', html)


def test_the_page_is_linked_beside_the_duty_switch_for_navigators(client, navigator, supervisor):
    assert reverse("admin:admissions_own_languages") == URL
    client.force_login(navigator)
    assert f'href="{URL}"' in client.get("/admin/").content.decode()
    client.force_login(supervisor)
    assert f'href="{URL}"' not in client.get("/admin/").content.decode()


def test_a_navigator_sets_their_own_languages_and_nothing_else(client, navigator):
    before = NavigatorState.objects.get(user=navigator)
    client.force_login(navigator)
    html = client.get(URL).content.decode()
    assert "Languages spoken" in html and "The languages you can hold a call in." in html
    assert ticked(html) == ["en"]

    response = client.post(URL, {"languages": ["en", "es"], "available": "0"})
    assert response.status_code == 302 and response["Location"] == URL
    state = NavigatorState.objects.get(user=navigator)
    assert state.languages == "en,es" and state.speaks("es")
    # Their duty state is theirs to switch elsewhere; this page leaves it as it was.
    assert (state.available, state.last_seen_at) == (True, before.last_seen_at)
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == ["Your languages are saved: English, Spanish."]
    entry = LogEntry.objects.get(object_id=str(navigator.pk))
    assert entry.get_change_message() == "Changed their languages spoken: English, Spanish."
    assert ticked(client.get(URL).content.decode()) == ["en", "es"]


def test_a_navigator_without_a_profile_gets_one_speaking_what_they_ticked(client):
    sofia = make_user("sofia", NAVIGATORS_GROUP)
    client.force_login(sofia)
    assert ticked(client.get(URL).content.decode()) == ["en"]
    assert not NavigatorState.objects.exists()  # reading the page writes nothing
    assert client.post(URL, {"languages": ["es"]}).status_code == 302
    state = NavigatorState.objects.get()
    assert (state.user, state.languages, state.available) == (sofia, "es", False)


def test_ticking_no_language_is_refused(client, navigator):
    client.force_login(navigator)
    response = client.post(URL, {})
    assert response.status_code == 200
    assert "Tick at least one language." in response.content.decode()
    assert NavigatorState.objects.get(user=navigator).languages == "en"


def test_a_navigator_cannot_change_another_navigators_languages(client, navigator):
    other = make_user("olga", NAVIGATORS_GROUP)
    NavigatorState.objects.create(user=other, languages="en")
    client.force_login(navigator)
    # The page has no say in whose profile it is: a user field is ignored.
    client.post(URL, {"languages": ["es"], "user": str(other.pk)})
    assert NavigatorState.objects.get(user=other).languages == "en"
    assert NavigatorState.objects.get(user=navigator).languages == "es"
    # Nor can they use the staff account page, where managers set anyone's.
    account = reverse("admin:auth_user_change", args=[other.pk])
    assert client.get(account).status_code == 403
    assert client.post(account, {"navigator_state-0-languages": ["es"]}).status_code == 403
    assert NavigatorState.objects.get(user=other).languages == "en"


def test_staff_outside_the_navigators_group_are_refused(client, supervisor, editor):
    for user in (supervisor, editor, make_user("root", is_superuser=True)):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"languages": ["es"]}).status_code == 403
    assert not NavigatorState.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, navigator):
    for response in (client.get(URL), client.post(URL, {"languages": ["es"]})):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert NavigatorState.objects.get(user=navigator).languages == "en"
