"""The quality gate: every public page, opened once at each viewport and measured.

PAGES lists the public pages, each in English and under /es/ in Spanish (every
guide in both). To check another page, add one line; a page that needs a
visitor's action first (sending the intake form) names it as its step.
walk_the_site() opens each page at PHONE and DESKTOP with the shipped guides
loaded, runs every checker on it, saves a full-page screenshot as
test-artifacts/screenshots/<name>-<viewport>.jpg and keeps the HTML as served
for one run of the Nu Html Checker. The tests then only read the findings, so a
page is fetched once per viewport however many checks look at it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from education.loader import DEFAULT_CONTENT_DIR, read_content
from tests.browser.checkers import (
    AXE_BEST_PRACTICE,
    Problem,
    assert_clean,
    horizontal_overflow,
    long_lines,
    run_axe,
    run_vnu,
    small_tap_targets,
    small_text,
    wide_elements,
)
from tests.browser.conftest import DESKTOP, PHONE, image_width, save_screenshot
from tests.browser.visitor import (
    new_tab,
    send_empty_form,
    send_empty_form_in_spanish,
    send_filled_form,
    send_filled_form_in_spanish,
)

LANDMARKS = ("banner", "main", "contentinfo")


class Page(NamedTuple):
    name: str
    path: str
    status: int = 200
    step: Callable | None = None  # what the visitor does once the page has opened


SHIPPED_GUIDES = [guide.slug for guide in read_content(DEFAULT_CONTENT_DIR).guides]

PAGES = [
    Page("home", "/"),
    Page("medications", "/medications/"),
    *(Page(f"medications-{slug}", f"/medications/{slug}/") for slug in SHIPPED_GUIDES),
    Page("admissions", "/admissions/"),
    Page("admissions-errors", "/admissions/", step=send_empty_form),
    Page("admissions-thanks", "/admissions/", step=send_filled_form),
    Page("privacy", "/privacy/"),
    Page("editorial-policy", "/editorial-policy/"),
    Page("crisis", "/crisis/"),
    Page("about-our-care", "/about-our-care/"),
    Page("not-found", "/no-such-page/", status=404),
    # The Spanish edition (cardinal/i18n.py): the same pages under /es/.
    Page("es-home", "/es/"),
    Page("es-medications", "/es/medications/"),
    Page("es-medications-naltrexone", "/es/medications/naltrexone/"),
    *(
        Page(f"es-medications-{slug}", f"/es/medications/{slug}/")
        for slug in SHIPPED_GUIDES
        if slug != "naltrexone"
    ),
    Page("es-admissions", "/es/admissions/"),
    Page("es-admissions-errors", "/es/admissions/", step=send_empty_form_in_spanish),
    Page("es-admissions-thanks", "/es/admissions/", step=send_filled_form_in_spanish),
    Page("es-privacy", "/es/privacy/"),
    Page("es-editorial-policy", "/es/editorial-policy/"),
    Page("es-crisis", "/es/crisis/"),
    Page("es-about-our-care", "/es/about-our-care/"),
    Page("es-not-found", "/es/no-such-page/", status=404),
]

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

PAGE_VIEWS = [f"{page.name}-{viewport}" for page in PAGES for viewport in VIEWPORTS]


@dataclass
class Findings:
    """What the checkers found on one page at one viewport (or why it could not be opened)."""

    where: str
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    error: str = ""

    def of(self, check: str) -> list[Problem]:
        if self.error:
            raise AssertionError(f"{self.where} could not be checked: {self.error}")
        return self.problems[check]

    def assert_clean(self, check: str) -> None:
        """Fail, listing each problem, unless the check found none on this page view."""
        assert_clean(self.of(check), self.where)


def open_page(tab, base_url: str, page: Page) -> str:
    """Open the page (and take its step); return the HTML the server sent for it."""
    documents = []

    def keep(response):
        if response.request.resource_type == "document" and not 300 <= response.status < 400:
            documents.append(response)

    tab.on("response", keep)
    response = tab.goto(base_url + page.path)
    if response.status != page.status:
        raise AssertionError(f"{page.path} answered {response.status}, not {page.status}")
    if page.step:
        page.step(tab)
    tab.wait_for_load_state("load")
    return documents[-1].text()


def structure(tab) -> list[Problem]:
    """One h1; one banner, main and contentinfo landmark; a navigation landmark."""
    problems = []
    h1 = tab.locator("h1").count()
    if h1 != 1:
        problems.append(Problem("one-h1", "h1", f"{h1} h1 elements, needs exactly one"))
    for role in LANDMARKS:
        count = tab.get_by_role(role).count()
        if count != 1:
            problems.append(Problem("landmarks", role, f"{count} {role} landmarks, needs one"))
    # On phones the menu is collapsed until opened (tests/browser/test_accessibility.py).
    if not tab.get_by_role("navigation", include_hidden=True).count():
        problems.append(Problem("landmarks", "navigation", "no navigation landmark"))
    return problems


def overflow(tab, screenshot: bytes) -> list[Problem]:
    """Sideways scrolling, seen by the page and in the width of its full-page screenshot."""
    problems = []
    extra = horizontal_overflow(tab)
    if extra:
        problems = wide_elements(tab) or [
            Problem("horizontal-overflow", "html", f"the page scrolls sideways by {extra} px")
        ]
    width = image_width(screenshot)
    if width != tab.viewport_size["width"]:
        problems.append(
            Problem("horizontal-overflow", "screenshot", f"{width} px wide, not the viewport's")
        )
    return problems


# Where the call button is, at the top of the page or scrolled to its end (and back),
# once the page has caught up with the scroll, and whether one of the page's own call
# links (the header's number, a call button in the page) is on screen then: on a phone
# the button shows only when none is (static/js/site.js).
_CALL_BUTTON = """async (atTheEnd) => {
    const button = document.querySelector(".call-fab");
    if (!button) return null;
    const settled = async () => {
        for (let i = 0; i < 2; i++) await new Promise((done) => requestAnimationFrame(done));
        await new Promise((done) => setTimeout(done));
    };
    if (atTheEnd) {
        window.scrollTo({top: document.documentElement.scrollHeight, behavior: "instant"});
    }
    await settled();
    const onScreen = (el) => {
        const box = el.getBoundingClientRect();
        return el.checkVisibility() && box.bottom > 0 && box.top < window.innerHeight;
    };
    const own = document.querySelectorAll(".helpline-link, main a.btn[href^='tel:']");
    const style = getComputedStyle(button);
    const box = button.getBoundingClientRect();
    const footer = document.querySelector(".site-footer .container");
    const found = {shown: button.checkVisibility(), position: style.position,
                   top: box.top, bottom: box.bottom, ownOnScreen: [...own].some(onScreen),
                   footerEnd: footer ? footer.getBoundingClientRect().bottom : null};
    window.scrollTo({top: 0, behavior: "instant"});
    await settled();
    return found;
}"""


def call_button(tab, viewport: str) -> list[Problem]:
    """On a phone the call button is fixed to the bottom of the screen whenever none of
    the page's own call links is on it, and hidden while one is; it never covers the end
    of the page. Desktops do without it."""
    first = tab.evaluate(_CALL_BUTTON, False)
    if first is None:
        return [Problem("call-button", ".call-fab", "no call button on the page")]
    if viewport != "phone":
        if first["shown"]:
            return [Problem("call-button", ".call-fab", f"shown at {viewport} size")]
        return []
    last = tab.evaluate(_CALL_BUTTON, True)
    height = tab.viewport_size["height"]
    problems = []
    for moment, button in (("at the top", first), ("at the end", last)):
        if button["ownOnScreen"]:
            if button["shown"]:
                problems.append(
                    Problem(
                        "call-button",
                        ".call-fab",
                        f"shown {moment} while the page's own call link is on screen",
                    )
                )
        elif not button["shown"] or button["position"] != "fixed":
            problems.append(Problem("call-button", ".call-fab", f"not fixed in view {moment}"))
        elif not (button["top"] >= height / 2 and button["bottom"] <= height):
            problems.append(
                Problem("call-button", ".call-fab", f"not at the bottom of the screen {moment}")
            )
    if (
        not problems
        and last["shown"]
        and last["footerEnd"] is not None
        and last["footerEnd"] > last["top"] + 0.5
    ):
        problems.append(
            Problem("call-button", ".site-footer", "the end of the page stays under the button")
        )
    return problems


def inspect(tab, page: Page, viewport: str) -> dict[str, list[Problem]]:
    """Every check of the gate on the open page; saves its screenshot on the way."""
    shot = save_screenshot(tab, f"{page.name}-{viewport}").read_bytes()
    return {
        "axe": run_axe(tab),
        "axe-best-practice": run_axe(tab, AXE_BEST_PRACTICE),
        "overflow": overflow(tab, shot),
        "tap-targets": small_tap_targets(tab),
        "structure": structure(tab),
        "text-size": small_text(tab),
        "line-length": long_lines(tab) if viewport == "desktop" else [],
        "call-button": call_button(tab, viewport),
    }


@dataclass
class SiteWalk:
    findings: dict[str, Findings]  # by page view, "<page name>-<viewport>"
    html_errors: dict[str, list[Problem]]  # the Nu Html Checker's, by page name


def walk_the_site(browser, base_url: str) -> SiteWalk:
    """Open every page at every viewport and check it; then validate the HTML in one run.

    A page that cannot be opened is reported as such by its checks instead of
    stopping the walk.
    """
    findings: dict[str, Findings] = {}
    html: dict[str, str] = {}
    for page in PAGES:
        for viewport, size in VIEWPORTS.items():
            found = Findings(where=f"{page.path} ({page.name}) at {viewport}")
            try:
                with new_tab(browser, viewport=size, bypass_csp=True) as tab:
                    html.setdefault(page.name, open_page(tab, base_url, page))
                    found.problems = inspect(tab, page, viewport)
            except Exception as exc:  # reported by every check of this page view
                found.error = f"{type(exc).__name__}: {exc}"
            findings[f"{page.name}-{viewport}"] = found
    return SiteWalk(findings=findings, html_errors=run_vnu(html))
