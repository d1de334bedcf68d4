"""What every public page pays for its shared parts (the context processors, the
static files' addresses): work done once, not once per use."""

import re
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls.resolvers import URLResolver
from django.utils import translation
from whitenoise.storage import CompressedManifestStaticFilesStorage

from cardinal import i18n
from cardinal.lib.static import ManifestStaticFilesStorage
from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env

PATHS = ["/", "/medications/", "/medications/baclofen/", "/admissions/", "/privacy/"]


def resolves_during(function) -> int:
    """How many times the root URL resolver matched an address while `function` ran."""
    original = URLResolver.resolve
    calls = []

    def counted(resolver, path):
        if resolver.pattern.regex.pattern == "^/":  # the root: one per address resolved
            calls.append(path)
        return original(resolver, path)

    with mock.patch.object(URLResolver, "resolve", counted):
        function()
    return len(calls)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_language_links_resolve_the_address_once(rf, language):
    prefix = "" if language == "en" else "/es"
    request = rf.get(f"{prefix}/medications/baclofen/")
    with translation.override(language):
        context = {}
        assert resolves_during(lambda: context.update(i18n.languages(request))) == 1
    other = "/es" if language == "en" else ""
    assert context["OTHER_LANGUAGE_URL"] == f"{other}/medications/baclofen/"
    assert context["SPANISH_URL"] == "/es/medications/baclofen/"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "path", [*PATHS, "/admin/", "/sitemap.xml", "/no/such/page/", "/es/medications/baclofen/"]
)
def test_the_page_urls_are_the_translated_addresses(language, path):
    # The same addresses as Django's translate_url gives one language at a time, for
    # pages in both languages, pages in one only, and addresses that match nothing.
    with translation.override(language):
        expected = {code: i18n.page_url(path, code) for code in ("en", "es")}
        assert i18n.page_urls(path) == expected


@pytest.fixture
def collected(tmp_path, settings):
    """A STATIC_ROOT with one file collected by the production storage (its manifest)."""
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "cardinal.lib.static.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    return ManifestStaticFilesStorage()


def test_a_static_address_is_worked_out_once_per_process(collected):
    looked_up = []
    original = ManifestStaticFilesStorage.stored_name

    def counted(storage, name):
        looked_up.append(name)
        return original(storage, name)

    with mock.patch.object(ManifestStaticFilesStorage, "stored_name", counted):
        first = collected.url("css/site.css")
        assert [collected.url("css/site.css") for _ in range(5)] == [first] * 5
    assert looked_up == ["css/site.css"]  # in the manifest once, not six times
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", first)
    assert first == CompressedManifestStaticFilesStorage().url("css/site.css")


def test_a_static_file_missing_from_the_manifest_still_fails_every_time(collected):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            collected.url("css/none.css")


def test_the_production_settings_use_the_storage_that_keeps_addresses():
    production = settings_from_env(DJANGO_DEBUG="0", **PRODUCTION_SECRETS)
    backend = production["STORAGES"]["staticfiles"]["BACKEND"]
    assert backend == "cardinal.lib.static.ManifestStaticFilesStorage"
