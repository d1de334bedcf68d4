"""Fixtures of the education tests: sources, guides, and staff in each editorial group."""

from pathlib import Path
from unittest.mock import patch

import pytest
from django.db import transaction
from django.utils import timezone

from education import markup
from education.models import FAQ, Guide, ReviewerProfile, ReviewRecordError, Source
from education.services import guide_render, guide_review_sign_off
from tests.factories import make_user

FIXTURE_CONTENT = Path(__file__).resolve().parent / "content"
SHIPPED_CONTENT = Path(__file__).resolve().parents[2] / "education" / "content"


def assert_review_kept(review) -> None:
    """Every way of changing or deleting the review record (a GuideReview or a
    TranslationReview) is refused, and the stored record is as it was signed."""
    model = type(review)
    signed = (review.reviewer_name, review.signed_at, review.fingerprint)
    review.reviewer_name = "Someone Else"
    for attempt in (
        review.save,
        review.delete,
        lambda: model.objects.filter(pk=review.pk).update(reviewer_name="Someone Else"),
        lambda: model.objects.filter(pk=review.pk).delete(),
        lambda: model.objects.bulk_update([review], ["reviewer_name"]),
    ):
        with pytest.raises(ReviewRecordError), transaction.atomic():
            attempt()
    stored = model.objects.get(pk=review.pk)
    assert (stored.reviewer_name, stored.signed_at, stored.fingerprint) == signed


@pytest.fixture
def sources(db):
    return {
        key: Source.objects.create(
            key=key,
            authors=f"Author {key}",
            title=f"Title of {key}",
            venue="Test Journal",
            year="2024",
            url=f"https://example.org/{key}",
        )
        for key in ("rigal2020", "label", "review", "unused")
    }


@pytest.fixture
def make_guide(db, sources):
    def make(slug="testamab", *, faqs=(), status=Guide.Status.PUBLISHED, **fields):
        values = {
            "title": f"{slug.title()} for alcohol use disorder",
            "medication": slug.title(),
            "description": f"What to know about {slug}.",
            "fda_status": Guide.FdaStatus.OFF_LABEL,
            "mechanism": "Acts on a receptor",
            "key_caution": "Do not stop suddenly",
            "summary": "It is off-label.[^label]\nEvidence is mixed.[^rigal2020]",
            "body": "## What it is\n\nA medicine.[^label]\n\n## Research\n\nA trial.[^rigal2020]",
            "status": status,
            **fields,
        }
        guide = Guide.objects.create(slug=slug, **values)
        for order, (question, answer) in enumerate(faqs, start=1):
            FAQ.objects.create(guide=guide, question=question, answer=answer, order=order)
        return guide_render(guide=guide)

    return make


@pytest.fixture
def render_calls(monkeypatch):
    """The arguments of every guide render (markup.render_guide) while the test runs."""
    calls = []
    render = markup.render_guide

    def counted(**kwargs):
        calls.append(kwargs)
        return render(**kwargs)

    monkeypatch.setattr(markup, "render_guide", counted)
    return calls


@pytest.fixture
def editor(db):
    return make_user("edith-editor", "Editors")


@pytest.fixture
def reviewer(db):
    return make_user("rhea-reviewer", "Medical reviewers")


@pytest.fixture
def signed_reviewer(db):
    """A medical reviewer whose profile names them: they can sign off a review."""
    user = make_user("dana-reviewer", "Medical reviewers")
    ReviewerProfile.objects.create(user=user, display_name="Dana Reviewer", credentials="MD")
    return user


@pytest.fixture
def sign_off(signed_reviewer):
    """Sign off a guide's review as it reads now, as signed_reviewer unless `by`, at
    the time `at` (a datetime) or now."""

    def sign(guide, *, by=None, at=None):
        with patch.object(timezone, "now", return_value=at or timezone.now()):
            review = guide_review_sign_off(guide=guide, reviewer=by or signed_reviewer)
        guide.refresh_from_db()
        return review

    return sign


@pytest.fixture
def staff_without_groups(db):
    return make_user("sam-staff")


@pytest.fixture(autouse=True)
def _no_second_factor(two_factor_off):
    """Two-factor sign-in has its own tests; here staff go straight to the admin."""
