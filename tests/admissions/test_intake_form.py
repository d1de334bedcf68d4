"""The public intake form: validation, consent, Post/Redirect/Get, abuse checks."""

import re
from types import SimpleNamespace

import pytest
from django.test import Client

from admissions import consent
from admissions.models import ConsentRecord, Intake
from admissions.views import LONG_OPEN, TOO_SOON
from tests.admissions.helpers import PHONE_E164, form_data, on_duty, signed_start

pytestmark = pytest.mark.django_db

URL = "/admissions/"


def post(client, **overrides):
    return client.post(URL, form_data(client, **overrides))


def field_errors(response) -> dict:
    return response.context["form"].errors


# --- The page ---------------------------------------------------------------------


def test_form_page_puts_the_safety_line_above_the_form(client):
    html = client.get(URL).content.decode()
    safety = html.index('class="safety-line"')
    assert safety < html.index("<h1") < html.index("<form")
    line = html[safety : html.index("</p>", safety)]
    assert 'href="tel:911"' in line and 'href="tel:988"' in line


def test_every_visible_field_has_a_label(client):
    html = client.get(URL).content.decode()
    main = html[html.index("<form") : html.index("</form>")]
    for match in re.finditer(r"<(input|select|textarea)\b([^>]*)>", main):
        attrs = match.group(2)
        if 'type="hidden"' in attrs:
            continue
        field_id = re.search(r'id="([^"]+)"', attrs).group(1)
        assert f'for="{field_id}"' in main, field_id


def test_consent_box_is_unchecked_and_names_the_clinic_texts_and_privacy_notice(client):
    html = client.get(URL).content.decode()
    box = re.search(r'<input[^>]*name="consent"[^>]*>', html).group(0)
    assert "checked" not in box and "required" in box
    wording = consent.current().text
    assert "Cardinal Recovery" in wording
    assert "text messages" in wording and "call me" in wording
    assert "not a condition of receiving care" in wording
    assert 'notice">' not in html  # the link is on the words themselves
    assert '<a href="/privacy/">privacy notice</a>' in html


def test_phone_field_is_a_tel_input(client):
    html = client.get(URL).content.decode()
    phone = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert phone.count("type=") == 1 and 'type="tel"' in phone
    assert 'autocomplete="tel"' in phone


def test_form_page_is_never_cached_and_loads_no_inline_script_or_style(client):
    response = client.get(URL)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html
    for script in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script or 'type="application/ld+json"' in script
    assert '/static/js/intake.js" defer' in html
    assert '/static/css/intake.css"' in html


def test_from_parameter_is_carried_in_the_form(client):
    html = client.get(URL + "?from=naltrexone").content.decode()
    assert re.search(r'name="source" value="naltrexone"', html)


@pytest.mark.parametrize("value", ["<script>", "a" * 200, "../../etc", "x y", "\x00"])
def test_from_parameter_that_is_not_a_slug_is_dropped(client, value):
    response = client.get(URL, {"from": value})
    assert response.status_code == 200
    assert re.search(r'name="source" id="id_source"', response.content.decode())


# --- Saving -------------------------------------------------------------------------


def test_valid_submission_saves_and_redirects_to_thanks_without_personal_data_in_url(
    client, guide, navigator
):
    guide("naltrexone")
    on_duty(navigator)
    response = post(client, source="naltrexone", best_time="any")
    assert response.status_code == 302
    assert response["Location"] == "/admissions/thanks/"
    intake = Intake.objects.get()
    assert intake.first_name == "Zebulonia"
    assert intake.phone == PHONE_E164
    assert intake.who_needs_help == "loved_one"
    assert intake.voicemail_ok is False
    assert intake.substance_list == ["alcohol", "opioids"]
    assert intake.source_page == "naltrexone"
    assert re.fullmatch(r"CR-[2-9A-HJ-NP-Z]{6}", intake.reference)

    thanks = client.get(response["Location"])
    html = thanks.content.decode()
    assert intake.reference in html
    assert 'href="tel:988"' in html and 'href="tel:911"' in html
    assert "within 15 minutes" in html
    assert "Zebulonia" not in html


def test_thanks_page_shows_the_hours_and_callback_settings(client, settings, navigator):
    settings.ADMISSIONS_HOURS = "mon-sun 00:00-12:00,12:00-24:00"
    settings.ADMISSIONS_CALLBACK_MINUTES = 10
    on_duty(navigator)
    post(client, best_time="any")
    html = client.get("/admissions/thanks/").content.decode()
    assert "Every day, midnight to noon and noon to midnight" in html
    assert "within 10 minutes" in html


def test_thanks_page_without_a_submission_sends_people_to_the_form(client):
    response = client.get("/admissions/thanks/")
    assert response.status_code == 302 and response["Location"] == URL


def test_consent_record_stores_wording_version_hash_time_and_page(client, guide):
    guide("acamprosate")
    post(client, source="acamprosate")
    intake = Intake.objects.get()
    record = ConsentRecord.objects.get(intake=intake)
    assert record.wording_version == consent.CURRENT_VERSION
    assert record.wording_sha256 == consent.current().sha256
    assert record.page == "/admissions/?from=acamprosate"
    assert abs((record.given_at - intake.created_at).total_seconds()) < 1


def test_submission_starts_the_timeline(client):
    post(client)
    activity = Intake.objects.get().activities.get()
    assert activity.kind == "status_change" and activity.to_status == "new"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("1 415 555 2671", "+14155552671"),
        ("+1-415-555-2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(client, typed, e164):
    assert post(client, phone=typed).status_code == 302
    assert Intake.objects.get().phone == e164


def test_optional_fields_may_be_left_empty(client):
    response = post(
        client,
        email="",
        state="",
        substances=None,
        insurance_provider="",
        insurance_member_id="",
        message="",
    )
    assert response.status_code == 302
    intake = Intake.objects.get()
    assert intake.email == "" and intake.substances == "" and intake.message == ""


# --- Invalid input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", ""),
        ("first_name", "   "),
        ("first_name", "x" * 61),
        ("phone", ""),
        ("phone", "12"),
        ("phone", "555-1234"),
        ("phone", "not a phone"),
        ("phone", "9" * 40),
        ("who_needs_help", ""),
        ("who_needs_help", "neighbour"),
        ("best_time", ""),
        ("best_time", "midnight"),
        ("voicemail_ok", ""),
        ("voicemail_ok", "maybe"),
        ("contact_method", ""),
        ("contact_method", "pigeon"),
        ("email", "not-an-email"),
        ("email", "a@" + "b" * 260 + ".com"),
        ("state", "XX"),
        ("substances", ["alcohol", "glue"]),
        ("substances", ["alcohol", "prefer_not_to_say"]),
        ("insurance_provider", "p" * 101),
        ("insurance_member_id", "m" * 41),
        ("message", "m" * 1001),
        ("message", "bell\x07character"),
    ],
)
def test_invalid_field_is_reported_next_to_it_and_nothing_is_saved(client, field, value):
    response = post(client, **{field: value})
    assert response.status_code == 200
    assert list(field_errors(response)) == [field]
    assert not Intake.objects.exists()
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html or f'id="error_1_id_{field}"' in html


def test_consent_is_required(client):
    response = post(client, consent=None)
    assert response.status_code == 200
    assert list(field_errors(response)) == ["consent"]
    assert "Please tick the box so we may call or text you." in response.content.decode()
    assert not Intake.objects.exists()


def test_error_summary_links_to_each_bad_field_and_marks_them_invalid(client):
    response = post(client, phone="12", who_needs_help="", consent=None)
    html = response.content.decode()
    summary = re.search(r"<div class=\"error-summary\"[^>]*>(.*?)</div>", html, re.S)
    assert summary
    opening = summary.group(0)[: summary.group(0).index(">")]
    assert 'role="alert"' in opening and 'tabindex="-1"' in opening
    assert "data-error-summary" in opening
    links = re.findall(r'href="#([^"]+)"', summary.group(1))
    assert links == ["id_phone", "id_who_needs_help_0", "id_consent"]
    for target in links:
        assert f'id="{target}"' in html
    phone = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in phone
    assert "id_phone_error" in re.search(r'aria-describedby="([^"]+)"', phone).group(1)
    assert html.index("error-summary") < html.index("<form")


def test_error_page_never_echoes_a_bad_phone_in_the_message(client):
    response = post(client, phone="12345")
    assert "Enter a phone number we can call" in response.content.decode()
    assert "12345" not in str(field_errors(response))


# --- Abuse -----------------------------------------------------------------------------


def test_honeypot_is_rejected_silently(client):
    response = post(client, website="https://spam.example")
    assert response.status_code == 302 and response["Location"] == "/admissions/thanks/"
    assert not Intake.objects.exists()
    html = client.get("/admissions/thanks/").content.decode()
    assert re.search(r"CR-[2-9A-HJ-NP-Z]{6}", html)


def test_form_sent_faster_than_a_person_can_fill_it_is_shown_again_not_saved(client, settings):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 5
    response = post(client, started=signed_start(seconds_ago=1))
    assert response.status_code == 200 and response.context["notice"] == TOO_SOON
    assert "Zebulonia" in response.content.decode()  # the answers are kept
    assert not Intake.objects.exists()


def test_a_fast_person_who_presses_send_again_at_once_is_saved_and_notified(
    client, settings, navigator, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 5
    on_duty(navigator)
    first = post(client, started=signed_start(client=client, seconds_ago=1))  # autofill's pace
    assert first.status_code == 200 and first.context["notice"] == TOO_SOON
    assert not Intake.objects.exists() and mailoutbox == []
    again = first.context["form"].data.copy()  # what the browser sends on the second press
    with django_capture_on_commit_callbacks(execute=True):  # the notification is queued on commit
        second = client.post(URL, again)
    assert second.status_code == 302 and second["Location"] == "/admissions/thanks/"
    intake = Intake.objects.get()
    assert intake.first_name == "Zebulonia"
    assert [message.to for message in mailoutbox] == [[navigator.email]]
    assert intake.reference in mailoutbox[0].body


@pytest.mark.parametrize("started", ["", "1700000000", "garbage:abc:def", None])
def test_missing_or_forged_start_time_is_shown_again_not_saved(client, started):
    response = post(client, started=started)
    assert response.status_code == 200 and response.context["notice"] == LONG_OPEN
    assert not Intake.objects.exists()


def test_form_filled_at_a_human_pace_is_accepted(client, settings):
    settings.ADMISSIONS_MIN_FILL_SECONDS = 5
    assert post(client, started=signed_start(seconds_ago=6)).status_code == 302
    assert Intake.objects.count() == 1


def test_csrf_token_is_required():
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, form_data())
    assert response.status_code == 403
    assert not Intake.objects.exists()


def test_form_with_its_csrf_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    html = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(URL, form_data(client, csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Intake.objects.count() == 1


def test_rate_limit_answers_a_friendly_page_with_the_helpline(client, settings):
    settings.ADMISSIONS_RATE_LIMIT = "2/h"
    assert post(client).status_code == 302
    assert post(client, phone="(415) 555-2672").status_code == 302
    response = post(client, phone="(415) 555-2673")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Please call us instead" in html
    assert 'href="tel:+1' in html
    assert Intake.objects.count() == 2


def test_rate_limit_is_per_address(client, settings):
    settings.ADMISSIONS_RATE_LIMIT = "1/h"
    assert post(client).status_code == 302
    assert post(client).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(URL, form_data()).status_code == 302


def test_mistakes_do_not_use_up_the_submission_limit(client, settings):
    settings.ADMISSIONS_RATE_LIMIT = "1/h"
    for _ in range(3):
        assert post(client, phone="12").status_code == 200
    assert post(client).status_code == 302


def test_many_posts_of_any_kind_are_limited(client, settings):
    settings.ADMISSIONS_POST_RATE_LIMIT = "3/h"
    for _ in range(3):
        assert post(client, phone="12").status_code == 200
    assert post(client).status_code == 429
    assert not Intake.objects.exists()


def test_behind_a_proxy_the_limit_uses_the_forwarded_address(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]  # the test client's REMOTE_ADDR
    settings.ADMISSIONS_RATE_LIMIT = "1/h"
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.6"}
    assert client.post(URL, form_data(), **first).status_code == 302
    assert client.post(URL, form_data(), **first).status_code == 429
    assert client.post(URL, form_data(), **second).status_code == 302


def test_a_forwarded_address_from_a_peer_that_is_no_proxy_of_ours_changes_nothing(client, settings):
    settings.ADMISSIONS_RATE_LIMIT = "1/h"
    direct = {"REMOTE_ADDR": "198.51.100.7"}  # straight to the app server, not via nginx
    forged = [{"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}", **direct} for n in range(10, 13)]
    assert client.post(URL, form_data(), **forged[0]).status_code == 302
    assert client.post(URL, form_data(), **forged[1]).status_code == 429
    assert client.post(URL, form_data(), **forged[2]).status_code == 429
    assert Intake.objects.count() == 1


def test_rate_limit_lets_people_through_when_the_cache_is_down(client, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    # Every cache call fails as with Redis unreachable (the counts, the token claim),
    # whichever client makes it (admissions.limits keeps one).
    monkeypatch.setattr("redis.connection.ConnectionPool.get_connection", broken)
    settings.ADMISSIONS_RATE_LIMIT = "1/h"
    assert post(client).status_code == 302
    assert post(client).status_code == 302
    assert Intake.objects.count() == 2


def test_oversized_post_gets_a_friendly_400_page(client):
    response = client.post(URL, form_data(message="x" * (70 * 1024)))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="tel:' in html and "Traceback" not in html
    assert not Intake.objects.exists()


HOSTILE = [
    "\x00",
    "Zeb\x00ulonia",
    "x" * 5000,
    "🙂🙃🧡" * 10,
    "מרים",
    "\u202eevil\u202c",
    "'; DROP TABLE admissions_intake; --",
    "<script>alert(1)</script>",
    "{{ settings.SECRET_KEY }}",
    '=HYPERLINK("http://x")',
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "field",
    ["first_name", "phone", "email", "insurance_provider", "message", "state", "who_needs_help"],
)
def test_hostile_input_never_causes_a_server_error(client, field, value):
    client.raise_request_exception = False
    response = post(client, **{field: value})
    assert response.status_code in {200, 302, 400}
    if response.status_code == 200:
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_body_that_is_not_utf8_never_causes_a_server_error(client):
    client.raise_request_exception = False
    body = b"first_name=%FF%FE&phone=%C3%28&consent=on&who_needs_help=%80"
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {200, 302, 400}
    assert not Intake.objects.exists()


def test_hostile_first_name_is_stored_and_shown_escaped(client, navigator):
    post(client, first_name="<b>Zeb</b> 🙂 מרים")
    intake = Intake.objects.get()
    assert intake.first_name == "<b>Zeb</b> 🙂 מרים"
    Intake.objects.filter(pk=intake.pk).update(assigned_to=navigator)  # details: assignee only
    client.force_login(navigator)
    html = client.get(f"/admin/admissions/intake/{intake.pk}/change/").content.decode()
    assert "&lt;b&gt;Zeb&lt;/b&gt; 🙂 מרים" in html


def test_get_with_hostile_query_string_is_fine(client):
    client.raise_request_exception = False
    response = client.get(URL + "?from=%00%ff&x=" + "a" * 3000)
    assert response.status_code == 200


def test_unsupported_method_is_refused(client):
    assert client.put(URL).status_code == 405
    assert client.post("/admissions/thanks/").status_code == 405


def test_error_summary_follows_the_order_of_the_page(client):
    response = client.post(URL, {"started": signed_start()})
    html = response.content.decode()
    summary = html[html.index("error-summary") : html.index("<form")]
    anchors = re.findall(r'href="#([^"]+)"', summary)
    assert len(anchors) == 7
    form = html[html.index("<form") :]
    assert anchors == sorted(anchors, key=lambda anchor: form.index(f'id="{anchor}"'))


def test_a_rate_limit_counts_in_fixed_windows_of_its_period(client, settings, monkeypatch):
    settings.ADMISSIONS_RATE_LIMIT = "1/10s"
    clock = [1_000_000.0]
    monkeypatch.setattr("admissions.limits.time", SimpleNamespace(time=lambda: clock[0]))
    assert post(client).status_code == 302
    assert post(client).status_code == 429
    clock[0] += 10  # the next window
    assert post(client).status_code == 302


def test_a_rate_limit_setting_that_is_no_rate_is_refused():
    from admissions.limits import parse_rate

    assert parse_rate("5/h") == (5, 3600) and parse_rate("30/10m") == (30, 600)
    with pytest.raises(ValueError, match="'5 an hour'"):
        parse_rate("5 an hour")
