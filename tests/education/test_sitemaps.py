"""The guides in /sitemap.xml: each page's lastmod is the date its own text last
changed, the translation's for a translated page (education/sitemaps.py)."""

import re
from datetime import date

import pytest

from education.models import Guide, GuideTranslation


def lastmods(client, settings) -> dict[str, str]:
    sitemap = client.get("/sitemap.xml").content.decode()
    found = re.findall(r"<url><loc>([^<]+)</loc>\s*<lastmod>([^<]+)</lastmod>", sitemap)
    return {location.removeprefix(settings.SITE_URL): lastmod for location, lastmod in found}


def translate(guide: Guide, *, status=GuideTranslation.Status.PUBLISHED, changed_on: date):
    translation = GuideTranslation.objects.create(
        guide=guide,
        language="es",
        title=f"{guide.medication} para el trastorno por consumo de alcohol",
        medication=guide.medication,
        description="Lo que conviene saber.",
        summary="Un resumen.",
        body="## Qué es\n\nUn medicamento.",
        status=status,
    )
    GuideTranslation.objects.filter(pk=translation.pk).update(content_updated_on=changed_on)


@pytest.fixture
def guides(make_guide):
    translated, untranslated, draft = (
        make_guide(slug) for slug in ("translatamab", "englishamab", "draftamab")
    )
    for guide, changed_on in (
        (translated, date(2026, 3, 1)),
        (untranslated, date(2026, 1, 15)),
        (draft, date(2026, 2, 10)),
    ):
        Guide.objects.filter(pk=guide.pk).update(content_updated_on=changed_on)
    translate(translated, changed_on=date(2026, 5, 2))
    translate(draft, status=GuideTranslation.Status.DRAFT, changed_on=date(2026, 6, 30))


def test_a_translated_guide_page_is_dated_by_its_translation(client, settings, guides):
    found = lastmods(client, settings)
    assert found["/es/medications/translatamab/"] == "2026-05-02"
    assert found["/medications/translatamab/"] == "2026-03-01"
    # A Spanish page that shows the English text (no translation, or only a draft
    # one) takes the English date.
    assert found["/es/medications/englishamab/"] == "2026-01-15"
    assert found["/es/medications/draftamab/"] == "2026-02-10"
