"""The site's two languages: English at the root, Spanish under /es/.

The address alone says a page's language. Django's LocaleMiddleware would also
mark every English page `Vary: Accept-Language` (the guide page cache keeps no
such response) and reads the browser's preference; this site never redirects or
switches by it. A browser that prefers Spanish is offered the Spanish page by a
line in the English one (static/js/site.js shows it), so every page stays the
same for every visitor and caches may keep it.
"""

from urllib.parse import unquote

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_from_path

# The languages each page exists in, and the one search engines are sent to when
# none matches the reader (hreflang="x-default").
DEFAULT_LANGUAGE = "en"


class PathLanguageMiddleware:
    """Activate the language of the address (English when it has no prefix)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", language)
            return response
        finally:
            translation.activate(settings.LANGUAGE_CODE)


def page_url(path: str, language: str) -> str:
    """The address of the page at `path` in `language` (the same path when the
    page has no other language, e.g. the admin)."""
    return translate_url(path, language)


# The language tags of the pages' structured data (JSON-LD inLanguage).
CONTENT_LANGUAGES = {"en": "en-US", "es": "es-US"}


def content_language() -> str:
    """The JSON-LD inLanguage of the page being rendered."""
    return CONTENT_LANGUAGES.get(translation.get_language() or "", CONTENT_LANGUAGES["en"])


def page_urls(path: str) -> dict[str, str]:
    """page_url(path, code) for every language, by code: the path resolved once and
    reversed in each language (translate_url resolves it again for every language;
    the language links of every page need them all)."""
    codes = [code for code, _ in settings.LANGUAGES]
    try:
        match = resolve(unquote(path))
    except Resolver404:
        return dict.fromkeys(codes, path)
    urls = {}
    for code in codes:
        with translation.override(code):
            try:
                urls[code] = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                urls[code] = path
    return urls


def alternates(path: str, urls: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of the page at `path` in every language, then x-default.
    urls: page_urls(path), when the caller has them already."""
    urls = page_urls(path) if urls is None else urls
    pairs = [(code, settings.SITE_URL + urls[code]) for code, _ in settings.LANGUAGES]
    default = dict(pairs)[DEFAULT_LANGUAGE]
    return [*pairs, ("x-default", default)]


def languages(request=None) -> dict:
    """Template context: the other language's link for the header, the page's canonical
    address and its hreflang alternates. Empty without a request (the error pages)."""
    if request is None or not hasattr(request, "path"):
        return {}
    current = translation.get_language() or DEFAULT_LANGUAGE
    names = dict(settings.LANGUAGES)
    other = next(code for code, _ in settings.LANGUAGES if code != current)
    query = request.META.get("QUERY_STRING", "")
    urls = page_urls(request.path)
    other_path = urls[other]
    return {
        "CANONICAL_URL": settings.SITE_URL + request.path,
        "LANGUAGE_ALTERNATES": alternates(request.path, urls),
        "OTHER_LANGUAGE": other,
        "OTHER_LANGUAGE_NAME": names[other],
        "OTHER_LANGUAGE_URL": other_path + (f"?{query}" if query else ""),
        "SPANISH_URL": urls["es"],
        # On an element that shows guide content, which is English until it is translated.
        "EN_CONTENT": mark_safe(' lang="en"') if current != DEFAULT_LANGUAGE else "",
    }
