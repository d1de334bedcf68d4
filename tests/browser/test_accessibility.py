"""Every public page meets WCAG 2.1 AA, is valid HTML and fits a phone, in a real browser.

The pages and how they are walked are in tests/browser/gate.py: each page is
checked at PHONE and DESKTOP with axe-core (its WCAG A and AA rules, and its
best-practice rules), for sideways scrolling, tap target size, one h1 and the
landmarks, and its HTML (as served) with the Nu Html Checker.
The keyboard tests below drive the menu and the focus ring on the home page.
"""

import pytest

from tests.browser.checkers import assert_clean
from tests.browser.conftest import PHONE
from tests.browser.gate import PAGE_VIEWS, PAGES, VIEWPORTS
from tests.browser.visitor import focus_ring, new_tab, tab_to

# The gate's tests only read its findings: a plain database mark makes sure the test
# database exists for the walk and costs a rolled-back transaction each, no flush.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_html_has_no_validator_errors(gate, page):
    errors = gate.html_errors
    assert page.name in errors, f"{page.path} was not validated: see its other checks"
    assert_clean(errors[page.name], page.path)


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_no_wcag_a_or_aa_violations(gate, view):
    gate.findings[view].assert_clean("axe")


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_no_axe_best_practice_violations(gate, view):
    # Content outside the landmarks (the crisis strip, the call button), landmarks
    # named alike, headings out of order...: not WCAG failures, but what a screen
    # reader user moving by landmark or heading trips over.
    gate.findings[view].assert_clean("axe-best-practice")


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_page_does_not_scroll_sideways(gate, view):
    gate.findings[view].assert_clean("overflow")


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_tap_targets_are_at_least_24px(gate, view):
    gate.findings[view].assert_clean("tap-targets")


@pytest.mark.parametrize("view", PAGE_VIEWS)
def test_page_has_one_h1_and_the_landmarks(gate, view):
    gate.findings[view].assert_clean("structure")


@pytest.mark.django_db(transaction=True)
def test_mobile_menu_opens_and_closes_with_the_keyboard_alone(browser, site_url):
    with new_tab(browser, viewport=PHONE) as tab:
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_control_shows_focus_when_tabbed_to(browser, site_url, viewport):
    with new_tab(browser, viewport=VIEWPORTS[viewport]) as tab:
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
