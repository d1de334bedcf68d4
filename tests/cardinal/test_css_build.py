"""The parts of Bootstrap the site ships (static/css/bootstrap.used.css and
bootstrap.forms.css, scripts/build_css.py): exactly what the build makes from the
pinned inputs, and holding every Bootstrap class a public page uses.

The build runs PurgeCSS with Node.js (`npm ci` installs it, as `make test` does).
"""

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.admissions.helpers import form_data

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_css.py"
CSS = ROOT / "static" / "css"
# A comment, the selectors (text before a "{") of a stylesheet, and a class in them.
COMMENT = re.compile(r"/\*.*?\*/", re.S)
SELECTORS = re.compile(r"([^{}]+)\{")
CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")

# Every kind of public page: the guides come from the shipped content.
PAGES = ["/", "/privacy/", "/editorial-policy/", "/crisis/", "/about-our-care/", "/medications/"]
PAGES += ["/no-such-page/", "/admissions/"]


def build_css():
    spec = importlib.util.spec_from_file_location("build_css", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def classes_in(css: str) -> set[str]:
    selectors = SELECTORS.findall(COMMENT.sub("", css))
    return {name for selector in selectors for name in CLASS.findall(selector)}


class PageClasses(HTMLParser):
    """The classes a page's elements carry, and the Bootstrap stylesheet it links."""

    def __init__(self):
        super().__init__()
        self.classes: set[str] = set()
        self.bootstrap: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.update((attrs.get("class") or "").split())
        href = attrs.get("href") or ""
        if tag == "link" and attrs.get("rel") == "stylesheet" and "/bootstrap." in href:
            self.bootstrap.append(href.rsplit("/", 1)[1])


def test_the_shipped_bootstrap_stylesheets_are_what_the_build_makes_from_the_pinned_inputs():
    built = build_css().build()
    assert set(built) == {CSS / "bootstrap.used.css", CSS / "bootstrap.forms.css"}
    for path, css in built.items():
        assert path.read_text() == css, (
            f"{path.relative_to(ROOT)} is not what scripts/build_css.py builds: run `make css`"
        )
        assert css.startswith('@charset "UTF-8";\n/* Built by scripts/build_css.py')
        assert "sourceMappingURL" not in css  # collectstatic would look for the map


def test_the_pages_without_a_form_load_a_small_part_of_bootstrap():
    whole = classes_in(build_css().BOOTSTRAP_CSS.read_text())
    used = classes_in((CSS / "bootstrap.used.css").read_text())
    forms = classes_in((CSS / "bootstrap.forms.css").read_text())
    assert used < forms < whole
    assert len(forms) < len(whole) / 5
    assert "form-control" in forms and "form-control" not in used
    assert {"modal", "carousel", "accordion", "navbar"}.isdisjoint(forms)


@pytest.mark.django_db
def test_every_bootstrap_class_a_public_page_uses_is_in_the_stylesheet_it_links(
    client, shipped_guides
):
    bootstrap = classes_in(build_css().BOOTSTRAP_CSS.read_text())
    guides = [f"/medications/{slug}/" for slug in ("baclofen", "naloxone")]
    pages = [(url, client.get(url)) for url in PAGES + guides]
    # The form again with its answers refused: the error states of the controls.
    refused = client.post("/admissions/", form_data(client, first_name="", phone="12"))
    pages.append(("/admissions/ (refused)", refused))

    checked = set()
    for url, response in pages:
        assert response.status_code in (200, 404), (url, response.status_code)
        page = PageClasses()
        page.feed(response.content.decode())
        assert len(page.bootstrap) == 1, (url, page.bootstrap)
        shipped = classes_in((CSS / page.bootstrap[0]).read_text())
        missing = (page.classes & bootstrap) - shipped
        assert not missing, f"{url} uses {sorted(missing)}, not in {page.bootstrap[0]}"
        checked |= page.classes & bootstrap
    # The pages did use Bootstrap: buttons, the breadcrumb, the form and its errors.
    assert {"btn", "btn-primary", "breadcrumb-item", "form-control", "is-invalid"} <= checked


def test_the_full_bootstrap_is_not_served():
    """Only the purged stylesheets are static files: the package's full Bootstrap,
    the build's input, is neither collected nor reachable under /static/."""
    from django.contrib.staticfiles import finders

    assert finders.find("css/bootstrap.used.css")
    assert finders.find("js-lib-bootstrap5/css/bootstrap.min.css") is None
    assert not any(
        path.startswith("js-lib-bootstrap5/")
        for finder in finders.get_finders()
        for path, _storage in finder.list([])
    )
