"""The navigator's queue: the intake list opens on "My queue" (mine and unassigned,
awaiting contact, by due time), counts the waiting intakes in the page title,
shows when to call, refreshes itself without keeping an idle session alive; an
intake's page lists the earlier intakes from the same phone, recorded."""

import re
import secrets
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from admissions import services
from admissions.models import AccessRecord, Intake
from admissions.roles import NAVIGATORS_GROUP, SUPERVISORS_GROUP
from tests.admissions.helpers import INTAKE_LIST, PHONE_E164, change_url
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

OTHER_PHONE = "+12025550123"


def listed(response) -> list[str]:
    """The references of the list's rows, top to bottom."""
    assert response.status_code == 200
    return re.findall(r'<th class="field-reference"><a [^>]*>(CR-\w+)</a>', response.text)


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()


def call_after(intake, moment) -> Intake:
    Intake.objects.filter(pk=intake.pk).update(call_after=moment)
    intake.refresh_from_db()
    return intake


@pytest.fixture
def olga():
    return make_user("olga", NAVIGATORS_GROUP)


@pytest.fixture
def floor(navigator, olga, make_intake):
    """Intakes of every kind: nora's and unassigned ones awaiting contact, olga's,
    one of nora's already reached, an unassigned closed one."""
    intakes = {
        "mine": services.intake_assign(intake=make_intake(), navigator=navigator),
        "unassigned": make_intake(),
        "olgas": services.intake_assign(intake=make_intake(), navigator=olga),
        "reached": services.intake_assign(intake=make_intake(), navigator=navigator),
        "closed": make_intake(),
    }
    services.intake_mark_contacted(intake=intakes["reached"], by=navigator)
    services.intake_set_status(intake=intakes["closed"], status="closed", by=navigator)
    return {name: intake.reference for name, intake in intakes.items()}


# --- My queue -----------------------------------------------------------------------


def test_a_navigator_opens_on_my_queue_mine_and_unassigned_awaiting_contact(
    client, navigator, floor
):
    client.force_login(navigator)
    response = client.get(INTAKE_LIST)
    assert set(listed(response)) == {floor["mine"], floor["unassigned"]}
    assert "<h1>My queue</h1>" in response.text
    queue = re.search(r"By queue.*?</ul>", response.text, re.S).group(0)
    assert re.search(r'<li class="selected">\s*<a href="\?queue=mine"', queue)
    assert 'href="?queue=all"' in queue and "All intakes" in queue
    assert ">All<" not in queue  # no choice in the address is the default, not "All"


def test_all_intakes_is_one_click_away(client, navigator, floor):
    client.force_login(navigator)
    response = client.get(INTAKE_LIST, {"queue": "all"})
    assert set(listed(response)) == set(floor.values())
    assert "<h1>All intakes</h1>" in response.text
    assert set(listed(client.get(INTAKE_LIST, {"queue": "mine"}))) == {
        floor["mine"],
        floor["unassigned"],
    }


def test_supervisors_who_take_no_intakes_open_on_all_intakes(client, floor):
    supervisor = make_user("sam", SUPERVISORS_GROUP)
    client.force_login(supervisor)
    assert set(listed(client.get(INTAKE_LIST))) == set(floor.values())
    both = make_user("bea", SUPERVISORS_GROUP, NAVIGATORS_GROUP)  # takes calls too
    client.force_login(both)
    assert set(listed(client.get(INTAKE_LIST))) == {floor["unassigned"]}


def test_my_queue_keeps_the_other_filters_and_they_keep_the_queue(client, navigator, floor):
    Intake.objects.filter(reference=floor["unassigned"]).update(status="attempting")
    client.force_login(navigator)
    response = client.get(INTAKE_LIST, {"queue": "mine", "status__exact": "attempting"})
    assert listed(response) == [floor["unassigned"]]
    every = client.get(INTAKE_LIST, {"queue": "all", "status__exact": "attempting"})
    assert listed(every) == [floor["unassigned"]]
    # The status filter's links keep the queue chosen, or its default.
    page = client.get(INTAKE_LIST, {"queue": "all"}).text
    status_links = re.search(r"By status.*?</ul>", page, re.S).group(0)
    assert "?queue=all&amp;status__exact=new" in status_links
    assert listed(client.get(INTAKE_LIST, {"status__exact": "attempting"})) == [floor["unassigned"]]


def test_my_queue_is_in_due_order_overdue_first_unassigned_first_at_equal_due(
    client, navigator, olga, make_intake, settings
):
    settings.ADMISSIONS_SLA_MINUTES = 15
    now = timezone.now()
    opening = now + timedelta(hours=2)  # say, tomorrow's opening: many fall due at once
    later = call_after(make_intake(), now + timedelta(hours=5))
    mine_at_opening = call_after(
        services.intake_assign(intake=make_intake(), navigator=navigator), opening
    )
    first_at_opening = call_after(make_intake(), opening)
    second_at_opening = call_after(make_intake(), opening)
    # Nora's was sent first, yet the unassigned come first at the same due time.
    Intake.objects.filter(pk=mine_at_opening.pk).update(created_at=now - timedelta(hours=10))
    Intake.objects.filter(pk=first_at_opening.pk).update(created_at=now - timedelta(hours=9))
    Intake.objects.filter(pk=second_at_opening.pk).update(created_at=now - timedelta(hours=8))
    due_soon = call_after(make_intake(), now - timedelta(minutes=5))
    overdue = call_after(
        services.intake_assign(intake=make_intake(), navigator=navigator),
        now - timedelta(minutes=40),
    )
    call_after(services.intake_assign(intake=make_intake(), navigator=olga), now)  # olga's
    client.force_login(navigator)
    response = client.get(INTAKE_LIST)
    assert listed(response) == [
        overdue.reference,
        due_soon.reference,
        first_at_opening.reference,
        second_at_opening.reference,
        mine_at_opening.reference,
        later.reference,
    ]
    assert response.text.count('class="overdue-badge"') == 1
    # All intakes keeps the newest first.
    assert listed(client.get(INTAKE_LIST, {"queue": "all"}))[0] != overdue.reference


def test_a_column_sort_overrides_the_queue_order(client, navigator, make_intake):
    now = timezone.now()
    early, late = make_intake(), make_intake()
    call_after(early, now - timedelta(minutes=10))
    call_after(late, now + timedelta(minutes=10))
    client.force_login(navigator)
    assert listed(client.get(INTAKE_LIST)) == [early.reference, late.reference]
    sorted_desc = client.get(INTAKE_LIST, {"o": "-2"})  # "call after", after the reference
    assert listed(sorted_desc) == [late.reference, early.reference]


def test_a_search_looks_through_all_intakes(client, navigator, floor):
    client.force_login(navigator)
    assert listed(client.get(INTAKE_LIST, {"q": floor["olgas"]})) == [floor["olgas"]]
    response = client.post(f"{INTAKE_LIST}find/", {"q": floor["closed"], "queue": "mine"})
    assert response["Location"].endswith(f"?q={floor['closed']}")
    assert listed(client.get(response["Location"])) == [floor["closed"]]


def test_my_queue_queries_do_not_grow_with_the_number_of_intakes(
    client, navigator, olga, make_intake, django_assert_max_num_queries
):
    for index in range(3):
        services.intake_assign(intake=make_intake(), navigator=(navigator, olga)[index % 2])
    client.force_login(navigator)
    client.get(INTAKE_LIST)  # warm up (sessions, content types)
    with django_assert_max_num_queries(25) as few:
        client.get(INTAKE_LIST)
    for index in range(30):
        intake = make_intake()
        if index % 3:
            services.intake_assign(intake=intake, navigator=(navigator, olga)[index % 2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INTAKE_LIST)
    assert len(listed(response)) == 2 + 10 + 10  # nora's and the unassigned


# --- The page title ---------------------------------------------------------------


def test_the_page_title_counts_the_intakes_waiting_in_the_list(client, navigator, floor):
    client.force_login(navigator)
    assert title(client.get(INTAKE_LIST)) == "(2 waiting) My queue | Cardinal Recovery staff"
    assert title(client.get(INTAKE_LIST, {"queue": "all"})) == (
        "(3 waiting) All intakes | Cardinal Recovery staff"
    )
    reached = client.get(INTAKE_LIST, {"queue": "all", "status__exact": "contacted"})
    assert title(reached) == "All intakes | Cardinal Recovery staff"
    for reference in (floor["mine"], floor["unassigned"]):
        services.intake_mark_contacted(intake=Intake.objects.get(reference=reference), by=navigator)
    assert title(client.get(INTAKE_LIST)) == "My queue | Cardinal Recovery staff"


# --- When to call -------------------------------------------------------------------


def test_call_after_and_due_time_are_shown_in_the_clinics_time_zone(
    client, navigator, make_intake, settings
):
    settings.TIME_ZONE = "America/New_York"
    settings.ADMISSIONS_SLA_MINUTES = 15
    local_now = timezone.localtime()
    tomorrow_8am = datetime.combine(
        local_now.date() + timedelta(days=1), time(8), tzinfo=local_now.tzinfo
    )
    waiting = call_after(
        services.intake_assign(intake=make_intake(), navigator=navigator), tomorrow_8am
    )
    reached = call_after(make_intake(), tomorrow_8am)
    services.intake_mark_contacted(intake=reached, by=navigator)
    client.force_login(navigator)

    html = client.get(INTAKE_LIST, {"queue": "all"}).text
    row = re.search(rf"{waiting.reference}</a></th>.*?</tr>", html, re.S).group(0)
    assert '<td class="field-call_after_when">8 am tomorrow</td>' in row
    assert '<td class="field-due_when">8:15 am tomorrow</td>' in row
    row = re.search(rf"{reached.reference}</a></th>.*?</tr>", html, re.S).group(0)
    assert '<td class="field-due_when">-</td>' in row  # reached: nothing is due
    assert "Times are Eastern Time." in html

    page = client.get(change_url(waiting)).text
    assert re.search(
        r"Call after:</label>\s*<div class=\"readonly\">8 am tomorrow "
        r"\(Eastern Time\)</div>",
        page,
    )
    assert re.search(
        r"Contact due by:</label>\s*<div class=\"readonly\">8:15 am tomorrow "
        r"\(Eastern Time\)</div>",
        page,
    )


# --- Refreshing itself --------------------------------------------------------------


def test_the_list_loads_its_refresh_script_and_interval_and_nothing_inline(client, navigator):
    client.force_login(navigator)
    html = client.get(INTAKE_LIST).text
    assert '<script src="/static/js/admin-queue.js" defer></script>' in html
    assert re.search(r'id="queue-refresh" data-refresh-seconds="30" data-waiting="0"', html)
    body = html.split("<body", 1)[1]
    assert "<style" not in body and ' style="' not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script


def test_the_lists_automatic_refresh_does_not_keep_an_idle_session_alive(
    client, navigator, settings, monkeypatch
):
    signed_in = timezone.now()
    idle_limit = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    automatic = {"HTTP_X_AUTOMATIC_REQUEST": "1"}

    def clock_at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    client.force_login(navigator)
    assert client.get(INTAKE_LIST).status_code == 200  # the person
    clock_at(signed_in + idle_limit * 0.5)
    assert client.get(INTAKE_LIST, **automatic).status_code == 200
    clock_at(signed_in + idle_limit * 0.9)
    assert client.get(INTAKE_LIST, **automatic).status_code == 200
    clock_at(signed_in + idle_limit * 1.1)  # the cookie is fresh, the person is not
    response = client.get(INTAKE_LIST, **automatic)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session


def test_the_persons_own_requests_keep_the_session_alive_between_refreshes(
    client, navigator, settings, monkeypatch
):
    signed_in = timezone.now()
    idle_limit = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    automatic = {"HTTP_X_AUTOMATIC_REQUEST": "1"}
    client.force_login(navigator)
    for step in (0.6, 1.2, 1.8):
        monkeypatch.setattr(timezone, "now", lambda step=step: signed_in + idle_limit * step)
        assert client.get(INTAKE_LIST, **automatic).status_code == 200, step
        assert client.get(INTAKE_LIST).status_code == 200, step  # the person clicks


# --- Earlier intakes from the same phone --------------------------------------------


def earlier_panel(html: str) -> str | None:
    found = re.search(r'<div class="earlier-intakes">.*?</div>', html, re.S)
    return found.group(0) if found else None


def sent_before(make_intake, count: int, **values) -> list[Intake]:
    """`count` intakes, each sent an hour before the next (the last now)."""
    intakes = [make_intake(**values) for _ in range(count)]
    now = timezone.now()
    for index, intake in enumerate(intakes):
        moment = now - timedelta(hours=len(intakes) - 1 - index)
        Intake.objects.filter(pk=intake.pk).update(created_at=moment, call_after=moment)
        intake.refresh_from_db()
    return intakes


def test_a_supervisor_sees_the_earlier_intakes_from_the_same_phone_recorded(
    client, make_intake, supervisor
):
    first, second, third = sent_before(make_intake, 3)
    services.intake_set_status(intake=first, status="admitted", by=supervisor)
    make_intake(phone=OTHER_PHONE)  # another person
    client.force_login(supervisor)

    panel = earlier_panel(client.get(change_url(second)).text)
    assert "1 earlier intake from this phone number" in panel
    assert f'href="{change_url(first)}">{first.reference}</a>' in panel
    assert "Admitted" in panel and third.reference not in panel  # later ones are not earlier

    panel = earlier_panel(client.get(change_url(third)).text)
    assert "2 earlier intakes from this phone number" in panel
    assert panel.index(second.reference) < panel.index(first.reference)  # newest first
    for shown in ("555", "2671", PHONE_E164, first.phone_hash):
        assert shown not in panel
    records = AccessRecord.objects.filter(action="search").order_by("pk")
    assert [record.intake for record in records] == [first, second, first]
    for record in records:
        assert record.user == supervisor and record.phone_hash == first.phone_hash
    assert records.last().detail == (
        f"earlier intakes from the same phone as {third.reference}: 2 shown, 0 counted"
    )


def test_a_navigator_is_shown_only_their_own_earlier_intakes_and_a_count_of_the_rest(
    client, navigator, olga, make_intake
):
    theirs, olgas, unassigned, current = sent_before(make_intake, 4)
    services.intake_assign(intake=theirs, navigator=navigator)
    services.intake_assign(intake=olgas, navigator=olga)
    services.intake_assign(intake=current, navigator=navigator)
    client.force_login(navigator)
    panel = earlier_panel(client.get(change_url(current)).text)
    assert "1 earlier intake from this phone number" in panel
    assert theirs.reference in panel
    assert olgas.reference not in panel and unassigned.reference not in panel
    assert "2 more from this phone number are not assigned to you" in panel
    records = AccessRecord.objects.filter(action="search")
    assert {record.intake for record in records} == {theirs, olgas, unassigned}


def test_the_first_intake_from_a_phone_says_so_and_records_no_search(
    client, make_intake, supervisor
):
    earlier_elsewhere = make_intake(phone=OTHER_PHONE)
    intake = make_intake()
    client.force_login(supervisor)
    panel = earlier_panel(client.get(change_url(intake)).text)
    assert "None: this is the first intake from this phone number." in panel
    assert earlier_elsewhere.reference not in panel
    assert not AccessRecord.objects.filter(action="search").exists()


def test_no_earlier_intakes_panel_without_sight_of_the_intakes_personal_details(
    client, navigator, olga, make_intake
):
    earlier, later = sent_before(make_intake, 2)
    viewer = make_user("val")  # may see intakes, not their personal details
    viewer.user_permissions.add(Permission.objects.get(codename="view_intake"))
    services.intake_assign(intake=later, navigator=olga)
    for user in (viewer, navigator):  # nora may see personal data, not olga's intake's
        client.force_login(user)
        html = client.get(change_url(later)).text
        assert earlier_panel(html) is None and "Earlier intakes" not in html, user
        assert earlier.reference not in html
    assert not AccessRecord.objects.filter(action="search").exists()


def test_earlier_intakes_are_found_under_an_older_hash_key(
    client, make_intake, supervisor, settings
):
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    settings.FIELD_HASH_KEY = old
    [earlier] = sent_before(make_intake, 1)
    Intake.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=3))
    settings.FIELD_HASH_KEY = f"{new},{old}"  # a rotation under way
    intake = make_intake()
    assert intake.phone_hash != earlier.phone_hash
    client.force_login(supervisor)
    panel = earlier_panel(client.get(change_url(intake)).text)
    assert earlier.reference in panel


def test_the_earlier_intakes_listed_are_capped(client, make_intake, supervisor, monkeypatch):
    from admissions.admin import IntakeAdmin

    monkeypatch.setattr(IntakeAdmin, "earlier_intakes_shown", 2)
    *earlier, current = sent_before(make_intake, 4)
    client.force_login(supervisor)
    panel = earlier_panel(client.get(change_url(current)).text)
    assert "2 earlier intakes" in panel and "there are more" in panel
    assert earlier[0].reference not in panel  # the oldest is past the cap
    assert AccessRecord.objects.filter(action="search").count() == 2
