"""The sign-off page in the admin, for a guide and for its translation alike: who may
use it, what it shows, what a sign-off records and where it leads. Each review
covers its own text only."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from education import services
from education.models import Guide, GuideReview, GuideTranslation, TranslationReview
from tests.education.conftest import FIXTURE_CONTENT

pytestmark = pytest.mark.django_db

FINGERPRINT_INPUT = r'name="fingerprint" value="([0-9a-f]{64})"'


@pytest.fixture
def translation():
    """The fixture content's Spanish alphamab, with its English guide."""
    call_command("load_guides", str(FIXTURE_CONTENT), stdout=None)
    return GuideTranslation.objects.select_related("guide").get(guide__slug="alphamab")


@pytest.fixture(params=["guide", "guidetranslation"])
def reviewed(request, translation):
    """What is signed off: the English guide, or its translation (the other is left)."""
    if request.param == "guide":
        return translation.guide
    return translation


def admin_url(obj, name: str) -> str:
    return reverse(f"admin:education_{obj._meta.model_name}_{name}", args=[obj.pk])


def staff_client(user) -> Client:
    staff = Client()
    staff.force_login(user)
    return staff


def shown_fingerprint(staff, obj) -> str:
    """The fingerprint the sign-off page of obj asks to sign."""
    html = staff.get(admin_url(obj, "sign_off")).content.decode()
    return re.search(FINGERPRINT_INPUT, html).group(1)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_only_medical_reviewers_open_or_post_the_sign_off(reviewed, editor, staff_without_groups):
    for user in (editor, staff_without_groups):
        staff = staff_client(user)
        assert staff.get(admin_url(reviewed, "sign_off")).status_code == 403
        data = {"fingerprint": reviewed.current_fingerprint()}
        assert staff.post(admin_url(reviewed, "sign_off"), data).status_code == 403
    assert not GuideReview.objects.exists() and not TranslationReview.objects.exists()
    anonymous = Client().get(admin_url(reviewed, "sign_off"))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_change_page_links_the_sign_off_for_reviewers_only(reviewed, editor, signed_reviewer):
    link = f'href="{admin_url(reviewed, "sign_off")}"'
    assert link in staff_client(signed_reviewer).get(admin_url(reviewed, "change")).content.decode()
    assert link not in staff_client(editor).get(admin_url(reviewed, "change")).content.decode()


def test_the_sign_off_page_shows_what_it_covers(reviewed, signed_reviewer):
    response = staff_client(signed_reviewer).get(admin_url(reviewed, "sign_off"))
    html = " ".join(response.content.decode().split())
    assert re.search(FINGERPRINT_INPUT, html).group(1) == reviewed.current_fingerprint()
    assert f'href="{admin_url(reviewed, "preview")}"' in html
    changelist = reverse(f"admin:education_{reviewed._meta.model_name}_changelist")
    assert f'href="{changelist}"' in html and f'href="{admin_url(reviewed, "change")}"' in html
    assert "<strong>Dana Reviewer, MD</strong>" in html
    if isinstance(reviewed, Guide):
        assert "Guide: <a" in html and "every FAQ and every source it cites" in html
        assert "the English guide keeps its own review" not in html
    else:
        assert "Translation: <a" in html and f"of the guide “{reviewed.guide}”" in html
        assert "English version: Not stamped" in html
        assert "the English guide keeps its own review" in html


def test_a_reviewer_without_a_profile_is_sent_to_fill_it_in(reviewed, reviewer):
    response = staff_client(reviewer).get(admin_url(reviewed, "sign_off"))
    html = " ".join(response.content.decode().split())
    assert "You cannot sign off a review yet" in html and 'name="fingerprint"' not in html
    assert f'href="{reverse("admin:education_reviewerprofile_add")}"' in html
    noun = "guide" if isinstance(reviewed, Guide) else "translation"
    assert f"then come back to this {noun}." in html


def test_a_sign_off_records_its_own_review_only_and_returns_to_the_change_page(
    reviewed, translation, signed_reviewer
):
    staff = staff_client(signed_reviewer)
    shown = shown_fingerprint(staff, reviewed)
    response = staff.post(admin_url(reviewed, "sign_off"), {"fingerprint": shown})
    assert response.status_code == 302 and response["Location"] == admin_url(reviewed, "change")
    guide = Guide.objects.get(pk=translation.guide_id)
    text = GuideTranslation.objects.get(pk=translation.pk)
    if isinstance(reviewed, Guide):
        review = GuideReview.objects.get()
        assert (review.guide, review.fingerprint) == (guide, guide.current_fingerprint())
        assert guide.last_review == review
        assert not TranslationReview.objects.exists() and text.last_review is None
        said = "The page says so until its content changes."
        logged = "Signed off the medical review."
    else:
        review = TranslationReview.objects.get()
        assert (review.translation, review.fingerprint) == (text, text.current_fingerprint())
        assert text.last_review == review
        assert not GuideReview.objects.exists() and guide.last_review is None
        said = "The page says so until its text changes, or the English guide does."
        logged = "Signed off the medical review of the translation."
    assert review.reviewer == signed_reviewer
    assert messages_of(response) == [
        f"You signed off the medical review of “{reviewed}” as Dana Reviewer, MD. {said}"
    ]
    entry = LogEntry.objects.get(object_id=str(reviewed.pk))
    assert entry.get_change_message() == logged
    assert entry.content_type.model == reviewed._meta.model_name


def test_a_text_changed_while_the_reviewer_read_it_is_not_signed_off(reviewed, signed_reviewer):
    staff = staff_client(signed_reviewer)
    shown = shown_fingerprint(staff, reviewed)
    type(reviewed).objects.filter(pk=reviewed.pk).update(title="Changed while read")
    response = staff.post(admin_url(reviewed, "sign_off"), {"fingerprint": shown})
    assert response.status_code == 302 and response["Location"] == admin_url(reviewed, "sign_off")
    assert messages_of(response) == [services.CHANGED_WHILE_READING]
    assert not GuideReview.objects.exists() and not TranslationReview.objects.exists()
