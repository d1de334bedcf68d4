"""Public guide pages: content, SEO, cacheability, query count, sitemap, robots."""

import json
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from education import models
from education.models import FAQ, Guide
from education.services import guide_render

pytestmark = pytest.mark.django_db


def page(client, guide):
    response = client.get(guide.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def json_ld_graph(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return {node["@type"]: node for node in json.loads(blocks[0])["@graph"]}


def test_guide_page_shows_title_review_badge_takeaways_toc_and_sections(
    client, make_guide, sign_off
):
    guide = make_guide()
    signed_at = timezone.localtime().replace(month=3, day=4, hour=12)
    sign_off(guide, at=signed_at)
    html = page(client, guide)
    assert html.count("<h1") == 1 and f"<h1>{guide.title}</h1>" in html
    assert "Medically reviewed by <strong>Dana Reviewer, MD</strong>" in html
    assert f'<time datetime="{signed_at:%Y-%m-%d}">March 4, {signed_at:%Y}</time>' in html
    assert "Off-label for alcohol use disorder" in html
    assert 'id="key-takeaways"' in html
    assert '<a href="#what-it-is">What it is</a>' in html and '<h2 id="what-it-is">' in html
    assert 'aria-label="Breadcrumb"' in html


def test_approved_medicine_shows_no_off_label_badge(client, make_guide):
    html = page(client, make_guide(fda_status=Guide.FdaStatus.APPROVED))
    assert "Off-label for alcohol use disorder" not in html
    assert "FDA-approved for alcohol use disorder" in html


def test_guide_page_has_helpline_and_callback_link_but_no_form(client, make_guide, settings):
    settings.HELPLINE_PHONE = "(202) 555-0199"
    html = page(client, make_guide("baclomab"))
    callout = html[html.index('class="helpline-callout"') :]
    assert 'href="tel:+12025550199"' in callout
    assert 'href="/admissions/?from=baclomab"' in callout
    assert "<form" not in html and "csrfmiddlewaretoken" not in html


def test_sources_list_each_cited_source_once_in_order_with_back_links(client, make_guide):
    guide = make_guide(faqs=[("Q?", "A.[^review][^label]")])
    html = page(client, guide)
    sources = html[html.index('<h2 id="sources">') :]
    ids = re.findall(r'<li id="(source-[^"]+)"', sources)
    assert ids == ["source-label", "source-rigal2020", "source-review"]
    assert 'href="#cite-label"' in sources and 'href="#cite-review"' in sources
    assert 'id="cite-review"' in html and 'id="cite-label-2"' in html
    assert "source-unused" not in html and "Title of unused" not in html


def test_faq_uses_native_disclosure_widgets(client, make_guide):
    html = page(client, make_guide(faqs=[("Can I drink on it?", "No.[^label]")]))
    assert "<details" in html and "<summary>Can I drink on it?</summary>" in html


def test_related_medications_list_only_published_guides(client, make_guide):
    guide = make_guide("first")
    guide.related.add(make_guide("second"), make_guide("third", status=Guide.Status.DRAFT))
    html = page(client, guide)
    related = html[html.index('id="related"') :]
    assert 'href="/medications/second/"' in related
    assert "/medications/third/" not in related


def test_a_guide_names_its_publisher_with_the_clinics_logo(client, make_guide, settings):
    settings.SITE_URL = "https://care.cardinal-recovery.org"
    publisher = json_ld_graph(page(client, make_guide()))["MedicalWebPage"]["publisher"]
    assert publisher["name"] == "Cardinal Recovery"
    logo = publisher["logo"]
    assert logo["url"].startswith("https://care.cardinal-recovery.org/static/img/logo")
    assert (logo["@type"], logo["width"], logo["height"]) == ("ImageObject", 512, 512)


def test_related_medications_name_the_fda_status_with_its_capitals(client, make_guide):
    guide = make_guide("first")
    guide.related.add(
        make_guide("second", fda_status=Guide.FdaStatus.APPROVED, medication="Secondmab"),
        make_guide("third", medication="Thirdmab"),
    )
    related = page(client, guide).split('id="related"', 1)[1].split("</section>", 1)[0]
    items = [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", related)
    ]
    assert sorted(items) == [
        "Secondmab: FDA-approved for alcohol use disorder",
        "Thirdmab: off-label for alcohol use disorder",
    ]


def test_testimonials_show_only_with_consent_and_approval(client, make_guide):
    guide = make_guide()
    models.Testimonial.objects.create(
        guide=guide, text="Shown text", attribution="A.B.", consent_on_file=True, approved=True
    )
    models.Testimonial.objects.create(
        guide=guide, text="No consent", attribution="C.D.", consent_on_file=False, approved=True
    )
    models.Testimonial.objects.create(
        guide=guide, text="Not approved", attribution="E.F.", consent_on_file=True
    )
    html = page(client, guide)
    assert "Shown text" in html
    assert "No consent" not in html and "Not approved" not in html


def test_page_without_testimonials_has_no_testimonial_section(client, make_guide):
    assert 'id="testimonials"' not in page(client, make_guide())


def test_drafts_and_guides_in_review_are_404_to_visitors(client, make_guide):
    for status in (Guide.Status.DRAFT, Guide.Status.REVIEW):
        guide = make_guide(f"hidden-{status}", status=status)
        assert client.get(guide.get_absolute_url()).status_code == 404


def test_drafts_are_404_even_to_signed_in_staff_on_the_public_url(client, make_guide, reviewer):
    client.force_login(reviewer)
    guide = make_guide(status=Guide.Status.DRAFT)
    assert client.get(guide.get_absolute_url()).status_code == 404


def test_guide_page_sets_no_cookie_and_may_be_cached_publicly(client, make_guide):
    response = client.get(make_guide().get_absolute_url())
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=300" in cache_control
    assert response["ETag"] and response["Last-Modified"]


def test_conditional_requests_get_304(client, make_guide):
    url = make_guide().get_absolute_url()
    first = client.get(url)
    by_etag = client.get(url, headers={"If-None-Match": first["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert by_etag.status_code == 304 and by_date.status_code == 304
    assert by_etag.content == b""
    assert "max-age=300" in by_etag["Cache-Control"]


def test_a_304_costs_one_query(client, make_guide, django_assert_num_queries):
    url = make_guide().get_absolute_url()
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_an_edit_shows_at_once_and_invalidates_old_validators(client, make_guide):
    guide = make_guide()
    first = client.get(guide.get_absolute_url())
    guide.body = "## Changed\n\nNew wording.[^label]"
    guide_render(guide=guide)
    again = client.get(guide.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert "New wording." in again.content.decode()
    assert again["ETag"] != first["ETag"]


def test_approving_a_testimonial_invalidates_the_page_validators(client, make_guide):
    guide = make_guide()
    etag = client.get(guide.get_absolute_url())["ETag"]
    models.Testimonial.objects.create(
        guide=guide, text="Now shown", attribution="G.H.", consent_on_file=True, approved=True
    )
    response = client.get(guide.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Now shown" in response.content.decode()


def _grow(guide, sources, size):
    keys = list(sources)
    guide.body = "\n\n".join(
        f"## Section {n}\n\nParagraph {n}.[^{keys[n % len(keys)]}]" for n in range(size)
    )
    for n in range(size):
        FAQ.objects.create(guide=guide, question=f"Q{n}?", answer=f"A{n}.[^{keys[n % 3]}]")
        related = Guide.objects.create(
            slug=f"{guide.slug}-rel-{n}",
            title=f"Related {n}",
            medication=f"Rel {n}",
            description="d",
            mechanism="m",
            key_caution="k",
            summary="s",
            body="b",
            status=Guide.Status.PUBLISHED,
        )
        guide.related.add(related)
        models.Testimonial.objects.create(
            guide=guide, text=f"T{n}", attribution="X.", consent_on_file=True, approved=True
        )
        models.GuideChange.objects.create(guide=guide, date=date(2026, 1, 1), summary=f"C{n}.")
    guide_render(guide=guide)


@pytest.mark.parametrize("size", [1, 12])
def test_guide_page_costs_a_constant_number_of_queries(
    client, make_guide, sources, size, django_assert_num_queries, sign_off
):
    guide = make_guide(f"size-{size}")
    _grow(guide, sources, size)
    sign_off(guide)
    # The guide row with its last review: its FAQs, sources, related guides, change
    # log and testimonials are stored on it.
    with django_assert_num_queries(1):
        response = client.get(guide.get_absolute_url())
    html = response.content.decode()
    assert "Medically reviewed by <strong>Dana Reviewer, MD</strong>" in html
    assert html.count('<details class="faq__item">') == size
    assert html.count('class="testimonial"') == size


def test_json_ld_describes_a_reviewed_medical_page_faq_and_breadcrumbs(
    client, make_guide, settings, sign_off
):
    settings.SITE_URL = "https://cardinal.example"
    guide = make_guide("baclomab", faqs=[("Is it <approved>?", "**No.**[^label]")])
    review = sign_off(guide)
    graph = json_ld_graph(page(client, guide))
    medical = graph["MedicalWebPage"]
    assert medical["url"] == "https://cardinal.example/medications/baclomab/"
    assert medical["about"] == [
        {"@type": "Drug", "name": "Baclomab"},
        {"@type": "MedicalCondition", "name": "Alcohol use disorder", "alternateName": "AUD"},
    ]
    assert medical["reviewedBy"]["name"] == "Dana Reviewer"
    assert medical["reviewedBy"]["honorificSuffix"] == "MD"
    assert medical["lastReviewed"] == review.signed_on.isoformat()
    assert {c["name"] for c in medical["citation"]} == {
        "Title of label",
        "Title of rigal2020",
    }
    question = graph["FAQPage"]["mainEntity"][0]
    assert question["name"] == "Is it <approved>?"
    assert question["acceptedAnswer"]["text"] == "No."
    crumbs = graph["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Home", "Medication guides", "Baclomab"]
    assert crumbs[-1]["item"] == medical["url"]


def test_json_ld_cannot_close_its_script_element(client, make_guide):
    guide = make_guide(faqs=[("</script><script>alert(1)</script>", "A.[^label]")])
    html = page(client, guide)
    assert "<script>alert(1)" not in html


def test_guide_page_has_canonical_and_open_graph(client, make_guide, settings):
    settings.SITE_URL = "https://cardinal.example"
    guide = make_guide("baclomab", description="Short summary for search.")
    html = page(client, guide)
    url = "https://cardinal.example/medications/baclomab/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Baclomab for alcohol use disorder">' in html
    assert '<meta name="description" content="Short summary for search.">' in html


def test_guide_list_compares_published_guides_only(client, make_guide):
    make_guide("alpha", mechanism="Blocks receptors", key_caution="Liver checks", order=1)
    make_guide("beta", fda_status=Guide.FdaStatus.APPROVED, order=2)
    make_guide("gamma", status=Guide.Status.DRAFT)
    response = client.get(reverse("education:guide-list"))
    html = response.content.decode()
    assert response.status_code == 200 and not response.cookies
    table = html[html.index("<table") : html.index("</table>")]
    assert table.index("/medications/alpha/") < table.index("/medications/beta/")
    assert "Blocks receptors" in table and "Liver checks" in table
    assert "/medications/gamma/" not in html
    assert "max-age=300" in response["Cache-Control"]


def test_guide_list_answers_conditional_requests(client, make_guide):
    guide = make_guide()
    url = reverse("education:guide-list")
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    guide.status = Guide.Status.DRAFT
    guide.save()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_home_page_links_published_guides(client, make_guide):
    make_guide("alpha")
    make_guide("hidden", status=Guide.Status.DRAFT)
    html = client.get("/").content.decode()
    assert 'href="/medications/alpha/"' in html
    assert "/medications/hidden/" not in html


def test_sitemap_lists_public_pages_and_published_guides_with_lastmod(client, make_guide, settings):
    settings.SITE_URL = "https://cardinal.example"
    guide = make_guide("alpha")
    make_guide("hidden", status=Guide.Status.DRAFT)
    response = client.get("/sitemap.xml")
    xml = response.content.decode()
    assert response.status_code == 200
    assert "<loc>https://cardinal.example/medications/</loc>" in xml
    entry = re.search(r"<loc>https://cardinal.example/medications/alpha/</loc>(.*?)</url>", xml)
    lastmod = timezone.localdate(guide.updated_at).isoformat()
    assert entry and f"<lastmod>{lastmod}</lastmod>" in entry.group(1)
    assert "/medications/hidden/" not in xml
    paths = ["/", "/medications/", "/admissions/", "/about-our-care/", "/editorial-policy/"]
    paths += ["/privacy/", "/crisis/"]
    paths.append("/medications/alpha/")
    locs = re.findall(r"<loc>(.*?)</loc>", xml)
    # Each page in English, then in Spanish (tests/cardinal/test_i18n.py checks the alternates).
    assert locs == [
        f"https://cardinal.example{prefix}{path}" for path in paths for prefix in ("", "/es")
    ]


def test_robots_txt_allows_the_site_and_points_at_the_sitemap(client, settings):
    settings.SITE_URL = "https://cardinal.example"
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: https://cardinal.example/sitemap.xml" in body
    assert (
        body
        == "User-agent: *\nDisallow: /admin/\n\nSitemap: https://cardinal.example/sitemap.xml\n"
    )
