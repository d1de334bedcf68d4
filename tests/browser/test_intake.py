"""A person asks for a callback; a navigator finds the intake and logs a call."""

import re

import pytest
from playwright.sync_api import expect

from admissions.models import Intake, IntakeActivity
from tests.browser.checkers import (
    assert_clean,
    assert_no_horizontal_overflow,
    run_axe,
    run_vnu,
    small_tap_targets,
)
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import fill_form, new_tab
from tests.factories import STAFF_PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_fill_time", "two_factor_off"),
]


def request_callback(page, site_url, screenshot, size: str) -> str:
    """Fill the form with a bad phone, fix it, send it; return the reference shown."""
    page.goto(site_url + "/admissions/?from=naltrexone")
    assert page.get_by_role("heading", level=1).inner_text() == "Request a confidential callback"
    screenshot(page, f"intake-empty-{size}")

    fill_form(page, phone="555 12")
    page.get_by_role("button", name="Request my callback").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert "Phone number: Enter a phone number we can call" in summary.inner_text()
    phone = page.get_by_role("textbox", name="Phone number")
    assert phone.get_attribute("aria-invalid") == "true"
    assert page.locator("#id_phone_error").is_visible()
    # What the person typed is still there, except what was wrong.
    assert page.get_by_label("First name").input_value() == "Rosalind"
    screenshot(page, f"intake-errors-{size}")

    summary.get_by_role("link", name=re.compile("Phone number")).click()
    phone.fill("(415) 555-2671")
    page.get_by_label("I agree that Cardinal Recovery").check()
    page.get_by_role("button", name="Request my callback").click()
    page.wait_for_url(re.compile(r"/admissions/thanks/$"))
    reference = page.locator("[data-reference]").inner_text()
    assert re.fullmatch(r"CR-[2-9A-HJ-NP-Z]{6}", reference)
    assert page.get_by_role("link", name="988").first.is_visible()
    screenshot(page, f"intake-thanks-{size}")
    return reference


def test_person_requests_a_callback_and_a_navigator_logs_a_call(
    browser, site_url, screenshot, navigator, shipped_guides
):
    """The person comes from the published naltrexone guide, which the intake records."""
    with new_tab(browser, viewport=PHONE) as page:
        reference = request_callback(page, site_url, screenshot, "phone")
    intake = Intake.objects.get(reference=reference)
    assert intake.first_name == "Rosalind" and intake.phone == "+14155552671"
    assert intake.source_page == "naltrexone"

    with new_tab(browser, viewport=DESKTOP) as page:
        page.goto(site_url + "/admin/")
        page.get_by_label("Username").fill(navigator.username)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Intakes").first.click()
        first_row = page.locator("#result_list tbody tr").first
        assert first_row.locator("th a").inner_text() == reference
        first_row.locator("th a").click()

        expect(page.get_by_role("heading", name=reference)).to_be_visible()
        expect(page.get_by_text("Rosalind", exact=True)).to_be_visible()
        page.locator("#id_activities-0-kind").select_option(label="Call attempt")
        page.locator("#id_activities-0-note").fill("No answer, will try again at 6 pm.")
        # The Save right under the log form (the page has another at its end).
        page.get_by_role("button", name="Save and continue editing").first.click()
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
        entry = page.locator(".intake-timeline__entry--call_attempt")
        expect(entry).to_contain_text("Call attempt")
        expect(entry).to_contain_text("No answer, will try again at 6 pm.")
        expect(entry).to_contain_text(f"by {navigator.username}")
        screenshot(page, "intake-admin-call-logged-desktop")

    call = IntakeActivity.objects.get(intake=intake, kind="call_attempt")
    assert call.author == navigator
    intake.refresh_from_db()
    assert intake.status == "attempting"


def test_intake_form_on_a_desktop(browser, site_url, screenshot):
    with new_tab(browser, viewport=DESKTOP) as page:
        reference = request_callback(page, site_url, screenshot, "desktop")
    assert Intake.objects.filter(reference=reference).exists()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_intake_pages_meet_wcag_fit_the_screen_and_are_valid_html(browser, site_url, viewport):
    html = {}
    with new_tab(browser, viewport=viewport, bypass_csp=True) as page:
        page.goto(site_url + "/admissions/")
        html["form"] = page.content()
        empty = run_axe(page) + small_tap_targets(page)
        assert_no_horizontal_overflow(page, "the empty form")

        page.get_by_role("button", name="Request my callback").click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        html["form-errors"] = page.content()
        errors = run_axe(page) + small_tap_targets(page)
        assert_no_horizontal_overflow(page, "the form with errors")

        fill_form(page, phone="(415) 555-2671")
        page.get_by_role("button", name="Request my callback").click()
        page.wait_for_url(re.compile(r"/admissions/thanks/$"))
        html["thanks"] = page.content()
        thanks = run_axe(page) + small_tap_targets(page)
        assert_no_horizontal_overflow(page, "the thanks page")

    assert_clean(empty, "the empty form")
    assert_clean(errors, "the form with errors")
    assert_clean(thanks, "the thanks page")
    for name, problems in run_vnu(html).items():
        assert_clean(problems, name)
