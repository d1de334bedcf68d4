"""A guide's FAQ and Sources sections and the JSON-LD lists made from them are rendered
with the guide and stored on it (education.services.faqs_render, sources_render): a
page request reads neither FAQs nor citations, and a cited source's change renders
its part again on every guide citing it."""

import functools
import re

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


def test_the_migrations_store_the_sections_of_the_guides_already_there(client):
    old = migrate([("education", "0011_guide_condition_required")])
    model = functools.partial(old.get_model, "education")
    condition = model("Condition").objects.get(slug="alcohol-use-disorder")
    common = {"description": "d", "condition": condition, "summary": "s", "body": "b"}
    other = model("Guide").objects.create(
        slug="other", title="Other", medication="Othermab", status="published", **common
    )
    guide = model("Guide").objects.create(
        slug="stored",
        title="Stored for alcohol use disorder",
        medication="Stored",
        body_html='<p>A trial.<sup class="cite"><a id="cite-trial" href="#source-trial">'
        "[1]</a></sup></p>",
        status="published",
        **common,
    )
    guide.related.add(other)
    model("FAQ").objects.create(
        guide=guide, question="Does it work?", answer_html="<p>Yes.</p>", answer_text="Yes."
    )
    trial = model("Source").objects.create(key="trial", title="A trial", url="https://e.org/t")
    model("Citation").objects.create(guide=guide, source=trial, number=1)

    migrate(None)
    html = page(client, Guide.objects.get(slug="stored"))
    assert "<summary>Does it work?</summary>" in html
    assert '<li id="source-trial">' in html and '<a href="https://e.org/t">A trial.</a>' in html
    related = html[html.index('<section class="related"') :]
    assert '<a href="/medications/other/">Othermab</a>: off-label for alcohol' in related
    graph = json_ld_graph(html)
    assert graph["FAQPage"]["mainEntity"][0]["acceptedAnswer"]["text"] == "Yes."
    assert graph["MedicalWebPage"]["citation"] == [
        {"@type": "CreativeWork", "name": "A trial", "url": "https://e.org/t"}
    ]


def related_items(client, guide) -> list[str]:
    """The Related medications section's entries as a reader sees them."""
    html = page(client, guide)
    if 'id="related"' not in html:
        return []
    section = html.split('id="related"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", section)]


def test_a_listed_guide_renamed_withdrawn_or_deleted_changes_the_pages_listing_it(
    client, make_guide
):
    guide = make_guide("first")
    second, third = make_guide("second", medication="Secondmab"), make_guide("third")
    guide.related.add(second, third)
    assert related_items(client, guide) == [
        "Secondmab: off-label for alcohol use disorder",
        "Third: off-label for alcohol use disorder",
    ]
    etag = client.get(guide.get_absolute_url())["ETag"]

    second.medication = "Renamedmab"
    second.fda_status = Guide.FdaStatus.APPROVED
    second.save()
    assert related_items(client, guide)[0] == "Renamedmab: FDA-approved for alcohol use disorder"
    assert client.get(guide.get_absolute_url())["ETag"] != etag
    third.status = Guide.Status.DRAFT
    third.save()
    assert related_items(client, guide) == ["Renamedmab: FDA-approved for alcohol use disorder"]
    second.delete()
    assert related_items(client, guide) == []


def test_a_changed_related_list_shows_at_once_from_either_side(client, make_guide):
    guide, second = make_guide("first"), make_guide("second")
    guide.related.add(second)
    assert related_items(client, guide) == ["Second: off-label for alcohol use disorder"]
    guide.related.remove(second)
    assert related_items(client, guide) == []
    second.guide_set.add(guide)  # the reverse side of the same list
    assert related_items(client, guide) == ["Second: off-label for alcohol use disorder"]
    second.guide_set.clear()
    assert related_items(client, guide) == []


def test_renaming_a_condition_relabels_its_guides_on_the_pages_listing_them(client, make_guide):
    guide, second = make_guide("first"), make_guide("second")
    guide.related.add(second)
    condition = second.condition
    condition.name = "drinking problems"
    condition.save()
    assert related_items(client, guide) == ["Second: off-label for drinking problems"]
