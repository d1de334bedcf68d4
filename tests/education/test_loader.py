"""The load_guides command: idempotent, validating, and on the shipped content."""

import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db.models.signals import post_save

from education.loader import read_content
from education.models import FAQ, Citation, Guide, GuideReview, Source
from tests.education.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT

pytestmark = pytest.mark.django_db


def load(directory, **kwargs):
    call_command("load_guides", str(directory), stdout=kwargs.pop("stdout", None), **kwargs)


def counts():
    return (
        Source.objects.count(),
        Guide.objects.count(),
        FAQ.objects.count(),
        Citation.objects.count(),
        Guide.related.through.objects.count(),
    )


def test_loader_creates_sources_guides_faqs_and_related_links():
    load(FIXTURE_CONTENT)
    alpha = Guide.objects.get(slug="alphamab")
    assert alpha.title == "Alphamab for testing"
    assert alpha.last_review is None and not GuideReview.objects.exists()
    assert alpha.review_state == Guide.ReviewState.NEVER
    assert alpha.status == Guide.Status.PUBLISHED
    assert list(alpha.related.values_list("slug", flat=True)) == ["betamab"]
    assert alpha.faqs.get().answer_html.count("#source-alpha-label") == 1
    assert alpha.toc == [
        {"id": "what-alphamab-is", "text": "What alphamab is"},
        {"id": "cautions", "text": "Cautions"},
    ]


def test_guide_without_a_status_loads_as_a_draft():
    load(FIXTURE_CONTENT)
    assert Guide.objects.get(slug="betamab").status == Guide.Status.DRAFT


def test_running_the_loader_twice_changes_nothing():
    load(FIXTURE_CONTENT)
    before = counts()
    stamps = dict(Guide.objects.values_list("slug", "updated_at"))
    load(FIXTURE_CONTENT)
    assert counts() == before
    assert dict(Guide.objects.values_list("slug", "updated_at")) == stamps


def test_changed_files_update_rows_in_place(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    load(content)
    alpha_id = Guide.objects.get(slug="alphamab").pk
    path = content / "guides" / "alphamab.md"
    text = path.read_text().replace("Take care.", "Take great care.")
    text = text.replace('question = "Is alphamab real?"', 'question = "Is alphamab made up?"')
    path.write_text(text)
    sources = content / "sources.toml"
    sources.write_text(sources.read_text().replace("A trial of alphamab", "The alphamab trial"))
    load(content)
    alpha = Guide.objects.get(slug="alphamab")
    assert alpha.pk == alpha_id
    assert "Take great care." in alpha.body_html
    assert list(alpha.faqs.values_list("question", flat=True)) == ["Is alphamab made up?"]
    assert Source.objects.get(key="alpha-trial").title == "The alphamab trial"
    assert Source.objects.filter(key="alpha-trial").count() == 1


def test_unknown_citation_key_stops_the_load_naming_file_and_key(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "betamab.md"
    path.write_text(path.read_text().replace("A draft.[^alpha-trial]", "A draft.[^made-up-2099]"))
    with pytest.raises(CommandError) as caught:
        load(content)
    assert "betamab.md" in str(caught.value) and "made-up-2099" in str(caught.value)
    assert Guide.objects.count() == 0 and Source.objects.count() == 0


def test_malformed_front_matter_is_a_command_error(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    (content / "guides" / "broken.md").write_text("## No front matter\n")
    with pytest.raises(CommandError, match="broken.md"):
        load(content)


def test_unknown_related_slug_is_a_command_error(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "betamab.md"
    path.write_text(path.read_text().replace('related = ["alphamab"]', 'related = ["gammamab"]'))
    with pytest.raises(CommandError, match="gammamab"):
        load(content)


def test_shipped_content_loads_twice_without_duplicates():
    load(SHIPPED_CONTENT)
    before = counts()
    stamps = dict(Guide.objects.values_list("slug", "updated_at"))
    load(SHIPPED_CONTENT)
    assert counts() == before
    assert dict(Guide.objects.values_list("slug", "updated_at")) == stamps
    assert Guide.objects.values("slug").distinct().count() == Guide.objects.count()


def test_shipped_guides_are_all_published_and_cited():
    load(SHIPPED_CONTENT)
    # Every file of the content directory (test_shipped_content.py says which ship).
    expected = {entry.slug for entry in read_content(SHIPPED_CONTENT).guides}
    assert set(Guide.objects.published().values_list("slug", flat=True)) == expected
    for guide in Guide.objects.select_related("condition"):
        assert guide.citations.exists(), guide.slug
        cells = guide.row_values()
        if guide.is_medication:
            # A row of its condition's table: every column's cell is filled in.
            columns = guide.condition.column_fields
            assert columns and all(cells[name] for name in columns), guide.slug
        else:
            # An overdose reversal or a comparison page is no row: no cell at all.
            assert not any(cells.values()), guide.slug


def test_shipped_baclofen_guide_has_enough_sources_and_citations():
    load(SHIPPED_CONTENT)
    guide = Guide.objects.get(slug="baclofen")
    html = "".join(guide.summary_html) + guide.body_html
    html += "".join(guide.faqs.values_list("answer_html", flat=True))
    assert guide.citations.count() >= 15
    assert html.count('<sup class="cite">') >= 25


def rendered_guides(render_calls):
    """The first heading of each guide body rendered, in order."""
    return [call["body"].splitlines()[0] for call in render_calls]


def test_loader_renders_each_new_or_changed_guide_once(tmp_path, render_calls):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    load(content)
    # Each guide, then the Spanish translation of alphamab (guides/es/alphamab.md).
    assert rendered_guides(render_calls) == [
        "## What alphamab is",
        "## What betamab is",
        "## Nombres comerciales",
    ]
    render_calls.clear()
    load(content)
    assert render_calls == []
    path = content / "guides" / "alphamab.md"
    text = path.read_text().replace("Take care.", "Take great care.")
    path.write_text(text.replace('question = "Is alphamab real?"', 'question = "Made up?"'))
    saves = []

    def count_save(sender, instance, **kwargs):
        saves.append(instance.slug)

    post_save.connect(count_save, sender=Guide)
    try:
        load(content)
    finally:
        post_save.disconnect(count_save, sender=Guide)
    assert rendered_guides(render_calls) == ["## What alphamab is"]
    assert render_calls[0]["faq_answers"] == ["No, it exists only in tests.[^alpha-label]"]
    assert saves == ["alphamab"]  # the changed guide and its new FAQ: one save of the row


def with_overdose_signs(content, signs: str):
    path = content / "guides" / "alphamab.md"
    path.write_text(
        path.read_text().replace("order = 1\n", f'order = 1\noverdose_signs = "{signs}"\n')
    )


def test_overdose_signs_load_and_render_in_both_emergency_boxes(tmp_path, client):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    with_overdose_signs(content, "Deep sleep and slow breathing.[^alpha-label]")
    load(content)
    alpha = Guide.objects.get(slug="alphamab")
    assert alpha.overdose_signs == "Deep sleep and slow breathing.[^alpha-label]"
    first, second = alpha.overdose_signs_html
    # The summary cites alpha-label first, then the box before the body, then the body.
    assert '<a id="cite-alpha-label-2" href="#source-alpha-label" aria-label="Source 1">' in first
    assert '<a id="cite-alpha-label-4" href="#source-alpha-label" aria-label="Source 1">' in second
    assert "Deep sleep and slow breathing." in first and "Deep sleep and slow breathing." in second
    html = client.get("/medications/alphamab/").content.decode()
    assert html.count('class="emergency"') == 2
    assert html.count("Deep sleep and slow breathing.") == 2
    assert html.index('id="emergency"') < html.index('class="guide__body"')
    assert html.index('class="guide__body"') < html.index('id="emergency-again"')
    assert html.index('id="emergency-again"') < html.index('id="faq"')


def test_a_guide_without_overdose_signs_still_shows_the_emergency_steps(client):
    load(FIXTURE_CONTENT)
    alpha = Guide.objects.get(slug="alphamab")
    assert alpha.overdose_signs == "" and alpha.overdose_signs_html == []
    html = client.get("/medications/alphamab/").content.decode()
    assert html.count('href="tel:+18002221222"') == 2
    assert "If someone took too much" not in html


def test_changed_overdose_signs_update_the_guide(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    with_overdose_signs(content, "Deep sleep.[^alpha-label]")
    load(content)
    path = content / "guides" / "alphamab.md"
    path.write_text(path.read_text().replace("Deep sleep.", "Very deep sleep."))
    load(content)
    alpha = Guide.objects.get(slug="alphamab")
    assert alpha.overdose_signs == "Very deep sleep.[^alpha-label]"
    assert all("Very deep sleep." in html for html in alpha.overdose_signs_html)


def test_unknown_citation_key_in_overdose_signs_stops_the_load(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    with_overdose_signs(content, "Deep sleep.[^made-up-2099]")
    with pytest.raises(CommandError) as caught:
        load(content)
    assert "alphamab.md" in str(caught.value) and "made-up-2099" in str(caught.value)
    assert Guide.objects.count() == 0


def test_front_matter_status_publishes_a_guide_that_names_no_reviewer(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "betamab.md"
    path.write_text(path.read_text().replace("+++\n", '+++\nstatus = "published"\n', 1))
    load(content)
    betamab = Guide.objects.get(slug="betamab")
    assert betamab.status == Guide.Status.PUBLISHED
    assert betamab.last_review is None and not betamab.reviews.exists()


def test_an_unknown_front_matter_status_is_a_command_error(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "betamab.md"
    path.write_text(path.read_text().replace("+++\n", '+++\nstatus = "live"\n', 1))
    with pytest.raises(CommandError, match="betamab.md.*status"):
        load(content)


@pytest.mark.parametrize(
    "line",
    [
        'reviewer_name = "Cardinal Recovery Medical Review Team"',
        'reviewer_credentials = "Addiction medicine clinicians"',
        "last_reviewed = 2026-11-25",
    ],
)
def test_a_file_that_claims_a_medical_review_is_refused(tmp_path, line):
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "betamab.md"
    path.write_text(path.read_text().replace("+++\n", f"+++\n{line}\n", 1))
    with pytest.raises(CommandError) as caught:
        load(content)
    key = line.split(" =")[0]
    assert "betamab.md" in str(caught.value) and f"'{key}'" in str(caught.value)
    assert "cannot claim a medical review" in str(caught.value)
    assert Guide.objects.count() == 0 and not GuideReview.objects.exists()


def test_shipped_content_loads_published_with_no_review():
    load(SHIPPED_CONTENT)
    assert not GuideReview.objects.exists()
    for guide in Guide.objects.all():
        assert guide.is_published and guide.last_review is None, guide.slug
        assert guide.review_state == Guide.ReviewState.NEVER, guide.slug
        assert guide.content_fingerprint == guide.current_fingerprint(), guide.slug
