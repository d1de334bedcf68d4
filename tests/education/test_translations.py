"""Spanish guides as their own content: the files, the pages, and their own review."""

import json
import re
import shutil
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from education.loader import TRANSLATED_REQUIRED_SECTIONS
from education.models import Guide, GuideTranslation, Source, TranslationReview
from education.services import guide_render, translation_render, translation_review_sign_off
from tests.education.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT, assert_review_kept

pytestmark = pytest.mark.django_db

SPANISH_FILE = "guides/es/alphamab.md"
UNDER_REVIEW = "En revisión:"
NOT_TRANSLATED = "Esta guía todavía no está traducida al español"
NEVER_LINE_ES = "Todavía no la ha revisado un profesional clínico."
REVIEWED_ES = "Revisado médicamente por <strong>Dana Reviewer, MD</strong>"
REVIEWED_EN = "Medically reviewed by <strong>Dana Reviewer, MD</strong>"
SPANISH_SOURCE = """
[[source]]
key = "alpha-es"
authors = ""
title = "Alphamab en español"
venue = "Fuente de prueba"
year = "current"
url = "https://example.org/es/alphamab"
language = "es"
"""


@pytest.fixture
def content(tmp_path):
    """A copy of the fixture content with the shipped conditions (their Spanish
    texts) and a Spanish source the Spanish file cites: the tests edit it freely."""
    directory = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, directory)
    shutil.copy(SHIPPED_CONTENT / "conditions.toml", directory / "conditions.toml")
    with (directory / "sources.toml").open("a", encoding="utf-8") as sources:
        sources.write(SPANISH_SOURCE)
    spanish = directory / SPANISH_FILE
    spanish.write_text(
        spanish.read_text(encoding="utf-8").replace(
            "Casi ninguno.[^alpha-trial]", "Casi ninguno.[^alpha-trial][^alpha-es]"
        ),
        encoding="utf-8",
    )
    return directory


def load(directory):
    call_command("load_guides", str(directory), stdout=None)


def stamp(directory, *slugs):
    call_command("stamp_translations", *slugs, directory=str(directory), stdout=None)


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def body_of(html):
    return html.split("<body", 1)[1]


def review_line(html):
    match = re.search(r'<p class="guide__review">(.*?)</p>', html, re.S)
    assert match, "no review line"
    return " ".join(match.group(1).split())


def graph_of(html):
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return {node["@type"]: node for node in json.loads(block)["@graph"]}


def english_lang_parts(html):
    """The elements of the page's body marked lang="en", as their opening tags."""
    return re.findall(r'<[a-z0-9]+[^>]*\blang="en"[^>]*>', body_of(html))


@pytest.fixture
def loaded(content):
    load(content)
    stamp(content)
    return GuideTranslation.objects.select_related("guide").get(guide__slug="alphamab")


# --- The loader ------------------------------------------------------------------


def test_the_loader_reads_a_spanish_file_as_the_guides_own_translation(content):
    load(content)
    text = GuideTranslation.objects.get()
    guide = Guide.objects.get(slug="alphamab")
    assert (text.guide, text.language, text.title) == (guide, "es", "Alphamab para las pruebas")
    assert text.mechanism == "Bloquea el receptor de prueba" and guide.mechanism != text.mechanism
    assert text.status == GuideTranslation.Status.PUBLISHED
    assert [faq.question for faq in text.faqs.all()] == ["¿Alphamab es real?"]
    assert [c.summary for c in text.changes.all()] == ["Primera versión en español."]
    assert text.toc[0] == {"id": "nombres-comerciales", "text": "Nombres comerciales"}
    # Shipped files claim no review, and nothing says which English version it translates.
    assert text.last_review is None and not TranslationReview.objects.exists()
    assert text.source_fingerprint == "" and text.is_outdated
    # The English guide is untouched by it.
    assert guide.title == "Alphamab for testing" and guide.toc[0]["text"] == "What alphamab is"


def test_loading_the_same_spanish_file_again_changes_nothing(content):
    load(content)
    before = GuideTranslation.objects.values().get()
    load(content)
    assert GuideTranslation.objects.values().get() == before


def test_a_source_in_spanish_is_loaded_with_its_language(content):
    load(content)
    assert Source.objects.get(key="alpha-es").language == "es"
    assert Source.objects.get(key="alpha-trial").language == "en"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("## Sobredosis", "## Sobre la dosis", "'## Sobredosis'"),
        ("Casi ninguno.[^alpha-trial]", "Casi ninguno.[^no-such-key]", "'no-such-key'"),
        ('mechanism = "Bloquea el receptor de prueba"\n', "", "'mechanism' is needed"),
        ('translation_of = "alphamab"', 'translation_of = "alphamab"\nslug = "x"', "'slug'"),
        ('status = "published"', 'status = "published"\nlast_reviewed = "2026-11-01"', "review"),
        ("- ¿Qué vigilo?\n", "", "'## Preguntas para quien le receta' has 2 list items"),
        ("No tiene otro nombre.[^alpha-label]", "No tiene otro nombre.", "cites no source"),
        (
            'description = "Un medicamento inventado que usan las pruebas."',
            'description = "' + "Demasiado largo. " * 10 + '"',
            "keep it under 160",
        ),
        ("\n[[faq]]\nquestion", "\n[[fa]]\nquestion", "unknown key(s) 'fa'"),
        (
            '"Un estudio encontró que sirve.[^alpha-trial]"]',
            '"Un estudio encontró que sirve.[^alpha-trial]", "Otro más."]',
            "3 summary items; the English guide has 2",
        ),
    ],
)
def test_the_loader_refuses_a_spanish_file_naming_it_and_the_problem(content, old, new, message):
    edit(content / SPANISH_FILE, old, new)
    with pytest.raises(CommandError) as error:
        load(content)
    assert str(error.value).startswith(str(content / SPANISH_FILE))
    assert message in str(error.value)
    assert not Guide.objects.exists()  # nothing was written


def test_the_loader_refuses_a_translation_of_no_english_guide(content):
    orphan = content / "guides" / "es" / "gammamab.md"
    orphan.write_text(
        (content / SPANISH_FILE)
        .read_text(encoding="utf-8")
        .replace('translation_of = "alphamab"', 'translation_of = "gammamab"'),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="no English guide has that slug") as error:
        load(content)
    assert str(orphan) in str(error.value)


def test_the_spanish_sections_are_kept_beside_the_english_ones():
    assert TRANSLATED_REQUIRED_SECTIONS["es"][0] == "Nombres comerciales"
    assert len(TRANSLATED_REQUIRED_SECTIONS["es"]) == 12


# --- The Spanish page ------------------------------------------------------------


def test_the_spanish_page_shows_the_translation_in_spanish(client, loaded):
    html = html_of(client, "/es/medications/alphamab/")
    assert re.search(r'<html lang="es">', html)
    assert "<h1>Alphamab para las pruebas</h1>" in html
    assert NOT_TRANSLATED not in html and UNDER_REVIEW not in html
    assert '<div class="guide__body">' in html and "Nombres comerciales" in html
    assert '<h2 id="faq">Preguntas frecuentes</h2>' in html and "¿Alphamab es real?" in html
    assert '<h2 id="sources">Fuentes</h2>' in html
    assert '<h2 id="related">Medicamentos relacionados</h2>' not in html  # betamab is a draft
    assert "Primera versión en español." in html
    assert "Aprobado por la FDA para el trastorno por consumo de alcohol" in html
    assert "Alphamab for testing" not in html and "A made-up medicine" not in html
    # Nothing is marked English but the language switch and the English sources' titles
    # (linked, or a span for a source without a link).
    english = english_lang_parts(html)
    assert english, "the English titles are marked"
    sources = html.split('<section class="sources"', 1)[1]
    for tag in english:
        assert 'class="language-switch"' in tag or tag in sources, tag
    assert '<a href="https://example.org/alpha-trial" hreflang="en" lang="en">' in html
    # The Spanish source's title is in the page's language: not marked.
    assert '<a href="https://example.org/es/alphamab">' in html
    assert NEVER_LINE_ES in review_line(html)


def test_a_spanish_source_is_marked_spanish_on_an_english_page(content):
    edit(
        content / "guides/alphamab.md",
        "Take care.[^alpha-trial]",
        "Take care.[^alpha-trial] A page in Spanish.[^alpha-es]",
    )
    load(content)
    html = html_of(Client(), "/medications/alphamab/")
    assert '<a href="https://example.org/es/alphamab" hreflang="es" lang="es">' in html


def test_the_english_page_is_unchanged_by_its_translation(client, loaded):
    html = html_of(client, "/medications/alphamab/")
    assert "<h1>Alphamab for testing</h1>" in html and "Alphamab para" not in html
    assert "Nombres comerciales" not in html and "Preguntas frecuentes" not in html
    assert graph_of(html)["MedicalWebPage"]["inLanguage"] == "en-US"


def test_the_spanish_structured_data_is_the_translations(client, loaded):
    graph = graph_of(html_of(client, "/es/medications/alphamab/"))
    page = graph["MedicalWebPage"]
    assert page["inLanguage"] == "es-US"
    assert page["name"] == "Alphamab para las pruebas"
    assert page["description"] == "Un medicamento inventado que usan las pruebas."
    assert page["url"].endswith("/es/medications/alphamab/")
    assert page["isBasedOn"].endswith("/medications/alphamab/")
    assert not page["isBasedOn"].endswith("/es/medications/alphamab/")
    assert {"@type": "Drug", "name": "Alphamab"} in page["about"]
    assert {"@type": "MedicalCondition", "name": "Trastorno por consumo de alcohol"} in page[
        "about"
    ]
    assert "reviewedBy" not in page
    (question,) = graph["FAQPage"]["mainEntity"]
    assert question["name"] == "¿Alphamab es real?"
    assert question["acceptedAnswer"]["text"] == "No, solo existe en las pruebas."
    assert [item["name"] for item in graph["BreadcrumbList"]["itemListElement"]][:2] == [
        "Inicio",
        "Guías de medicamentos",
    ]


def test_a_translated_guide_and_its_english_page_name_each_other(client, loaded, settings):
    spanish = html_of(client, "/es/medications/alphamab/")
    english = html_of(client, "/medications/alphamab/")
    pairs = {"es": "/es/medications/alphamab/", "en": "/medications/alphamab/"}
    for html in (spanish, english):
        for hreflang, path in pairs.items():
            link = f'<link rel="alternate" hreflang="{hreflang}" href="{settings.SITE_URL}{path}">'
            assert link in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}/es/medications/alphamab/">' in spanish


def test_the_sitemap_lists_the_spanish_guide_with_its_english_alternate(client, loaded, settings):
    sitemap = html_of(client, "/sitemap.xml")
    entry = re.search(
        rf"<url><loc>{re.escape(settings.SITE_URL)}/es/medications/alphamab/</loc>(.*?)</url>",
        sitemap,
        re.S,
    )
    assert entry
    assert f'hreflang="en" href="{settings.SITE_URL}/medications/alphamab/"' in entry.group(1)


def test_a_spanish_page_of_a_guide_without_a_translation_keeps_the_notice(client, make_guide):
    make_guide("untranslated")
    html = html_of(client, "/es/medications/untranslated/")
    assert html.count(NOT_TRANSLATED) == 1
    assert '<div class="guide__body" lang="en">' in html
    assert graph_of(html)["MedicalWebPage"]["inLanguage"] == "en-US"


def test_a_draft_translation_is_not_shown(client, loaded):
    GuideTranslation.objects.filter(pk=loaded.pk).update(status=GuideTranslation.Status.DRAFT)
    html = html_of(client, "/es/medications/alphamab/")
    assert NOT_TRANSLATED in html and "Alphamab para las pruebas" not in html


# --- The English changed after the translation ---------------------------------------


def test_an_english_change_after_the_translation_says_en_revision_until_stamped(
    client, loaded, content
):
    assert UNDER_REVIEW not in html_of(client, "/es/medications/alphamab/")
    edit(content / "guides/alphamab.md", "Take care.", "Take great care.")
    load(content)
    html = html_of(client, "/es/medications/alphamab/")
    assert html.count(UNDER_REVIEW) == 1
    note = re.search(r'<p class="translation-note" role="note">(.*?)</p>', html, re.S).group(1)
    assert '<a href="/medications/alphamab/" hreflang="en">la versión en inglés</a>' in note
    assert "después de esta traducción" in note
    assert "Alphamab para las pruebas" in html  # the translation is still what it shows
    stamp(content)
    html = html_of(client, "/es/medications/alphamab/")
    assert UNDER_REVIEW not in html
    text = GuideTranslation.objects.get()
    assert text.source_fingerprint == Guide.objects.get(slug="alphamab").content_fingerprint
    assert f'source_fingerprint = "{text.source_fingerprint}"' in (
        content / SPANISH_FILE
    ).read_text(encoding="utf-8")


def test_stamping_twice_leaves_the_file_as_it_is(loaded, content):
    before = (content / SPANISH_FILE).read_text(encoding="utf-8")
    stamp(content)
    assert (content / SPANISH_FILE).read_text(encoding="utf-8") == before
    assert before.count("source_fingerprint") == 1


def test_a_reviewed_translation_is_never_shown_reviewed_once_the_english_changed(
    client, loaded, content, signed_reviewer
):
    translation_review_sign_off(translation=loaded, reviewer=signed_reviewer)
    assert REVIEWED_ES in review_line(html_of(client, "/es/medications/alphamab/"))
    edit(content / "guides/alphamab.md", "Take care.", "Take great care.")
    load(content)
    html = html_of(client, "/es/medications/alphamab/")
    assert UNDER_REVIEW in html and "Revisado médicamente" not in html
    assert "reviewedBy" not in graph_of(html)["MedicalWebPage"]


# --- Its own review ------------------------------------------------------------------


def test_signing_off_the_english_guide_leaves_the_spanish_one_unreviewed(client, loaded, sign_off):
    sign_off(loaded.guide)
    assert REVIEWED_EN in review_line(html_of(client, "/medications/alphamab/"))
    spanish = html_of(client, "/es/medications/alphamab/")
    assert NEVER_LINE_ES in review_line(spanish) and "Revisado médicamente" not in spanish
    assert "reviewedBy" not in graph_of(spanish)["MedicalWebPage"]
    loaded.refresh_from_db()
    assert loaded.last_review is None


def test_signing_off_the_spanish_guide_leaves_the_english_one_as_it_was(
    client, loaded, signed_reviewer
):
    review = translation_review_sign_off(translation=loaded, reviewer=signed_reviewer)
    spanish = html_of(client, "/es/medications/alphamab/")
    assert REVIEWED_ES in review_line(spanish)
    page = graph_of(spanish)["MedicalWebPage"]
    assert page["reviewedBy"]["name"] == "Dana Reviewer"
    assert page["lastReviewed"] == review.signed_on.isoformat()
    english = html_of(client, "/medications/alphamab/")
    assert "Medically reviewed by" not in english
    assert Guide.objects.get(slug="alphamab").last_review is None


def test_a_translation_review_is_a_record_never_changed_or_deleted(loaded, signed_reviewer):
    review = translation_review_sign_off(translation=loaded, reviewer=signed_reviewer)
    assert str(review) == f"Review of translation {loaded.pk} on {review.signed_on}"
    assert review.reviewer_display == "Dana Reviewer, MD"
    assert_review_kept(review)
    with pytest.raises(ProtectedError):
        loaded.delete()


def test_a_translations_sign_off_moves_its_page_and_the_guides_and_the_guides_moves_neither(
    loaded, signed_reviewer, sign_off
):
    before = timezone.now() - timedelta(days=2)
    GuideTranslation.objects.filter(pk=loaded.pk).update(updated_at=before)
    Guide.objects.filter(pk=loaded.guide_id).update(updated_at=before)
    sign_off(loaded.guide)
    assert GuideTranslation.objects.get(pk=loaded.pk).updated_at == before
    assert Guide.objects.get(pk=loaded.guide_id).updated_at == before
    translation_review_sign_off(translation=loaded, reviewer=signed_reviewer)
    assert GuideTranslation.objects.get(pk=loaded.pk).updated_at > before
    assert Guide.objects.get(pk=loaded.guide_id).updated_at > before


def test_an_edit_of_the_spanish_text_ends_its_review(client, loaded, content, signed_reviewer):
    translation_review_sign_off(translation=loaded, reviewer=signed_reviewer)
    edit(content / SPANISH_FILE, "Casi ninguno.", "Muy pocos.")
    load(content)
    html = html_of(client, "/es/medications/alphamab/")
    assert "Revisado médicamente" not in html and "Actualizada el" in review_line(html)


def test_an_editor_cannot_sign_off_a_translation(loaded, editor):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        translation_review_sign_off(translation=loaded, reviewer=editor)
    assert not TranslationReview.objects.exists()


def test_a_reviewer_signs_off_a_translation_in_the_admin(loaded, signed_reviewer, editor):
    url = reverse("admin:education_guidetranslation_sign_off", args=[loaded.pk])
    staff = Client()
    staff.force_login(editor)
    assert staff.get(url).status_code == 403
    staff.force_login(signed_reviewer)
    html = staff.get(url).content.decode()
    shown = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', html).group(1)
    response = staff.post(url, {"fingerprint": shown})
    assert response.status_code == 302
    review = TranslationReview.objects.get()
    assert (review.translation, review.reviewer) == (loaded, signed_reviewer)
    assert review.fingerprint == loaded.current_fingerprint()
    change = staff.get(reverse("admin:education_guidetranslation_change", args=[loaded.pk]))
    assert "Valid: reviewed by Dana Reviewer, MD" in change.content.decode()


def test_the_admin_preview_shows_the_translation_in_spanish(loaded, signed_reviewer):
    staff = Client()
    staff.force_login(signed_reviewer)
    url = reverse("admin:education_guidetranslation_preview", args=[loaded.pk])
    html = staff.get(url).content.decode()
    assert '<html lang="es">' in html and "<h1>Alphamab para las pruebas</h1>" in html


# --- The guide list and the comparison table in Spanish ----------------------------------


def test_the_spanish_guide_list_shows_the_translations_and_the_conditions_in_spanish(
    client, loaded, make_guide
):
    make_guide("untranslated")
    html = html_of(client, "/es/medications/")
    assert "Medicamentos para el trastorno por consumo de alcohol</h2>" in html
    assert "Varios medicamentos pueden ayudar a beber menos" in html
    assert '<a href="/es/medications/alphamab/">Alphamab para las pruebas</a>' in html
    assert "Un medicamento inventado que usan las pruebas." in html
    # The table: catalogue headers, the translation's cells, English ones marked.
    assert '<th scope="col">Cómo actúa</th>' in html
    assert "Bloquea el receptor de prueba" in html and "Blocks the test receptor" not in html
    rows = re.findall(r"<tr( lang=\"en\")?>\s*<th scope=\"row\"><a href=\"([^\"]+)\"", html)
    assert (' lang="en"', "/es/medications/untranslated/") in rows
    assert ("", "/es/medications/alphamab/") in rows
    card = r'<li class="guide-card" lang="en">\s*<h4 class="h5"><a href="([^"]+)">'
    assert re.findall(card, html) == ["/es/medications/untranslated/"]


def test_a_translation_changes_the_stored_spanish_list_at_once(client, loaded, settings):
    assert "Alphamab para las pruebas" in html_of(client, "/es/medications/")
    loaded.title = "Alphamab, título nuevo"
    loaded.save()
    assert "Alphamab, título nuevo" in html_of(client, "/es/medications/")
    assert "Alphamab for testing" in html_of(client, "/medications/")


def test_the_english_guide_list_keeps_its_english_texts(client, loaded):
    html = html_of(client, "/medications/")
    assert '<a href="/medications/alphamab/">Alphamab for testing</a>' in html
    assert "Bloquea" not in html and 'lang="en"' not in body_of(html)


def test_a_guide_render_leaves_the_translation_in_place(loaded):
    guide = Guide.objects.get(slug="alphamab")
    guide_render(guide=guide)
    assert GuideTranslation.objects.get().title == "Alphamab para las pruebas"


# --- The shipped Spanish files -------------------------------------------------------


def test_every_shipped_spanish_file_loads_and_translates_a_shipped_guide(client):
    call_command("load_guides", str(SHIPPED_CONTENT), stdout=None)
    files = sorted(path.stem for path in (SHIPPED_CONTENT / "guides" / "es").glob("*.md"))
    assert files, "no Spanish guide ships"
    loaded = GuideTranslation.objects.filter(language="es")
    assert sorted(loaded.values_list("guide__slug", flat=True)) == files
    for slug in files:
        html = html_of(client, f"/es/medications/{slug}/")
        assert NOT_TRANSLATED not in html
        assert '<div class="guide__body">' in html


def test_a_spanish_page_is_served_from_memory_and_retired_by_its_translations_change(
    client, loaded
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/es/medications/alphamab/"
    with CaptureQueriesContext(connection) as first:
        html = html_of(client, url)
    # The translation with its guide: its sections and the testimonials are stored on them.
    assert len(first) == 1
    with CaptureQueriesContext(connection) as second:
        assert html_of(client, url) == html
    assert len(second) == 0
    text = GuideTranslation.objects.get()
    text.summary = "Resumen nuevo.[^alpha-label]\nOtro punto.[^alpha-trial]"
    translation_render(translation=text)
    assert "Resumen nuevo." in html_of(client, url)
    # The English page, stored too, is another entry: it never shows the Spanish one.
    english = html_of(client, "/medications/alphamab/")
    assert "Resumen nuevo." not in english and "Alphamab for testing" in english


def test_the_spanish_home_page_lists_the_guides_by_their_spanish_titles(client, loaded, make_guide):
    make_guide("untranslated")
    html = html_of(client, "/es/")
    guides = html.split('<section class="container section" aria-labelledby="learn">', 1)[1]
    assert '<a class="d-inline-block py-1" href="/es/medications/alphamab/">' in guides
    assert "Alphamab para las pruebas" in guides and "Alphamab for testing" not in guides
    assert "Medicamentos para el trastorno por consumo de alcohol</a>" in guides
    untranslated = '<a class="d-inline-block py-1" href="/es/medications/untranslated/" lang="en">'
    assert untranslated in guides
    assert "Alphamab for testing" in html_of(client, "/")


def test_the_guide_admin_lists_its_translations_with_their_own_state(loaded, signed_reviewer):
    staff = Client()
    staff.force_login(signed_reviewer)
    html = staff.get(reverse("admin:education_guide_change", args=[loaded.guide.pk]))
    translation_url = reverse("admin:education_guidetranslation_change", args=[loaded.pk])
    assert f'<a href="{translation_url}">Spanish</a>: published; Current' in html.content.decode()
    assert "Never reviewed" in html.content.decode()
