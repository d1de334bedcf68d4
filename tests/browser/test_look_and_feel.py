"""Look and feel: legible type, readable lines, the call button, the guide's side column, print.

The per-page checks read the quality gate's findings (tests/browser/gate.py).
"""

import pytest

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.gate import PAGE_VIEWS, PAGES
from tests.browser.visitor import new_tab

# The gate's tests only read its findings: a plain database mark makes sure the test
# database exists for the walk and costs a rolled-back transaction each, no flush.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_reading_text_is_at_least_16px(gate, view):
    gate.findings[view].assert_clean("text-size")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_lines_hold_at_most_80_characters_on_a_desktop(gate, page):
    gate.findings[f"{page.name}-desktop"].assert_clean("line-length")


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_call_button_stays_in_view_on_phones_and_is_hidden_on_desktops(gate, view):
    gate.findings[view].assert_clean("call-button")


SIDE_BY_SIDE = """() => {
    const box = (selector) => document.querySelector(selector).getBoundingClientRect();
    return {body: box(".guide__body"), toc: box(".toc"), help: box(".side-help"),
            height: window.innerHeight};
}"""


@pytest.mark.django_db(transaction=True)
def test_guide_side_column_keeps_contents_and_call_in_view_on_a_desktop(
    browser, site_url, shipped_guides
):
    with new_tab(browser, viewport=DESKTOP) as tab:
        tab.goto(site_url + "/medications/baclofen/")
        tab.locator("#what-the-research-shows").scroll_into_view_if_needed()
        tab.evaluate("window.scrollBy({top: 1500, behavior: 'instant'})")
        boxes = tab.evaluate(SIDE_BY_SIDE)
        # What the reader sees half-way down, for a person to look at (the viewport only).
        tab.screenshot(path=str(SCREENSHOTS / "medications-baclofen-scrolled-desktop.png"))

    body, toc, help_box = boxes["body"], boxes["toc"], boxes["help"]
    assert body["top"] < 0 < body["bottom"], "the reader is in the middle of the article"
    for part in (toc, help_box):
        assert part["left"] >= body["right"] + 24, "the side column sits beside the text"
        assert part["top"] >= 0 and part["bottom"] <= boxes["height"], "and stays in view"
    assert toc["bottom"] <= help_box["top"]


@pytest.mark.django_db(transaction=True)
def test_guide_on_a_phone_has_one_column_with_contents_before_the_text(
    browser, site_url, shipped_guides
):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + "/medications/baclofen/")
        boxes = tab.evaluate(SIDE_BY_SIDE)
        side_help_shown = tab.locator(".side-help").is_visible()

    assert boxes["toc"]["bottom"] <= boxes["body"]["top"]
    assert boxes["toc"]["left"] == boxes["body"]["left"]
    assert not side_help_shown, "phones have the call button instead"


PRINTED = {
    "the crisis strip": ".crisis-strip",
    "the menu": "#site-nav",
    "the menu button": ".menu-toggle",
    "the call button": ".call-fab",
    "the breadcrumbs": ".breadcrumb-bar",
    "the contents": ".toc",
    "the side help": ".side-help",
    "the helpline box": ".helpline-callout",
    "the footer links": ".site-footer__grid",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_printed_guide_has_the_article_and_sources_without_the_site_chrome(
    browser, site_url, shipped_guides, viewport
):
    with new_tab(browser, viewport=viewport) as tab:
        tab.goto(site_url + "/medications/baclofen/")
        tab.emulate_media(media="print")

        shown = {
            name: tab.locator(selector).first.is_visible() for name, selector in PRINTED.items()
        }
        assert not any(shown.values()), f"printed: {[name for name, on in shown.items() if on]}"
        for selector in ("h1", ".guide__review", ".key-takeaways", ".guide__body", ".sources"):
            assert tab.locator(selector).is_visible(), f"{selector} is not printed"
        answers = tab.locator(".faq__answer")
        assert answers.count() > 0
        assert all(answer.is_visible() for answer in answers.all()), "closed answers are printed"
        # The text takes the page's full width, and a source's address is printed after it.
        widths = tab.evaluate(
            "() => [document.querySelector('.guide__body').getBoundingClientRect().width,"
            " document.querySelector('.guide').getBoundingClientRect().width]"
        )
        assert widths[0] == widths[1]
        link = tab.locator(".sources a[href^='http']").first
        after = link.evaluate("(a) => getComputedStyle(a, '::after').content")
        assert link.get_attribute("href") in after
