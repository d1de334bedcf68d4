"""The navigator's queue in a real browser: the intake list (My queue) and an
intake's page with its earlier intakes pass the quality gate, and the list
refreshes itself under the site's Content-Security-Policy.

The gate (tests/browser/gate.py) walks the public pages; these need a signed-in
navigator and intakes, so they are opened here, at PHONE and DESKTOP, and checked
with the gate's own checkers: axe-core (WCAG 2.1 A and AA), sideways scrolling,
tap targets, one h1 and the landmarks, and the Nu Html Checker. The refresh runs
on the browser's clock, moved on by the test (Playwright's clock), so its 30
seconds pass at once and a pause is seen to hold for as long as wanted.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from admissions import services
from admissions.models import Intake
from admissions.roles import NAVIGATORS_GROUP
from tests.admissions.helpers import INTAKE_LIST, change_url
from tests.browser.checkers import assert_clean, run_axe, run_vnu, small_tap_targets
from tests.browser.conftest import DESKTOP, PHONE, save_screenshot
from tests.browser.gate import overflow, structure
from tests.browser.visitor import new_tab, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("two_factor_off")]

ROWS = "#result_list tbody tr"
# What the site's Content-Security-Policy refused in the page, from its start.
WATCH_POLICY = """window.refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.refused.push(`${event.effectiveDirective} refused ${event.blockedURI}`);
});"""
# How far the intake list's table scrolls sideways inside its box (0: not at all).
LIST_SCROLLS_BY = """(() => {
    const box = document.querySelector("#changelist-form .results");
    return box.scrollWidth - box.clientWidth;
})()"""
# An intake's page from the top: status, the log form, then the person, how to reach
# them, the earlier intakes, the consent and history, the timeline.
INTAKE_PAGE_ORDER = (
    "#id_status",
    "#activities-group",
    "#intake_form h2:text-is('The person')",
    "#intake_form h2:text-is('How to contact them')",
    "#intake_form h2:text-is('Earlier intakes from this phone')",
    "#intake_form h2:text-is('Consent and history')",
    "#intake_form h2:text-is('Timeline')",
)
# Counts the list's fetches of itself, in the page (the clock is the test's).
COUNT_FETCHES = """() => {
    window.fetches = 0;
    const fetch = window.fetch;
    window.fetch = (...args) => { window.fetches += 1; return fetch(...args); };
}"""


def a_morning(navigator, make_intake):
    """Nora's queue: an overdue intake of hers, unassigned ones, one due tomorrow,
    and an intake from a phone that wrote twice before (to her, and to olga).
    Returns the repeat intake."""
    olga = make_user("olga", NAVIGATORS_GROUP)
    now = timezone.now()
    late = services.intake_assign(intake=make_intake(), navigator=navigator)
    Intake.objects.filter(pk=late.pk).update(call_after=now - timedelta(minutes=40))
    make_intake(phone="+12025550123")
    tomorrow = make_intake(phone="+12025550124")
    Intake.objects.filter(pk=tomorrow.pk).update(call_after=now + timedelta(days=1))
    before = [make_intake(phone="+12025550125") for _ in range(2)]
    services.intake_assign(intake=before[0], navigator=navigator)
    services.intake_assign(intake=before[1], navigator=olga)
    for days, intake in zip((30, 10), before, strict=True):
        Intake.objects.filter(pk=intake.pk).update(created_at=now - timedelta(days=days))
    services.intake_set_status(intake=before[0], status="admitted", by=navigator)
    repeat = make_intake(phone="+12025550125")
    return services.intake_assign(intake=repeat, navigator=navigator)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_queue_and_an_intake_pass_the_quality_gate(
    browser, site_url, navigator, make_intake, size
):
    viewport = {"phone": PHONE, "desktop": DESKTOP}[size]
    repeat = a_morning(navigator, make_intake)
    html = {}
    problems = []
    with new_tab(browser, viewport=viewport, bypass_csp=True) as tab:
        sign_in(tab, site_url, navigator)
        for name, path in (("queue", INTAKE_LIST), ("intake", change_url(repeat))):
            where = f"{path} at {size}"
            html[name] = tab.goto(site_url + path).text()
            if name == "queue":
                expect(tab).to_have_title("(4 waiting) My queue | Cardinal Recovery staff")
                expect(tab.locator(ROWS)).to_have_count(4)
                # Every column in view: the list does not scroll sideways in its box either.
                assert tab.evaluate(LIST_SCROLLS_BY) == 0, where
            else:
                panel = tab.locator(".earlier-intakes")
                expect(panel).to_contain_text("1 earlier intake from this phone number")
                expect(panel).to_contain_text("1 more from this phone number")
                # The call first: status, then the log form (no "#1", no remove control).
                tops = [tab.locator(part).bounding_box()["y"] for part in INTAKE_PAGE_ORDER]
                assert tops == sorted(tops), where
                log = tab.locator("#activities-group")
                expect(log.locator(".inline-deletelink, .add-row")).to_have_count(0)
                expect(log).not_to_contain_text("#1")
            shot = save_screenshot(tab, f"admin-{name}-{size}").read_bytes()
            found = run_axe(tab) + small_tap_targets(tab) + overflow(tab, shot) + structure(tab)
            problems.append((where, found))
    for where, found in problems:
        assert_clean(found, where)
    for name, found in run_vnu(html).items():
        assert_clean(found, f"{name} at {size}")


def test_the_queue_refreshes_itself_keeping_its_filters_and_waits_while_in_use(
    browser, site_url, navigator, make_intake
):
    olga = make_user("olga", NAVIGATORS_GROUP)
    make_intake()
    services.intake_set_status(intake=make_intake(), status="attempting", by=navigator)
    address = f"{INTAKE_LIST}?queue=mine&status__exact=new"
    with new_tab(browser, viewport=DESKTOP) as tab:  # the site's CSP applies
        tab.add_init_script(WATCH_POLICY)
        errors = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        automatic = []
        tab.on(
            "request",
            lambda request: (
                request.headers.get("x-automatic-request") and automatic.append(request)
            ),
        )
        tab.clock.install()
        sign_in(tab, site_url, navigator)
        tab.goto(site_url + address)
        tab.evaluate(COUNT_FETCHES)
        state = tab.locator("[data-refresh-state]")
        expect(state).to_have_text("This list updates itself every 30 seconds.")
        expect(tab).to_have_title("(1 waiting) My queue | Cardinal Recovery staff")
        expect(tab.locator(ROWS)).to_have_count(1)

        new = make_intake()
        services.intake_assign(intake=make_intake(), navigator=olga)  # not nora's queue
        tab.clock.run_for(29_000)
        assert tab.evaluate("window.fetches") == 0  # not before its time
        tab.clock.run_for(1_000)
        expect(tab.locator(ROWS)).to_have_count(2)
        expect(tab.locator(ROWS).last).to_contain_text(new.reference)  # due last
        expect(tab).to_have_title("(2 waiting) My queue | Cardinal Recovery staff")
        expect(tab.locator("[data-refresh-announce]")).to_have_text("2 intakes waiting.")
        assert tab.evaluate("window.fetches") == 1  # the same page, not loaded again
        assert [request.url for request in automatic] == [site_url + address]

        # Django's list actions work on the new rows.
        tab.locator("#action-toggle").check()
        expect(tab.locator(".action-counter")).to_have_text("2 of 2 selected")
        tab.locator("#action-toggle").blur()  # chosen rows alone hold the list still
        expect(state).to_have_text("Updates are paused while you work in the list.")
        make_intake()
        tab.clock.run_for(120_000)
        assert tab.evaluate("window.fetches") == 1  # rows chosen: nothing swapped away
        expect(tab.locator(ROWS)).to_have_count(2)
        tab.locator("#action-toggle").uncheck()

        tab.locator("#searchbar").focus()  # typing a search
        tab.clock.run_for(60_000)
        assert tab.evaluate("window.fetches") == 1
        tab.locator("#searchbar").blur()
        tab.clock.run_for(1_000)
        expect(tab.locator(ROWS)).to_have_count(3)
        expect(tab).to_have_title("(3 waiting) My queue | Cardinal Recovery staff")
        save_screenshot(tab, "admin-queue-refreshed-desktop")
        assert tab.evaluate("window.refused") == []  # no script or style the policy refused
    assert errors == []
