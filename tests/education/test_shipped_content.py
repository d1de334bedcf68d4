"""The shipped guides as visitors get them: every page renders, is light and is listed."""

import re

import pytest
from django.core.management import call_command

from tests.education.conftest import SHIPPED_CONTENT

pytestmark = pytest.mark.django_db

SHIPPED = ["baclofen", "naltrexone", "acamprosate", "disulfiram", "topiramate", "gabapentin"]
MAX_PAGE_BYTES = 120 * 1024


@pytest.fixture
def shipped(db):
    call_command("load_guides", str(SHIPPED_CONTENT), stdout=None)


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guide_renders_under_the_page_weight_budget(client, shipped, slug):
    response = client.get(f"/medications/{slug}/")
    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'id="sources"' in html and "Medically reviewed by" in html
    assert f'href="/admissions/?from={slug}"' in html


def test_baclofen_page_carries_its_sources_and_citations(client, shipped):
    html = client.get("/medications/baclofen/").content.decode()
    entries = re.findall(r'<li id="source-([^"]+)"', html)
    assert len(entries) >= 15 and len(set(entries)) == len(entries)
    marks = re.findall(r'<a id="cite-[^"]+" href="#source-([^"]+)"', html)
    assert len(marks) >= 25
    assert set(marks) == set(entries)
    assert "Off-label for alcohol use disorder" in html


def test_guide_list_and_sitemap_link_every_shipped_guide(client, shipped):
    listing = client.get("/medications/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    for slug in SHIPPED:
        assert f'href="/medications/{slug}/"' in listing
        assert f"/medications/{slug}/</loc>" in sitemap
