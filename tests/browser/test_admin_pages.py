"""Admin pages that now speak plainly pass the quality gate in a real browser, at
PHONE and DESKTOP: the access log, whose entries say what happened in words, and
the two-factor set-up page telling that codes were tried too fast.

They need a signed-in supervisor, access records and an enrolment link, so they
are opened here and checked with the gate's own checkers (tests/browser/gate.py):
axe-core, sideways scrolling, tap targets, one h1 and the landmarks, and the Nu
Html Checker.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from admissions import services
from admissions.models import AccessRecord
from admissions.roles import SUPERVISORS_GROUP
from cardinal.staff.models import StaffTOTPDevice
from cardinal.staff.services import enrolment_link_issue
from tests.admissions.helpers import change_url
from tests.browser.checkers import format_problems, run_axe, run_vnu, small_tap_targets
from tests.browser.conftest import DESKTOP, PHONE, save_screenshot
from tests.browser.gate import overflow, structure
from tests.browser.visitor import new_tab, sign_in
from tests.factories import STAFF_PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

LOG = "/admin/admissions/accessrecord/"
SETUP = "/staff/two-factor/setup/"


def gate(tab, name: str, size: str) -> list:
    shot = save_screenshot(tab, f"admin-{name}-{size}").read_bytes()
    return run_axe(tab) + small_tap_targets(tab) + overflow(tab, shot) + structure(tab)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_access_log_says_what_happened_and_passes_the_quality_gate(
    browser, site_url, navigator, make_intake, size, two_factor_off
):
    viewport = {"phone": PHONE, "desktop": DESKTOP}[size]
    supervisor = make_user("sam", SUPERVISORS_GROUP)
    intake = services.intake_assign(intake=make_intake(), navigator=navigator)
    html, problems = {}, []
    with new_tab(browser, viewport=viewport) as tab:
        sign_in(tab, site_url, navigator)
        tab.goto(site_url + change_url(intake))
    with new_tab(browser, viewport=viewport, bypass_csp=True) as tab:
        sign_in(tab, site_url, supervisor)
        entry = AccessRecord.objects.get()
        for name, path in (("access-log", LOG), ("access-log-entry", f"{LOG}{entry.pk}/change/")):
            html[name] = tab.goto(site_url + path).text()
            expect(tab.locator("#content")).to_contain_text(
                f"nora viewed {intake.reference}'s personal details"
            )
            problems.append((f"{path} at {size}", gate(tab, name, size)))
    problems += [(f"{name} at {size} (HTML)", found) for name, found in run_vnu(html).items()]
    report = [format_problems(found, where) for where, found in problems if found]
    assert not report, "\n".join(report)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_two_factor_setup_page_says_codes_were_tried_too_fast(
    browser, site_url, settings, size
):
    settings.STAFF_REQUIRE_2FA = True
    viewport = {"phone": PHONE, "desktop": DESKTOP}[size]
    nora = make_user("nora")
    link = enrolment_link_issue(user=nora).removeprefix("http://127.0.0.1:8000")
    with new_tab(browser, viewport=viewport, bypass_csp=True) as tab:
        tab.goto(site_url + link)  # on to the sign-in page, then the set-up page
        tab.get_by_label("Username").fill("nora")
        tab.get_by_label("Password").fill(STAFF_PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url(site_url + SETUP)
        # Four wrong codes just now: django-otp checks none for 8 seconds.
        StaffTOTPDevice.objects.filter(user=nora).update(
            throttling_failure_count=4, throttling_failure_timestamp=timezone.now()
        )
        tab.get_by_label("6-digit code from your authenticator app").fill("123456")
        tab.get_by_role("button", name="Confirm and continue").click()
        expect(tab.locator(".errorlist")).to_contain_text(
            "Codes were tried too fast after a wrong one, so this one was not checked. Wait"
        )
        html = {"two-factor-too-fast": tab.content()}
        problems = [(f"{SETUP} at {size}", gate(tab, "two-factor-too-fast", size))]
    problems += [(f"{name} at {size} (HTML)", found) for name, found in run_vnu(html).items()]
    report = [format_problems(found, where) for where, found in problems if found]
    assert not report, "\n".join(report)
