"""The medical review is a recorded act, bound to what the reviewer read.

A reviewer (Medical reviewers group, with a profile naming them) signs off a
guide's fingerprint; the page and its JSON-LD claim the review only while the
content still has that fingerprint. An edit of the guide, a FAQ or a cited
source ends the claim; a review older than the interval stays, marked due.
"""

import json
import re
import shutil
from datetime import UTC, date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command, execute_from_command_line
from django.core.management import base as management_base
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from education import models, services
from education.management.commands.guides_review_status import Command as ReviewStatusCommand
from education.models import FAQ, Guide, GuideReview, ReviewerProfile
from education.services import guide_render, guide_review_sign_off
from tests.education.conftest import FIXTURE_CONTENT
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NEVER_LINE = (
    "Written by our editorial team from the sources below. Not yet reviewed by a clinician."
)
REVIEWED_LINE = "Medically reviewed by <strong>Dana Reviewer, MD</strong>"
DUE = "A new review is due."


def page(client, guide):
    response = client.get(guide.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def review_line(html: str) -> str:
    match = re.search(r'<p class="guide__review">(.*?)</p>', html, re.S)
    assert match, "no review line"
    return " ".join(match.group(1).split())


def medical_page(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    graph = json.loads(block)["@graph"]
    return next(node for node in graph if node["@type"] == "MedicalWebPage")


def time_tag(day) -> str:
    return f'<time datetime="{day:%Y-%m-%d}">{day:%B} {day.day}, {day:%Y}</time>'


def staff_client(user):
    staff = Client()
    staff.force_login(user)
    return staff


def sign_off_url(guide):
    return reverse("admin:education_guide_sign_off", args=[guide.pk])


# --- What the page says in each state ----------------------------------------------


def test_a_guide_never_reviewed_says_so_and_claims_no_reviewer(client, make_guide):
    guide = make_guide()
    # The content's date (its change log), not the day the row was last written.
    Guide.objects.filter(pk=guide.pk).update(content_updated_on=date(2026, 1, 2))
    html = page(client, guide)
    line = review_line(html)
    assert line.startswith(f"{NEVER_LINE} Updated on {time_tag(date(2026, 1, 2))}.")
    assert "Medically reviewed" not in html
    medical = medical_page(html)
    assert "reviewedBy" not in medical and "lastReviewed" not in medical
    assert guide.review_state == Guide.ReviewState.NEVER


def test_a_signed_off_guide_names_its_reviewer_and_date(client, make_guide, sign_off):
    guide = make_guide()
    review = sign_off(guide, at=timezone.now() - timedelta(days=20))
    html = page(client, guide)
    line = review_line(html)
    assert line.startswith(f"{REVIEWED_LINE} on {time_tag(review.signed_on)}.")
    assert (
        DUE not in line and NEVER_LINE not in html and "after its last medical review" not in line
    )
    medical = medical_page(html)
    assert medical["reviewedBy"] == {
        "@type": "Person",
        "name": "Dana Reviewer",
        "honorificSuffix": "MD",
    }
    assert medical["lastReviewed"] == review.signed_on.isoformat()
    assert guide.review_state == Guide.ReviewState.VALID


def _edit_guide(guide, sources):
    guide.body += "\n\nA sentence added after the review.[^label]"
    guide_render(guide=guide)


def _edit_faq(guide, sources):
    faq = guide.faqs.get()
    faq.answer = "A different answer.[^review]"
    faq.save()  # in place, without a render: the fingerprint follows


def _add_faq(guide, sources):
    FAQ.objects.create(guide=guide, question="New?", answer="Yes.[^label]", order=2)


def _delete_faq(guide, sources):
    guide.faqs.get().delete()


def _edit_cited_source(guide, sources):
    source = sources["label"]
    source.url = "https://example.org/label-moved"
    source.save()


def _edit_description(guide, sources):
    guide.description = "A new search snippet."
    guide_render(guide=guide)


@pytest.mark.parametrize(
    "edit",
    [_edit_guide, _edit_faq, _add_faq, _delete_faq, _edit_cited_source, _edit_description],
    ids=["guide body", "faq answer", "faq added", "faq deleted", "cited source", "description"],
)
def test_an_edit_after_the_review_ends_the_claim(client, make_guide, sources, sign_off, edit):
    guide = make_guide(faqs=[("Is it safe?", "Mostly.[^review]")])
    review = sign_off(guide, at=timezone.now() - timedelta(days=3))
    assert review_line(page(client, guide)).startswith(REVIEWED_LINE)
    edit(guide, sources)
    guide.refresh_from_db()
    assert guide.review_state == Guide.ReviewState.CHANGED
    html = page(client, guide)
    line = review_line(html)
    updated = timezone.localdate(guide.updated_at)
    assert line.startswith(
        f"Updated on {time_tag(updated)}, after its last medical review on "
        f"{time_tag(review.signed_on)}."
    )
    assert "Medically reviewed by" not in html and NEVER_LINE not in html
    medical = medical_page(html)
    assert "reviewedBy" not in medical and "lastReviewed" not in medical
    assert GuideReview.objects.count() == 1  # the edit recorded no review


@pytest.mark.parametrize("change", ["uncited source", "testimonial", "status"])
def test_changes_outside_what_the_reader_is_told_keep_the_review(
    client, make_guide, sources, sign_off, change
):
    guide = make_guide()
    sign_off(guide)
    if change == "uncited source":
        sources["unused"].title = "Renamed"
        sources["unused"].save()
    elif change == "testimonial":
        models.Testimonial.objects.create(guide=guide, text="Helped.", attribution="J.M.")
    else:
        guide.order = 7
        guide_render(guide=guide)
    guide.refresh_from_db()
    assert guide.review_state == Guide.ReviewState.VALID
    assert review_line(page(client, guide)).startswith(REVIEWED_LINE)


def test_the_updated_date_after_a_review_is_the_change_logs_or_the_unlisted_edits(
    client, make_guide, sources, sign_off
):
    guide = make_guide()
    Guide.objects.filter(pk=guide.pk).update(content_updated_on=date(2026, 1, 2))
    guide.refresh_from_db()
    sign_off(guide, at=timezone.now() - timedelta(days=10))
    _edit_cited_source(guide, sources)  # listed in no change log: the day it happened
    guide.refresh_from_db()
    today = timezone.localdate()
    line = review_line(page(client, guide))
    assert line.startswith(f"Updated on {time_tag(today)}, after its last medical review")
    logged = today - timedelta(days=2)
    services.guide_change_record(guide=guide, summary="Corrected a link.", author=None, on=logged)
    line = review_line(page(client, guide))
    assert line.startswith(f"Updated on {time_tag(logged)}, after its last medical review")


def test_a_new_sign_off_after_an_edit_restores_the_claim(client, make_guide, sources, sign_off):
    guide = make_guide()
    first = sign_off(guide, at=timezone.now() - timedelta(days=30))
    _edit_guide(guide, sources)
    second = sign_off(guide)
    assert second.fingerprint != first.fingerprint
    assert list(guide.reviews.all()) == [second, first]  # the history is kept
    line = review_line(page(client, guide))
    assert line.startswith(f"{REVIEWED_LINE} on {time_tag(second.signed_on)}.")


def test_an_overdue_review_is_still_claimed_and_marked_due(client, make_guide, sign_off):
    guide = make_guide()
    review = sign_off(guide, at=timezone.now() - timedelta(days=400))
    assert guide.review_state == Guide.ReviewState.OVERDUE
    html = page(client, guide)
    line = review_line(html)
    assert line.startswith(f"{REVIEWED_LINE} on {time_tag(review.signed_on)}. {DUE}")
    medical = medical_page(html)
    assert medical["reviewedBy"]["name"] == "Dana Reviewer"
    assert medical["lastReviewed"] == review.signed_on.isoformat()


def test_an_overdue_review_of_changed_content_is_not_claimed(client, make_guide, sources, sign_off):
    guide = make_guide()
    sign_off(guide, at=timezone.now() - timedelta(days=400))
    _edit_guide(guide, sources)
    guide.refresh_from_db()
    assert guide.review_state == Guide.ReviewState.CHANGED
    html = page(client, guide)
    assert "after its last medical review" in review_line(html)
    assert "reviewedBy" not in medical_page(html)


def test_a_review_falls_due_the_day_after_the_interval(make_guide, sign_off):
    guide = make_guide()
    signed = timezone.localtime() - timedelta(days=365)
    sign_off(guide, at=signed)
    assert guide.review_state == Guide.ReviewState.VALID
    assert guide.review_due_at.date() == timezone.localdate() + timedelta(days=1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert guide.review_state_for(guide.content_fingerprint, tomorrow) == "overdue"


# --- Who can sign off ---------------------------------------------------------------


def test_the_fingerprint_covers_what_the_reader_sees_and_nothing_else(make_guide, sources):
    guide = make_guide(faqs=[("Q?", "A.[^review]")])
    before = guide.current_fingerprint()
    assert before == guide.content_fingerprint and len(before) == 64
    for name, value in [
        ("title", "Retitled"),
        ("summary", "Other takeaway.[^label]"),
        ("overdose_signs", "Deep sleep.[^label]"),
        ("fda_status", Guide.FdaStatus.APPROVED),
        ("key_caution", "Another caution"),
    ]:
        original = getattr(guide, name)
        setattr(guide, name, value)
        assert guide.current_fingerprint() != before, name
        setattr(guide, name, original)
    assert guide.current_fingerprint() == before
    faqs = [("Q?", "A.[^review]"), ("Second?", "B.[^review]")]
    assert guide.current_fingerprint(faqs=faqs) != before
    assert guide.current_fingerprint(faqs=list(reversed(faqs))) != guide.current_fingerprint(
        faqs=faqs
    )
    guide.order, guide.slug = 42, "renamed-slug"
    assert guide.current_fingerprint() == before


def test_an_editor_cannot_sign_off(make_guide, editor):
    ReviewerProfile.objects.create(user=editor, display_name="Edith", credentials="MD")
    guide = make_guide()
    with pytest.raises(PermissionDenied):
        guide_review_sign_off(guide=guide, reviewer=editor)
    assert not GuideReview.objects.exists()


def test_a_superuser_outside_the_reviewers_group_cannot_sign_off(make_guide):
    admin = make_user("root-admin", is_superuser=True)
    ReviewerProfile.objects.create(user=admin, display_name="Root", credentials="IT")
    with pytest.raises(PermissionDenied):
        guide_review_sign_off(guide=make_guide(), reviewer=admin)
    assert not GuideReview.objects.exists()


def test_a_deactivated_reviewer_cannot_sign_off(make_guide, signed_reviewer):
    signed_reviewer.is_active = False
    signed_reviewer.save()
    with pytest.raises(PermissionDenied):
        guide_review_sign_off(guide=make_guide(), reviewer=signed_reviewer)


@pytest.mark.parametrize("profile", [None, {"display_name": "Rhea Reviewer", "credentials": " "}])
def test_a_reviewer_without_a_complete_profile_is_told_to_fill_it_in(make_guide, reviewer, profile):
    if profile:
        ReviewerProfile.objects.create(user=reviewer, **profile)
    guide = make_guide()
    with pytest.raises(ValidationError, match="reviewer profile"):
        guide_review_sign_off(guide=guide, reviewer=reviewer)
    staff = staff_client(reviewer)
    html = staff.get(sign_off_url(guide)).content.decode()
    assert "You cannot sign off a review yet" in html and 'name="fingerprint"' not in html
    profile_link = (
        reverse("admin:education_reviewerprofile_add")
        if profile is None
        else reverse("admin:education_reviewerprofile_change", args=[reviewer.reviewer_profile.pk])
    )
    assert f'href="{profile_link}"' in html
    response = staff.post(sign_off_url(guide), {"fingerprint": guide.current_fingerprint()})
    assert response.status_code == 302
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("reviewer profile" in message for message in messages)
    assert not GuideReview.objects.exists()


def test_a_guide_changed_while_the_reviewer_read_it_is_not_signed_off(
    make_guide, signed_reviewer, sources
):
    guide = make_guide()
    staff = staff_client(signed_reviewer)
    shown = re.search(
        r'name="fingerprint" value="([0-9a-f]{64})"',
        staff.get(sign_off_url(guide)).content.decode(),
    )
    _edit_guide(guide, sources)
    response = staff.post(sign_off_url(guide), {"fingerprint": shown.group(1)})
    assert response.status_code == 302 and response["Location"] == sign_off_url(guide)
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert services.CHANGED_WHILE_READING in messages
    assert not GuideReview.objects.exists()


def test_the_sign_off_copies_the_reviewers_name_so_a_later_profile_edit_rewrites_nothing(
    client, make_guide, sign_off, signed_reviewer
):
    guide = make_guide()
    sign_off(guide)
    profile = signed_reviewer.reviewer_profile
    profile.display_name, profile.credentials = "Dana Q. Reviewer", "DO"
    profile.save()
    assert review_line(page(client, guide)).startswith(REVIEWED_LINE)


def test_the_sign_off_is_recorded_in_the_guide_history_and_listed_on_it(
    make_guide, signed_reviewer
):
    guide = make_guide()
    staff = staff_client(signed_reviewer)
    fingerprint = guide.current_fingerprint()
    assert staff.post(sign_off_url(guide), {"fingerprint": fingerprint}).status_code == 302
    change = reverse("admin:education_guide_change", args=[guide.pk])
    html = staff.get(change).content.decode()
    assert "Valid: reviewed by Dana Reviewer, MD" in html
    assert f"<code>{fingerprint[:12]}</code>" in html
    history = staff.get(reverse("admin:education_guide_history", args=[guide.pk]))
    assert "Signed off the medical review." in history.content.decode()


# --- Reviewer profiles in the admin -------------------------------------------------


def profile_form(**values):
    return {"display_name": "", "credentials": "", "_save": "Save"} | values


def test_a_reviewer_fills_in_and_edits_only_their_own_profile(reviewer, signed_reviewer):
    staff = staff_client(reviewer)
    add = reverse("admin:education_reviewerprofile_add")
    data = profile_form(display_name="Rhea Reviewer", credentials="MD, FASAM")
    assert staff.post(add, data).status_code == 302
    own = ReviewerProfile.objects.get(user=reviewer)
    assert own.signature == "Rhea Reviewer, MD, FASAM"
    assert staff.get(add).status_code == 403  # one profile each
    change = reverse("admin:education_reviewerprofile_change", args=[own.pk])
    assert (
        staff.post(change, profile_form(display_name="Rhea R.", credentials="MD")).status_code
        == 302
    )
    own.refresh_from_db()
    assert own.signature == "Rhea R., MD"
    other = signed_reviewer.reviewer_profile
    other_url = reverse("admin:education_reviewerprofile_change", args=[other.pk])
    staff.post(other_url, profile_form(display_name="Hijacked", credentials="MD"))
    other.refresh_from_db()
    assert other.display_name == "Dana Reviewer"
    listing = staff.get(reverse("admin:education_reviewerprofile_changelist")).content.decode()
    assert "Rhea R., MD" in listing and "Dana Reviewer" not in listing


def test_a_superuser_edits_any_profile_and_an_editor_none(editor, signed_reviewer):
    admin = make_user("root-admin", is_superuser=True)
    profile = signed_reviewer.reviewer_profile
    url = reverse("admin:education_reviewerprofile_change", args=[profile.pk])
    data = profile_form(
        user=signed_reviewer.pk, display_name="Dana Reviewer", credentials="MD, PhD"
    )
    assert staff_client(admin).post(url, data).status_code == 302
    profile.refresh_from_db()
    assert profile.credentials == "MD, PhD"
    assert staff_client(editor).get(url).status_code == 403
    assert (
        staff_client(editor).get(reverse("admin:education_reviewerprofile_add")).status_code == 403
    )


# --- The loader and the launch gate ---------------------------------------------------


def test_reloading_changed_content_creates_no_review_and_ends_the_claim(tmp_path, client, sign_off):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    call_command("load_guides", str(content), stdout=None)
    alpha = Guide.objects.get(slug="alphamab")
    sign_off(alpha)
    assert review_line(page(client, alpha)).startswith(REVIEWED_LINE)
    call_command("load_guides", str(content), stdout=None)  # unchanged: the review holds
    alpha.refresh_from_db()
    assert alpha.review_state == Guide.ReviewState.VALID
    path = content / "guides" / "alphamab.md"
    path.write_text(path.read_text().replace("Take care.", "Take great care."))
    call_command("load_guides", str(content), stdout=None)
    alpha.refresh_from_db()
    assert alpha.review_state == Guide.ReviewState.CHANGED
    assert GuideReview.objects.count() == 1
    assert "after its last medical review" in review_line(page(client, alpha))


@pytest.fixture
def review_status(capsys, monkeypatch):
    """Run guides_review_status as manage.py would: (exit status, output)."""
    # manage.py closes the connections when a command ends: keep the test's open.
    monkeypatch.setattr(management_base.connections, "close_all", lambda: None)
    return lambda: _run_review_status(capsys)


def _run_review_status(capsys):
    try:
        execute_from_command_line(["manage.py", "guides_review_status", "--no-color"])
    except SystemExit as exit_:
        status = exit_.code
    else:
        status = 0
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_review_status_exits_0_only_when_every_published_guide_has_a_valid_review(
    make_guide, sign_off, review_status
):
    first, second = make_guide("firstamab"), make_guide("secondamab")
    make_guide("draftamab", status=Guide.Status.DRAFT)  # drafts are not listed
    sign_off(first)
    sign_off(second)
    status, output = review_status()
    assert status == 0
    assert re.search(
        r"^firstamab +valid \(last review \d{4}-\d\d-\d\d by Dana Reviewer, MD\)$", output, re.M
    )
    assert "secondamab" in output and "draftamab" not in output
    assert "All 2 published guides have a current review." in output


def test_review_status_lists_each_state_and_exits_1(make_guide, sources, sign_off, review_status):
    make_guide("neveramab")
    changed = make_guide("changedamab")
    sign_off(changed)
    _edit_guide(changed, sources)
    sign_off(make_guide("overdueamab"), at=timezone.now() - timedelta(days=400))
    sign_off(make_guide("validamab"))
    status, output = review_status()
    assert status == 1
    assert re.search(r"^neveramab +never reviewed$", output, re.M)
    assert re.search(r"^changedamab +changed since review \(last review ", output, re.M)
    assert re.search(r"^overdueamab +overdue \(last review ", output, re.M)
    assert re.search(r"^validamab +valid \(last review ", output, re.M)
    assert "3 of 4 published guides lack a current medical review." in output
    with pytest.raises(CommandError) as caught:
        call_command("guides_review_status", stdout=None)
    assert caught.value.returncode == 1


def test_review_status_checks_the_content_itself_not_the_stored_fingerprint(
    make_guide, sign_off, review_status
):
    guide = make_guide()
    sign_off(guide)
    Guide.objects.filter(pk=guide.pk).update(body="Changed behind the render's back.[^label]")
    status, output = review_status()
    assert status == 1 and "changed since review" in output


def test_review_status_help_says_only_valid_counts_as_current():
    help_text = ReviewStatusCommand.help
    assert "Only 'valid' counts as a current review" in help_text
    assert "Exits with status 1" in help_text


def test_the_admin_index_counts_published_guides_without_a_current_review(
    make_guide, sources, sign_off, editor, reviewer, staff_without_groups
):
    make_guide("neveramab")
    changed = make_guide("changedamab")
    sign_off(changed)
    _edit_guide(changed, sources)
    sign_off(make_guide("validamab"))
    make_guide("draftamab", status=Guide.Status.DRAFT)
    for user in (editor, reviewer):
        html = staff_client(user).get(reverse("admin:index")).content.decode()
        assert "2 published guides are not medically reviewed" in html
        link = (
            re.search(r'<a href="([^"]+)">2 published guides', html).group(1).replace("&amp;", "&")
        )
        listing = staff_client(user).get(link).content.decode()
        assert "Neveramab for" in listing and "Changedamab for" in listing
        assert "Validamab for" not in listing and "Draftamab for" not in listing
    assert (
        "not medically reviewed"
        not in staff_client(staff_without_groups).get(reverse("admin:index")).content.decode()
    )
    sign_off(Guide.objects.get(slug="neveramab"))
    html = staff_client(editor).get(reverse("admin:index")).content.decode()
    assert "1 published guide is not medically reviewed" in html


def test_the_admin_index_says_nothing_when_every_published_guide_is_reviewed(
    make_guide, sign_off, editor
):
    sign_off(make_guide())
    assert (
        "not medically reviewed"
        not in staff_client(editor).get(reverse("admin:index")).content.decode()
    )


# --- Caches see the new state ---------------------------------------------------------


def test_the_page_cache_shows_a_sign_off_at_once(client, make_guide, sign_off):
    guide = make_guide()
    url = guide.get_absolute_url()
    client.get(url)
    assert NEVER_LINE in client.get(url).content.decode()  # served from memory
    sign_off(guide)
    assert REVIEWED_LINE in client.get(url).content.decode()


def test_a_sign_off_moves_the_page_validators(client, make_guide, sign_off):
    guide = make_guide()
    url = guide.get_absolute_url()
    etag = client.get(url)["ETag"]
    sign_off(guide)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and REVIEWED_LINE in again.content.decode()


def test_a_review_falling_due_moves_the_page_validators(client, make_guide, sign_off):
    guide = make_guide()
    now = timezone.now()
    sign_off(guide, at=now - timedelta(days=400))
    Guide.objects.filter(pk=guide.pk).update(updated_at=now - timedelta(days=399))
    url = guide.get_absolute_url()
    response = client.get(url)
    assert '-overdue"' in response["ETag"]
    due = guide.review_due_at
    assert response["Last-Modified"] == due.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- Testimonials: what a reviewer approved is what is shown ---------------------------


def test_only_the_text_a_reviewer_approved_is_ever_shown(client, make_guide, editor, reviewer):
    guide = make_guide()
    testimonial = models.Testimonial.objects.create(
        guide=guide, text="Calling was the first step.", attribution="J.M.", consent_on_file=True
    )
    url = reverse("admin:education_testimonial_change", args=[testimonial.pk])
    form = {
        "guide": guide.pk,
        "attribution": "J.M.",
        "consent_on_file": "on",
        "approved": "on",
        "_save": "Save",
    }
    # An editor's tick is not an approval.
    assert staff_client(editor).post(url, form | {"text": testimonial.text}).status_code == 302
    assert "Calling was the first step." not in page(client, guide)
    assert staff_client(reviewer).post(url, form | {"text": testimonial.text}).status_code == 302
    assert "Calling was the first step." in page(client, guide)
    # A later edit, in the admin or in code, is never shown under the old approval.
    assert staff_client(editor).post(url, form | {"text": "Edited afterwards."}).status_code == 302
    html = page(client, guide)
    assert "Edited afterwards." not in html and "Calling was the first step." not in html
    testimonial.refresh_from_db()
    assert staff_client(editor).post(url, form | {"text": testimonial.text}).status_code == 302
    assert "Edited afterwards." not in page(client, guide)
    assert staff_client(reviewer).post(url, form | {"text": testimonial.text}).status_code == 302
    assert "Edited afterwards." in page(client, guide)
    models.Testimonial.objects.filter(pk=testimonial.pk).update(text="Changed in bulk.")
    assert "Changed in bulk." not in page(client, guide)
    assert "Edited afterwards." not in page(client, guide)


def test_the_editorial_policy_explains_each_state_in_the_words_of_the_page(client):
    html = " ".join(client.get("/editorial-policy/").content.decode().split())
    assert 'id="medical-review"' in html
    for words in (
        '"Medically reviewed by" a named clinician',
        f"Medically reviewed by … {DUE}",
        '"Updated on …, after its last medical review on …"',
        f'"{NEVER_LINE}"',
    ):
        assert words in html, words
    assert "We show this only while that is true." in html
