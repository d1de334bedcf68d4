"""A guide's public change log: the shipped files' [[change]] tables, the admin's
"What changed" line, the page's list, and the dates readers and search engines see."""

import re
import shutil
from datetime import UTC, date, datetime
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.html import escape

from education.admin import FAQS_CHANGED_NEED_SUMMARY
from education.loader import read_content
from education.models import Guide, GuideChange
from education.services import guide_change_record
from tests.education.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT
from tests.education.test_admin import change_url, form_data
from tests.education.test_views import json_ld_graph, page

pytestmark = pytest.mark.django_db

# The day a later install loads the files: never a date the page may show.
LOAD_DAY = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
NEEDS_A_LINE = "Say in one line what changed for readers"


def load(directory):
    call_command("load_guides", str(directory), stdout=None)


def load_on(day, directory):
    with patch.object(timezone, "now", return_value=day):
        load(directory)


def changes_table(*entries):
    return "".join(f'\n[[change]]\ndate = {on}\nsummary = "{summary}"\n' for on, summary in entries)


def fixture_with(tmp_path, front_matter):
    """The fixture content with text added at the end of alphamab's front matter."""
    content = tmp_path / "content"
    if content.exists():
        shutil.rmtree(content)
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "guides" / "alphamab.md"
    head, fence, body = path.read_text().partition("+++\n## ")
    path.write_text(head + front_matter + fence + body)
    return content


def entries(guide):
    return list(guide.changes.values_list("date", "summary", "author"))


FIRST = (date(2025, 1, 10), "First published.")
CAUTIONS = (date(2025, 6, 2), "Added the cautions.")


# --- The shipped files --------------------------------------------------------------


def test_a_loaded_guide_is_dated_by_its_change_log_never_by_the_load(client, tmp_path):
    load_on(LOAD_DAY, fixture_with(tmp_path, changes_table(FIRST, CAUTIONS)))
    guide = Guide.objects.get(slug="alphamab")
    assert guide.content_updated_on == date(2025, 6, 2)
    assert timezone.localdate(guide.updated_at) == LOAD_DAY.date()
    assert entries(guide) == [(*CAUTIONS, None), (*FIRST, None)]
    assert guide.first_published_on == date(2025, 1, 10)

    html = page(client, guide)
    what_changed = re.search(r'<section class="changes".*?</section>', html, re.S).group(0)
    assert re.findall(r'<time datetime="([\d-]+)">([^<]+)</time>: ([^<]+)</li>', what_changed) == [
        ("2025-06-02", "June 2, 2025", "Added the cautions."),
        ("2025-01-10", "January 10, 2025", "First published."),
    ]
    assert '<h2 id="what-changed">What changed</h2>' in what_changed
    assert '<a href="#what-changed">What changed</a>' in html
    assert 'Updated on <time datetime="2025-06-02">June 2, 2025</time>.' in html
    assert "March 1, 2027" not in html and "2027-03-01" not in html
    medical = json_ld_graph(html)["MedicalWebPage"]
    assert (medical["datePublished"], medical["dateModified"]) == ("2025-01-10", "2025-06-02")
    assert '<meta property="article:modified_time" content="2025-06-02">' in html
    assert '<meta property="article:published_time" content="2025-01-10">' in html

    sitemap = client.get("/sitemap.xml").content.decode()
    entry = re.search(r"<url><loc>[^<]*/alphamab/</loc>(.*?)</url>", sitemap, re.S)
    assert "<lastmod>2025-06-02</lastmod>" in entry.group(1)


def test_shipped_guides_show_the_dates_of_their_files_on_any_later_install():
    load_on(LOAD_DAY, SHIPPED_CONTENT)
    shipped = {entry.slug: entry for entry in read_content(SHIPPED_CONTENT).guides}
    published = list(Guide.objects.published())
    assert len(published) == len(shipped)
    for guide in published:
        changes = shipped[guide.slug].changes
        assert changes, f"{guide.slug}: a shipped guide carries its change log"
        assert guide.content_updated_on == max(on for on, _ in changes) < LOAD_DAY.date()
        assert min(changes) == (guide.first_published_on, "First published.")
        assert sorted(entries(guide)) == sorted((*change, None) for change in changes)


def test_loading_the_same_files_again_writes_nothing(tmp_path):
    content = fixture_with(tmp_path, changes_table(FIRST, CAUTIONS))
    load(content)
    rows = list(GuideChange.objects.values_list("pk", "date", "summary"))
    stamp = Guide.objects.get(slug="alphamab").updated_at
    load(content)
    assert list(GuideChange.objects.values_list("pk", "date", "summary")) == rows
    assert Guide.objects.get(slug="alphamab").updated_at == stamp


def test_a_new_or_reworded_change_table_updates_the_log_and_the_date(tmp_path):
    load(fixture_with(tmp_path, changes_table(FIRST)))
    guide = Guide.objects.get(slug="alphamab")
    assert guide.content_updated_on == date(2025, 1, 10)
    stamp = guide.updated_at
    load(fixture_with(tmp_path, changes_table(FIRST, CAUTIONS)))
    guide.refresh_from_db()
    assert guide.content_updated_on == date(2025, 6, 2) and guide.updated_at > stamp
    assert entries(guide) == [(*CAUTIONS, None), (*FIRST, None)]
    load(fixture_with(tmp_path, changes_table(FIRST, (date(2025, 6, 2), "Added two cautions."))))
    assert entries(guide) == [(date(2025, 6, 2), "Added two cautions.", None), (*FIRST, None)]


def test_entries_recorded_in_the_admin_survive_a_load(tmp_path, editor):
    load(fixture_with(tmp_path, changes_table(FIRST)))
    guide = Guide.objects.get(slug="alphamab")
    guide_change_record(
        guide=guide, summary="Clearer cautions.", author=editor, on=date(2025, 8, 1)
    )
    load(fixture_with(tmp_path, changes_table(FIRST, CAUTIONS)))
    guide.refresh_from_db()
    assert entries(guide) == [
        (date(2025, 8, 1), "Clearer cautions.", editor.pk),
        (*CAUTIONS, None),
        (*FIRST, None),
    ]
    assert guide.content_updated_on == date(2025, 8, 1)


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ('\n[[change]]\ndate = "2025-01-10"\nsummary = "x"\n', "change 1 needs a date"),
        ('\n[[change]]\ndate = 2025-01-10T10:00:00\nsummary = "x"\n', "change 1 needs a date"),
        ('\n[[change]]\ndate = 2099-01-01\nsummary = "x"\n', "change 1 is dated 2099-01-01"),
        ("\n[[change]]\ndate = 2025-01-10\n", "change 1 needs a one-line 'summary'"),
        ('\n[[change]]\ndate = 2025-01-10\nsummary = """One.\nTwo."""\n', "one-line"),
        (changes_table((date(2025, 1, 10), "x" * 201)), "over 200 characters"),
        ('\n[change]\nsummary = "First published."\n', "'change' must be"),
    ],
)
def test_a_malformed_change_table_is_refused_before_anything_loads(tmp_path, tables, message):
    content = fixture_with(tmp_path, tables)
    with pytest.raises(CommandError) as caught:
        load(content)
    assert "alphamab.md" in str(caught.value) and message in str(caught.value)
    assert not Guide.objects.exists()


# --- The admin ----------------------------------------------------------------------


def test_a_published_guide_whose_text_changed_asks_what_changed(client, reviewer, make_guide):
    guide = make_guide()
    client.force_login(reviewer)
    body = "## What it is\n\nA medicine, taken daily.[^label]"
    response = client.post(change_url(guide), form_data(guide, body=body))
    assert response.status_code == 200 and NEEDS_A_LINE in response.content.decode()
    guide.refresh_from_db()
    assert guide.body != body and not guide.changes.exists()

    data = form_data(guide, body=body, change_summary="  Said how often it is taken. ")
    assert client.post(change_url(guide), data).status_code == 302
    guide.refresh_from_db()
    assert guide.body == body
    assert entries(guide) == [(timezone.localdate(), "Said how often it is taken.", reviewer.pk)]
    assert guide.content_updated_on == timezone.localdate()
    assert ": Said how often it is taken.</li>" in page(client, guide)


def test_a_faq_edit_of_a_published_guide_asks_what_changed(client, reviewer, make_guide):
    guide = make_guide(faqs=[("Is it safe?", "Mostly.[^review]"), ("Old?", "Yes.[^label]")])
    client.force_login(reviewer)
    first, second = guide.faqs.all()
    first.answer = "Mostly, with care.[^review]"
    response = client.post(change_url(guide), form_data(guide, faqs=[first, second]))
    assert response.status_code == 200
    assert escape(FAQS_CHANGED_NEED_SUMMARY) in response.content.decode()
    assert NEEDS_A_LINE not in response.content.decode()  # asked once

    data = form_data(guide, faqs=[first, second])
    data["faqs-1-DELETE"] = "on"
    assert client.post(change_url(guide), data).status_code == 200
    data["change_summary"] = "Clarified safety; removed a question."
    assert client.post(change_url(guide), data).status_code == 302
    assert [summary for _, summary, _ in entries(guide)] == [
        "Clarified safety; removed a question."
    ]
    assert list(guide.faqs.values_list("answer", flat=True)) == ["Mostly, with care.[^review]"]


def test_publishing_asks_what_changed_but_editing_a_draft_does_not(
    client, editor, reviewer, make_guide
):
    draft = make_guide("draftamab", status=Guide.Status.DRAFT)
    client.force_login(editor)
    data = form_data(draft, body="## New\n\nText.[^label]")
    assert client.post(change_url(draft), data).status_code == 302
    assert not GuideChange.objects.exists()

    client.force_login(reviewer)
    response = client.post(change_url(draft), form_data(draft, status="published"))
    assert response.status_code == 200 and NEEDS_A_LINE in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Guide.Status.DRAFT


def test_an_untouched_published_guide_saves_without_a_line(client, reviewer, make_guide):
    guide = make_guide(body="## What it is\n\nA medicine.[^label]\n\nMore.[^rigal2020]\n")
    fingerprint = guide.content_fingerprint
    client.force_login(reviewer)
    # A browser sends a textarea's line breaks as CRLF, with the text's ends as typed.
    crlf = {name: getattr(guide, name).replace("\n", "\r\n") for name in ("summary", "body")}
    assert client.post(change_url(guide), form_data(guide, **crlf)).status_code == 302
    assert client.post(change_url(guide), form_data(guide, order=7)).status_code == 302
    guide.refresh_from_db()
    assert guide.body == "## What it is\n\nA medicine.[^label]\n\nMore.[^rigal2020]\n"
    assert guide.content_fingerprint == fingerprint and guide.order == 7
    assert not guide.changes.exists()


def test_a_line_over_the_limit_is_refused(client, reviewer, make_guide):
    guide = make_guide()
    client.force_login(reviewer)
    data = form_data(guide, title="New title", change_summary="x" * 201)
    response = client.post(change_url(guide), data)
    assert response.status_code == 200 and "at most 200 characters" in response.content.decode()
    assert not guide.changes.exists()


def test_the_guide_admin_lists_the_change_log(client, reviewer, editor, tmp_path):
    load(fixture_with(tmp_path, changes_table(FIRST)))
    guide = Guide.objects.get(slug="alphamab")
    guide_change_record(guide=guide, summary="Clearer cautions.", author=editor)
    client.force_login(reviewer)
    html = client.get(change_url(guide)).content.decode()
    assert "<td>2025-01-10</td><td>First published.</td><td>the shipped files</td>" in html
    assert "<td>Clearer cautions.</td><td>edith-editor</td>" in html
    assert "What changed (public, one line)" in html


# --- The service and the page -------------------------------------------------------


@pytest.mark.parametrize("summary", ["", "   ", "One.\nTwo.", "x" * 201])
def test_a_blank_multi_line_or_long_summary_is_refused(make_guide, editor, summary):
    guide = make_guide()
    with pytest.raises(ValidationError):
        guide_change_record(guide=guide, summary=summary, author=editor)
    assert not guide.changes.exists()


def test_an_older_entry_does_not_move_the_date_back(make_guide, editor):
    guide = make_guide()
    guide_change_record(guide=guide, summary="Newer.", author=editor, on=date(2026, 5, 1))
    guide.content_updated_on = date(2026, 5, 1)
    guide_change_record(guide=guide, summary="Older.", author=editor, on=date(2026, 2, 1))
    guide.refresh_from_db()
    assert guide.content_updated_on >= date(2026, 5, 1)
    assert [summary for _, summary, _ in entries(guide)] == ["Newer.", "Older."]


def test_a_guide_published_without_a_log_is_dated_by_its_publication(make_guide):
    guide = make_guide()
    assert guide.content_updated_on == timezone.localdate(guide.published_at)
    assert make_guide("draftamab", status=Guide.Status.DRAFT).content_updated_on is None


def test_recording_a_change_retires_the_stored_page_and_moves_its_validators(
    client, make_guide, editor
):
    guide = make_guide()
    first = client.get(guide.get_absolute_url())
    assert client.get(guide.get_absolute_url()).content == first.content  # stored
    guide_change_record(guide=guide, summary="Added a section.", author=editor)
    second = client.get(guide.get_absolute_url())
    assert ": Added a section.</li>" in second.content.decode()
    assert second["ETag"] != first["ETag"]


def test_a_body_heading_never_takes_the_change_log_id(make_guide):
    guide = make_guide(body="## What changed\n\nIn the research.[^label]")
    assert '<h2 id="what-changed-2">What changed</h2>' in guide.body_html


def migrate(targets):
    """Migrate within the test's transaction: PostgreSQL rolls the schema back with it.

    Pending deferred foreign-key checks would block an ALTER TABLE: run them first.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def test_the_migration_dates_existing_guides_by_their_publication_not_its_own_day():
    old = migrate([("education", "0008_remove_free_text_reviewer_fields")])
    OldGuide = old.get_model("education", "Guide")
    published = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
    common = {"medication": "M", "body": "b", "summary": "s", "mechanism": "m", "key_caution": "k"}
    OldGuide.objects.create(
        slug="live", title="Live", status="published", published_at=published, **common
    )
    OldGuide.objects.create(slug="draft", title="Draft", status="draft", **common)
    new = migrate([("education", "0009_guide_changes_and_link_status")])
    NewGuide = new.get_model("education", "Guide")
    assert NewGuide.objects.get(slug="live").content_updated_on == timezone.localdate(published)
    assert NewGuide.objects.get(slug="draft").content_updated_on is None
    migrate(None)


def test_a_published_guide_saved_with_its_line_is_still_rendered_once(
    client, reviewer, make_guide, render_calls
):
    guide = make_guide(faqs=[("Is it safe?", "Mostly.[^review]")])
    render_calls.clear()
    client.force_login(reviewer)
    data = form_data(guide, body="## New\n\nOnly.[^label]", change_summary="Shorter.")
    assert client.post(change_url(guide), data).status_code == 302
    assert len(render_calls) == 1
    assert [summary for _, summary, _ in entries(guide)] == ["Shorter."]
