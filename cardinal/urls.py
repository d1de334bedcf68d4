"""Top-level URL configuration."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.cache import cache_control

from admissions import duty
from cardinal import twofactor, views
from cardinal.sitemaps import SITEMAPS

# The public site: English at the root, Spanish under /es/ (cardinal/i18n.py).
public_patterns: list[URLPattern | URLResolver] = [
    path("", views.HomePage.as_view(), name="home"),
    path("privacy/", views.PublicPage.as_view(template_name="pages/privacy.html"), name="privacy"),
    path(
        "editorial-policy/",
        views.PublicPage.as_view(template_name="pages/editorial_policy.html"),
        name="editorial-policy",
    ),
    path("crisis/", views.PublicPage.as_view(template_name="pages/crisis.html"), name="crisis"),
    path("about-our-care/", views.AboutCarePage.as_view(), name="about-our-care"),
    path("medications/", include("education.urls")),
    path("admissions/", include("admissions.urls")),
]

# One address in every language: machines' files, health checks and the staff side.
urlpatterns = [
    *i18n_patterns(*public_patterns, prefix_default_language=False),
    path(
        "robots.txt",
        views.PublicPage.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path(
        "sitemap.xml",
        cache_control(public=True, max_age=3600)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("staff/two-factor/enrol/", twofactor.enrol, name=twofactor.ENROL_URL_NAME),
    path("staff/two-factor/setup/", twofactor.setup, name=twofactor.SETUP_URL_NAME),
    path("staff/two-factor/verify/", twofactor.verify, name=twofactor.VERIFY_URL_NAME),
    path("admin/duty/", duty.duty_set, name=duty.URL_NAME),  # before the admin's catch-all
    path("admin/", admin.site.urls),
]

handler400 = "cardinal.views.bad_request"
handler403 = "cardinal.views.permission_denied"
handler404 = "cardinal.views.page_not_found"
handler500 = "cardinal.views.server_error"

admin.site.site_header = "Cardinal Recovery staff"
admin.site.site_title = "Cardinal Recovery staff"
admin.site.index_title = "Work queue and content"
