"""What a visitor does in the browser, shared by the browser tests."""

import re
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD

FOCUS_RING = """(el) => {
    const style = getComputedStyle(el);
    return {
        focusVisible: el.matches(":focus-visible"),
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        shadow: style.boxShadow !== "none",
    };
}"""


def focus_ring(locator) -> dict:
    """Whether the element shows focus: :focus-visible, a 2 px outline or a box shadow."""
    return locator.evaluate(FOCUS_RING)


def is_focused(locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


@contextmanager
def new_tab(browser, **context_options):
    """A tab in a browser context of its own (viewport, bypass_csp...), closed on
    the way out, pass or fail."""
    context = browser.new_context(**context_options)
    try:
        yield context.new_page()
    finally:
        context.close()


def tab_to(tab, locator, limit: int = 20, key: str = "Tab") -> None:
    """Press Tab (or `key`, as Shift+Tab) until the locator has focus; fail after
    limit presses."""
    for _ in range(limit):
        tab.keyboard.press(key)
        if is_focused(locator):
            return
    raise AssertionError(f"{locator} was not reached in {limit} presses of {key}")


def sign_in(tab, site_url: str, user) -> None:
    """Sign a staff member (made by tests.factories.make_user) in to the admin,
    as with two-factor sign-in off (the two_factor_off fixture)."""
    tab.goto(site_url + "/admin/login/")
    tab.get_by_label("Username").fill(user.username)
    tab.get_by_label("Password").fill(STAFF_PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(f"{site_url}/admin/")


def fill_form(page, phone: str) -> None:
    """Answer the intake form's questions; the phone number is the caller's."""
    page.get_by_label("First name").fill("Rosalind")
    page.get_by_role("textbox", name="Phone number").fill(phone)
    page.get_by_role("radio", name="Text message", exact=True).check()
    page.get_by_role("radio", name="Evening (5 pm to 8 pm)").check()
    page.get_by_role("radio", name="Yes", exact=True).check()
    page.get_by_role("radio", name="A loved one").check()
    page.get_by_role("checkbox", name="Alcohol", exact=True).check()
    page.get_by_label("Anything you would like us to know?").fill("Please call after work.")
    page.get_by_label("I agree that Cardinal Recovery").check()


def send_empty_form(page) -> None:
    """Send the intake form without an answer: it comes back with its errors."""
    page.get_by_role("button", name="Request my callback").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def send_filled_form(page) -> None:
    """Send the intake form answered in full: the thanks page follows."""
    fill_form(page, phone="(415) 555-2671")
    page.get_by_role("button", name="Request my callback").click()
    page.wait_for_url(re.compile(r"/admissions/thanks/$"))


def fill_form_in_spanish(page, phone: str) -> None:
    """Answer the Spanish intake form's questions (/es/admissions/)."""
    page.get_by_role("textbox", name=re.compile(r"^Nombre")).fill("Rosalind")
    page.get_by_role("textbox", name="Número de teléfono").fill(phone)
    page.get_by_role("radio", name="Mensaje de texto", exact=True).check()
    page.get_by_role("radio", name="Al final de la tarde (de 17:00 a 20:00)").check()
    page.get_by_role("radio", name="Sí", exact=True).check()
    page.get_by_role("radio", name="Un ser querido").check()
    page.get_by_role("checkbox", name="Alcohol", exact=True).check()
    page.get_by_label("Acepto que Cardinal Recovery").check()


def send_empty_form_in_spanish(page) -> None:
    """Send the Spanish intake form without an answer: it comes back with its errors."""
    page.get_by_role("button", name="Pedir mi llamada").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def send_filled_form_in_spanish(page) -> None:
    """Send the Spanish intake form answered: the Spanish thanks page follows."""
    fill_form_in_spanish(page, phone="(415) 555-2671")
    page.get_by_role("button", name="Pedir mi llamada").click()
    page.wait_for_url(re.compile(r"/es/admissions/thanks/$"))
