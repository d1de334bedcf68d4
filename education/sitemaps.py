"""The sitemap section of the guides: every published guide, in each language, with
the date the content of that language's page last changed: the guide's change log
(Guide.content_updated_on) for the English page, the translation's own
(GuideTranslation.content_updated_on) for a translated page. A language with no
published translation shows the English text, so its page takes the English date."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Prefetch
from django.utils import timezone

from education.models import Guide, GuideTranslation


def content_date(page: Guide | GuideTranslation):
    """The change log's date, or the day the row last moved when there is none."""
    return page.content_updated_on or timezone.localdate(page.updated_at)


class GuideSitemap(Sitemap):
    def items(self):
        translations = GuideTranslation.objects.filter(
            status=GuideTranslation.Status.PUBLISHED
        ).only("guide_id", "language", "content_updated_on", "updated_at")
        return (
            Guide.objects.published()
            .only("slug", "content_updated_on", "updated_at")
            .prefetch_related(
                Prefetch("translations", queryset=translations, to_attr="published_translations")
            )
        )

    def lastmod(self, guide):
        return content_date(guide)

    def lastmod_in(self, guide: Guide, language: str):
        texts: list[GuideTranslation] = guide.published_translations  # type: ignore[attr-defined]
        for text in texts:
            if text.language == language:
                return content_date(text)
        return content_date(guide)

    def get_urls(self, page=1, site=None, protocol=None):
        """Django's entries, with each translated page's own date. Django asks
        lastmod() for the guide alone, not the language of the entry (Sitemap._get);
        each entry's item is (guide, language) when the sitemap lists languages."""
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        if not self.i18n:
            return urls
        for url in urls:
            guide, language = url["item"]
            url["lastmod"] = self.lastmod_in(guide, language)
        if urls:
            self.latest_lastmod = max(url["lastmod"] for url in urls)
        return urls
