"""One-intake behaviour: references, overdue, status timestamps, querysets."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from admissions import models, services
from admissions.models import Intake, normalise_reference
from tests.admissions.helpers import close_past_retention

pytestmark = pytest.mark.django_db


def test_references_are_short_unambiguous_and_random():
    references = {Intake.objects.unused_reference() for _ in range(2000)}
    # 2,000 draws from 31**6 repeat a reference in about one run in 440 (the birthday
    # bound), three of them in about one in 500 million; a generator that is not random
    # repeats far more.
    assert len(references) >= 1998
    for reference in references:
        assert re.fullmatch(r"CR-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}", reference)


def test_each_intake_gets_a_unique_reference(make_intake):
    references = [make_intake().reference for _ in range(5)]
    assert len(set(references)) == 5


def test_a_new_reference_is_never_one_an_intake_has(make_intake, monkeypatch):
    taken = make_intake().reference
    drawn = iter(taken.removeprefix("CR-") + "222222")
    monkeypatch.setattr(models.secrets, "choice", lambda alphabet: next(drawn))
    assert Intake.objects.unused_reference() == "CR-222222"


def test_no_reference_when_every_draw_is_taken(make_intake, monkeypatch):
    Intake.objects.filter(pk=make_intake().pk).update(reference="CR-222222")
    monkeypatch.setattr(models.secrets, "choice", lambda alphabet: "2")
    with pytest.raises(RuntimeError, match="unused intake reference"):
        Intake.objects.unused_reference()


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("CR-7K3F9Q", "CR-7K3F9Q"),
        ("cr-7k3f9q", "CR-7K3F9Q"),
        ("CR7K3F9Q", "CR-7K3F9Q"),
        (" 7k3f9q ", "CR-7K3F9Q"),
        ("CR-7K3F9", None),  # too short
        ("CR-7K3F9QQ", None),  # too long
        ("CR-7K3F9O", None),  # O, I and L are never in a reference
        ("CR-LLLLLL", None),
        ("CR-%", None),
        ("(415) 555-2671", None),
        ("", None),
    ],
)
def test_a_typed_reference_is_normalised_to_its_stored_form(typed, reference):
    assert normalise_reference(typed) == reference


def test_overdue_after_the_sla_until_contacted(make_intake, settings):
    settings.ADMISSIONS_SLA_MINUTES = 15
    intake = make_intake()
    now = intake.created_at
    assert not intake.is_overdue(now + timedelta(minutes=14))
    assert intake.is_overdue(now + timedelta(minutes=16))
    assert list(Intake.objects.overdue(now + timedelta(minutes=16))) == [intake]
    assert not Intake.objects.not_overdue(now + timedelta(minutes=16)).exists()
    intake.apply_status(Intake.Status.CONTACTED, now=now + timedelta(minutes=10))
    intake.save()
    assert not intake.is_overdue(now + timedelta(minutes=16))
    assert not Intake.objects.overdue(now + timedelta(minutes=16)).exists()


def test_closing_without_contact_stops_the_clock(make_intake):
    intake = make_intake()
    later = intake.created_at + timedelta(hours=2)
    intake.apply_status(Intake.Status.CLOSED, now=intake.created_at)
    assert intake.first_contacted_at is None
    assert not intake.is_overdue(later)


def test_first_contact_time_is_kept_when_the_intake_moves_on(make_intake):
    intake = make_intake()
    first = timezone.now()
    intake.apply_status(Intake.Status.CONTACTED, now=first)
    intake.apply_status(Intake.Status.ADMITTED, now=first + timedelta(days=3))
    assert intake.first_contacted_at == first


def test_the_retention_sweep_clears_every_personal_field(make_intake, navigator):
    intake = make_intake(substances=["alcohol"])
    services.intake_log_activity(intake=intake, author=navigator, kind="note", note="Thaddeus")
    assert all(getattr(intake, name) for name in Intake.PERSONAL_FIELDS)
    close_past_retention(intake, by=navigator)
    assert services.intakes_anonymise_expired() == 1
    intake.refresh_from_db()
    assert all(getattr(intake, name) == "" for name in Intake.PERSONAL_FIELDS)
    assert intake.phone_hash == "" and intake.anonymised_at is not None
    assert [activity.note for activity in intake.activities.all()] == ["", "", ""]


def test_count_by_status_lists_every_status_in_pipeline_order(make_intake):
    make_intake()
    counts = Intake.objects.count_by_status()
    assert [status for status, _ in counts] == list(Intake.Status)
    assert dict(counts)[Intake.Status.NEW] == 1
