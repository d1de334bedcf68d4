"""Editorial admin: who may publish, the change record, preview, filters, sources."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from education import models
from education.models import Guide

pytestmark = pytest.mark.django_db


def change_url(guide):
    return reverse("admin:education_guide_change", args=[guide.pk])


def form_data(guide, faqs=None, **changes):
    """What the guide change form posts, with some fields changed."""
    faqs = list(guide.faqs.all()) if faqs is None else faqs
    data = {
        "title": guide.title,
        "slug": guide.slug,
        "medication": guide.medication,
        "description": guide.description,
        "condition": guide.condition_id,
        "kind": guide.kind,
        "order": guide.order,
        "status": guide.status,
        **{name: getattr(guide, name) for name in ("fda_status", *models.ROW_TEXT_FIELDS)},
        "summary": guide.summary,
        "body": guide.body,
        "related": [related.pk for related in guide.related.all()],
        "faqs-TOTAL_FORMS": len(faqs),
        "faqs-INITIAL_FORMS": len([faq for faq in faqs if faq.pk]),
        "faqs-MIN_NUM_FORMS": 0,
        "faqs-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for index, faq in enumerate(faqs):
        prefix = f"faqs-{index}-"
        data |= {
            f"{prefix}id": faq.pk or "",
            f"{prefix}guide": guide.pk,
            f"{prefix}question": faq.question,
            f"{prefix}answer": faq.answer,
            f"{prefix}order": faq.order,
        }
    return data | changes


def test_migration_creates_the_editorial_groups():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    reviewers = set(
        Group.objects.get(name="Medical reviewers").permissions.values_list("codename", flat=True)
    )
    assert {"add_guide", "change_guide", "change_faq", "change_source"} <= editors
    assert "publish_guide" not in editors and "approve_testimonial" not in editors
    assert editors < reviewers
    assert {"publish_guide", "approve_testimonial"} <= reviewers


def test_editor_cannot_publish_a_guide(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.REVIEW)
    client.force_login(editor)
    response = client.post(change_url(guide), form_data(guide, status="published"))
    assert response.status_code == 200
    assert "Only a medical reviewer can publish a guide" in response.content.decode()
    guide.refresh_from_db()
    assert guide.status == Guide.Status.REVIEW and guide.published_at is None


def test_editor_can_draft_and_send_for_review(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    data = form_data(guide, status="review", body="## New\n\nRewritten.[^label]")
    response = client.post(change_url(guide), data)
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.status == Guide.Status.REVIEW
    assert '<h2 id="new">New</h2>' in guide.body_html


def test_editor_cannot_sign_off_the_review(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    sign_off_url = reverse("admin:education_guide_sign_off", args=[guide.pk])
    assert "Sign off the review" not in client.get(change_url(guide)).content.decode()
    assert client.get(sign_off_url).status_code == 403
    data = {"fingerprint": guide.current_fingerprint()}
    assert client.post(sign_off_url, data).status_code == 403
    guide.refresh_from_db()
    assert guide.last_review is None and not guide.reviews.exists()


def test_editor_cannot_change_a_published_guide(client, editor, make_guide):
    guide = make_guide()
    client.force_login(editor)
    response = client.post(change_url(guide), form_data(guide, title="Quietly changed"))
    assert response.status_code == 403
    guide.refresh_from_db()
    assert guide.title != "Quietly changed"
    assert client.get(change_url(guide)).status_code == 200  # may still read it


def test_medical_reviewer_can_publish_and_sign_off(client, signed_reviewer, make_guide):
    guide = make_guide(status=Guide.Status.REVIEW)
    client.force_login(signed_reviewer)
    today = timezone.localdate()
    data = form_data(guide, status="published", change_summary="First published.")
    response = client.post(change_url(guide), data)
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.status == Guide.Status.PUBLISHED and guide.published_at is not None
    sign_off_url = reverse("admin:education_guide_sign_off", args=[guide.pk])
    assert sign_off_url in client.get(change_url(guide)).content.decode()
    fingerprint = guide.current_fingerprint()
    assert fingerprint in client.get(sign_off_url).content.decode()
    response = client.post(sign_off_url, {"fingerprint": fingerprint})
    assert response.status_code == 302 and response["Location"] == change_url(guide)
    guide.refresh_from_db()
    review = guide.last_review
    assert review.reviewer == signed_reviewer and review.signed_on == today
    assert review.reviewer_display == "Dana Reviewer, MD" and review.fingerprint == fingerprint
    assert client.get(guide.get_absolute_url()).status_code == 200


def test_publishing_an_unreviewed_guide_says_so_on_the_page(client, reviewer, make_guide):
    guide = make_guide(status=Guide.Status.REVIEW)
    client.force_login(reviewer)
    data = form_data(guide, status="published", change_summary="First published.")
    response = client.post(change_url(guide), data)
    assert response.status_code == 302
    html = client.get(guide.get_absolute_url()).content.decode()
    assert "Not yet reviewed by a clinician." in html and "Medically reviewed by" not in html
    assert ": First published.</li>" in html


def test_admin_edit_records_who_changed_which_fields(client, reviewer, make_guide):
    guide = make_guide(status=Guide.Status.REVIEW)
    client.force_login(reviewer)
    data = form_data(
        guide, status="published", title="A clearer title", change_summary="First published."
    )
    assert client.post(change_url(guide), data).status_code == 302
    entry = LogEntry.objects.get(object_id=str(guide.pk), action_flag=CHANGE)
    assert entry.user == reviewer
    message = entry.get_change_message()
    assert "Title" in message and "Status (In review to Published)" in message
    history = client.get(reverse("admin:education_guide_history", args=[guide.pk]))
    assert "Status (In review to Published)" in history.content.decode()


def test_unknown_citation_key_is_shown_to_the_editor(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    response = client.post(change_url(guide), form_data(guide, body="Claim.[^nosuch1999]"))
    assert response.status_code == 200
    assert "Unknown citation key(s): [^nosuch1999]" in response.content.decode()


def test_unknown_citation_key_in_a_faq_is_shown_to_the_editor(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    new_faq = models.FAQ(question="New?", answer="Yes.[^phantom7]", order=1)
    response = client.post(change_url(guide), form_data(guide, faqs=[new_faq]))
    assert response.status_code == 200
    assert "[^phantom7]" in response.content.decode()
    assert not guide.faqs.exists()


def test_faq_added_in_admin_is_rendered_with_page_wide_numbers(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    new_faq = models.FAQ(question="New?", answer="Yes.[^review]", order=1)
    assert client.post(change_url(guide), form_data(guide, faqs=[new_faq])).status_code == 302
    faq = guide.faqs.get()
    assert 'href="#source-review" aria-label="Source 3">[3]</a>' in faq.answer_html
    assert guide.citations.count() == 3


def test_staff_with_change_permission_can_preview_a_draft(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT, body="## Draft\n\nUnpublished words.[^label]")
    client.force_login(editor)
    response = client.get(reverse("admin:education_guide_preview", args=[guide.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unpublished words." in html and "Preview of a guide that is" in html
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_change_form_links_to_the_preview(client, editor, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(editor)
    html = client.get(change_url(guide)).content.decode()
    assert reverse("admin:education_guide_preview", args=[guide.pk]) in html


def test_preview_is_refused_to_staff_without_permission(client, staff_without_groups, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    client.force_login(staff_without_groups)
    response = client.get(reverse("admin:education_guide_preview", args=[guide.pk]))
    assert response.status_code == 403


def test_preview_sends_anonymous_visitors_to_sign_in(client, make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    response = client.get(reverse("admin:education_guide_preview", args=[guide.pk]))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_review_overdue_filter_lists_guides_reviewed_over_a_year_ago(
    client, reviewer, make_guide, sign_off
):
    now = timezone.now()
    sign_off(make_guide("stale-one"), at=now - timedelta(days=400))
    sign_off(make_guide("fresh-one"), at=now - timedelta(days=30))
    client.force_login(reviewer)
    html = client.get(reverse("admin:education_guide_changelist") + "?review=overdue").content
    assert b"Stale-One for alcohol use disorder" in html
    assert b"Fresh-One for alcohol use disorder" not in html


def test_source_admin_shows_where_each_source_is_cited(client, editor, make_guide, sources):
    guide = make_guide("citing")
    client.force_login(editor)
    url = reverse("admin:education_source_change", args=[sources["rigal2020"].pk])
    html = client.get(url).content.decode()
    assert guide.title in html and "source [2]" in html
    unused = reverse("admin:education_source_change", args=[sources["unused"].pk])
    assert "Not cited by any guide" in client.get(unused).content.decode()


def _approve_consented_testimonial_as(client, user, guide):
    """Post the admin form approving a testimonial with consent on file."""
    testimonial = models.Testimonial.objects.create(
        guide=guide, text="Helped me", attribution="J.M.", consent_on_file=True
    )
    client.force_login(user)
    url = reverse("admin:education_testimonial_change", args=[testimonial.pk])
    data = {
        "guide": testimonial.guide_id,
        "text": testimonial.text,
        "attribution": "J.M.",
        "consent_on_file": "on",
        "approved": "on",
        "_save": "Save",
    }
    assert client.post(url, data).status_code == 302
    testimonial.refresh_from_db()
    return testimonial


def test_reviewer_approval_of_a_testimonial_records_who_approved(client, reviewer, make_guide):
    testimonial = _approve_consented_testimonial_as(client, reviewer, make_guide())
    assert testimonial.approved and testimonial.approved_by == reviewer


def test_editor_cannot_approve_a_testimonial(client, editor, make_guide):
    testimonial = _approve_consented_testimonial_as(client, editor, make_guide())
    assert not testimonial.approved and testimonial.approved_by is None


def test_testimonial_without_consent_cannot_be_approved(client, reviewer, make_guide):
    testimonial = models.Testimonial.objects.create(
        guide=make_guide(), text="Helped me", attribution="J.M."
    )
    client.force_login(reviewer)
    url = reverse("admin:education_testimonial_change", args=[testimonial.pk])
    data = {
        "guide": testimonial.guide_id,
        "text": testimonial.text,
        "attribution": "J.M.",
        "approved": "on",
        "_save": "Save",
    }
    assert client.post(url, data).status_code == 200
    testimonial.refresh_from_db()
    assert not testimonial.approved


def test_admin_save_of_a_guide_with_faqs_renders_it_once(client, editor, make_guide, render_calls):
    guide = make_guide(status=Guide.Status.DRAFT, faqs=[("Is it safe?", "Mostly.[^review]")])
    render_calls.clear()
    client.force_login(editor)
    new_faq = models.FAQ(question="New?", answer="Yes.[^unused]", order=2)
    data = form_data(guide, faqs=[*guide.faqs.all(), new_faq], body="## New\n\nOnly.[^label]")
    assert client.post(change_url(guide), data).status_code == 302
    assert len(render_calls) == 1
    # Rendered after the inline was saved: the new answer has its page-wide number.
    assert render_calls[0]["faq_answers"] == ["Mostly.[^review]", "Yes.[^unused]"]
    added = guide.faqs.get(question="New?")
    assert 'href="#source-unused" aria-label="Source 4">[4]</a>' in added.answer_html
    guide.refresh_from_db()
    assert '<h2 id="new">New</h2>' in guide.body_html


def test_admin_add_of_a_guide_with_a_faq_renders_it_once(client, editor, make_guide, render_calls):
    template = make_guide("template", status=Guide.Status.DRAFT)
    render_calls.clear()
    client.force_login(editor)
    new_faq = models.FAQ(question="New?", answer="Yes.[^review]", order=1)
    data = form_data(template, faqs=[new_faq], slug="addamab", title="Addamab")
    data["faqs-0-guide"] = ""
    response = client.post(reverse("admin:education_guide_add"), data)
    assert response.status_code == 302
    assert len(render_calls) == 1
    added = Guide.objects.get(slug="addamab")
    assert "[3]" in added.faqs.get().answer_html
    assert added.citations.count() == 3
