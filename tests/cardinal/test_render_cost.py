"""What every public page pays for its shared parts (the context processors): work
done once per request, not once per use."""

from unittest import mock

import pytest
from django.urls.resolvers import URLResolver
from django.utils import translation

from cardinal import i18n

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
