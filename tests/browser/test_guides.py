"""A visitor's path through the medication guides, in Chromium, on the shipped content."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import new_tab

pytestmark = pytest.mark.django_db(transaction=True)


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_visitor_reads_the_baclofen_guide_checks_a_source_and_finds_the_callback(
    browser, site_url, shipped_guides, screenshot
):
    with new_tab(browser, viewport=PHONE) as page:
        problems = _watch_console(page)

        page.goto(site_url + "/")
        page.get_by_role("link", name="Compare all medication guides").click()
        expect(page).to_have_url(site_url + "/medications/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Medications for alcohol use disorder"
        )
        page.locator(".compare-table").get_by_role("link", name="Baclofen", exact=True).click()
        expect(page).to_have_url(site_url + "/medications/baclofen/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Baclofen for alcohol use disorder"
        )
        expect(page.locator(".guide__review")).not_to_contain_text("Medically reviewed by")
        expect(page.locator(".fda-badge--off-label")).to_be_visible()

        # A table-of-contents link takes the reader to its section.
        toc_link = page.locator(".toc").get_by_role("link", name="Common side effects")
        target = toc_link.get_attribute("href")
        toc_link.click()
        expect(page).to_have_url(re.compile(re.escape(target) + "$"))
        expect(page.locator(target)).to_be_in_viewport()
        expect(page.locator(target)).to_have_text("Common side effects")

        # A citation leads to its numbered source, and the back-link returns to the text.
        citation = page.locator(".guide__body sup.cite a").nth(5)
        source = citation.get_attribute("href")
        citation.click()
        expect(page).to_have_url(re.compile(re.escape(source) + "$"))
        entry = page.locator(source)
        expect(entry).to_be_in_viewport()
        number = page.locator(".sources li").evaluate_all(
            "(items, id) => items.findIndex(item => item.id === id) + 1", source.removeprefix("#")
        )
        expect(citation).to_have_text(f"[{number}]")
        back = entry.locator(".sources__back")
        first_use = back.get_attribute("href")
        back.click()
        expect(page).to_have_url(re.compile(re.escape(first_use) + "$"))
        expect(page.locator(first_use)).to_be_in_viewport()
        expect(page.locator(first_use)).to_have_attribute("href", source)

        # A FAQ opens in place.
        question = page.locator(".faq details").first
        expect(question).not_to_have_attribute("open", "")
        question.locator("summary").click()
        expect(question).to_have_attribute("open", "")
        expect(question.locator(".faq__answer")).to_be_visible()

        screenshot(page, "guide-baclofen-phone")

        # The callback link carries the guide it came from.
        callback = page.locator(".helpline-callout").get_by_role(
            "link", name="Request a confidential callback"
        )
        expect(callback).to_have_attribute("href", "/admissions/?from=baclofen")
        expect(page.locator(".helpline-callout a[href^='tel:+1']")).to_be_visible()
        callback.click()
        expect(page).to_have_url(site_url + "/admissions/?from=baclofen")

        assert problems == [], problems


def test_guide_list_links_every_shipped_guide_on_desktop(
    browser, site_url, shipped_guides, screenshot
):
    with new_tab(browser, viewport=DESKTOP) as page:
        problems = _watch_console(page)
        page.goto(site_url + "/medications/")
        for slug in (
            "baclofen",
            "naltrexone",
            "acamprosate",
            "disulfiram",
            "topiramate",
            "gabapentin",
        ):
            expect(page.locator(f".compare-table a[href='/medications/{slug}/']")).to_have_count(1)
        page.goto(site_url + "/medications/baclofen/")
        expect(page.locator(".toc")).to_be_visible()
        screenshot(page, "guide-baclofen-desktop")
        assert problems == [], problems
