"""A visitor's first look at the site, in a real browser."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import new_tab

PAGES = ["/", "/privacy/", "/editorial-policy/", "/crisis/", "/no-such-page/"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_page_loads_anything_from_another_host(page, site_url):
    own_host = urlsplit(site_url).netloc
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in PAGES:
        page.goto(site_url + path)
        page.wait_for_load_state("load")
    hosts = {urlsplit(url).netloc for url in requested if not url.startswith("data:")}
    assert hosts == {own_host}
    stylesheets = [url for url in requested if url.endswith(".css")]
    assert stylesheets, "the pages should load their own stylesheets"


def test_phone_visitor_can_open_the_menu_and_reach_the_helpline(browser, site_url, screenshot):
    with new_tab(browser, viewport=PHONE) as page:
        page.goto(site_url + "/")
        toggle = page.get_by_role("button", name="Menu")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.get_by_role("link", name="Crisis help").is_visible()
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.get_by_role("link", name="Crisis help").is_visible()
        # The header's number; the call button fixed to the screen waits until it has
        # scrolled away (tests/browser/test_phone.py).
        call = page.locator(".site-header .helpline-link")
        assert call.is_visible()
        assert call.get_attribute("href").startswith("tel:+1")
        screenshot(page, "chrome-menu-open-phone")


def test_skip_link_moves_keyboard_focus_to_the_main_content(browser, site_url, screenshot):
    with new_tab(browser, viewport=DESKTOP) as page:
        page.goto(site_url + "/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        assert skip.evaluate("el => el === document.activeElement")
        assert skip.is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        screenshot(page, "chrome-skip-link-desktop")
