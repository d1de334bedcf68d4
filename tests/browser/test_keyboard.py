"""Keyboard alone: the intake form from first field to thanks page (in English and in
Spanish), the guide's contents and FAQ.

Every step here is a key press: Tab, Shift+Tab, Enter, Space, arrows and typing.
"""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from admissions import consent
from admissions.models import Intake
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.visitor import focus_ring, is_focused, new_tab, tab_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_fill_time")]


# The intake form's stops for Tab, in order: one per radio group (its chosen radio once
# one is chosen: the page's language for the call), one per checkbox. English, then Spanish.
def form_stops(language: str, privacy_link: str, button: str) -> list[str]:
    return [
        "#id_first_name",
        "#id_phone",
        "#id_contact_method_0",
        "#id_best_time_0",
        "#id_voicemail_ok_0",
        "#id_who_needs_help_0",
        "#id_language_0" if language == "en" else "#id_language_1",
        "#id_email",
        "#id_state",
        *(f"#id_substances_{index}" for index in range(7)),
        "#id_insurance_provider",
        "#id_insurance_member_id",
        "#id_message",
        "#id_consent",
        f"link: {privacy_link}",
        f"button: {button}",
    ]


@dataclass(frozen=True)
class Journey:
    """What the keyboard journey reads in one language of the form."""

    language: str
    path: str
    privacy_link: str
    button: str
    summary_title: str  # the error summary's heading, with every required answer missing
    first_error: str  # its first link: the first name's question and what is wrong
    thanks: str
    thanks_path: str

    @property
    def stops(self) -> list[str]:
        return form_stops(self.language, self.privacy_link, self.button)


JOURNEYS = [
    Journey(
        language="en",
        path="/admissions/",
        privacy_link="privacy notice",
        button="Request my callback",
        summary_title="Please check 7 answers",
        first_error="First name: Enter your first name, or any name we can call you by.",
        thanks="Thank you. We received your request.",
        thanks_path="/admissions/thanks/",
    ),
    Journey(
        language="es",
        path="/es/admissions/",
        privacy_link="aviso de privacidad",
        button="Pedir mi llamada",
        summary_title="Revise 7 respuestas",
        first_error="Nombre: Escriba su nombre, o cualquier nombre con el que podamos llamarle.",
        thanks="Gracias. Recibimos su solicitud.",
        thanks_path="/es/admissions/thanks/",
    ),
]

FORM_STOPS = JOURNEYS[0].stops
# The questions that need an answer, in the order of the error summary's links.
REQUIRED = [*FORM_STOPS[:6], "#id_consent"]

FOCUSED = """() => {
    const el = document.activeElement;
    if (el.id) return "#" + el.id;
    const role = el.localName === "a" ? "link" : el.localName;
    return `${role}: ${el.textContent.trim()}`;
}"""

# How much of the focused element's top (all of a small control, the first line or so
# of a big one, where the caret is) the call button fixed to a phone's screen covers.
HIDDEN_UNDER_CALL_BUTTON = """() => {
    const box = document.activeElement.getBoundingClientRect();
    const button = document.querySelector(".call-fab");
    if (!button || !button.checkVisibility()) return 0;
    const cover = button.getBoundingClientRect();
    const bottom = Math.min(box.bottom, box.top + 44);
    return Math.max(0, Math.min(bottom, cover.bottom) - Math.max(box.top, cover.top));
}"""


# Whether all of an element is on the screen, above the call button on a phone.
IN_FULL_VIEW = """(selector) => {
    const box = document.querySelector(selector).getBoundingClientRect();
    const button = document.querySelector(".call-fab");
    const floor = button.checkVisibility() ? button.getBoundingClientRect().top : innerHeight;
    return box.top >= 0 && box.bottom <= floor;
}"""


def keyboard_tab(browser, viewport: dict):
    """A tab (tests.browser.visitor.new_tab) for key presses in quick succession.

    Bootstrap scrolls smoothly unless the reader asks for less motion. A test
    presses keys faster than a person does, and a smooth scroll still running
    from one key (Tab bringing a link into view) can stop the next one's (Enter
    on that link) half-way; without the animation every scroll has ended before
    the next key and before the test measures where things are.
    """
    return new_tab(browser, viewport=viewport, reduced_motion="reduce")


def assert_focus_shows(tab, where: str) -> None:
    """The focused element has a 2 px outline and nothing fixed on the screen covers it."""
    focused = tab.locator(":focus")
    ring = focus_ring(focused)
    assert ring["focusVisible"] and ring["outline"], f"{where}: focus is not visible ({ring})"
    assert tab.evaluate(HIDDEN_UNDER_CALL_BUTTON) == 0, f"{where} is under the call button"


def describing_element(field):
    """The element whose aria-describedby speaks for the field: itself, or its radio group."""
    if field.get_attribute("type") == "radio":
        return field.locator("xpath=ancestor::fieldset[1]")
    return field


@pytest.mark.parametrize("journey", JOURNEYS, ids=[journey.language for journey in JOURNEYS])
def test_intake_form_is_completed_and_sent_with_the_keyboard_alone(browser, site_url, journey):
    with keyboard_tab(browser, PHONE) as tab:
        tab.goto(site_url + journey.path)
        assert tab.locator("html").get_attribute("lang") == journey.language

        # Tab order: every question in the order it is asked, each with a visible focus
        # that the call button never covers.
        tab_to(tab, tab.locator("#id_first_name"), limit=30)
        assert_focus_shows(tab, "#id_first_name")
        stops = ["#id_first_name"]
        for _ in journey.stops[1:]:
            tab.keyboard.press("Tab")
            stops.append(tab.evaluate(FOCUSED))
            assert_focus_shows(tab, stops[-1])
        assert stops == journey.stops

        # Sent empty: the error summary takes focus and lists each question to answer,
        # in the page's language.
        with tab.expect_navigation():
            tab.keyboard.press("Enter")
        summary = tab.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        assert_focus_shows(tab, "the error summary")
        assert tab.evaluate(IN_FULL_VIEW, "[data-error-summary]"), "all of the summary is in view"
        expect(summary.get_by_role("heading")).to_have_text(journey.summary_title)
        links = summary.get_by_role("link")
        assert [link.get_attribute("href") for link in links.all()] == REQUIRED
        expect(links.first).to_have_text(journey.first_error)

        # Each link in the summary moves focus to its question, which says what is wrong.
        for index, link in enumerate(links.all()):
            if index == 0:
                tab.keyboard.press("Tab")
            else:
                tab_to(tab, link, limit=30, key="Shift+Tab")
            assert is_focused(link)
            error = link.inner_text().split(": ", 1)[1]
            tab.keyboard.press("Enter")
            field = tab.locator(REQUIRED[index])
            expect(field).to_be_focused()
            assert_focus_shows(tab, REQUIRED[index])
            assert field.get_attribute("aria-invalid") == "true"
            described = describing_element(field)
            expect(described).to_have_accessible_description(re.compile(re.escape(error)))
            for error_id in described.get_attribute("aria-describedby").split():
                assert tab.locator(f"#{error_id}").count() == 1

        # Fixed and sent with the keyboard: the thanks page follows.
        tab_to(tab, links.first, limit=30, key="Shift+Tab")
        tab.keyboard.press("Enter")
        expect(tab.locator("#id_first_name")).to_be_focused()
        tab.keyboard.type("Rosalind")
        tab.keyboard.press("Tab")
        tab.keyboard.type("(415) 555-2671")
        tab.keyboard.press("Tab")  # how to reach you: Text message, the second choice
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("Tab")  # best time: Evening, the third choice
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("Tab")  # voicemail: Yes, the first choice
        tab.keyboard.press("Space")
        tab.keyboard.press("Tab")  # who needs help: Me, the first choice
        tab.keyboard.press("Space")
        tab_to(tab, tab.locator("#id_substances_0"))
        tab.keyboard.press("Space")
        tab_to(tab, tab.locator("#id_consent"))
        tab.keyboard.press("Space")
        tab_to(tab, tab.get_by_role("button", name=journey.button))
        with tab.expect_navigation():
            tab.keyboard.press("Enter")
        expect(tab).to_have_url(re.compile(re.escape(journey.thanks_path) + "$"))
        assert tab.locator("html").get_attribute("lang") == journey.language
        expect(tab.get_by_role("heading", level=1)).to_have_text(journey.thanks)
        reference = tab.locator("[data-reference]").inner_text()

    intake = Intake.objects.get(reference=reference)
    assert (intake.first_name, intake.phone) == ("Rosalind", "+14155552671")
    assert (intake.contact_method, intake.best_time) == ("text", "evening")
    assert intake.voicemail_ok is True
    assert intake.who_needs_help == "self"
    assert intake.substances == "alcohol"
    assert intake.language == journey.language  # the page's, left as it was chosen
    assert intake.consent.wording_version == consent.CURRENT_VERSIONS[journey.language]


# Where focus is against a heading: after it, and before the next section's.
IN_THE_SECTION = """(heading) => {
    const follows = (el, other) =>
        !!(el.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING);
    const next = [...document.querySelectorAll(".guide__body h2")]
        .find((h2) => follows(heading, h2));
    const focused = document.activeElement;
    return {after: follows(heading, focused), beforeNext: !next || follows(focused, next)};
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_guide_contents_and_questions_work_with_the_keyboard_alone(
    browser, site_url, shipped_guides, viewport
):
    with keyboard_tab(browser, viewport) as tab:
        tab.goto(site_url + "/medications/baclofen/")

        # Enter on a contents link moves to its section: the next Tab continues from there.
        link = tab.locator(".toc").get_by_role("link", name="Questions to ask your prescriber")
        tab_to(tab, link, limit=60)
        assert_focus_shows(tab, "the contents link")
        tab.keyboard.press("Enter")
        expect(tab).to_have_url(re.compile(r"#questions-to-ask-your-prescriber$"))
        heading = tab.locator("#questions-to-ask-your-prescriber")
        expect(heading).to_be_in_viewport()
        tab.keyboard.press("Tab")
        position = heading.evaluate(IN_THE_SECTION)
        assert position == {"after": True, "beforeNext": True}, (
            "Tab did not continue in the section"
        )

        # A question opens with Enter, closes with Enter and opens again with Space.
        question = tab.locator(".faq details").first
        summary = question.locator("summary")
        tab_to(tab, summary, limit=80)
        assert_focus_shows(tab, "the first question")
        expect(question.locator(".faq__answer")).to_be_hidden()
        tab.keyboard.press("Enter")
        expect(question).to_have_attribute("open", "")
        expect(question.locator(".faq__answer")).to_be_visible()
        tab.keyboard.press("Enter")
        expect(question).not_to_have_attribute("open", "")
        tab.keyboard.press("Space")
        expect(question).to_have_attribute("open", "")
        expect(question.locator(".faq__answer")).to_be_visible()
        assert is_focused(summary)
