"""Fixtures of the education tests: sources, guides, and staff in each editorial group."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from education import markup
from education.models import FAQ, Guide, Source
from education.services import guide_render
from tests.factories import make_user

FIXTURE_CONTENT = Path(__file__).resolve().parent / "content"
SHIPPED_CONTENT = Path(__file__).resolve().parents[2] / "education" / "content"


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
            "reviewer_name": "Dana Reviewer",
            "reviewer_credentials": "MD, addiction medicine",
            "last_reviewed": timezone.localdate() - timedelta(days=10),
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
def staff_without_groups(db):
    return make_user("sam-staff")


@pytest.fixture(autouse=True)
def _no_second_factor(two_factor_off):
    """Two-factor sign-in has its own tests; here staff go straight to the admin."""
