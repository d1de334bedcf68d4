"""The callback in Spanish: the intake records the language of its call, navigators
have the languages they speak on their staff profile, and a Spanish intake goes to
a Spanish speaker on duty first, or says "Spanish speaker needed" where it falls
back; the admin list filters by language and the overview reports per language."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from admissions import consent, export, overview, services
from admissions.models import ConsentRecord, Intake, IntakeActivity, NavigatorState
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.admissions.helpers import (
    INTAKE_LIST,
    PERSONAL,
    PHONE_E164,
    change_url,
    form_data,
    on_duty,
)
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

ONCALL = "on-call@cardinal.example"
NEEDED = IntakeActivity.Kind.SPANISH_NEEDED


@pytest.fixture
def routing(settings):
    settings.ADMISSIONS_ONCALL_EMAIL = ONCALL
    settings.SITE_URL = "https://staff.example.org"


def speaking(user, *languages: str) -> None:
    """Set the languages on the navigator's staff profile."""
    NavigatorState.objects.update_or_create(user=user, defaults={"languages": ",".join(languages)})


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


def notify(intake: Intake) -> Intake:
    assert services.intake_notify(intake_id=intake.pk) is True
    intake.refresh_from_db()
    return intake


def needed_entries(intake: Intake) -> int:
    return intake.activities.filter(kind=NEEDED).count()


def assert_no_personal_data(mail) -> None:
    for value in [*PERSONAL.values(), PHONE_E164]:
        assert value not in mail.subject + mail.body, value


@pytest.fixture
def team():
    """ana and ben speak English only, sofia and tomas Spanish too; all on duty."""
    people = {name: make_user(name, NAVIGATORS_GROUP) for name in ("ana", "ben", "sofia", "tomas")}
    for name, user in people.items():
        on_duty(user)
        speaking(user, *(("en", "es") if name in ("sofia", "tomas") else ("en",)))
    return people


# --- Routing ------------------------------------------------------------------------------


def test_spanish_intakes_take_turns_among_the_spanish_speakers_on_duty(
    routing, team, make_intake, mailoutbox
):
    assignees = [
        notify(make_intake(language="es", phone=phone(n))).assigned_to.username for n in range(4)
    ]
    assert assignees == ["sofia", "tomas", "sofia", "tomas"]
    mail = mailoutbox[0]
    assert mail.to == [team["sofia"].email]
    assert re.fullmatch(r"Intake CR-\w{6} waiting \(Spanish speaker\)", mail.subject)
    assert "called back in Spanish" in mail.body and "Spanish speaker on duty" in mail.body
    assert "needed" not in mail.body
    assert_no_personal_data(mail)
    assert IntakeActivity.objects.filter(kind=NEEDED).count() == 0


def test_english_intakes_are_routed_as_before_among_everyone_on_duty(
    routing, team, make_intake, mailoutbox
):
    assignees = [notify(make_intake(phone=phone(n))).assigned_to.username for n in range(4)]
    assert assignees == ["ana", "ben", "sofia", "tomas"]
    for mail in mailoutbox:
        assert re.fullmatch(r"Intake CR-\w{6} waiting", mail.subject)
        assert "Spanish" not in mail.body
    assert IntakeActivity.objects.filter(kind=NEEDED).count() == 0


def test_the_persons_navigator_is_kept_when_they_speak_spanish(routing, team, make_intake):
    first = notify(make_intake(language="es", phone=phone(1)))
    assert first.assigned_to == team["sofia"]
    assert notify(make_intake(language="es", phone=phone(2))).assigned_to == team["tomas"]
    # Round robin among the Spanish speakers would pick sofia; the person of the
    # second intake writes again, in Spanish.
    assert notify(make_intake(language="es", phone=phone(2))).assigned_to == team["tomas"]


def test_the_persons_english_only_navigator_gives_way_to_a_spanish_speaker(
    routing, team, make_intake
):
    earlier = notify(make_intake(phone=phone(1)))  # in English: round robin gives ana
    assert earlier.assigned_to == team["ana"]
    # The same person now asks for a call in Spanish: ana does not speak it.
    assert notify(make_intake(language="es", phone=phone(1))).assigned_to == team["sofia"]


@pytest.mark.parametrize(
    ("assignee", "given_to"),
    [("tomas", "tomas"), ("ben", "sofia")],  # round robin alone would say sofia
    ids=["speaks Spanish: kept", "English only: a Spanish speaker instead"],
)
def test_an_assignee_on_duty_keeps_a_spanish_intake_if_they_speak_spanish(
    routing, team, make_intake, assignee, given_to
):
    intake = make_intake(language="es")
    services.intake_assign(intake=intake, navigator=team[assignee])
    assert notify(intake).assigned_to == team[given_to]


def test_with_no_spanish_speaker_on_duty_the_usual_rules_apply_and_the_mail_says_so(
    routing, team, make_intake, mailoutbox, caplog
):
    for name in ("sofia", "tomas"):
        services.navigator_set_available(user=team[name], available=False)
    intake = notify(make_intake(language="es"))

    assert intake.assigned_to == team["ana"]  # round robin among those on duty
    [mail] = mailoutbox
    assert mail.to == [team["ana"].email]
    assert mail.subject == f"Intake {intake.reference} waiting: Spanish speaker needed"
    assert "Spanish speaker needed: the person asked to be called back in Spanish" in mail.body
    assert "no Spanish-speaking navigator is on duty" in mail.body
    assert_no_personal_data(mail)
    assert needed_entries(intake) == 1
    assert f"intake {intake.pk} notified navigator {team['ana'].pk}, es speaker needed" in (
        caplog.text
    )


def test_with_nobody_on_duty_the_oncall_mail_says_a_spanish_speaker_is_needed(
    routing, make_intake, mailoutbox
):
    supervisor = make_user("sam", SUPERVISORS_GROUP)
    intake = notify(make_intake(language="es"))
    [mail] = mailoutbox
    assert mail.to == [ONCALL, supervisor.email]
    assert mail.subject == (
        f"Intake {intake.reference} waiting: nobody on duty, Spanish speaker needed"
    )
    assert "Spanish speaker needed: the person asked to be called back in Spanish." in mail.body
    assert "Whoever takes the intake must speak Spanish." in mail.body
    assert_no_personal_data(mail)
    kinds = set(intake.activities.values_list("kind", flat=True))
    assert {IntakeActivity.Kind.ONCALL_NOBODY, NEEDED} <= kinds


def test_the_timeline_says_a_spanish_speaker_is_needed(routing, client, make_intake):
    intake = notify(make_intake(language="es"))
    client.force_login(make_user("sam", SUPERVISORS_GROUP))
    html = client.get(change_url(intake)).content.decode()
    assert "Spanish speaker needed: none on duty" in html


def test_an_english_intake_with_nobody_on_duty_has_no_spanish_note(
    routing, make_intake, mailoutbox
):
    intake = notify(make_intake())
    [mail] = mailoutbox
    assert mail.subject == f"Intake {intake.reference} waiting: nobody on duty"
    assert "Spanish" not in mail.body and needed_entries(intake) == 0


def test_the_note_is_written_once_however_often_the_task_runs(routing, make_intake, mailoutbox):
    intake = notify(make_intake(language="es"))
    assert services.intake_notify(intake_id=intake.pk) is False
    assert len(mailoutbox) == 1 and needed_entries(intake) == 1


# --- The form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "chosen", "language", "version"),
    [
        ("/admissions/", None, "en", "2026-11"),
        ("/es/admissions/", None, "es", "2026-12-es"),
        # The wording shown is the page's; the call may be in the other language.
        ("/admissions/", "es", "es", "2026-11"),
        ("/es/admissions/", "en", "en", "2026-12-es"),
        ("/es/admissions/", "", "es", "2026-12-es"),  # left unanswered: the page's
    ],
)
def test_the_intake_stores_the_language_of_its_call_and_the_consent_version_shown(
    client, navigator, address, chosen, language, version
):
    response = client.post(address, form_data(client, language=chosen))
    assert response.status_code == 302
    intake = Intake.objects.get()
    assert intake.language == language
    record = ConsentRecord.objects.get(intake=intake)
    wording = consent.WORDINGS[version]
    assert (record.wording_version, record.wording_sha256) == (version, wording.sha256)
    assert consent.CURRENT_VERSIONS[wording.language] == version


@pytest.mark.parametrize(
    ("address", "label", "checked"),
    [
        ("/admissions/", "Language for the call (optional)", "en"),
        ("/es/admissions/", "Idioma de la llamada (opcional)", "es"),
    ],
)
def test_the_form_asks_the_language_of_the_call_with_the_pages_chosen(
    client, address, label, checked
):
    html = client.get(address).content.decode()
    assert label in html
    radios = re.findall(r'<input[^>]*name="language"[^>]*>', html)
    values = [re.search(r'value="(\w+)"', radio).group(1) for radio in radios]
    assert values == ["en", "es"]
    assert [value for value, radio in zip(values, radios, strict=True) if " checked" in radio] == [
        checked
    ]
    assert "Spanish (español)" in html if checked == "en" else "Inglés (English)" in html
    # After the questions that need an answer: the first field stays first.
    assert (
        html.index('name="first_name"')
        < html.index('name="who_needs_help"')
        < html.index('name="language"')
    )


def test_a_language_not_offered_is_refused_in_the_pages_words(client):
    response = client.post("/es/admissions/", form_data(client, language="fr"))
    assert response.status_code == 200
    assert "Elija inglés o español." in response.content.decode()
    assert Intake.objects.count() == 0


# --- Staff profile --------------------------------------------------------------------------


def user_change(user) -> str:
    return f"/admin/auth/user/{user.pk}/change/"


def account_form(client, user, **overrides) -> dict:
    """The account page's POST as the browser would send it, with the profile's languages."""
    html = client.get(user_change(user)).content.decode()
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
    }
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        found = re.search(rf'name="navigator_state-{name}"[^>]*value="(\d+)"', html)
        data[f"navigator_state-{name}"] = found.group(1)
    data["navigator_state-0-user"] = str(user.pk)
    data.update(overrides)
    return data


def test_whoever_manages_staff_sets_the_languages_a_navigator_speaks(client):
    admin_user = make_user("root", is_superuser=True)
    sofia = make_user("sofia", NAVIGATORS_GROUP)
    client.force_login(admin_user)
    html = client.get(user_change(sofia)).content.decode()
    assert "Languages spoken" in html
    # No profile yet: English, ticked.
    assert re.search(r'name="navigator_state-0-languages" value="en"[^>]*checked', html)
    assert not re.search(r'name="navigator_state-0-languages" value="es"[^>]*checked', html)

    data = account_form(client, sofia, **{"navigator_state-0-languages": ["en", "es"]})
    response = client.post(user_change(sofia), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    state = NavigatorState.objects.get(user=sofia)
    assert state.languages == "en,es" and state.speaks("es")
    assert not state.available  # the profile does not put anyone on duty

    listing = client.get("/admin/auth/user/").content.decode()
    assert "English, Spanish" in listing


def test_a_navigator_can_not_edit_staff_profiles(client):
    nora = make_user("nora", NAVIGATORS_GROUP)
    client.force_login(nora)
    assert client.get(user_change(nora)).status_code == 403


def test_spanish_speakers_are_found_by_their_language_code_alone():
    people = {
        "es": "es",
        "both": "en,es",
        "en": "en",
        "third": "en,es,fr",
        "fr": "fr",
    }
    for name, languages in people.items():
        speaking(make_user(name, NAVIGATORS_GROUP), *languages.split(","))
    found = NavigatorState.objects.speaking("es").values_list("user__username", flat=True)
    assert sorted(found) == ["both", "es", "third"]


# --- The admin ------------------------------------------------------------------------------


def test_the_intake_list_filters_by_language_and_badges_spanish(client, supervisor, make_intake):
    spanish = make_intake(language="es", phone=phone(1))
    english = make_intake(phone=phone(2))
    client.force_login(supervisor)
    everything = client.get(INTAKE_LIST, {"queue": "all"}).content.decode()
    assert everything.count('<abbr class="language-badge" title="Spanish">ES</abbr>') == 1
    assert "?language__exact=es" in everything or "language__exact=es" in everything

    shown = client.get(INTAKE_LIST, {"queue": "all", "language__exact": "es"}).content.decode()
    assert spanish.reference in shown and english.reference not in shown
    shown = client.get(INTAKE_LIST, {"queue": "all", "language__exact": "en"}).content.decode()
    assert english.reference in shown and spanish.reference not in shown


def test_a_search_keeps_the_language_filter(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        f"{INTAKE_LIST}find/", {"q": "CR-7K3F9Q", "language__exact": "es", "email": "x"}
    )
    assert "language__exact=es" in response["Location"] and "email" not in response["Location"]


def test_the_intake_page_shows_the_language_of_the_call(client, supervisor, make_intake):
    intake = make_intake(language="es")
    client.force_login(supervisor)
    html = client.get(change_url(intake)).content.decode()
    shown = r'Language for the call:</label>\s*<div class="readonly">Spanish</div>'
    assert re.search(shown, html)


def test_the_csv_export_gives_the_language_of_the_call(supervisor, make_intake):
    make_intake(language="es", phone=phone(1))
    make_intake(phone=phone(2))
    out = io.StringIO()
    export.intake_export_csv(
        intakes=Intake.objects.all(), user=supervisor, include_personal=False, out=out
    )
    [header, *rows] = list(csv.reader(io.StringIO(out.getvalue())))
    column = header.index("Language for the call")
    assert sorted(row[column] for row in rows) == ["English", "Spanish"]


# --- The overview ---------------------------------------------------------------------------


NOW = timezone.now()


def contacted(intake: Intake, *, after_minutes: int) -> None:
    start = NOW - timedelta(days=1)
    Intake.objects.filter(pk=intake.pk).update(
        created_at=start,
        call_after=start,
        first_contacted_at=start + timedelta(minutes=after_minutes),
        status="contacted",
    )


def test_the_overview_reports_per_language_in_the_database(
    settings, make_intake, monkeypatch, client, supervisor
):
    settings.ADMISSIONS_SLA_MINUTES = 15
    for n, minutes in enumerate([10, 20]):
        contacted(make_intake(language="es", phone=phone(n)), after_minutes=minutes)
    contacted(make_intake(phone=phone(8)), after_minutes=5)
    make_intake(phone=phone(9))  # English, not reached yet, inside its target time

    english, spanish = overview.build(now=NOW)["languages"]
    assert (english.key, english.label, spanish.key, spanish.label) == (
        "en",
        "English",
        "es",
        "Spanish",
    )
    assert (spanish.intakes, spanish.reached, spanish.median_text) == (2, 2, "15.0 min")
    assert (spanish.within_sla, spanish.due, spanish.within_sla_share) == (1, 2, "50%")
    assert (english.intakes, english.reached, english.median_text) == (2, 1, "5.0 min")
    assert english.within_sla_share == "100%"

    # The same figures where the percentiles are computed in Python (SQLite).
    monkeypatch.setattr(overview, "percentiles_in_database", lambda: False)
    assert overview.build(now=NOW)["languages"] == [english, spanish]
    monkeypatch.undo()

    client.force_login(supervisor)
    html = client.get("/admin/admissions/admissionsoverview/").content.decode()
    table = html[html.index('id="languages-title"') :]
    assert re.search(r'<th scope="row">Spanish</th>\s*<td>2</td>', table)


def test_a_language_with_no_intake_still_has_its_row(make_intake):
    make_intake()
    english, spanish = overview.build(now=NOW)["languages"]
    assert english.intakes == 1
    assert (spanish.intakes, spanish.reached, spanish.median_text) == (0, 0, "-")
