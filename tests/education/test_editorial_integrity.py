"""Editorial integrity: a live page shows only what a reviewer approved.

An edit of an approved testimonial withdraws its approval on every save path
(admin, model save, queryset update); an attribution is initials only; a source a
published guide cites is read-only to an editor who cannot publish.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from education import models
from education.models import Guide

pytestmark = pytest.mark.django_db

SHARED = "Calling was the first step."
SECTION = 'id="testimonials"'
INITIALS_ERROR = "Initials only: one to three capital letters, each followed by a full stop"
WITHDRAWN = "withdrew the approval"


@pytest.fixture
def approved(make_guide, reviewer):
    return models.Testimonial.objects.create(
        guide=make_guide(),
        text=SHARED,
        attribution="J.M.",
        consent_on_file=True,
        approved=True,
        approved_by=reviewer,
        approved_at=timezone.now() - timedelta(days=1),
    )


def staff_client(user):
    staff = Client()
    staff.force_login(user)
    return staff


def change_form_data(testimonial, **changes):
    """What the testimonial change form posts (an unticked box posts nothing)."""
    data = {
        "guide": testimonial.guide_id,
        "text": testimonial.text,
        "attribution": testimonial.attribution,
        "consent_on_file": "on" if testimonial.consent_on_file else None,
        "approved": "on" if testimonial.approved else None,
        "_save": "Save",
    } | changes
    return {name: value for name, value in data.items() if value is not None}


def post_testimonial(user, testimonial, **changes):
    url = reverse("admin:education_testimonial_change", args=[testimonial.pk])
    return staff_client(user).post(url, change_form_data(testimonial, **changes))


def warnings_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_withdrawn(testimonial):
    testimonial.refresh_from_db()
    assert testimonial.approved is False
    assert testimonial.approved_by is None and testimonial.approved_at is None


@pytest.mark.parametrize(
    "change",
    [
        {"text": "My name is John Michael Smith, DOB 1980-01-01."},
        {"attribution": "J.S."},
        "another guide",
    ],
)
def test_editor_edit_of_an_approved_testimonial_takes_it_off_the_page(
    client, editor, approved, make_guide, change
):
    page = approved.guide.get_absolute_url()
    client.get(page)  # the visitor's page is now stored by the fast path
    assert SHARED in client.get(page).content.decode()
    if change == "another guide":
        change = {"guide": make_guide("otheramab").pk}
    response = post_testimonial(editor, approved, **change)
    assert response.status_code == 302
    assert_withdrawn(approved)
    assert any(WITHDRAWN in message for message in warnings_of(response))
    assert SECTION not in client.get(page).content.decode()
    assert SECTION not in client.get(approved.guide.get_absolute_url()).content.decode()


def test_reviewer_edit_withdraws_the_approval_until_they_approve_it_again(
    client, reviewer, approved
):
    page = approved.guide.get_absolute_url()
    client.get(page)
    # The form still has "approved" ticked: an edit is not an approval.
    response = post_testimonial(reviewer, approved, text="Calling helped me.")
    assert response.status_code == 302
    assert_withdrawn(approved)
    assert any(WITHDRAWN in message for message in warnings_of(response))
    assert SECTION not in client.get(page).content.decode()

    before = timezone.now()
    assert post_testimonial(reviewer, approved, approved="on").status_code == 302
    approved.refresh_from_db()
    assert approved.approved and approved.approved_by == reviewer
    assert approved.approved_at >= before
    assert "Calling helped me." in client.get(page).content.decode()


@pytest.mark.parametrize("field", ["text", "attribution", "guide"])
@pytest.mark.parametrize("update_fields", [None, "the field"])
def test_code_edit_of_an_approved_testimonial_withdraws_its_approval(
    approved, make_guide, field, update_fields
):
    approved.save()  # an unchanged save keeps the approval
    approved.refresh_from_db()
    assert approved.approved and approved.approved_at is not None
    new = {"text": "Changed in code.", "attribution": "K.L.", "guide": make_guide("otheramab")}
    setattr(approved, field, new[field])
    approved.save(update_fields=None if update_fields is None else [field])
    assert_withdrawn(approved)


def test_code_that_approves_its_edit_keeps_the_approval(approved, reviewer):
    approved.text = "Reviewed wording."
    approved.approve(by=reviewer)
    approved.save()
    approved.refresh_from_db()
    assert approved.approved and approved.approved_by == reviewer
    assert approved.text == "Reviewed wording."


def test_code_cannot_approve_a_testimonial_as_an_editor(approved, editor):
    approved.text = "Unreviewed wording."
    with pytest.raises(PermissionDenied):
        approved.approve(by=editor)
    approved.save()
    assert_withdrawn(approved)


def test_queryset_update_of_approved_content_withdraws_the_approval(approved):
    models.Testimonial.objects.filter(pk=approved.pk).update(consent_on_file=True)
    approved.refresh_from_db()
    assert approved.approved  # consent is not what a reviewer approves
    models.Testimonial.objects.filter(pk=approved.pk).update(text="Changed in bulk.")
    assert_withdrawn(approved)


def test_bulk_update_of_approved_content_withdraws_the_approval(approved):
    approved.attribution = "K.L."
    models.Testimonial.objects.bulk_update([approved], ["attribution"])
    assert_withdrawn(approved)


def test_moving_a_testimonial_retires_the_validators_of_the_page_it_leaves(
    client, approved, make_guide
):
    page = approved.guide.get_absolute_url()
    etag = client.get(page)["ETag"]
    other = make_guide("otheramab")
    approved.guide = other
    approved.save()
    again = client.get(page, headers={"If-None-Match": etag})
    assert again.status_code == 200 and SECTION not in again.content.decode()
    assert SECTION not in client.get(other.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "attribution", ["John Smith", "JM", "j.m.", "J. M.", "J.M", "J.-M.", "A.B.C.D."]
)
def test_editor_is_told_an_attribution_must_be_initials(editor, make_guide, attribution):
    guide = make_guide()
    data = {"guide": guide.pk, "text": "Helped me", "attribution": attribution, "_save": "Save"}
    response = staff_client(editor).post(reverse("admin:education_testimonial_add"), data)
    assert response.status_code == 200
    assert INITIALS_ERROR in response.content.decode()
    assert not models.Testimonial.objects.exists()
    data["attribution"] = "J.M."
    assert (
        staff_client(editor).post(reverse("admin:education_testimonial_add"), data).status_code
        == 302
    )


def test_migration_withdraws_the_approval_of_a_name_given_as_attribution(approved):
    named = models.Testimonial.objects.create(
        guide=approved.guide, text="Named", attribution="John Smith", consent_on_file=True
    )
    models.Testimonial.objects.filter(pk=named.pk).update(approved=True, approved_at=timezone.now())
    migration = "0004_testimonial_attribution_initials"
    executor = MigrationExecutor(connection)
    state_apps = executor.loader.project_state(("education", migration)).apps
    module = executor.loader.get_migration("education", migration)
    withdraw = module.operations[-1].code
    withdraw(state_apps, None)
    assert_withdrawn(named)
    approved.refresh_from_db()
    assert approved.approved


def source_form(source, **changes):
    fields = ("key", "authors", "title", "venue", "year", "url", "doi", "language")
    return {name: getattr(source, name) for name in fields} | {"_save": "Save"} | changes


def test_editor_cannot_change_a_source_a_published_guide_cites(editor, make_guide, sources):
    make_guide()  # published, cites "label" and "rigal2020"
    staff = staff_client(editor)
    cited = sources["label"]
    url = reverse("admin:education_source_change", args=[cited.pk])
    html = staff.get(url).content.decode()
    assert "only a medical reviewer can change it" in html
    assert 'name="_save"' not in html
    phish = source_form(cited, url="https://evil.example/phish")
    assert staff.post(url, phish).status_code == 403
    cited.refresh_from_db()
    assert cited.url == "https://example.org/label"
    # A source no published guide cites stays the editor's to correct.
    unused = sources["unused"]
    url = reverse("admin:education_source_change", args=[unused.pk])
    assert staff.post(url, source_form(unused, title="Corrected")).status_code == 302
    unused.refresh_from_db()
    assert unused.title == "Corrected"


def test_editor_can_change_a_source_only_drafts_cite(editor, make_guide, sources):
    make_guide(status=Guide.Status.DRAFT)
    source = sources["label"]
    url = reverse("admin:education_source_change", args=[source.pk])
    staff = staff_client(editor)
    assert "only a medical reviewer" not in staff.get(url).content.decode()
    assert staff.post(url, source_form(source, title="Corrected")).status_code == 302


def test_reviewer_change_of_a_cited_source_shows_on_the_live_page(
    client, reviewer, make_guide, sources
):
    page = make_guide().get_absolute_url()
    client.get(page)
    source = sources["label"]
    url = reverse("admin:education_source_change", args=[source.pk])
    staff = staff_client(reviewer)
    html = staff.get(url).content.decode()
    assert "only a medical reviewer can change it" in html and 'name="_save"' in html
    assert staff.post(url, source_form(source, title="A corrected title")).status_code == 302
    assert "A corrected title." in client.get(page).content.decode()
