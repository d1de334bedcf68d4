"""Site chrome, information pages, error pages and security headers."""

import re
from html.parser import HTMLParser

import pytest
from django.db import OperationalError
from django.urls import path

from cardinal.urls import urlpatterns as site_urlpatterns

PUBLIC_PAGES = ["/", "/privacy/", "/editorial-policy/", "/crisis/", "/about-our-care/"]

pytestmark = pytest.mark.django_db


class AssetCollector(HTMLParser):
    """Every URL a page would load: scripts, stylesheets, icons, images, frames."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "video", "audio"} and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in {"stylesheet", "icon", "preload", "manifest"}:
            self.urls.append(attrs["href"])
        if tag == "img" and attrs.get("srcset"):
            self.urls.extend(part.split()[0] for part in attrs["srcset"].split(","))


def loaded_assets(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_page_renders_with_helpline_and_crisis_strip(client, url, settings):
    settings.HELPLINE_PHONE = "(202) 555-0111"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:+12025550111"' in html
    assert "In crisis? Call or text" in html and 'href="tel:988"' in html
    assert "1-800-662-4357" in html
    assert 'class="skip-link" href="#main"' in html
    assert html.count("<h1") == 1


def test_no_public_page_loads_anything_from_another_host(client, shipped_guides):
    sitemap = client.get("/sitemap.xml").content.decode()
    guide_pages = re.findall(r"<loc>https?://[^/]+(/medications/[^<]*)</loc>", sitemap)
    assert "/medications/baclofen/" in guide_pages
    pages = [*PUBLIC_PAGES, *guide_pages, "/admissions/", "/no-such-page/"]
    for url in pages:
        assets = loaded_assets(client.get(url).content.decode())
        assert assets, f"{url} should load its own stylesheet at least"
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), (url, asset)


def test_footer_names_the_clinic_and_links_policies(client, settings):
    settings.CLINIC_LEGAL_NAME = "Cardinal Recovery Test LLC"
    settings.CLINIC_ADDRESS = "1 Test Way, Testville"
    html = client.get("/").content.decode()
    assert "Cardinal Recovery Test LLC" in html and "1 Test Way, Testville" in html
    assert 'href="/privacy/"' in html and 'href="/editorial-policy/"' in html


def test_home_page_describes_the_clinic_in_json_ld(client):
    html = client.get("/").content.decode()
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    assert '"@type":"MedicalOrganization"' in match.group(1)


def test_unknown_url_gets_friendly_404_with_helpline(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert 'href="tel:' in html
    assert "Traceback" not in html


def test_public_pages_set_no_cookie_and_may_be_cached(client):
    response = client.get("/")
    assert not response.cookies
    assert "max-age=" in response["Cache-Control"]


def test_security_headers_are_strict(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # A click on a guide's source link does not tell the other site where it came from.
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_intake_forms_csrf_cookie_ends_with_the_browser_session(client):
    response = client.get("/admissions/")
    assert response.status_code == 200
    cookie = response.cookies["csrftoken"]
    assert cookie.value
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def _explode(request):
    raise RuntimeError("boom: secret detail")


def _database_down(request):
    raise OperationalError("could not connect to server")


urlpatterns = [
    path("explode/", _explode),
    path("database-down/", _database_down),
    *site_urlpatterns,
]
handler500 = "cardinal.views.server_error"


def test_server_error_page_shows_helpline_not_a_trace(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/explode/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "something went wrong on our side" in html
    assert 'href="tel:' in html
    assert "boom" not in html and "Traceback" not in html


def test_server_error_page_renders_without_the_database(django_assert_num_queries, rf):
    from cardinal.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert 'href="tel:' in response.content.decode()


def test_database_outage_answers_friendly_503(client, settings):
    settings.ROOT_URLCONF = __name__
    response = client.get("/database-down/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "call us" in html.lower() and 'href="tel:' in html
    assert "could not connect" not in html


def test_the_home_page_claims_no_review_that_did_not_happen(client):
    html = client.get("/").content.decode()
    assert "is reviewed by a clinician" not in html
    assert "says whether a clinician has reviewed it" in html
    assert 'href="/editorial-policy/"' in html
