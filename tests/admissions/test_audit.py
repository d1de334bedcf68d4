"""The audit trail: what writes an access record, that nothing can change one, the
hash chain and its check, and staff history that outlives the account."""

import importlib
import io
import threading
from contextlib import contextmanager

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import ProtectedError

from admissions import audit, services
from admissions.models import AccessRecord, IntakeActivity
from admissions.roles import NAVIGATORS_GROUP
from tests.admissions.helpers import INTAKE_LIST, PERSONAL, change_form, change_url
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

LIST = INTAKE_LIST
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's"
)


def verify() -> str:
    out = io.StringIO()
    call_command("verify_access_log", stdout=out)
    return out.getvalue()


@contextmanager
def triggers_off():
    """As a database superuser could: the session fires no ordinary trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def tamper(sql: str, params=()) -> None:
    """Change the table behind the trigger's back."""
    with triggers_off() as cursor:
        cursor.execute(sql, params)


# --- What is recorded --------------------------------------------------------------


def test_an_export_records_each_exported_intake(client, supervisor, make_intake):
    intakes = [make_intake() for _ in range(3)]
    client.force_login(supervisor)
    response = client.post(
        LIST, {"action": "export_csv", "_selected_action": [i.pk for i in intakes]}
    )
    assert response.status_code == 200
    records = list(AccessRecord.objects.filter(action="export"))
    assert sorted(record.intake_id for record in records) == sorted(i.pk for i in intakes)
    assert {record.username for record in records} == {"sam"}
    assert len({record.created_at for record in records}) == 1  # one export, one moment


def test_a_change_form_shown_again_after_a_failed_post_is_recorded(client, navigator, make_intake):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(navigator)
    response = client.post(change_url(intake), change_form(intake, status="bogus"))
    assert response.status_code == 200
    assert PERSONAL["first_name"] in response.content.decode()
    record = AccessRecord.objects.get()
    assert (record.action, record.intake, record.user) == ("view", intake, navigator)


def test_one_view_record_per_rendered_page_and_none_for_a_saved_change(
    client, navigator, make_intake
):
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    client.force_login(navigator)
    client.get(change_url(intake))
    assert list(AccessRecord.objects.values_list("action", flat=True)) == ["view"]
    response = client.post(change_url(intake), change_form(intake, status="attempting"))
    assert response.status_code == 302
    assert sorted(AccessRecord.objects.values_list("action", flat=True)) == ["change", "view"]


# --- Nothing changes a record ------------------------------------------------------


@postgresql_only
def test_the_database_refuses_to_update_or_delete_an_access_record(navigator, make_intake):
    record = services.access_record_write(user=navigator, action="view", intake=make_intake())
    for sql in (
        "UPDATE admissions_accessrecord SET detail = 'rewritten', username = 'x' WHERE id = %s",
        "DELETE FROM admissions_accessrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="cannot be changed or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    stored = AccessRecord.objects.get(pk=record.pk)
    assert (stored.detail, stored.username) == ("", "nora")


def test_the_base_manager_and_raw_deletes_are_guarded_too(navigator, make_intake):
    record = services.access_record_write(user=navigator, action="view", intake=make_intake())
    with pytest.raises(PermissionError):
        AccessRecord._base_manager.filter(pk=record.pk).update(detail="rewritten")
    with pytest.raises(PermissionError):
        AccessRecord._base_manager.filter(pk=record.pk).delete()
    with pytest.raises(PermissionError):
        AccessRecord.objects.filter(pk=record.pk)._raw_delete(using="default")
    with pytest.raises(ValueError):
        AccessRecord.objects.create(user=navigator, username="nora", action="view")
    assert AccessRecord.objects.get(pk=record.pk).detail == ""


# --- The hash chain ------------------------------------------------------------------


def test_each_record_carries_the_hash_of_the_one_before(navigator, make_intake):
    intake = make_intake()
    services.access_record_write(user=navigator, action="view", intake=intake)
    services.access_records_write(
        user=navigator, action="export", intake_ids=[intake.pk, None], detail="export of 2"
    )
    first, second, third = AccessRecord.objects.order_by("pk")
    assert first.prev_hash == audit.GENESIS_HASH
    assert second.prev_hash == first.row_hash and third.prev_hash == second.row_hash
    for record in (first, second, third):
        assert len(record.row_hash) == 64 and record.row_hash == record.digest()
    assert verify() == f"3 records, chain intact\nlast hash {third.row_hash}\n"


def test_verify_access_log_checks_a_hash_noted_earlier(navigator, make_intake):
    intake = make_intake()
    noted = services.access_record_write(user=navigator, action="view", intake=intake)
    services.access_record_write(user=navigator, action="view", intake=intake)
    out = io.StringIO()
    call_command("verify_access_log", "--expect", noted.row_hash, stdout=out)
    assert out.getvalue().startswith("2 records, chain intact")
    # The whole table rewritten, hashes redone: the chain is intact, the noted hash gone.
    tamper("UPDATE admissions_accessrecord SET username = 'someone-else'")
    migration = importlib.import_module("admissions.migrations.0004_fill_chain_authors_and_groups")
    state = MigrationLoader(connection).project_state(
        ("admissions", "0004_fill_chain_authors_and_groups")
    )
    with triggers_off():
        migration.chain_access_records(state.apps, None)
    assert verify().startswith("2 records, chain intact")
    with pytest.raises(CommandError, match=f"no access record has the hash {noted.row_hash}"):
        call_command("verify_access_log", "--expect", noted.row_hash, stdout=io.StringIO())


def test_verify_access_log_on_an_empty_log():
    assert verify() == "0 records, chain intact\n"


def test_verify_access_log_names_an_edited_record(navigator, make_intake):
    intake = make_intake()
    records = [
        services.access_record_write(user=navigator, action="view", intake=intake) for _ in range(3)
    ]
    tamper(
        "UPDATE admissions_accessrecord SET username = 'someone-else' WHERE id = %s",
        [records[1].pk],
    )
    with pytest.raises(CommandError, match=f"#{records[1].pk} breaks the chain: its fields"):
        verify()


def test_verify_access_log_notices_a_removed_record(navigator, make_intake):
    intake = make_intake()
    records = [
        services.access_record_write(user=navigator, action="view", intake=intake) for _ in range(3)
    ]
    tamper("DELETE FROM admissions_accessrecord WHERE id = %s", [records[1].pk])
    with pytest.raises(CommandError, match=f"#{records[2].pk} breaks the chain: its prev_hash"):
        verify()


def test_verify_access_log_exits_non_zero_on_a_broken_chain(navigator, make_intake):
    record = services.access_record_write(user=navigator, action="view", intake=make_intake())
    tamper("UPDATE admissions_accessrecord SET detail = 'rewritten' WHERE id = %s", [record.pk])
    with pytest.raises(SystemExit) as exited:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "verify_access_log"]).execute()
    assert exited.value.code == 1


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_concurrent_writers_never_fork_the_chain(make_intake):
    writer = make_user("nora")
    intake = make_intake()
    start = threading.Barrier(4)
    errors = []

    def write_many():
        try:
            start.wait()
            for _ in range(15):
                services.access_record_write(user=writer, action="view", intake=intake)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = AccessRecord.objects.verify_chain()
    assert (check.count, check.broken_pk) == (60, None)
    assert AccessRecord.objects.values("prev_hash").distinct().count() == 60


def test_the_migration_chains_the_records_written_before_it(navigator, make_intake):
    intake = make_intake()
    for _ in range(3):
        services.access_record_write(user=navigator, action="view", intake=intake)
    tamper("UPDATE admissions_accessrecord SET prev_hash = '', row_hash = ''")
    with pytest.raises(CommandError):
        verify()
    migration = importlib.import_module("admissions.migrations.0004_fill_chain_authors_and_groups")
    state = MigrationLoader(connection).project_state(
        ("admissions", "0004_fill_chain_authors_and_groups")
    )
    with triggers_off():  # the migration runs before the trigger is installed
        migration.chain_access_records(state.apps, None)
    assert verify().startswith("3 records, chain intact")


# --- Staff accounts and the history they leave ---------------------------------------


def test_nobody_deletes_a_staff_account_in_the_admin(client, admin_user, navigator):
    client.force_login(admin_user)
    assert client.get(f"/admin/auth/user/{navigator.pk}/delete/").status_code == 403
    assert client.post(f"/admin/auth/user/{navigator.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    html = client.get("/admin/auth/user/").content.decode()
    assert 'value="delete_selected"' not in html and 'value="deactivate"' in html
    response = client.post(
        "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [navigator.pk]}
    )
    assert response.status_code in (200, 302)
    assert type(navigator).objects.filter(pk=navigator.pk).exists()


def test_deactivating_staff_keeps_the_account_and_its_history(client, admin_user, navigator):
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/",
        {"action": "deactivate", "_selected_action": [navigator.pk, admin_user.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert "Deactivated 1 staff accounts." in messages
    assert "Your own account stays active." in messages
    navigator.refresh_from_db()
    admin_user.refresh_from_db()
    assert not navigator.is_active and admin_user.is_active
    entry = LogEntry.objects.get(object_id=str(navigator.pk))
    assert entry.user == admin_user and "Deactivated" in entry.get_change_message()


def test_an_account_that_left_access_records_cannot_be_deleted_even_in_code(navigator, make_intake):
    services.access_record_write(user=navigator, action="view", intake=make_intake())
    with pytest.raises(ProtectedError):
        navigator.delete()
    assert AccessRecord.objects.get().user == navigator


def test_the_timeline_keeps_the_authors_name_when_the_account_is_gone(
    client, supervisor, make_intake
):
    nell = make_user("nell", NAVIGATORS_GROUP)
    intake = make_intake()
    services.intake_log_activity(intake=intake, author=nell, kind="call_attempt", note="No answer")
    call = IntakeActivity.objects.get(kind="call_attempt")
    assert call.author_username == "nell"
    nell.delete()  # only possible outside the admin, for an account with no access record
    call.refresh_from_db()
    assert call.author is None and call.author_username == "nell"
    client.force_login(supervisor)
    html = client.get(change_url(intake)).content.decode()
    entry = html.split("intake-timeline__entry--call_attempt", 1)[1].split("</li>", 1)[0]
    assert "by nell" in entry and "by the website" not in entry


def test_the_migration_fills_in_the_authors_of_older_timeline_entries(navigator, make_intake):
    intake = make_intake()
    services.intake_log_activity(intake=intake, author=navigator, kind="note", note="x")
    IntakeActivity.objects.update(author_username="")
    migration = importlib.import_module("admissions.migrations.0004_fill_chain_authors_and_groups")
    state = MigrationLoader(connection).project_state(
        ("admissions", "0004_fill_chain_authors_and_groups")
    )
    migration.fill_author_usernames(state.apps, None)
    names = dict(IntakeActivity.objects.values_list("kind", "author_username"))
    assert names == {"note": "nora", "status_change": ""}  # the website wrote the first
