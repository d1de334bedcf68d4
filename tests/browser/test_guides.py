"""A visitor's paths through the medication guides (alcohol and opioid use disorder), in
Chromium, on the shipped content."""

import re

import pytest
from playwright.sync_api import expect

from education.loader import DEFAULT_CONTENT_DIR, read_content
from education.models import Guide
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import new_tab

pytestmark = pytest.mark.django_db(transaction=True)

SHIPPED = read_content(DEFAULT_CONTENT_DIR).guides
COMPARED = "/medications/opioid-use-disorder-medications-compared/"


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
            "Medications for alcohol use disorder and opioid use disorder"
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
        for guide in SHIPPED:
            href = f"/medications/{guide.slug}/"
            # A medication is a row of its condition's table; every guide has its card.
            rows = 1 if guide.values["kind"] == Guide.Kind.MEDICATION else 0
            expect(page.locator(f".compare-table a[href='{href}']")).to_have_count(rows)
            expect(page.locator(f".guide-card a[href='{href}']")).to_have_count(1)
        page.goto(site_url + "/medications/baclofen/")
        expect(page.locator(".toc")).to_be_visible()
        screenshot(page, "guide-baclofen-desktop")
        assert problems == [], problems


def test_visitor_compares_the_opioid_medicines_opens_buprenorphine_and_finds_naloxone(
    browser, site_url, shipped_guides, screenshot
):
    with new_tab(browser, viewport=PHONE) as page:
        problems = _watch_console(page)

        # From the guide list, the opioid use disorder section and its comparison page.
        page.goto(site_url + "/medications/")
        page.get_by_role("navigation", name="Conditions").get_by_role(
            "link", name="Medications for opioid use disorder"
        ).click()
        expect(page).to_have_url(site_url + "/medications/#opioid-use-disorder")
        expect(page.locator("#opioid-use-disorder")).to_be_in_viewport()
        page.locator("#compare-note-opioid-use-disorder").get_by_role(
            "link", name="Medications for opioid use disorder: compared"
        ).click()
        expect(page).to_have_url(site_url + COMPARED)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Medications for opioid use disorder: compared"
        )

        # The table sits under its heading; a cited cell leads to its numbered source.
        table = page.locator(".guide__body .compare-table")
        expect(table).to_have_count(1)
        heading = page.get_by_role("heading", name="The medications side by side")
        assert heading.evaluate(
            "(h) => h.nextElementSibling && h.nextElementSibling.matches('table.compare-table')"
        )
        expect(table.locator("tbody th[scope=row] a")).to_have_text(
            ["Buprenorphine", "Methadone", "Naltrexone"]
        )
        citation = table.locator("sup.cite a").first
        source = citation.get_attribute("href")
        citation.click()
        expect(page).to_have_url(re.compile(re.escape(source) + "$"))
        expect(page.locator(source)).to_be_in_viewport()
        screenshot(page, "guide-opioid-use-disorder-compared-phone")

        # Buprenorphine's row opens its guide, for opioid use disorder.
        page.goto(site_url + COMPARED)
        table.get_by_role("link", name="Buprenorphine", exact=True).click()
        expect(page).to_have_url(site_url + "/medications/buprenorphine/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Buprenorphine for opioid use disorder"
        )
        expect(page.locator(".guide__header .fda-badge--approved")).to_have_text(
            "FDA-approved for opioid use disorder"
        )
        expect(page.locator(".guide__review")).not_to_contain_text("Medically reviewed by")

        # Its emergency box names the opioid overdose and leads to naloxone's steps.
        box = page.get_by_role("complementary", name="In an emergency", exact=True)
        expect(box.get_by_role("heading", name="Signs of an opioid overdose")).to_be_visible()
        screenshot(page, "guide-buprenorphine-phone")
        box.get_by_role("link", name="How to use naloxone").click()
        expect(page).to_have_url(site_url + "/medications/naloxone/")
        steps = page.locator(".guide__body > h2").first
        expect(steps).to_have_text("If you think someone has overdosed")
        expect(page.locator(".guide__body > h2 + ol").first).to_be_visible()

        # Back on buprenorphine, the callback link carries the guide it came from.
        page.go_back()
        expect(page).to_have_url(site_url + "/medications/buprenorphine/")
        callback = page.locator(".helpline-callout").get_by_role(
            "link", name="Request a confidential callback"
        )
        expect(callback).to_have_attribute("href", "/admissions/?from=buprenorphine")
        callback.click()
        expect(page).to_have_url(site_url + "/admissions/?from=buprenorphine")

        assert problems == [], problems
