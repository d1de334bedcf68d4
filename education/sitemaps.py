"""The sitemap section of the guides: every published guide, with its last change."""

from django.contrib.sitemaps import Sitemap

from education.models import Guide


class GuideSitemap(Sitemap):
    def items(self):
        return Guide.objects.published().only("slug", "updated_at")

    def lastmod(self, guide):
        return guide.updated_at
