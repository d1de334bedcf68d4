"""Every public page meets WCAG 2.1 AA, is valid HTML and fits a phone, in a real browser.

To check another page, add one line to PAGES. Each page is checked at PHONE and
DESKTOP with axe-core, for sideways scrolling, tap target size, one h1 and the
landmarks, and its HTML (as served) with the Nu Html Checker. A full-page
screenshot of each lands in test-artifacts/screenshots/<name>-<viewport>.png.
"""

import struct
from typing import NamedTuple

import pytest

from tests.browser.checkers import (
    assert_clean,
    assert_no_horizontal_overflow,
    run_axe,
    run_vnu,
    small_tap_targets,
)
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


class Page(NamedTuple):
    name: str
    path: str
    status: int = 200


PAGES = [
    Page("home", "/"),
    Page("privacy", "/privacy/"),
    Page("editorial-policy", "/editorial-policy/"),
    Page("crisis", "/crisis/"),
    Page("not-found", "/no-such-page/", status=404),
]

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

PAGE_VIEWS = [(page, viewport) for page in PAGES for viewport in VIEWPORTS]


def open_page(tab, site_url: str, page: Page):
    response = tab.goto(site_url + page.path)
    assert response.status == page.status, f"{page.path} answered {response.status}"
    return response


@pytest.fixture(scope="session")
def vnu_errors(browser, live_server, django_db_setup, django_db_blocker):
    """The Nu Html Checker's errors for each page's HTML as served, in one run per session."""
    context = browser.new_context()
    tab = context.new_page()
    with django_db_blocker.unblock():
        html = {page.name: open_page(tab, live_server.url, page).text() for page in PAGES}
    context.close()
    return run_vnu(html)


@pytest.fixture(params=PAGE_VIEWS, ids=[f"{page.name}-{viewport}" for page, viewport in PAGE_VIEWS])
def checked(request, browser, site_url):
    """A page opened at a viewport, in a context where axe-core may be injected."""
    page, viewport = request.param
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    tab = context.new_page()
    open_page(tab, site_url, page)
    yield tab, f"{page.path} at {viewport}", f"{page.name}-{viewport}"
    context.close()


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_html_has_no_validator_errors(vnu_errors, page):
    assert_clean(vnu_errors[page.name], page.path)


def test_no_wcag_a_or_aa_violations(checked):
    tab, where, _ = checked
    assert_clean(run_axe(tab), where)


def test_page_does_not_scroll_sideways(checked, screenshot):
    tab, where, name = checked
    assert_no_horizontal_overflow(tab, where)
    png = screenshot(tab, name).read_bytes()
    width = struct.unpack(">I", png[16:20])[0]  # IHDR width of the full-page screenshot
    assert width == tab.viewport_size["width"]


def test_tap_targets_are_at_least_24px(checked):
    tab, where, _ = checked
    assert_clean(small_tap_targets(tab), where)


def test_page_has_one_h1_and_the_landmarks(checked):
    tab, where, _ = checked
    assert tab.locator("h1").count() == 1, f"{where} should have exactly one h1"
    for role in ("banner", "main", "contentinfo"):
        assert tab.get_by_role(role).count() == 1, f"{where} should have one {role} landmark"
    # On phones the menu is collapsed until opened (see the keyboard test below).
    assert tab.get_by_role("navigation", include_hidden=True).count() >= 1


FOCUS_RING = """(el) => {
    const style = getComputedStyle(el);
    return {
        focusVisible: el.matches(":focus-visible"),
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        shadow: style.boxShadow !== "none",
    };
}"""


def focus_ring(locator) -> dict:
    return locator.evaluate(FOCUS_RING)


def tab_to(tab, locator, limit: int = 20) -> None:
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if locator.evaluate("(el) => el === document.activeElement"):
            return
    raise AssertionError(f"{locator} was not reached in {limit} presses of Tab")


def test_mobile_menu_opens_and_closes_with_the_keyboard_alone(browser, site_url):
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    tab.goto(site_url + "/")
    toggle = tab.get_by_role("button", name="Menu")
    first_link = tab.locator("#site-nav a").first

    tab_to(tab, toggle)
    assert focus_ring(toggle) == {"focusVisible": True, "outline": True, "shadow": False}
    assert not first_link.is_visible()

    tab.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert first_link.is_visible()
    tab.keyboard.press("Tab")
    assert first_link.evaluate("(el) => el === document.activeElement")
    assert focus_ring(first_link)["outline"]

    tab.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not first_link.is_visible()
    assert toggle.evaluate("(el) => el === document.activeElement")

    tab.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    tab.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "false"
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_control_shows_focus_when_tabbed_to(browser, site_url, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    tab = context.new_page()
    tab.goto(site_url + "/")
    seen = []
    for _ in range(60):
        tab.keyboard.press("Tab")
        focused = tab.locator(":focus")
        if focused.count() == 0:
            break
        label = focused.evaluate("(el) => el.outerHTML.slice(0, 80)")
        if label in seen:
            break
        seen.append(label)
        ring = focus_ring(focused)
        assert ring["focusVisible"] and (ring["outline"] or ring["shadow"]), (
            f"no visible focus on {label}"
        )
    assert len(seen) >= 10, f"only {len(seen)} controls were reached with Tab"
    context.close()
