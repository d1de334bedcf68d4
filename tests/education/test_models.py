"""Guides render through guide_render; the bibliography is checked; querysets pick guides."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from education.models import FAQ, Citation, Guide
from education.services import guide_render
from tests.education.conftest import assert_review_kept

pytestmark = pytest.mark.django_db


def test_saving_a_guide_stores_html_toc_and_numbered_sources(make_guide):
    guide = make_guide(faqs=[("Is it safe?", "Mostly.[^review]")])
    guide.refresh_from_db()
    assert guide.toc == [
        {"id": "what-it-is", "text": "What it is"},
        {"id": "research", "text": "Research"},
    ]
    assert '<h2 id="research">Research</h2>' in guide.body_html
    assert len(guide.summary_html) == 2 and "[1]" in guide.summary_html[0]
    numbered = list(guide.citations.order_by("number").values_list("number", "source__key"))
    assert numbered == [(1, "label"), (2, "rigal2020"), (3, "review")]
    faq = guide.faqs.get()
    assert 'href="#source-review"' in faq.answer_html and "[3]" in faq.answer_html
    assert faq.answer_text == "Mostly."


def test_unused_source_is_not_attached_to_the_guide(make_guide, sources):
    guide = make_guide()
    assert not Citation.objects.filter(guide=guide, source=sources["unused"]).exists()


def test_resaving_renumbers_without_duplicating_citations(make_guide):
    guide = make_guide()
    guide.body = "## Only\n\nNow the review comes first.[^review][^label]"
    guide_render(guide=guide)
    numbered = list(guide.citations.order_by("number").values_list("number", "source__key"))
    assert numbered == [(1, "label"), (2, "rigal2020"), (3, "review")]
    guide.summary = "Only one.[^review]"
    guide_render(guide=guide)
    numbered = list(guide.citations.order_by("number").values_list("number", "source__key"))
    assert numbered == [(1, "review"), (2, "label")]


def test_unknown_citation_key_is_a_validation_error_on_the_field(make_guide):
    guide = make_guide()
    guide.body = "A claim.[^nosuch2031]"
    with pytest.raises(ValidationError) as caught:
        guide.full_clean()
    assert "body" in caught.value.message_dict
    assert "[^nosuch2031]" in caught.value.message_dict["body"][0]


def test_unknown_citation_key_cannot_be_saved_past_clean(make_guide):
    guide = make_guide()
    guide.summary = "Claim.[^ghost]"
    with pytest.raises(ValidationError, match="ghost"):
        guide_render(guide=guide)
    guide.refresh_from_db()
    assert "ghost" not in guide.summary


def test_unknown_citation_key_in_a_faq_answer_is_a_validation_error(make_guide):
    faq = FAQ(guide=make_guide(), question="Q?", answer="A.[^phantom]")
    with pytest.raises(ValidationError) as caught:
        faq.full_clean()
    assert "phantom" in caught.value.message_dict["answer"][0]


def test_a_guide_publishes_without_a_review_and_then_claims_none(make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    guide.status = Guide.Status.PUBLISHED
    guide.full_clean()
    assert not hasattr(guide, "reviewer_name") and not hasattr(guide, "last_reviewed")
    assert guide.review_state == Guide.ReviewState.NEVER and not guide.review_is_current


def test_a_review_record_is_never_changed_or_deleted(make_guide, sign_off):
    guide = make_guide()
    assert_review_kept(sign_off(guide))
    with pytest.raises(ProtectedError):
        guide.delete()


def test_a_review_record_names_the_guide_and_the_day_it_was_signed(make_guide, sign_off):
    guide = make_guide()
    review = sign_off(guide, at=timezone.make_aware(datetime(2026, 3, 1, 12)))
    assert str(review) == f"Review of guide {guide.pk} on 2026-03-01"
    assert review.reviewer_display == "Dana Reviewer, MD"


def test_publishing_sets_the_publication_time_once(make_guide):
    guide = make_guide(status=Guide.Status.DRAFT)
    assert guide.published_at is None
    guide.status = Guide.Status.PUBLISHED
    guide.save()
    first = guide.published_at
    assert first is not None
    guide.title = "Retitled"
    guide.save()
    assert guide.published_at == first


def test_review_overdue_means_signed_off_over_twelve_months_ago(make_guide, sign_off):
    now = timezone.now()
    stale = make_guide("stale")
    sign_off(stale, at=now - timedelta(days=400))
    fresh = make_guide("fresh")
    sign_off(fresh, at=now - timedelta(days=300))
    never = make_guide("never", status=Guide.Status.DRAFT)
    assert list(Guide.objects.review_in_state(Guide.ReviewState.OVERDUE)) == [stale]
    assert stale.review_state == Guide.ReviewState.OVERDUE
    assert list(Guide.objects.review_in_state(Guide.ReviewState.VALID)) == [fresh]
    assert set(Guide.objects.review_not_current()) == {stale, never}


def test_published_excludes_drafts_and_guides_in_review(make_guide):
    live = make_guide("live")
    make_guide("draft", status=Guide.Status.DRAFT)
    make_guide("review", status=Guide.Status.REVIEW)
    assert list(Guide.objects.published()) == [live]


def test_editing_a_cited_source_moves_the_guide_updated_time(make_guide, sources):
    guide = make_guide()
    before = guide.updated_at
    sources["label"].title = "Corrected title"
    sources["label"].save()
    guide.refresh_from_db()
    assert guide.updated_at > before


def test_a_cited_source_cannot_be_deleted(make_guide, sources):
    from django.db.models import ProtectedError

    make_guide()
    with pytest.raises(ProtectedError):
        sources["label"].delete()


def test_source_link_falls_back_to_the_doi(sources):
    source = sources["review"]
    source.url, source.doi = "", "10.1000/xyz"
    assert source.link == "https://doi.org/10.1000/xyz"


def test_saving_a_guide_alone_does_not_render_it(make_guide, render_calls):
    guide = make_guide()
    rendered = guide.body_html
    render_calls.clear()
    guide.body = "## Other\n\nNot rendered yet.[^review]"
    guide.save()
    fresh = Guide.objects.create(slug="fresh", title="Fresh", body="## Fresh\n\nWords.[^label]")
    assert render_calls == []
    guide.refresh_from_db()
    assert guide.body_html == rendered and "Not rendered yet." not in guide.body_html
    numbered = list(guide.citations.order_by("number").values_list("source__key", flat=True))
    assert numbered == ["label", "rigal2020"]
    assert fresh.body_html == "" and fresh.toc == [] and not fresh.citations.exists()


def test_rendering_renders_once_with_the_saved_faqs(make_guide, render_calls):
    guide = make_guide(faqs=[("Is it safe?", "Mostly.[^review]")])
    assert len(render_calls) == 1
    assert render_calls[0]["faq_answers"] == ["Mostly.[^review]"]
    assert "[3]" in guide.faqs.get().answer_html


def test_rendering_a_guide_moves_on_the_pages_listing_it_as_related(make_guide):
    listed = make_guide("listed")
    lister = make_guide("lister")
    lister.related.add(listed)
    before = Guide.objects.get(pk=lister.pk).updated_at
    listed.title = "Retitled"
    guide_render(guide=listed)
    assert Guide.objects.get(pk=lister.pk).updated_at > before
    assert Guide.objects.get(pk=lister.pk).updated_at == listed.updated_at
