"""The Spanish edition: English at the root, Spanish under /es/, the catalogue complete."""

import gettext
import io
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import translation

from admissions import consent
from admissions.models import ConsentRecord, Intake
from admissions.schedule import schedule_parse
from education.models import GuideTranslation
from scripts.compile_messages import Entry, mo_bytes, parse
from tests.admissions.helpers import form_data

pytestmark = pytest.mark.django_db

CATALOGUE = Path(django_settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
# Every public page, by its English address; the Spanish one is /es/ + the same path.
PAGES = [
    "/",
    "/medications/",
    "/admissions/",
    "/privacy/",
    "/editorial-policy/",
    "/crisis/",
    "/about-our-care/",
]
# The folders whose files hold marked strings (the public site's code and templates).
SOURCE_FOLDERS = ["admissions", "cardinal", "education", "templates"]


def html_of(client, url, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def problems(entries: list[Entry]) -> list[str]:
    return [
        f"{'fuzzy' if entry.fuzzy else 'untranslated'}: {entry.msgid!r}"
        for entry in entries
        if entry.msgid and (entry.fuzzy or not entry.translated)
    ]


# --- The catalogue ------------------------------------------------------------------


def test_every_marked_string_is_in_the_catalogue_translated_and_not_fuzzy(
    tmp_path, settings, monkeypatch
):
    """makemessages over the code, merged into a copy of the catalogue: a string marked
    but not in the catalogue comes out untranslated, a changed one fuzzy. It runs in a
    folder of links to the code, so the shipped catalogue is left as it is."""
    base = Path(settings.BASE_DIR)
    for source in SOURCE_FOLDERS:
        (tmp_path / source).symlink_to(base / source)
    copy = tmp_path / "locale" / "es" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    shutil.copy(CATALOGUE, copy / "django.po")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["es"], no_location=True, symlinks=True, verbosity=0)
    merged = parse(copy / "django.po")
    assert problems(merged) == []
    shipped = {(entry.context, entry.msgid) for entry in parse(CATALOGUE)}
    assert {(entry.context, entry.msgid) for entry in merged} == shipped, (
        "the catalogue holds strings nothing marks any more: run makemessages"
    )


def test_the_shipped_catalogue_has_no_untranslated_or_fuzzy_entry():
    assert problems(parse(CATALOGUE)) == []


def test_the_compiled_catalogue_holds_every_translation_and_leaves_out_fuzzy_ones():
    entries = [
        Entry(msgid="", strings={0: "Content-Type: text/plain; charset=UTF-8\n"}),
        Entry(msgid="Menu", strings={0: "Menú"}),
        Entry(msgid="Draft", strings={0: "Borrador"}, fuzzy=True),
        Entry(msgid="Empty", strings={0: ""}),
        Entry(
            msgid="one answer",
            plural="%(n)s answers",
            strings={0: "una respuesta", 1: "%(n)s respuestas"},
        ),
        Entry(context="clock", msgid="noon", strings={0: "mediodía"}),
    ]
    catalogue = gettext.GNUTranslations(io.BytesIO(mo_bytes(entries)))
    assert catalogue.gettext("Menu") == "Menú"
    assert catalogue.gettext("Draft") == "Draft"
    assert catalogue.gettext("Empty") == "Empty"
    assert catalogue.ngettext("one answer", "%(n)s answers", 3) == "%(n)s respuestas"
    assert catalogue.ngettext("one answer", "%(n)s answers", 1) == "una respuesta"
    assert catalogue.pgettext("clock", "noon") == "mediodía"


def test_the_shipped_catalogue_compiles_to_what_gnu_msgfmt_makes(tmp_path):
    """scripts/compile_messages.py reads the .po as GNU gettext does."""
    gnu = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(gnu), str(CATALOGUE)], check=True)
    ours = gettext.GNUTranslations(io.BytesIO(mo_bytes(parse(CATALOGUE))))
    theirs = gettext.GNUTranslations(gnu.open("rb"))
    # msgfmt leaves the POT-Creation-Date out of the header; every message is the same.
    ours_messages = {k: v for k, v in ours._catalog.items() if k != ""}  # type: ignore[attr-defined]
    theirs_messages = {k: v for k, v in theirs._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert len(ours_messages) > 250
    assert ours_messages == theirs_messages
    assert ours.plural(1) == theirs.plural(1) == 0 and ours.plural(2) == theirs.plural(2) == 1


# --- Addresses and the language switch -----------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_in_english_at_its_address_and_in_spanish_under_es(client, path):
    english = html_of(client, path)
    spanish = html_of(client, "/es" + path)
    assert lang_of(english) == "en"
    assert lang_of(spanish) == "es"
    assert "Skip to main content" in english
    assert "Ir al contenido principal" in spanish and "Skip to main content" not in spanish
    assert "Medication guides" not in spanish.split("<main")[0]
    # The header links to the same page in the other language.
    assert f'<a class="language-switch" href="/es{path}" hreflang="es" lang="es">' in english
    assert f'<a class="language-switch" href="{path}" hreflang="en" lang="en">' in spanish


@pytest.mark.parametrize("path", PAGES)
def test_each_page_names_both_languages_and_its_own_canonical_address(client, path, settings):
    site = settings.SITE_URL
    alternates = (
        f'<link rel="alternate" hreflang="en" href="{site}{path}">',
        f'<link rel="alternate" hreflang="es" href="{site}/es{path}">',
        f'<link rel="alternate" hreflang="x-default" href="{site}{path}">',
    )
    for url, canonical in ((path, site + path), ("/es" + path, f"{site}/es{path}")):
        html = html_of(client, url)
        head = html.split("</head>")[0]
        for link in alternates:
            assert link in head, (url, link)
        assert f'<link rel="canonical" href="{canonical}">' in head


def test_the_switch_keeps_the_query(client):
    html = html_of(client, "/admissions/?from=home")
    assert 'href="/es/admissions/?from=home"' in html


def test_a_browser_that_prefers_spanish_is_offered_the_spanish_page_never_redirected(client):
    response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9")
    assert response.status_code == 200
    html = response.content.decode()
    assert lang_of(html) == "en" and "Privacy notice" in html
    assert "Accept-Language" not in response.get("Vary", "")
    assert response["Content-Language"] == "en"
    # One line, shown by static/js/site.js when the browser's first language is Spanish.
    assert re.search(
        r'<p class="language-offer container" lang="es" hidden>¿Prefiere leer en español\? '
        r'<a href="/es/privacy/" hreflang="es">',
        html,
    )
    spanish = client.get("/es/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert lang_of(spanish.content.decode()) == "es"
    assert "language-offer" not in spanish.content.decode()


@pytest.mark.parametrize("path", ["/admin/login/", "/healthz", "/sitemap.xml", "/robots.txt"])
def test_staff_and_machine_addresses_have_no_spanish_twin(client, path):
    assert client.get(path).status_code == 200
    assert client.get("/es" + path).status_code == 404


def test_the_sitemap_lists_each_page_in_both_languages_with_its_alternates(
    client, settings, shipped_guides
):
    sitemap = client.get("/sitemap.xml").content.decode()
    site = settings.SITE_URL
    for path in [*PAGES, "/medications/naltrexone/"]:
        assert f"<loc>{site}{path}</loc>" in sitemap
        assert f"<loc>{site}/es{path}</loc>" in sitemap
        for hreflang, href in (("en", site + path), ("es", f"{site}/es{path}")):
            assert f'<xhtml:link rel="alternate" hreflang="{hreflang}" href="{href}"/>' in sitemap
        assert f'<xhtml:link rel="alternate" hreflang="x-default" href="{site}{path}"/>' in sitemap


def test_the_home_page_structured_data_names_its_language(client, settings):
    for path, language in (("/", "en-US"), ("/es/", "es-US")):
        html = html_of(client, path)
        pages = [
            json.loads(block)
            for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)
        ]
        page = next(node for node in pages if node["@type"] == "WebPage")
        assert page["inLanguage"] == language
        assert page["url"] == settings.SITE_URL + path


# --- The Spanish pages ------------------------------------------------------------


def test_the_spanish_crisis_page_gives_988_in_spanish_samhsa_poison_control_and_911(client):
    html = html_of(client, "/es/crisis/")
    assert "llame o envíe un mensaje de texto al" in html and "y elija español" in html
    assert 'href="tel:988"' in html
    assert "Línea Nacional de Ayuda de SAMHSA" in html and "1-800-662-4357" in html
    assert 'href="tel:+18002221222"' in html and "1-800-222-1222" in html
    assert 'href="tel:911"' in html


def without_its_translation(slug: str) -> None:
    """The shipped guides (the shipped_guides fixture) with this slug's as if its
    Spanish file did not exist."""
    GuideTranslation.objects.filter(guide__slug=slug).delete()


def test_a_guide_in_spanish_says_it_is_not_translated_and_marks_its_english_text(
    client, shipped_guides
):
    without_its_translation("naltrexone")
    html = html_of(client, "/es/medications/naltrexone/")
    assert lang_of(html) == "es"
    assert html.count("Esta guía todavía no está traducida al español") == 1
    assert '<div class="guide__body" lang="en">' in html
    assert re.search(r'<h1 lang="en">[^<]*Naltrexone', html)
    # The FAQ and Sources sections are stored rendered in English (education.services).
    assert re.search(r'<div lang="en">\s*<section class="faq"', html)
    assert re.search(r'<div lang="en">\s*<section class="sources"', html)
    assert re.search(r'<div lang="en">\s*<section class="related"', html)
    # Dates in Spanish order and words.
    assert re.search(
        r"\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
        r"septiembre|octubre|noviembre|diciembre) de \d{4}",
        html,
    )
    english = html_of(client, "/medications/naltrexone/")
    assert "Esta guía" not in english and 'lang="en">' not in english.split("<body")[1]


def test_the_guide_list_in_spanish_has_spanish_headings_and_english_cells_marked(
    client, shipped_guides
):
    without_its_translation("naltrexone")
    html = html_of(client, "/es/medications/")
    assert "<h1>Medicamentos para las adicciones</h1>" in html
    assert "Compare las opciones" in html and '<th scope="col">Medicamento</th>' in html
    assert re.search(r'<tr lang="en">\s*<th scope="row">', html)


def test_the_opening_hours_in_spanish():
    schedule = schedule_parse(
        hours="mon-fri 08:00-20:00; sat,sun 09:00-17:00",
        closed_dates="",
        time_zone="America/New_York",
    )
    with translation.override("es"):
        assert schedule.describe() == (
            "de lunes a viernes, de 8:00 a 20:00; sábado y domingo, de 9:00 a 17:00, hora del Este"
        )
        monday = datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo("America/New_York"))
        friday = datetime(2026, 12, 4, 21, 0, tzinfo=ZoneInfo("America/New_York"))
        assert schedule.when(monday, friday) == "las 8:00 del lunes 7 de diciembre"
    assert schedule.describe() == (
        "Monday to Friday, 8 am to 8 pm; Saturday and Sunday, 9 am to 5 pm, Eastern Time"
    )


def test_the_spanish_form_shows_its_errors_and_its_consent_wording_in_spanish(client):
    data = form_data(client)
    data["first_name"] = ""
    response = client.post("/es/admissions/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert lang_of(html) == "es"
    assert "Revise una respuesta" in html
    assert "Escriba su nombre, o cualquier nombre con el que podamos llamarle." in html
    # The Spanish consent wording, its privacy-notice words linked to the Spanish notice.
    assert "Acepto que Cardinal Recovery me llame" in html and "I agree" not in html
    assert '<a href="/es/privacy/">aviso de privacidad</a>' in html
    assert Intake.objects.count() == 0


def test_the_spanish_form_saves_an_intake_and_thanks_in_spanish(client, navigator):
    response = client.post("/es/admissions/", form_data(client))
    assert response.status_code == 302
    assert response["Location"] == "/es/admissions/thanks/"
    intake = Intake.objects.get()
    record = ConsentRecord.objects.get(intake=intake)
    assert record.page == "/es/admissions/"
    # The record names the Spanish wording the person agreed to, as the English one does.
    spanish = consent.WORDINGS[consent.CURRENT_VERSIONS["es"]]
    assert spanish.language == "es" and spanish.version != consent.CURRENT_VERSION
    assert (record.wording_version, record.wording_sha256) == (spanish.version, spanish.sha256)
    thanks = html_of(client, response["Location"])
    assert lang_of(thanks) == "es"
    assert "Gracias. Recibimos su solicitud." in thanks and intake.reference in thanks
    assert "Un orientador le llamará" in thanks or "Ahora estamos cerrados" in thanks


@pytest.mark.parametrize(
    ("status", "english", "spanish"),
    [
        (404, "We could not find that page", "No encontramos esa página"),
        (500, "Sorry, something went wrong on our side", "Lo sentimos, algo falló de nuestro lado"),
        (503, "We are having trouble right now", "Estamos teniendo problemas en este momento"),
        (400, "Something was wrong with that request", "Hubo un problema con esa solicitud"),
        (403, "You do not have access to this page", "No tiene acceso a esta página"),
    ],
)
def test_error_pages_in_the_language_of_the_address(status, english, spanish):
    from cardinal import views

    render = {
        400: views.bad_request,
        403: views.permission_denied,
        404: views.page_not_found,
        500: lambda request: views.server_error(request),
        503: views.service_unavailable,
    }[status]
    for language, words in (("en", english), ("es", spanish)):
        with translation.override(language):
            response = render(None)
        html = response.content.decode()
        assert response.status_code == status
        assert lang_of(html) == language and words in html


def test_an_unknown_spanish_address_answers_the_spanish_404(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert lang_of(html) == "es" and "No encontramos esa página" in html
