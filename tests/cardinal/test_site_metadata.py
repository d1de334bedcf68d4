"""What browsers, search engines and link previews read about the site: the icon
at /favicon.ico, the sitemap's pages, the clinic's JSON-LD (postal address, logo)
and the picture of a shared link (og:image)."""

import json
import re
import struct
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from cardinal.lib.jsonld import postal_address

pytestmark = pytest.mark.django_db

INFORMATION_PAGES = ["/privacy/", "/editorial-policy/", "/crisis/"]
PAGES = ["/", "/medications/", "/admissions/", *INFORMATION_PAGES]
SITE = "https://care.cardinal-recovery.org"


class HeadTags(HTMLParser):
    """The <link> and <meta> tags of a page, as dicts of their attributes."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.metas: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag == "meta":
            self.metas.append(dict(attrs))


def head_tags(html: str) -> HeadTags:
    parser = HeadTags()
    parser.feed(html)
    return parser


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def served(client, url: str):
    """A static file's response, by its path on the site (its whole answer read)."""
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    return response


def home_organization(client) -> dict:
    html = client.get("/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block
    return json.loads(block.group(1))


# --- /favicon.ico -----------------------------------------------------------------------


def test_favicon_ico_answers_with_the_sites_icon_cached_for_a_week(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=604800"}
    icon = response.content
    reserved, kind, count = struct.unpack("<HHH", icon[:6])
    assert (reserved, kind) == (0, 1)  # an icon file, not a cursor
    sizes = []
    for index in range(count):
        width, height, *_, length, offset = struct.unpack(
            "<BBBBHHII", icon[6 + 16 * index : 22 + 16 * index]
        )
        assert png_size(icon[offset : offset + length]) == (width, height)
        sizes.append(width)
    assert sizes == [16, 32, 48]
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.parametrize("url", PAGES)
def test_every_page_names_its_icons(client, url):
    icons = [
        link
        for link in head_tags(client.get(url).content.decode()).links
        if link.get("rel") == "icon"
    ]
    hrefs = [icon["href"] for icon in icons]
    assert hrefs[0] == "/favicon.ico" and icons[0]["sizes"] == "48x48"
    assert any(href.endswith(".svg") for href in hrefs[1:])
    for href in hrefs:
        served(client, href)


# --- The sitemap ------------------------------------------------------------------------


def test_the_sitemap_lists_the_intake_form_and_the_information_pages(client, settings):
    settings.SITE_URL = SITE
    sitemap = client.get("/sitemap.xml").content.decode()
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    for path in ["/", "/medications/", "/admissions/", *INFORMATION_PAGES]:
        assert f"{SITE}{path}" in locations, path
    assert not any("/admin/" in location or "/thanks" in location for location in locations)


# --- The clinic's JSON-LD ---------------------------------------------------------------


def test_a_us_address_becomes_a_postal_address():
    assert postal_address("100 Example Street, Suite 100, Springfield, ST 00000") == {
        "@type": "PostalAddress",
        "streetAddress": "100 Example Street, Suite 100",
        "addressLocality": "Springfield",
        "addressRegion": "ST",
        "postalCode": "00000",
        "addressCountry": "US",
    }
    address = postal_address(" 12 Main St ,  Burlington , VT 05401-1234 ")
    assert (address["streetAddress"], address["addressLocality"]) == ("12 Main St", "Burlington")
    assert (address["addressRegion"], address["postalCode"]) == ("VT", "05401-1234")


@pytest.mark.parametrize(
    "text",
    [
        "12 Main St, Burlington",  # no state or ZIP code
        "12 Main St, Burlington, Vermont 05401",  # the state's name, not its code
        "Unit 3, 5 Harbour Road, Leith, Edinburgh EH6 6QW",
        "Springfield, ST 00000",  # no street
    ],
)
def test_an_address_of_another_shape_is_kept_as_written(text):
    assert postal_address(text) == text


def test_the_home_page_describes_the_clinic_with_address_logo_and_image(client, settings):
    settings.SITE_URL = SITE
    settings.CLINIC_ADDRESS = "12 Main St, Suite 4, Burlington, VT 05401"
    organization = home_organization(client)
    assert organization["@type"] == "MedicalOrganization"
    assert organization["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "12 Main St, Suite 4",
        "addressLocality": "Burlington",
        "addressRegion": "VT",
        "postalCode": "05401",
        "addressCountry": "US",
    }
    logo = organization["logo"]
    assert logo["url"].startswith(f"{SITE}/static/") and logo["url"].endswith(".png")
    assert png_size(served(client, logo["url"]).getvalue()) == (512, 512)
    assert (logo["width"], logo["height"]) == (512, 512)
    assert organization["image"].startswith(f"{SITE}/static/")
    assert png_size(served(client, organization["image"]).getvalue()) == (1200, 630)


def test_an_address_that_does_not_parse_is_given_as_text(client, settings):
    settings.CLINIC_ADDRESS = "Cardinal House, Springfield"
    assert home_organization(client)["address"] == "Cardinal House, Springfield"


# --- Shared links -----------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_a_shared_link_shows_the_sites_picture(client, settings, url):
    settings.SITE_URL = SITE
    metas = {
        meta["property"]: meta["content"]
        for meta in head_tags(client.get(url).content.decode()).metas
        if meta.get("property", "").startswith("og:image")
    }
    assert metas["og:image"].startswith(f"{SITE}/static/")
    size = png_size(served(client, metas["og:image"]).getvalue())
    assert size == (int(metas["og:image:width"]), int(metas["og:image:height"])) == (1200, 630)
    assert metas["og:image:alt"]
