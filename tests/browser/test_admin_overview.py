"""The supervisors' Admissions overview passes the quality gate in a real browser.

The gate (tests/browser/gate.py) walks the public pages; this page needs a
signed-in supervisor and intakes to show, so it is opened here, at PHONE and
DESKTOP, with a chosen period and with a refused one, and checked with the
gate's own checkers: axe-core (WCAG 2.1 A and AA), sideways scrolling, tap
targets, one h1 and the landmarks, and the Nu Html Checker. The checks of the
public pages' own design (reading text size, line length, the call button) are
not the admin's.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from admissions.models import Intake
from admissions.roles import SUPERVISORS_GROUP
from tests.browser.checkers import format_problems, run_axe, run_vnu, small_tap_targets
from tests.browser.conftest import DESKTOP, PHONE, save_screenshot
from tests.browser.gate import overflow, structure
from tests.browser.visitor import new_tab, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("two_factor_off")]

OVERVIEW = "/admin/admissions/admissionsoverview/"
# (source page, days ago, minutes to first contact or None, status)
INTAKES = [
    ("naltrexone", 1, 6, "admitted"),
    ("naltrexone", 2, 14, "assessment_scheduled"),
    ("naltrexone", 3, None, "new"),
    ("home", 2, 25, "contacted"),
    ("", 4, 3, "referred_out"),
    ("other", 5, 70, "contacted"),
]


def make_intakes(make_intake) -> None:
    now = timezone.now()
    for source, days_ago, waited, status in INTAKES:
        intake = make_intake(source_page=source)
        sent = now - timedelta(days=days_ago, hours=days_ago * 3)
        Intake.objects.filter(pk=intake.pk).update(
            created_at=sent,
            call_after=sent,
            status=status,
            first_contacted_at=None if waited is None else sent + timedelta(minutes=waited),
        )


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_overview_passes_the_quality_gate(browser, site_url, shipped_guides, make_intake, size):
    viewport = {"phone": PHONE, "desktop": DESKTOP}[size]
    supervisor = make_user("sam", SUPERVISORS_GROUP)
    make_intakes(make_intake)
    html = {}
    problems = []
    with new_tab(browser, viewport=viewport, bypass_csp=True) as tab:
        sign_in(tab, site_url, supervisor)
        for name, query in (("overview", "?days=7"), ("overview-refused", "?start=tomorrow")):
            where = f"{OVERVIEW}{query} at {size}"
            html[name] = tab.goto(site_url + OVERVIEW + query).text()
            caption = tab.locator("#sources-caption")
            assert caption.is_visible(), where
            if name == "overview":
                rows = tab.locator(".overview-scroll tbody tr")
                first = rows.first.locator("th").inner_text()
                assert first == "Guide: Naltrexone for alcohol use disorder", where
            else:
                assert tab.get_by_role("alert").is_visible(), where
            shot = save_screenshot(tab, f"admin-{name}-{size}").read_bytes()
            found = run_axe(tab) + small_tap_targets(tab) + overflow(tab, shot) + structure(tab)
            problems.append((where, found))
    problems += [(f"{name} at {size} (HTML)", found) for name, found in run_vnu(html).items()]
    report = [format_problems(found, where) for where, found in problems if found]
    assert not report, "\n".join(report)
