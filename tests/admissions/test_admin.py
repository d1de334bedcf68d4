"""The navigators' admin: who sees what, access records, the workflow, export, overview."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from admissions import export, services
from admissions.models import AccessRecord, Intake, IntakeActivity
from admissions.roles import NAVIGATORS_GROUP
from tests.admissions.helpers import (
    INTAKE_LIST,
    PERSONAL,
    PHONE_E164,
    change_form,
    change_url,
    close_past_retention,
)
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

LIST = INTAKE_LIST


# --- Who sees what ---------------------------------------------------------------


def test_navigator_sees_the_intake_list_with_reference_status_assignee_age(
    client, navigator, make_intake
):
    intake = make_intake()
    services.intake_assign(intake=intake, navigator=navigator)
    client.force_login(navigator)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert intake.reference in html and "nora" in html and "New" in html
    assert "0 min" in html
    for value in PERSONAL.values():
        assert value not in html


def test_overdue_intake_gets_a_badge_in_the_list(client, navigator, make_intake, settings):
    settings.ADMISSIONS_SLA_MINUTES = 15
    late = make_intake()
    Intake.objects.filter(pk=late.pk).update(
        created_at=F("created_at") - timedelta(minutes=20),
        call_after=F("call_after") - timedelta(minutes=20),
    )
    make_intake()
    client.force_login(navigator)
    html = client.get(LIST).content.decode()
    assert html.count('class="overdue-badge"') == 1
    overdue_only = client.get(LIST, {"overdue": "yes"}).content.decode()
    assert late.reference in overdue_only
    assert overdue_only.count("field-reference") == 1


def test_list_filters_by_status_assignee_and_source(client, navigator, make_intake):
    mine = make_intake(source_page="naltrexone")
    services.intake_assign(intake=mine, navigator=navigator)
    other = make_intake(source_page="baclofen")
    services.intake_set_status(intake=other, status="attempting", by=navigator)
    client.force_login(navigator)
    by_me = client.get(LIST, {"assignee": "me"}).content.decode()
    assert mine.reference in by_me and other.reference not in by_me
    unassigned = client.get(LIST, {"assignee": "none"}).content.decode()
    assert other.reference in unassigned and mine.reference not in unassigned
    attempting = client.get(LIST, {"status__exact": "attempting"}).content.decode()
    assert other.reference in attempting and mine.reference not in attempting
    source = client.get(LIST, {"source_page": "naltrexone"}).content.decode()
    assert mine.reference in source and other.reference not in source


def test_list_queries_do_not_grow_with_the_number_of_intakes(
    client, navigator, make_intake, django_assert_max_num_queries
):
    other = make_user("olga", NAVIGATORS_GROUP)
    for index in range(3):
        intake = make_intake()
        services.intake_assign(intake=intake, navigator=(navigator, other)[index % 2])
    client.force_login(navigator)
    every = {"queue": "all"}  # olga's intakes too (not in nora's queue)
    client.get(LIST, every)  # warm up (sessions, content types)
    with django_assert_max_num_queries(20) as few:
        client.get(LIST, every)
    for index in range(30):
        intake = make_intake()
        services.intake_assign(intake=intake, navigator=(navigator, other)[index % 2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST, every)
    assert response.content.decode().count("field-reference") == 33


def test_list_does_not_load_personal_fields(client, navigator, make_intake, monkeypatch):
    make_intake()
    decrypted = []
    from admissions import crypto

    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(1) or real(token))
    client.force_login(navigator)
    assert client.get(LIST).status_code == 200
    assert decrypted == []


def test_content_editor_cannot_see_intakes(client, editor, make_intake):
    intake = make_intake()
    client.force_login(editor)
    assert client.get(LIST).status_code == 403
    assert client.get(change_url(intake)).status_code == 403
    assert client.get("/admin/admissions/admissionsoverview/").status_code == 403
    index = client.get("/admin/").content.decode()
    assert "/admin/admissions/" not in index
    assert not AccessRecord.objects.exists()


def test_navigator_cannot_see_another_apps_admin(client, navigator):
    client.force_login(navigator)
    other_apps = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label != "admissions"
    ]
    assert "/admin/auth/user/" in other_apps
    for url in [*other_apps, f"/admin/auth/user/{navigator.pk}/change/"]:
        assert client.get(url).status_code == 403, url
    index = client.get("/admin/").content.decode()
    assert "/admin/auth/" not in index and "/admin/education/" not in index
    assert "/admin/admissions/intake/" in index


def test_navigator_sees_decrypted_personal_fields_with_the_permission(
    client, navigator, make_intake
):
    intake = make_intake()
    services.intake_assign(intake=intake, navigator=navigator)
    client.force_login(navigator)
    html = client.get(change_url(intake)).content.decode()
    assert PERSONAL["first_name"] in html
    assert f'href="tel:{PHONE_E164}"' in html
    assert PERSONAL["insurance_member_id"] in html


def test_staff_without_the_personal_data_permission_see_it_masked(client, make_intake, navigator):
    intake = make_intake()
    services.intake_log_activity(
        intake=intake, author=navigator, kind="note", note="Thaddeus prefers evenings"
    )
    viewer = make_user("val")
    viewer.user_permissions.add(Permission.objects.get(codename="view_intake"))
    client.force_login(viewer)
    response = client.get(change_url(intake))
    assert response.status_code == 200
    html = response.content.decode()
    assert intake.reference in html
    assert "needs the personal data permission" in html
    for value in [*PERSONAL.values(), PHONE_E164, "Thaddeus"]:
        assert value not in html


def test_anonymised_intake_shows_that_its_details_were_removed(client, navigator, make_intake):
    intake = make_intake()
    close_past_retention(intake, by=navigator)
    assert services.intakes_anonymise_expired() == 1
    client.force_login(navigator)
    html = client.get(change_url(intake)).content.decode()
    assert "Removed on" in html and "retention period" in html
    assert f"Removed on {timezone.localdate():%Y-%m-%d}" in html
    assert PERSONAL["first_name"] not in html


# --- Access records ---------------------------------------------------------------


def test_viewing_an_intake_writes_an_access_record(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    client.get(change_url(intake))
    record = AccessRecord.objects.get()
    assert record.user == navigator and record.username == "nora"
    assert record.intake == intake and record.action == "view"
    assert timezone.now() - record.created_at < timedelta(minutes=1)


def test_changing_an_intake_writes_an_access_record(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    response = client.post(change_url(intake), change_form(intake, status="attempting"))
    assert response.status_code == 302, response.content.decode()
    record = AccessRecord.objects.get(action="change")
    assert record.intake == intake and record.user == navigator
    assert record.detail == "status to Attempting contact"


def test_supervisor_reads_access_records_and_nobody_can_edit_them(
    client, supervisor, navigator, make_intake, admin_user
):
    intake = make_intake()
    client.force_login(navigator)
    client.get(change_url(intake))
    record = AccessRecord.objects.get()
    assert client.get("/admin/admissions/accessrecord/").status_code == 403

    client.force_login(supervisor)
    html = client.get("/admin/admissions/accessrecord/").content.decode()
    assert intake.reference in html and "nora" in html

    for user in (supervisor, admin_user):
        client.force_login(user)
        assert client.get("/admin/admissions/accessrecord/add/").status_code == 403
        url = f"/admin/admissions/accessrecord/{record.pk}/"
        assert client.post(url + "change/", {"detail": "edited"}).status_code == 403
        assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.detail == AccessRecord.VIEW_HIDDEN  # as written


def test_access_records_refuse_changes_in_code_too(make_intake, navigator):
    record = services.access_record_write(user=navigator, action="view", intake=make_intake())
    record.detail = "tampered"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AccessRecord.objects.all().update(detail="tampered")
    with pytest.raises(PermissionError):
        AccessRecord.objects.all().delete()


def test_nobody_adds_or_deletes_intakes_in_admin(client, admin_user, make_intake):
    intake = make_intake()
    client.force_login(admin_user)
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{intake.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Intake.objects.filter(pk=intake.pk).exists()


# --- The workflow ---------------------------------------------------------------


def test_logging_a_call_attempt_adds_it_to_the_timeline_with_author(client, navigator, make_intake):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(navigator)
    data = change_form(
        intake, **{"activities-0-kind": "call_attempt", "activities-0-note": "No answer"}
    )
    response = client.post(change_url(intake), data)
    assert response.status_code == 302, response.content.decode()
    call = IntakeActivity.objects.get(intake=intake, kind="call_attempt")
    assert call.author == navigator and call.note == "No answer" and not call.reached
    intake.refresh_from_db()
    assert intake.status == "attempting"  # the first attempt moves a new intake along
    html = client.get(change_url(intake)).content.decode()
    assert "Call attempt" in html and "No answer" in html and "by nora" in html


def test_a_call_that_reaches_the_person_marks_first_contact(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    data = change_form(
        intake, **{"activities-0-kind": "call_attempt", "activities-0-reached": "on"}
    )
    client.post(change_url(intake), data)
    intake.refresh_from_db()
    assert intake.status == "contacted" and intake.first_contacted_at is not None


def test_status_change_in_admin_records_a_timeline_entry(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    client.post(change_url(intake), change_form(intake, status="assessment_scheduled"))
    change = IntakeActivity.objects.filter(intake=intake, kind="status_change").first()
    assert (change.from_status, change.to_status, change.author) == (
        "new",
        "assessment_scheduled",
        navigator,
    )
    intake.refresh_from_db()
    assert intake.first_contacted_at is not None


def test_status_change_to_closed_sets_and_reopening_clears_closed_at(make_intake, navigator):
    intake = services.intake_set_status(intake=make_intake(), status="closed", by=navigator)
    assert intake.closed_at is not None and intake.first_contacted_at is None
    intake = services.intake_set_status(intake=intake, status="new", by=navigator)
    assert intake.closed_at is None


def test_assign_to_me_action(client, navigator, make_intake):
    intakes = [make_intake(), make_intake()]
    client.force_login(navigator)
    response = client.post(
        LIST, {"action": "assign_to_me", "_selected_action": [i.pk for i in intakes]}
    )
    assert response.status_code == 302
    assert set(Intake.objects.values_list("assigned_to", flat=True)) == {navigator.pk}
    assert AccessRecord.objects.filter(action="change").count() == 2


def test_mark_contacted_action(client, navigator, make_intake):
    waiting = make_intake()
    admitted = services.intake_set_status(intake=make_intake(), status="admitted", by=navigator)
    client.force_login(navigator)
    client.post(
        LIST,
        {"action": "mark_contacted", "_selected_action": [waiting.pk, admitted.pk]},
    )
    waiting.refresh_from_db()
    admitted.refresh_from_db()
    assert waiting.status == "contacted" and waiting.first_contacted_at is not None
    assert admitted.status == "admitted"


def test_assignee_choices_are_navigators_only(client, navigator, editor, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    html = client.get(change_url(intake)).content.decode()
    select = re.search(r'<select name="assigned_to".*?</select>', html, re.S).group(0)
    assert ">nora<" in select and ">eddie<" not in select


# --- Search ---------------------------------------------------------------


def test_search_by_reference(client, navigator, make_intake):
    wanted, other = make_intake(), make_intake()
    client.force_login(navigator)
    html = client.get(LIST, {"q": wanted.reference.lower()}).content.decode()
    assert wanted.reference in html and other.reference not in html


def test_search_by_phone_posts_and_filters_by_hash_without_the_number_in_the_url(
    client, navigator, make_intake
):
    first, second = make_intake(), make_intake()
    elsewhere = make_intake(phone="+12025550123")
    for intake in (first, second, elsewhere):
        services.intake_assign(intake=intake, navigator=navigator)
    client.force_login(navigator)
    response = client.post(f"{LIST}find/", {"q": "(415) 555-2671", "assignee": "me"})
    assert response.status_code == 302
    location = response["Location"]
    assert "555" not in location and "2671" not in location
    assert first.phone_hash not in location and "phone_hash" not in location
    assert "assignee=me" in location and "phone_search=results" in location
    page = client.get(location)
    html = page.content.decode()
    assert first.reference in html and second.reference in html
    assert elsewhere.reference not in html
    messages = [str(message) for message in page.context["messages"]]
    assert messages == ["Intakes from that phone number assigned to you: 2."]
    records = AccessRecord.objects.filter(action="search")
    assert {record.intake for record in records} == {first, second}
    for record in records:
        assert record.user == navigator and record.detail == "2 intakes matched"
        assert record.phone_hash == first.phone_hash


def test_phone_search_service_counts_hashes_and_records(navigator, make_intake):
    wanted, other = make_intake(), make_intake(phone="+12025550123")
    for intake in (wanted, other):
        services.intake_assign(intake=intake, navigator=navigator)
    found = services.intake_find_by_phone(user=navigator, phone=PHONE_E164)
    assert found.count == 1
    assert found.intake_ids == (wanted.pk,)
    record = AccessRecord.objects.get()
    assert (record.action, record.user, record.intake) == ("search", navigator, wanted)
    assert record.detail == "1 intake matched"
    assert record.phone_hash == wanted.phone_hash and PHONE_E164 not in record.phone_hash
    nobody = services.intake_find_by_phone(user=navigator, phone="+12025550199")
    assert nobody.count == 0 and nobody.intake_ids == ()
    assert AccessRecord.objects.filter(action="search").count() == 2
    empty = AccessRecord.objects.get(action="search", intake=None)
    assert empty.detail == "0 intakes matched" and empty.phone_hash not in ("", wanted.phone_hash)


@pytest.mark.parametrize("term", ["(555) 555-0100", "555-1234", "not a phone"])
def test_search_for_a_number_the_form_would_refuse_warns_and_records_nothing(
    client, navigator, make_intake, term
):
    make_intake(phone="+15555550100")  # stored before the form checked numbers
    client.force_login(navigator)
    response = client.post(f"{LIST}find/", {"q": term, "status__exact": "new"}, follow=True)
    assert response.redirect_chain == [(f"{LIST}?status__exact=new", 302)]
    [message] = [str(message) for message in response.context["messages"]]
    assert message == "Enter a reference such as CR-7K3F9Q, or a whole phone number."
    assert not AccessRecord.objects.filter(action="search").exists()


def test_phone_is_shown_as_dialled_and_linked_in_e164(client, navigator, make_intake):
    local, abroad = make_intake(), make_intake(phone="+442079460958")
    for intake in (local, abroad):
        services.intake_assign(intake=intake, navigator=navigator)
    client.force_login(navigator)
    html = client.get(change_url(local)).content.decode()
    assert f'<a href="tel:{PHONE_E164}">(415) 555-2671</a>' in html
    html = client.get(change_url(abroad)).content.decode()
    assert '<a href="tel:+442079460958">+44 20 7946 0958</a>' in html


def test_search_form_posts(client, navigator):
    client.force_login(navigator)
    html = client.get(LIST).content.decode()
    form = re.search(r'<form id="changelist-search"[^>]*>', html).group(0)
    assert 'method="post"' in form and 'action="/admin/admissions/intake/find/"' in form


def test_search_by_reference_through_the_search_box(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    response = client.post(f"{LIST}find/", {"q": intake.reference})
    assert response["Location"].endswith(f"?q={intake.reference}")


def test_find_needs_intake_permission(client, editor):
    client.force_login(editor)
    assert client.post(f"{LIST}find/", {"q": "(415) 555-2671"}).status_code == 403
    assert not AccessRecord.objects.exists()


# --- Export ---------------------------------------------------------------


def test_csv_export_is_recorded_formula_safe_and_leaves_out_the_message(
    client, supervisor, make_intake
):
    risky = make_intake(first_name='=HYPERLINK("http://evil")', insurance_provider="+1+1")
    plain = make_intake(insurance_member_id="@SUM(A1)", email="-2@example.org")
    client.force_login(supervisor)
    response = client.post(LIST, {"action": "export_csv", "_selected_action": [risky.pk, plain.pk]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert PERSONAL["message"] not in text and "Message" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["Reference"] for row in rows} == {risky.reference, plain.reference}
    by_reference = {row["Reference"]: row for row in rows}
    assert by_reference[risky.reference]["First name"] == '\'=HYPERLINK("http://evil")'
    assert by_reference[risky.reference]["Insurance provider"] == "'+1+1"
    assert by_reference[plain.reference]["Insurance member ID"] == "'@SUM(A1)"
    assert by_reference[plain.reference]["Email"] == "'-2@example.org"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    records = AccessRecord.objects.filter(action="export")
    assert {record.intake for record in records} == {risky, plain}
    for record in records:
        assert record.user == supervisor
        assert record.detail == "export of 2 intakes with personal data"


def test_csv_export_queries_do_not_grow_with_the_number_of_intakes(
    client, supervisor, make_intake, django_assert_max_num_queries
):
    client.force_login(supervisor)
    client.get(LIST)
    intakes = [make_intake() for _ in range(2)]
    action = {"action": "export_csv", "_selected_action": [i.pk for i in intakes]}
    with django_assert_max_num_queries(30) as few:
        client.post(LIST, action)
    intakes += [make_intake() for _ in range(10)]
    action["_selected_action"] = [i.pk for i in intakes]
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.post(LIST, action)
    assert response.content.decode().count(PERSONAL["first_name"]) == 12


def test_navigators_cannot_export(client, navigator, make_intake):
    intake = make_intake()
    client.force_login(navigator)
    html = client.get(LIST).content.decode()
    assert 'value="export_csv"' not in html
    response = client.post(LIST, {"action": "export_csv", "_selected_action": [intake.pk]})
    assert not response.get("Content-Type", "").startswith("text/csv")
    assert not AccessRecord.objects.filter(action="export").exists()


def test_export_without_the_personal_data_permission_has_no_personal_column(navigator, make_intake):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    out = io.StringIO()
    count = export.intake_export_csv(
        intakes=Intake.objects.all(), user=navigator, include_personal=False, out=out
    )
    assert count == 1
    [header, row] = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == [label for _, label in export.EXPORT_COLUMNS]
    assert row[0] == intake.reference
    for value in [*PERSONAL.values(), PHONE_E164]:
        assert value not in out.getvalue()
    record = AccessRecord.objects.get(action="export")
    assert record.user == navigator and record.detail == "export of 1 intake"
    assert record.intake == intake

    out = io.StringIO()
    export.intake_export_csv(
        intakes=Intake.objects.all(), user=navigator, include_personal=True, out=out
    )
    [header, row] = list(csv.reader(io.StringIO(out.getvalue())))
    personal = [label for _, label in export.EXPORT_PERSONAL_COLUMNS]
    assert header == [label for _, label in export.EXPORT_COLUMNS] + personal
    assert row[header.index("Phone")] == "'" + PHONE_E164  # "+" starts a formula
    assert AccessRecord.objects.filter(
        action="export", detail="export of 1 intake with personal data"
    ).exists()


def test_spreadsheet_safe_neutralises_every_formula_prefix():
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert export.spreadsheet_safe(prefix + "1") == "'" + prefix + "1"
    assert export.spreadsheet_safe("Alcohol") == "Alcohol"
    assert export.spreadsheet_safe(None) == ""


# --- Overview ---------------------------------------------------------------


def test_overview_page_draws_charts_and_counts(
    client, supervisor, make_intake, settings, django_assert_max_num_queries
):
    settings.ADMISSIONS_SLA_MINUTES = 15
    now = timezone.now()
    contacted = make_intake()
    Intake.objects.filter(pk=contacted.pk).update(
        created_at=now - timedelta(days=2, minutes=30),
        call_after=now - timedelta(days=2, minutes=30),
        first_contacted_at=now - timedelta(days=2, minutes=20),
        status="contacted",
    )
    slow = make_intake()
    Intake.objects.filter(pk=slow.pk).update(
        created_at=now - timedelta(days=2, minutes=60),
        call_after=now - timedelta(days=2, minutes=60),
        first_contacted_at=now - timedelta(days=2, minutes=30),
        status="admitted",
    )
    overdue = make_intake()
    Intake.objects.filter(pk=overdue.pk).update(
        created_at=now - timedelta(minutes=40), call_after=now - timedelta(minutes=40)
    )
    make_intake()
    client.force_login(supervisor)
    client.get("/admin/")
    with django_assert_max_num_queries(15):
        response = client.get("/admin/admissions/admissionsoverview/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart') == 4
    assert "<style" not in html.split("<body")[1] and ' style="' not in html.split("<body")[1]
    assert re.search(
        r'overview-figure__value">1</span>\s*<span class="overview-figure__label">overdue', html
    )
    assert re.search(r'overview-figure__value">4</span>', html)  # intakes in 30 days
    assert "20.0 min" in html  # median of 10 and 30 minutes
    assert re.search(r"<title>Contacted: 1</title>", html)
    assert re.search(r"<title>Admitted: 1</title>", html)
    assert re.search(r"<title>New: 2</title>", html)


def test_overview_is_linked_from_the_admin_index(client, supervisor):
    client.force_login(supervisor)
    html = client.get("/admin/").content.decode()
    assert 'href="/admin/admissions/admissionsoverview/"' in html
    assert "Admissions overview" in html
