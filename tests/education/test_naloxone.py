"""The naloxone page leads with what to do in an overdose, and the site leads to it."""

import re
from html.parser import HTMLParser

import pytest

from education.models import Guide

pytestmark = pytest.mark.django_db

NALOXONE_URL = "/medications/naloxone/"
STEPS_HEADING = "If you think someone has overdosed"
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr", "source"}
# The body's HTML: what the guide__body div holds, up to the helpline callout after it.
GUIDE_BODY = re.compile(
    r'<div class="guide__body">(?P<body>.*?)</div>\s*<aside class="helpline-callout"', re.S
)


@pytest.fixture
def shipped(db, shipped_guides):
    """The shipped content (education/content), as `manage.py load_guides` loads it."""


class BodyOutline(HTMLParser):
    """The elements directly inside a guide's body, in order: (tag, text, items), where
    items counts an ordered or unordered list's own list items."""

    def __init__(self):
        super().__init__()
        self.outline: list[tuple[str, str, int]] = []
        self.depth = 0
        self.list_depth: int | None = None

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        if self.depth == 0:
            self.outline.append((tag, "", 0))
            self.list_depth = 1 if tag in ("ol", "ul") else None
        elif tag == "li" and self.depth == self.list_depth:
            name, text, items = self.outline[-1]
            self.outline[-1] = (name, text, items + 1)
        self.depth += 1

    def handle_endtag(self, tag):
        if tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data):
        if self.outline and self.depth > 0:
            name, text, items = self.outline[-1]
            self.outline[-1] = (name, text + data, items)


def body_outline(html: str) -> list[tuple[str, str, int]]:
    match = GUIDE_BODY.search(html)
    assert match, "the page has no guide body"
    parser = BodyOutline()
    parser.feed(match["body"])
    return [(tag, " ".join(text.split()), items) for tag, text, items in parser.outline]


def test_the_naloxone_page_opens_with_the_numbered_overdose_steps(client, shipped):
    response = client.get(NALOXONE_URL)
    assert response.status_code == 200
    outline = body_outline(response.content.decode())
    (first_tag, heading, _), (list_tag, steps, count) = outline[0], outline[1]
    assert (first_tag, heading) == ("h2", STEPS_HEADING)
    # The section is the numbered list and nothing else, short enough for a phone.
    assert list_tag == "ol" and 4 <= count <= 8
    assert outline[2][0] == "h2"
    for what in ("overdose", "naloxone", "911", "rescue breaths", "recovery position", "Stay"):
        assert what in steps, f"the steps do not say '{what}'"


def test_naloxone_is_not_presented_as_a_treatment_of_opioid_use_disorder(client, shipped):
    guide = Guide.objects.get(slug="naloxone")
    assert guide.kind == Guide.Kind.RESCUE and guide.condition.slug == "opioid-use-disorder"
    html = client.get(NALOXONE_URL).content.decode()
    header = html[html.index('<header class="guide__header">') : html.index("</header>")]
    assert "fda-badge" not in header
    assert "It does not treat opioid use disorder itself." in html


def test_the_crisis_page_links_to_the_naloxone_steps(client, shipped):
    html = client.get("/crisis/").content.decode()
    assert f'href="{NALOXONE_URL}"' in html
    target = client.get(NALOXONE_URL)
    assert target.status_code == 200 and f">{STEPS_HEADING}</h2>" in target.content.decode()


def test_every_opioid_use_disorder_guide_links_to_the_naloxone_page(client, shipped):
    guides = Guide.objects.published().filter(condition__slug="opioid-use-disorder")
    others = [guide for guide in guides if guide.slug != "naloxone"]
    assert others
    for guide in others:
        html = client.get(guide.get_absolute_url()).content.decode()
        assert f'href="{NALOXONE_URL}"' in html, guide.slug
