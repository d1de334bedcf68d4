"""A guide's FAQ and Sources sections and the JSON-LD lists made from them are rendered
with the guide and stored on it (education.services.faqs_render, sources_render): a
page request reads neither FAQs nor citations, and a cited source's change renders
its part again on every guide citing it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from education.models import Guide
from tests.education.test_changelog import migrate
from tests.education.test_views import json_ld_graph, page

pytestmark = pytest.mark.django_db

FAQS = [("Is it safe?", "Mostly.[^review]")]


def test_a_guide_page_reads_no_faq_and_no_citation(client, make_guide):
    guide = make_guide(faqs=FAQS)
    with CaptureQueriesContext(connection) as queries:
        html = page(client, guide)
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"education_faq"' not in tables and '"education_citation"' not in tables
    assert '<details class="faq__item">\n      <summary>Is it safe?</summary>' in html
    assert '<li id="source-review">' in html and 'href="#cite-review"' in html
    assert '<a href="#faq">Frequently asked questions</a>' in html
    assert '<a href="#sources">Sources</a>' in html
    graph = json_ld_graph(html)
    assert graph["FAQPage"]["mainEntity"][0]["acceptedAnswer"]["text"] == "Mostly."
    assert [c["name"] for c in graph["MedicalWebPage"]["citation"]] == [
        "Title of label",
        "Title of rigal2020",
        "Title of review",
    ]


def test_a_guide_without_faqs_or_sources_shows_neither_section(client, make_guide):
    guide = make_guide(summary="Plain.", body="## What it is\n\nA medicine.")
    html = page(client, guide)
    assert 'id="faq"' not in html and 'id="sources"' not in html
    assert "FAQPage" not in html
    assert json_ld_graph(html)["MedicalWebPage"]["citation"] == []


def test_editing_a_cited_source_renders_the_sources_of_every_guide_citing_it(
    client, make_guide, sources
):
    citing = [make_guide("one"), make_guide("two", faqs=FAQS)]
    other = make_guide("other", summary="Plain.", body="A trial.[^rigal2020]")
    source = sources["label"]
    source.title = "A corrected title"
    source.url = ""
    source.doi = "10.1000/corrected"
    source.save()

    for guide in citing:
        html = page(client, guide)
        assert '<a href="https://doi.org/10.1000/corrected">A corrected title.</a>' in html
        [cited] = [
            c for c in json_ld_graph(html)["MedicalWebPage"]["citation"] if "corrected" in c["name"]
        ]
        assert cited == {
            "@type": "CreativeWork",
            "name": "A corrected title",
            "url": "https://doi.org/10.1000/corrected",
        }
    # The FAQ part of the JSON-LD stays as it was rendered.
    two = json_ld_graph(page(client, citing[1]))
    assert two["FAQPage"]["mainEntity"][0]["name"] == "Is it safe?"
    assert "corrected" not in page(client, other)


def test_the_migration_stores_the_sections_of_the_guides_already_there(client):
    old = migrate([("education", "0011_guide_condition_required")])
    Condition, Source = old.get_model("education", "Condition"), old.get_model("education", "Source")
    Guide_, FAQ_ = old.get_model("education", "Guide"), old.get_model("education", "FAQ")
    Citation_ = old.get_model("education", "Citation")
    guide = Guide_.objects.create(
        slug="stored",
        title="Stored for alcohol use disorder",
        medication="Stored",
        description="d",
        condition=Condition.objects.get(slug="alcohol-use-disorder"),
        summary="s",
        body="b",
        body_html='<p>A trial.<sup class="cite"><a id="cite-trial" href="#source-trial">'
        "[1]</a></sup></p>",
        status="published",
    )
    FAQ_.objects.create(
        guide=guide, question="Does it work?", answer="a", answer_html="<p>Yes.</p>", order=1
    )
    FAQ_.objects.filter(guide=guide).update(answer_text="Yes.")
    trial = Source.objects.create(key="trial", title="A trial", url="https://example.org/t")
    Citation_.objects.create(guide=guide, source=trial, number=1)

    migrate(None)
    html = page(client, Guide.objects.get(slug="stored"))
    assert "<summary>Does it work?</summary>" in html
    assert '<li id="source-trial">' in html
    assert '<a href="https://example.org/t">A trial.</a>' in html
    graph = json_ld_graph(html)
    assert graph["FAQPage"]["mainEntity"][0]["acceptedAnswer"]["text"] == "Yes."
    assert graph["MedicalWebPage"]["citation"] == [
        {"@type": "CreativeWork", "name": "A trial", "url": "https://example.org/t"}
    ]
