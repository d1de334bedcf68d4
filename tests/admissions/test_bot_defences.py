"""Bot defences that never drop a person, and the input details of the review.

The fill-time token expires, is used once, and belongs to the browser it was
given to; a token that fails any of these shows the form again with the answers
kept and a word of explanation (only the honeypot gets a silent fake
confirmation). A rotated SECRET_KEY keeps open forms valid through
SECRET_KEY_FALLBACKS. A ceiling on accepted intakes per minute, for everyone
together, asks visitors to call and alerts the supervisors once a minute.
The thanks page shows the reference once. Substances are stored once each, and
the page an intake came from is a published guide, a page of ours or "other".
"""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from admissions import limits, services
from admissions.forms import SITE_SOURCES, IntakeForm, known_source
from admissions.models import Intake
from admissions.roles import SUPERVISORS_GROUP
from admissions.views import ALREADY_SENT, LONG_OPEN, SESSION_REFERENCE_KEY
from cardinal import settings as project_settings
from tests.admissions.helpers import PERSONAL, form_data, signed_start
from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/admissions/"
THANKS = "/admissions/thanks/"
REFERENCE = re.compile(r"CR-[2-9A-HJ-NP-Z]{6}")


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def opened_form(client: Client) -> dict:
    """GET the form as a browser does: the POST it will send, with its own token."""
    html = client.get(URL).content.decode()
    return form_data(client, started=hidden(html, "started"))


# --- The fill-time token --------------------------------------------------------------------


def test_a_form_open_longer_than_the_maximum_age_is_shown_again_and_can_then_be_sent(
    client, settings, no_fill_time
):
    settings.ADMISSIONS_FORM_MAX_AGE_SECONDS = 2 * 3600
    response = client.post(URL, form_data(client, started=signed_start(2 * 3600 + 60)))
    assert response.status_code == 200
    assert response.context["notice"] == LONG_OPEN
    html = response.content.decode()
    assert "This form was open for a long time." in html
    assert f'value="{PERSONAL["first_name"]}"' in html  # the answers are kept
    assert not Intake.objects.exists()

    again = dict(form_data(client), started=hidden(html, "started"))  # the fresh token
    assert client.post(URL, again).status_code == 302
    assert Intake.objects.count() == 1


def test_a_form_within_the_maximum_age_is_accepted(client, settings):
    settings.ADMISSIONS_FORM_MAX_AGE_SECONDS = 2 * 3600
    response = client.post(URL, form_data(client, started=signed_start(2 * 3600 - 60)))
    assert response.status_code == 302
    assert Intake.objects.count() == 1


def test_a_token_is_used_once_the_second_post_is_shown_again_not_saved(client):
    data = form_data(client)
    assert client.post(URL, data).status_code == 302
    again = client.post(URL, data)
    assert again.status_code == 200
    assert again.context["notice"] == ALREADY_SENT
    assert "You already sent us this form." in again.content.decode()
    assert Intake.objects.count() == 1


def test_a_token_copied_into_another_browser_is_refused(no_fill_time):
    visitor, bot = Client(), Client()
    data = opened_form(visitor)
    bot.get(URL)  # a CSRF cookie of its own
    response = bot.post(URL, data)
    assert response.status_code == 200 and response.context["notice"] == LONG_OPEN
    assert not Intake.objects.exists()
    assert visitor.post(URL, data).status_code == 302  # still good where it was given


def test_the_token_is_bound_to_the_csrf_cookie_under_enforced_csrf_checks(no_fill_time):
    visitor = Client(enforce_csrf_checks=True)
    html = visitor.get(URL).content.decode()
    data = form_data(
        visitor,
        started=hidden(html, "started"),
        csrfmiddlewaretoken=hidden(html, "csrfmiddlewaretoken"),
    )
    other = Client(enforce_csrf_checks=True)
    other_html = other.get(URL).content.decode()
    stolen = dict(data, csrfmiddlewaretoken=hidden(other_html, "csrfmiddlewaretoken"))
    assert other.post(URL, stolen).status_code == 200  # CSRF passes, the token does not
    assert not Intake.objects.exists()
    assert visitor.post(URL, data).status_code == 302


def test_a_form_that_failed_to_save_can_be_sent_again(client, monkeypatch):
    real = services.intake_submit
    calls = []

    def database_down_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database unreachable")
        return real(**kwargs)

    monkeypatch.setattr(services, "intake_submit", database_down_once)
    client.raise_request_exception = False
    data = form_data(client)
    assert client.post(URL, data).status_code == 500
    assert client.post(URL, data).status_code == 302  # the token was given back
    assert Intake.objects.count() == 1


def test_the_token_check_lets_people_through_when_the_cache_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(limits.cache, "add", broken)
    monkeypatch.setattr(limits.cache, "incr", broken)
    # Under Redis the limits talk to it through a kept client (cardinal.lib.redis_client).
    monkeypatch.setattr("redis.connection.ConnectionPool.get_connection", broken)
    assert client.post(URL, form_data(client)).status_code == 302
    assert Intake.objects.count() == 1


def test_only_the_honeypot_gets_a_silent_fake_confirmation(client):
    response = client.post(URL, form_data(client, website="https://spam.example"))
    assert response.status_code == 302 and response["Location"] == THANKS
    assert not Intake.objects.exists()


# --- Key rotation ----------------------------------------------------------------------------


def test_a_form_shown_before_a_key_rotation_is_accepted_with_the_old_key_as_fallback(
    client, settings
):
    old_key = settings.SECRET_KEY
    data = form_data(client)  # signed with the key of the time
    settings.SECRET_KEY = "n" * 20 + "ew-key-after-the-rotation-" + "k" * 20
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.post(URL, data).status_code == 302
    assert Intake.objects.count() == 1


def test_without_the_fallback_a_form_from_before_the_rotation_is_shown_again(client, settings):
    data = form_data(client)
    settings.SECRET_KEY = "n" * 20 + "ew-key-after-the-rotation-" + "k" * 20
    settings.SECRET_KEY_FALLBACKS = []
    response = client.post(URL, data)
    assert response.status_code == 200 and response.context["notice"] == LONG_OPEN
    assert not Intake.objects.exists()


def test_secret_key_fallbacks_come_from_the_environment_and_are_checked_with_debug_off():
    old = ["o" * 25 + "ld-key-number-one-" + "1" * 10, "p" * 25 + "revious-key-two-" + "2" * 10]
    env = {**PRODUCTION_SECRETS, "DJANGO_DEBUG": "0"}
    read = settings_from_env(**env, DJANGO_SECRET_KEY_FALLBACKS=f" {old[0]} , {old[1]} ")
    assert read["SECRET_KEY_FALLBACKS"] == old
    assert settings_from_env(**env)["SECRET_KEY_FALLBACKS"] == []
    for weak in ("short", project_settings.DEV_SECRET_KEY, "change-me-" + "x" * 50):
        with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY_FALLBACKS"):
            settings_from_env(**env, DJANGO_SECRET_KEY_FALLBACKS=f"{old[0]},{weak}")


# --- The ceiling for everyone ----------------------------------------------------------------


def visitor(n: int) -> Client:
    return Client(REMOTE_ADDR=f"198.51.100.{n}")


def test_past_the_ceiling_the_form_asks_people_to_call_and_supervisors_get_one_mail(
    settings, supervisor, mailoutbox
):
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 2
    people = [visitor(n) for n in range(1, 6)]
    statuses = [person.post(URL, form_data(person)).status_code for person in people]
    assert statuses == [302, 302, 503, 503, 503]
    assert Intake.objects.count() == 2

    busy = people[2].post(URL, form_data(people[2]))
    assert busy["Retry-After"] == "60"
    html = busy.content.decode()
    assert "Please call us instead" in html and 'href="tel:+1' in html
    assert "unusually large number of requests" in html

    alerts = [mail for mail in mailoutbox if "too many requests" in mail.subject]
    assert len(alerts) == 1  # one a minute, not one a refused intake
    [alert] = alerts
    assert alert.to == [supervisor.email]
    assert "More than 2 intakes" in alert.body
    for value in PERSONAL.values():
        assert value not in alert.body


def test_the_ceiling_counts_each_minute_afresh(settings, supervisor, mailoutbox, monkeypatch):
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 1
    minute = [1000]
    monkeypatch.setattr(limits, "current_window", lambda now=None: minute[0])
    assert [visitor(n).post(URL, form_data()).status_code for n in (1, 2)] == [302, 503]
    minute[0] += 1
    assert [visitor(n).post(URL, form_data()).status_code for n in (3, 4)] == [302, 503]
    assert Intake.objects.count() == 2
    assert len([mail for mail in mailoutbox if "too many requests" in mail.subject]) == 2


def test_a_form_refused_at_the_ceiling_can_be_sent_once_it_passes(settings, monkeypatch):
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 1
    minute = [2000]
    monkeypatch.setattr(limits, "current_window", lambda now=None: minute[0])
    assert visitor(1).post(URL, form_data()).status_code == 302
    person = visitor(2)
    data = form_data(person)
    assert person.post(URL, data).status_code == 503
    minute[0] += 1
    assert person.post(URL, data).status_code == 302  # the token was not used up


def test_a_ceiling_of_zero_is_no_ceiling(settings):
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 0
    assert {visitor(n).post(URL, form_data()).status_code for n in range(1, 5)} == {302}


# --- Escalations in one mail -----------------------------------------------------------------


def overdue(make_intake, minutes: int) -> Intake:
    intake = make_intake()
    then = timezone.now() - timedelta(minutes=minutes)
    Intake.objects.filter(pk=intake.pk).update(created_at=then, call_after=then)
    return intake


def test_one_escalation_mail_lists_every_newly_overdue_intake(
    make_intake, supervisor, mailoutbox, settings
):
    settings.ADMISSIONS_SLA_MINUTES = 15
    make_user("sue", SUPERVISORS_GROUP)
    late = [overdue(make_intake, minutes) for minutes in (20, 40, 60)]
    overdue(make_intake, 5)  # not yet
    mailoutbox.clear()

    assert services.intakes_escalate_overdue() == 3
    [mail] = mailoutbox
    assert len(mail.to) == 2
    assert mail.subject == "3 intakes not contacted within 15 minutes"
    for intake in late:
        assert intake.reference in mail.body and intake.admin_url() in mail.body
    assert "waiting 60 minutes" in mail.body

    later = overdue(make_intake, 30)
    mailoutbox.clear()
    assert services.intakes_escalate_overdue() == 1  # only the new one
    [mail] = mailoutbox
    assert later.reference in mail.subject
    assert not any(intake.reference in mail.body for intake in late)


# --- The thanks page shows the reference once ------------------------------------------------


def test_the_thanks_page_shows_the_reference_once_then_the_rest_without_it(client):
    assert client.post(URL, form_data(client)).status_code == 302
    reference = Intake.objects.get().reference
    first = client.get(THANKS).content.decode()
    assert reference in first

    reload = client.get(THANKS)
    assert reload.status_code == 200
    html = reload.content.decode()
    assert "We received your request." in html and 'href="tel:988"' in html
    assert not REFERENCE.search(html)
    assert SESSION_REFERENCE_KEY not in client.session
    stored = Session.objects.get()  # the stored session no longer holds it either
    assert reference not in str(stored.get_decoded())


def test_the_thanks_page_of_the_fake_confirmation_also_shows_its_reference_once(client):
    client.post(URL, form_data(client, website="filled by a program"))
    assert REFERENCE.search(client.get(THANKS).content.decode())
    assert not REFERENCE.search(client.get(THANKS).content.decode())


# --- Input details ---------------------------------------------------------------------------


def test_repeated_substances_are_stored_once_each_in_the_order_given(client):
    data = form_data(client, substances=["opioids"] + ["alcohol"] * 150 + ["opioids"])
    assert client.post(URL, data).status_code == 302
    intake = Intake.objects.get()
    assert intake.substances == "opioids,alcohol"
    assert intake.substance_list == ["opioids", "alcohol"]


def test_the_form_cleans_repeated_substances_to_each_once(client):
    form = IntakeForm(form_data(substances=["cannabis", "alcohol", "cannabis"]))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["substances"] == ["cannabis", "alcohol"]
    # "Prefer not to say", sent twice, is still on its own.
    twice = IntakeForm(form_data(substances=["prefer_not_to_say", "prefer_not_to_say"]))
    assert twice.is_valid(), twice.errors
    assert twice.cleaned_data["substances"] == ["prefer_not_to_say"]


def test_the_submit_service_stores_each_substance_once(make_intake):
    intake = make_intake(substances=["cannabis", "cannabis", "alcohol", "cannabis"])
    assert Intake.objects.get(pk=intake.pk).substances == "cannabis,alcohol"


def test_source_is_kept_only_for_a_published_guide_or_a_page_of_ours(client, guide):
    guide("naltrexone")
    guide("draftamab", status="draft")
    guide("reviewamab", status="review")
    sent = {
        "naltrexone": "naltrexone",
        "home": "home",
        "medications": "medications",
        "draftamab": "other",
        "reviewamab": "other",
        "call-2025550100-urgent": "other",
        "<script>": "other",
        "": "",
    }
    for n, source in enumerate(sent):
        person = visitor(n + 1)
        assert person.post(URL, form_data(person, source=source)).status_code == 302
    stored = list(Intake.objects.order_by("created_at", "pk").values_list("source_page", flat=True))
    assert stored == list(sent.values())
    assert Intake.objects.filter(source_page="other").first().consent.page == (
        "/admissions/?from=other"
    )


def test_a_guide_published_later_is_known_within_a_minute(guide, settings):
    assert known_source("acamprosate") == "other"
    published = guide("acamprosate")
    assert known_source("acamprosate") == "other"  # the list is kept for a minute
    from django.core.cache import cache

    cache.clear()
    assert known_source("acamprosate") == "acamprosate"
    published.status = "draft"
    published.save()
    cache.clear()
    assert known_source("acamprosate") == "other"


def test_every_page_that_links_to_the_form_with_from_is_a_known_source():
    from pathlib import Path

    templates = Path(project_settings.BASE_DIR) / "templates"
    linked = set()
    for template in templates.rglob("*.html"):
        linked |= set(re.findall(r"\?from=([a-z0-9-]+)", template.read_text()))
    assert linked  # the home page and the guide list link to it
    assert linked <= SITE_SOURCES
    assert all(known_source(slug) == slug for slug in linked)


def test_an_old_token_made_before_tokens_were_bound_is_shown_again(client):
    from admissions.forms import STARTED_SALT

    legacy = signing.dumps(timezone.now().timestamp() - 60, salt=STARTED_SALT)  # a float
    response = client.post(URL, form_data(client, started=legacy))
    assert response.status_code == 200 and response.context["notice"] == LONG_OPEN
