"""Management commands: create_staff (make staff) and the admissions groups."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from cardinal.staff.models import EnrolmentLink, secret_hash

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct-horse-battery-staple-42"


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_migrations_create_the_admissions_groups_with_their_permissions():
    navigators = set(
        Group.objects.get(name="Navigators").permissions.values_list("codename", flat=True)
    )
    supervisors = set(
        Group.objects.get(name="Admissions supervisors").permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"view_intake", "change_intake", "view_personal_data", "add_intakeactivity"} <= (
        navigators
    )
    assert "export_intakes" not in navigators and "view_accessrecord" not in navigators
    assert navigators < supervisors
    assert {"export_intakes", "view_accessrecord"} <= supervisors
    assert not {"add_accessrecord", "change_accessrecord", "delete_accessrecord"} & supervisors
    assert "delete_intake" not in supervisors


def test_create_staff_without_prompts_takes_the_password_from_the_environment(
    monkeypatch, django_user_model
):
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", GOOD_PASSWORD)
    output = run(
        "--username", "ana", "--email", "ana@example.org", "--group", "Navigators", "--noinput"
    )
    assert "Created staff account 'ana' (Navigators)" in output
    user = django_user_model.objects.get(username="ana")
    assert user.is_staff and not user.is_superuser
    assert user.email == "ana@example.org"
    assert user.check_password(GOOD_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["Navigators"]
    assert GOOD_PASSWORD not in output


def test_create_staff_prints_an_enrolment_link_for_a_new_account(monkeypatch, django_user_model):
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", GOOD_PASSWORD)
    output = run("--username", "ana", "--email", "ana@example.org", "--noinput")
    assert "Enrolment link for two-factor sign-in" in output
    assert "works once, for 72 hours" in output
    token = output.split("/staff/two-factor/enrol/?token=")[1].split()[0]
    link = EnrolmentLink.objects.get(user__username="ana")
    assert link.token_hash == secret_hash(token)

    again = run("--username", "ana", "--group", "Navigators", "--noinput")
    assert "token=" not in again  # the link already handed over stays the one that works
    assert "manage.py staff_enrolment_link ana" in again
    assert EnrolmentLink.objects.usable().get() == link


def test_create_staff_is_idempotent_and_adds_groups(monkeypatch, django_user_model):
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", GOOD_PASSWORD)
    run("--username", "ana", "--email", "ana@example.org", "--group", "Navigators", "--noinput")
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", "a-different-password-entirely")
    output = run(
        "--username", "ana", "--group", "Admissions supervisors", "--superuser", "--noinput"
    )
    assert "Updated staff account 'ana'" in output
    user = django_user_model.objects.get(username="ana")
    assert django_user_model.objects.filter(username="ana").count() == 1
    assert user.is_superuser
    assert user.check_password(GOOD_PASSWORD)  # the password is left alone
    assert set(user.groups.values_list("name", flat=True)) == {
        "Navigators",
        "Admissions supervisors",
    }


def test_create_staff_applies_password_validation(monkeypatch, django_user_model):
    monkeypatch.setenv("DJANGO_STAFF_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        run("--username", "ana", "--email", "ana@example.org", "--noinput")
    assert not django_user_model.objects.exists()


def test_create_staff_without_a_password_in_noinput_mode_fails_clearly(monkeypatch):
    monkeypatch.delenv("DJANGO_STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_STAFF_PASSWORD"):
        run("--username", "ana", "--email", "ana@example.org", "--noinput")


def test_create_staff_names_an_unknown_group():
    with pytest.raises(CommandError, match="No such group: Nurses"):
        run("--username", "ana", "--group", "Nurses", "--noinput")


def test_create_staff_prompts_when_interactive(monkeypatch, django_user_model):
    monkeypatch.delenv("DJANGO_STAFF_PASSWORD", raising=False)
    answers = iter(["bea", "bea@example.org"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    passwords = iter(["short", "short", GOOD_PASSWORD, "typo", GOOD_PASSWORD, GOOD_PASSWORD])
    monkeypatch.setattr(
        "admissions.management.commands.create_staff.getpass.getpass",
        lambda prompt: next(passwords),
    )
    output = run("--group", "Navigators", "--superuser")
    assert "Created staff account 'bea' (Navigators)" in output
    user = django_user_model.objects.get(username="bea")
    assert user.is_superuser and user.is_staff and user.check_password(GOOD_PASSWORD)
