"""The sitemap: the site's own pages and every published guide, with absolute SITE_URL links."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from education import sitemaps as education_sitemaps


class SiteUrlSitemap(Sitemap):
    """Links on SITE_URL's scheme and host, whatever host the request used; each page
    in English and in Spanish, each entry naming both and x-default (English)."""

    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(SiteUrlSitemap):
    """The site's own pages: home, the guide list, the intake form and the
    information pages. A new public page adds its URL name here."""

    def items(self):
        return [
            "home",
            "education:guide-list",
            "admissions:intake",
            # Information pages
            "about-our-care",
            "editorial-policy",
            "privacy",
            "crisis",
        ]

    def location(self, item):
        return reverse(item)


class GuideSitemap(SiteUrlSitemap, education_sitemaps.GuideSitemap):
    """The published guides, on SITE_URL."""


SITEMAPS = {"pages": PageSitemap, "guides": GuideSitemap}
