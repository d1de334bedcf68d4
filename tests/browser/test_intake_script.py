"""The intake form's script (static/js/intake.js) speaks the page's language: the
message's character count and the button's "sending" state, in English at
/admissions/ and in Spanish at /es/admissions/ (the words come from the page)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.visitor import new_tab

pytestmark = pytest.mark.django_db(transaction=True)

# Keeps the form where it is once the script has handled the press of its button.
HOLD_THE_FORM = """() => document.querySelector("[data-intake-form]")
    .addEventListener("submit", (event) => event.preventDefault())"""


@pytest.mark.parametrize(
    ("path", "counted", "sending"),
    [
        ("/admissions/", "Up to 1,000 characters: 996 left.", "Sending…"),
        ("/es/admissions/", "Hasta 1000 caracteres: quedan 996.", "Enviando…"),
    ],
    ids=["en", "es"],
)
def test_the_forms_script_speaks_the_pages_language(browser, site_url, path, counted, sending):
    with new_tab(browser, viewport=PHONE) as page:
        page.goto(site_url + path)
        page.locator("#id_message").fill("Hola")
        expect(page.locator("#id_message_helptext")).to_have_text(counted)

        page.evaluate(HOLD_THE_FORM)
        button = page.locator("button[type=submit]")
        button.click()
        expect(button).to_have_text(sending)
        expect(button).to_have_attribute("aria-disabled", "true")
