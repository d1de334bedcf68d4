"""The page sections stored with a guide and its translation (the key takeaways, the
emergency boxes, the table of contents, the change log) and the testimonials stored
on the guide: each is rendered again whenever what it shows changes, in the text's
language, and a page reads them instead of rendering them."""

import re
from datetime import date

import pytest

from education import models
from education.models import Condition, Guide, GuideChange, GuideTranslation
from education.services import guide_change_record, guide_render, translation_change_record
from tests.education import test_translations
from tests.education.test_views import json_ld_graph, page

pytestmark = pytest.mark.django_db

content = test_translations.content
loaded = test_translations.loaded


def section(html: str, name: str) -> str:
    """The element of the page holding a section: changes, toc, emergency, key-takeaways."""
    patterns = {
        "changes": r'<section class="changes".*?</section>',
        "toc": r'<nav class="toc".*?</nav>',
        "emergency": r'<aside class="emergency".*?</aside>',
        "key-takeaways": r'<section class="key-takeaways".*?</section>',
    }
    found = re.search(patterns[name], html, re.S)
    return found.group(0) if found else ""


def test_the_page_reads_its_sections_as_stored(client, make_guide):
    guide = make_guide()
    Guide.objects.filter(pk=guide.pk).update(
        takeaways_html="<p>stored takeaways</p>",
        emergency_html=["<p>first box</p>", "<p>second box</p>"],
        toc_html="<p>stored contents</p>",
        changes_html="<p>stored log</p>",
    )
    html = page(client, guide)
    for marker in ("stored takeaways", "first box", "second box", "stored contents", "stored log"):
        assert marker in html
    assert 'class="toc"' not in html and 'class="emergency"' not in html


def test_a_staff_change_log_entry_shows_at_once(client, make_guide, editor):
    guide = make_guide()
    assert section(page(client, guide), "changes") == ""
    guide_change_record(
        guide=guide, summary="Added the cautions.", author=editor, on=date(2026, 5, 4)
    )
    html = page(client, guide)
    assert "May 4, 2026</time>: Added the cautions." in section(html, "changes")
    assert '<a href="#what-changed">What changed</a>' in section(html, "toc")
    assert json_ld_graph(html)["MedicalWebPage"]["datePublished"] == "2026-05-04"


def test_a_deleted_change_log_entry_leaves_the_page(client, make_guide):
    guide = make_guide()
    change = GuideChange.objects.create(guide=guide, date=date(2026, 1, 2), summary="A line.")
    assert "A line." in section(page(client, guide), "changes")
    change.delete()
    html = page(client, guide)
    assert section(html, "changes") == ""
    assert "#what-changed" not in html


def test_a_guide_rendered_again_shows_its_new_takeaways_and_contents(client, make_guide):
    guide = make_guide()
    guide.summary = "A new takeaway.[^label]"
    guide.body += "\n\n## A new section\n\nMore."
    guide_render(guide=guide)
    html = page(client, guide)
    assert "A new takeaway." in section(html, "key-takeaways")
    assert "Evidence is mixed" not in html
    assert ">A new section</a>" in section(html, "toc")


def test_a_condition_change_shows_in_the_emergency_boxes(client, make_guide):
    guide = make_guide()
    condition = Condition.objects.get(pk=guide.condition_id)
    condition.emergency_note = "**Call your clinic** first."
    condition.save()
    html = page(client, guide)
    boxes = re.findall(r'<aside class="emergency".*?</aside>', html, re.S)
    assert len(boxes) == 2
    assert all("<strong>Call your clinic</strong> first." in box for box in boxes)


def test_the_spanish_sections_are_stored_in_spanish(loaded):
    text = GuideTranslation.objects.get(pk=loaded.pk)
    # The file's change log, loaded with bulk_create (no signal).
    assert '<h2 id="what-changed">Qué cambió</h2>' in text.changes_html
    assert '<h2 id="contents">En esta página</h2>' in text.toc_html
    assert '<h2 id="emergency">En una emergencia</h2>' in text.emergency_html[0]
    assert '<h2 id="key-takeaways">Lo más importante</h2>' in text.takeaways_html
    assert "On this page" not in text.toc_html


def test_a_translation_change_log_entry_shows_at_once_in_spanish(client, loaded, editor):
    translation_change_record(
        translation=loaded, summary="Revisamos el texto.", author=editor, on=date(2026, 5, 4)
    )
    html = client.get("/es/medications/alphamab/").content.decode()
    assert "Revisamos el texto." in section(html, "changes")
    assert '<h2 id="what-changed">Qué cambió</h2>' in section(html, "changes")
    assert '<a href="#what-changed">Qué cambió</a>' in section(html, "toc")
    english = client.get("/medications/alphamab/").content.decode()
    assert "Revisamos el texto." not in english


def test_a_condition_change_shows_on_the_spanish_page(client, loaded):
    condition = Condition.objects.get(pk=loaded.guide.condition_id)
    condition.translations["es"]["emergency_note"] = "**Llame a su clínica** primero."
    condition.save()
    html = client.get("/es/medications/alphamab/").content.decode()
    assert "<strong>Llame a su clínica</strong> primero." in section(html, "emergency")


def test_a_spanish_page_of_a_guide_not_translated_renders_its_sections_in_spanish(
    client, make_guide
):
    guide = make_guide("untranslated")
    GuideChange.objects.create(guide=guide, date=date(2026, 1, 2), summary="A line.")
    html = client.get("/es/medications/untranslated/").content.decode()
    assert '<h2 id="contents">En esta página</h2>' in section(html, "toc")
    assert '<h2 id="what-changed">Qué cambió</h2>' in section(html, "changes")
    assert '<ul lang="en">' in section(html, "changes")


# --- Testimonials ---------------------------------------------------------------------


def shown(guide) -> list[dict]:
    return Guide.objects.get(pk=guide.pk).shown_testimonials


def test_an_approved_testimonial_is_stored_on_its_guide(make_guide):
    guide = make_guide()
    testimonial = models.Testimonial.objects.create(
        guide=guide, text="It helped.", attribution="J.M.", consent_on_file=True
    )
    assert shown(guide) == []
    testimonial.approved = True
    testimonial.save()
    assert shown(guide) == [{"text": "It helped.", "attribution": "J.M."}]


def test_a_testimonial_withdrawn_by_an_update_leaves_the_page(client, make_guide):
    guide = make_guide()
    models.Testimonial.objects.create(
        guide=guide, text="It helped.", attribution="J.M.", consent_on_file=True, approved=True
    )
    assert "It helped." in page(client, guide)
    models.Testimonial.objects.filter(guide=guide).update(text="It helped a lot.")
    assert shown(guide) == []
    assert "It helped" not in page(client, guide)


def test_a_deleted_testimonial_leaves_the_page(client, make_guide):
    guide = make_guide()
    testimonial = models.Testimonial.objects.create(
        guide=guide, text="It helped.", attribution="J.M.", consent_on_file=True, approved=True
    )
    assert "It helped." in page(client, guide)
    testimonial.delete()
    assert shown(guide) == []
    assert "It helped." not in page(client, guide)


def test_a_testimonial_moved_to_another_guide_leaves_the_first(make_guide):
    first, second = make_guide("first"), make_guide("second")
    testimonial = models.Testimonial.objects.create(
        guide=first, text="It helped.", attribution="J.M.", consent_on_file=True, approved=True
    )
    assert shown(first) == [{"text": "It helped.", "attribution": "J.M."}]
    testimonial.guide = second
    testimonial.save()
    assert shown(first) == []
    assert shown(second) == []  # a move is a change of approved content: withdrawn
