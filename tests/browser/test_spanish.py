"""A Spanish-speaking visitor goes from /es/ to a guide and asks for a callback in Spanish."""

import re

import pytest
from playwright.sync_api import expect

from admissions import consent
from admissions.models import ConsentRecord, Intake
from tests.browser.conftest import PHONE
from tests.browser.visitor import new_tab

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_fill_time", "two_factor_off"),
]


def test_a_spanish_speaker_reads_a_guide_fixes_an_error_and_is_thanked_in_spanish(
    browser, site_url, screenshot, navigator, shipped_guides
):
    with new_tab(browser, viewport=PHONE, locale="es-US") as page:
        page.goto(site_url + "/es/")
        assert page.locator("html").get_attribute("lang") == "es"
        page.locator('a[href="/es/medications/naltrexone/"]').first.click()
        page.wait_for_url(re.compile(r"/es/medications/naltrexone/$"))
        # The guide's own Spanish text (education/content/guides/es/naltrexone.md).
        expect(page.get_by_role("heading", level=1)).to_contain_text("Naltrexona")
        assert page.locator(".guide__body").get_attribute("lang") is None
        expect(page.locator(".guide__body")).to_contain_text("Nombres comerciales")
        page.get_by_role("link", name="Pida una llamada confidencial").first.click()
        page.wait_for_url(re.compile(r"/es/admissions/\?from=naltrexone$"))
        assert page.get_by_role("heading", level=1).inner_text() == "Pida una llamada confidencial"

        page.get_by_role("textbox", name=re.compile(r"^Nombre")).fill("Rosalind")
        page.get_by_role("textbox", name="Número de teléfono").fill("555 12")
        page.get_by_role("radio", name="Mensaje de texto", exact=True).check()
        page.get_by_role("radio", name="Al final de la tarde (de 17:00 a 20:00)").check()
        page.get_by_role("radio", name="Sí", exact=True).check()
        page.get_by_role("radio", name="Un ser querido").check()
        page.get_by_label("Acepto que Cardinal Recovery").check()
        page.get_by_role("button", name="Pedir mi llamada").click()

        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Revise una respuesta")
        expect(summary).to_contain_text(
            "Número de teléfono: Escriba un número de teléfono al que podamos llamar"
        )
        screenshot(page, "es-intake-errors-phone")
        summary.get_by_role("link", name=re.compile("Número de teléfono")).click()
        page.get_by_role("textbox", name="Número de teléfono").fill("(415) 555-2671")
        page.get_by_label("Acepto que Cardinal Recovery").check()
        page.get_by_role("button", name="Pedir mi llamada").click()

        page.wait_for_url(re.compile(r"/es/admissions/thanks/$"))
        assert page.locator("html").get_attribute("lang") == "es"
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Gracias. Recibimos su solicitud."
        )
        reference = page.locator("[data-reference]").inner_text()
        screenshot(page, "es-intake-thanks-phone")

    intake = Intake.objects.get(reference=reference)
    assert intake.phone == "+14155552671" and intake.source_page == "naltrexone"
    record = ConsentRecord.objects.get(intake=intake)
    assert record.page == "/es/admissions/?from=naltrexone"
    assert record.wording_version == consent.CURRENT_VERSIONS["es"]
