"""The sitemap section of the guides: every published guide, with the date its
content last changed (Guide.content_updated_on, from its change log)."""

from django.contrib.sitemaps import Sitemap

from education.models import Guide


class GuideSitemap(Sitemap):
    def items(self):
        return Guide.objects.published().only("slug", "content_updated_on", "updated_at")

    def lastmod(self, guide):
        return guide.content_updated_on or guide.updated_at
