"""What a guide page reads from the database when it is rendered (the page cache
missed): the same queries in every language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from education.models import Guide, GuideTranslation
from tests.education import test_translations

pytestmark = pytest.mark.django_db

# The Spanish test guide of test_translations, loaded and stamped.
content = test_translations.content
loaded = test_translations.loaded


def rendered(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, captured.captured_queries


def test_a_translated_page_reads_the_guide_and_its_translation_in_one_query(client, loaded):
    english, english_queries = rendered(client, "/medications/alphamab/")
    spanish, spanish_queries = rendered(client, "/es/medications/alphamab/")
    assert english.status_code == spanish.status_code == 200
    assert "<h1>Alphamab para las pruebas</h1>" in spanish.content.decode()
    # The guide row, every section and its testimonials stored on it, on either page.
    assert len(spanish_queries) == len(english_queries) == 1
    (row,) = [query for query in spanish_queries if "education_guidetranslation" in query["sql"]]
    assert '"education_guide"."slug"' in row["sql"]  # the guide came with it,
    assert '"education_guide"."body_html"' not in row["sql"]  # but not its English texts
    assert '"education_guide"."sources_html"' not in row["sql"]


def test_a_guide_page_reads_no_markdown(client, loaded):
    for url in ("/medications/alphamab/", "/es/medications/alphamab/"):
        response, queries = rendered(client, url)
        assert response.status_code == 200
        (row,) = queries
        for column in ("body", "summary", "overdose_signs", "summary_html", "toc"):
            assert f'"education_guide"."{column}"' not in row["sql"], (url, column)
            assert f'"education_guidetranslation"."{column}"' not in row["sql"], (url, column)


def test_a_translation_of_a_guide_taken_off_the_site_is_not_shown(client, loaded):
    Guide.objects.filter(pk=loaded.guide_id).update(status=Guide.Status.DRAFT)
    assert GuideTranslation.objects.get(pk=loaded.pk).status == GuideTranslation.Status.PUBLISHED
    assert client.get("/es/medications/alphamab/").status_code == 404
    assert client.get("/medications/alphamab/").status_code == 404


def test_a_page_in_spanish_of_a_guide_not_translated_reads_the_english_guide(client, make_guide):
    make_guide("untranslated")
    response, queries = rendered(client, "/es/medications/untranslated/")
    assert response.status_code == 200
    assert "Untranslated for alcohol use disorder" in response.content.decode()
    # The translation looked for (none), then the guide row and the change log it
    # renders its sections from (their stored ones are in English).
    assert len(queries) == 3
