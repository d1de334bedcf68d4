"""Calm, clear pages on a phone: nothing moves as a page loads, the call button shows
when it is needed and steps aside when it is not, the form starts on the first screen,
choices keep their words beside their box, long source lists fold away, and red means
only a crisis or something to correct."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import new_tab, send_empty_form

pytestmark = pytest.mark.django_db(transaction=True)

GUIDE = "/medications/baclofen/"

# The layout shifts Chromium recorded since the page started loading (buffered), apart
# from those right after a person's input, once the fonts are in and two frames drawn.
LAYOUT_SHIFTS = """async () => {
    await document.fonts.ready;
    const entries = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({type: "layout-shift", buffered: true});
    for (let i = 0; i < 2; i++) await new Promise((done) => requestAnimationFrame(done));
    entries.push(...observer.takeRecords());
    observer.disconnect();
    const name = (node) => node ? `${node.nodeName.toLowerCase()}.${node.className || ""}` : "?";
    return entries.filter((entry) => !entry.hadRecentInput).map((entry) => ({
        value: entry.value,
        moved: entry.sources.map((source) => name(source.node)),
    }));
}"""


@pytest.mark.parametrize("path", ["/", GUIDE, "/admissions/"])
def test_page_does_not_shift_while_it_loads_on_a_phone(browser, site_url, shipped_guides, path):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + path)
        shifts = tab.evaluate(LAYOUT_SHIFTS)
        # Drawn closed from the first frame: the menu never pushed the page down.
        assert not tab.locator("#site-nav a").first.is_visible()

    score = sum(shift["value"] for shift in shifts)
    assert score < 0.01, f"cumulative layout shift {score:.3f} on {path}: {shifts}"


def fixed_at_the_bottom(call, height: int) -> bool:
    box = call.bounding_box()
    fixed = call.evaluate("(el) => getComputedStyle(el).position") == "fixed"
    return fixed and height / 2 <= box["y"] and box["y"] + box["height"] <= height


def test_call_button_appears_once_the_pages_own_call_buttons_have_scrolled_away(
    browser, site_url, shipped_guides, screenshot
):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + "/")
        call = tab.locator(".call-fab")
        # The header's number and the hero's call button are on the first screen.
        expect(tab.locator(".hero").get_by_role("link", name="Call (202) 555-0147")).to_be_visible()
        expect(call).to_be_hidden()

        tab.locator("#how").scroll_into_view_if_needed()
        expect(call).to_be_visible()
        assert fixed_at_the_bottom(call, PHONE["height"])
        screenshot(tab, "phone-call-button-shown")

        # At the end of the page nothing is left under it.
        tab.evaluate("window.scrollTo({top: document.documentElement.scrollHeight})")
        expect(call).to_be_visible()
        last_line = tab.locator(".site-footer__legal").bounding_box()
        assert last_line["y"] + last_line["height"] <= call.bounding_box()["y"]

        tab.evaluate("window.scrollTo({top: 0})")
        expect(call).to_be_hidden()


def test_call_button_steps_aside_while_a_form_field_has_focus(browser, site_url):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + "/admissions/")
        call = tab.locator(".call-fab")
        email = tab.get_by_label("Email (optional)")
        email.scroll_into_view_if_needed()
        expect(call).to_be_visible()

        email.focus()
        expect(call).to_be_hidden()
        tab.get_by_label("State you live in (optional)").focus()  # from field to field
        expect(call).to_be_hidden()

        tab.evaluate("document.activeElement.blur()")
        expect(call).to_be_visible()


def test_call_button_and_menu_work_without_the_script(browser, site_url, shipped_guides):
    with new_tab(browser, viewport=PHONE, java_script_enabled=False) as tab:
        tab.goto(site_url + "/")
        # No menu button to press: the menu is open, and the call button always there.
        assert not tab.get_by_role("button", name="Menu").is_visible()
        assert tab.locator("#site-nav").get_by_role("link", name="Crisis help").is_visible()
        call = tab.locator(".call-fab")
        assert call.is_visible() and fixed_at_the_bottom(call, PHONE["height"])
        tab.evaluate("window.scrollTo({top: document.documentElement.scrollHeight})")
        last_line = tab.locator(".site-footer__legal").bounding_box()
        assert last_line["y"] + last_line["height"] <= call.bounding_box()["y"]

        # Every source stays one tap away.
        tab.goto(site_url + GUIDE)
        sources = tab.locator(".sources li")
        assert not sources.first.is_visible()
        tab.get_by_text("Show all", exact=False).click()
        assert all(source.is_visible() for source in sources.all())


def test_first_question_is_on_the_first_screen_of_a_phone(browser, site_url, screenshot):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + "/admissions/")
        screenshot(tab, "phone-admissions-first-screen")  # the full page, for a person
        label = tab.get_by_text("First name*", exact=True).bounding_box()
        field = tab.get_by_label("First name").bounding_box()
        call_shown = tab.locator(".call-fab").is_visible()

    assert label["y"] >= 0 and field["y"] + field["height"] <= PHONE["height"]
    assert not call_shown, "nothing covers the first screen"


# Each choice's box and the lines of its words (one rectangle per line of text).
CHOICES = """(fieldset) => [...fieldset.querySelectorAll(".form-check")].map((choice) => {
    const box = choice.querySelector("input").getBoundingClientRect();
    const words = document.createRange();
    words.selectNodeContents(choice.querySelector("label"));
    const lines = [...words.getClientRects()].filter((line) => line.width > 0);
    return {text: choice.innerText.trim(), right: box.right, bottom: box.bottom,
            lines: new Set(lines.map((line) => Math.round(line.top))).size,
            left: Math.min(...lines.map((line) => line.left)),
            top: Math.min(...lines.map((line) => line.top))};
})"""


def test_wrapped_choice_labels_stay_beside_their_box_on_a_phone(browser, site_url):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + "/admissions/")
        substances = tab.get_by_role("group", name="Substances of concern (optional)")
        choices = substances.evaluate(CHOICES)

    assert any(choice["lines"] > 1 for choice in choices), "some choice wraps at this width"
    for choice in choices:
        assert choice["left"] >= choice["right"], f"{choice['text']!r} runs under its box"
        assert choice["top"] < choice["bottom"], f"{choice['text']!r} starts below its box"


def test_long_source_list_is_folded_and_a_followed_citation_opens_it(
    browser, site_url, shipped_guides, screenshot
):
    with new_tab(browser, viewport=PHONE) as tab:
        tab.goto(site_url + GUIDE)
        sources = tab.locator(".sources li")
        count = sources.count()
        assert count > 5
        fold = tab.locator(".sources details")
        expect(fold.locator("summary")).to_have_text(
            f"Show all {count} sources", use_inner_text=True
        )
        assert not sources.first.is_visible()

        citation = tab.locator(".guide__body sup.cite a").first
        target = tab.locator(citation.get_attribute("href"))
        citation.click()
        expect(target).to_be_in_viewport()
        assert fold.evaluate("(details) => details.open")
        expect(fold.locator("summary")).to_have_text("Hide the sources", use_inner_text=True)
        screenshot(tab, "phone-guide-citation-followed")

        # A link from elsewhere to one source opens the list too.
        tab.goto(site_url + GUIDE + "#" + sources.last.get_attribute("id"))
        expect(sources.last).to_be_in_viewport()


# Elements painted in red (hue within 15 degrees of red, saturated, neither pale nor
# nearly black) in their text, background or borders, outside what marks a crisis or
# an answer to correct.
RED_OUTSIDE_CRISIS_AND_ERRORS = """(allowed) => {
    const red = (value) => {
        const parts = value.match(/[\\d.]+/g);
        if (!parts || parts.length < 3 || (parts.length > 3 && +parts[3] === 0)) return false;
        const [r, g, b] = parts.slice(0, 3).map((part) => part / 255);
        const max = Math.max(r, g, b), min = Math.min(r, g, b), light = (max + min) / 2;
        if (max === min || max !== r) return false;
        const saturation = (max - min) / (1 - Math.abs(2 * light - 1));
        const hue = (60 * ((g - b) / (max - min)) + 360) % 360;
        return (hue <= 15 || hue >= 345) && saturation >= 0.45 && light >= 0.2 && light <= 0.65;
    };
    const found = [];
    for (const el of document.body.querySelectorAll("*")) {
        if (!el.checkVisibility() || el.closest(allowed)) continue;
        const style = getComputedStyle(el);
        const ownText = [...el.childNodes].some(
            (node) => node.nodeType === 3 && node.data.trim());
        const painted = [];
        if (ownText && red(style.color)) painted.push("text");
        if (red(style.backgroundColor)) painted.push("background");
        const border = ["Top", "Right", "Bottom", "Left"].some((side) =>
            parseFloat(style[`border${side}Width`]) > 0
            && style[`border${side}Style`] !== "none" && red(style[`border${side}Color`]));
        if (border) painted.push("border");
        if (painted.length) {
            found.push(`${el.localName}.${[...el.classList].join(".")}: ${painted.join(", ")}`);
        }
    }
    return found;
}"""
CRISIS_AND_ERRORS = ".emergency, .safety-line, .error-summary, .invalid-feedback, .is-invalid"


@pytest.mark.usefixtures("no_fill_time")
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_red_marks_only_a_crisis_or_an_answer_to_correct(
    browser, site_url, shipped_guides, viewport
):
    found = {}
    with new_tab(browser, viewport=viewport) as tab:
        for path in ("/", GUIDE, "/admissions/"):
            tab.goto(site_url + path)
            if path == "/admissions/":
                send_empty_form(tab)
            found[path] = tab.evaluate(RED_OUTSIDE_CRISIS_AND_ERRORS, CRISIS_AND_ERRORS)

    assert found == {path: [] for path in found}
