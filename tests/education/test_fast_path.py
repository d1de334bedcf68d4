"""The fast path for anonymous guide pages (education/page_cache.py).

A page served from memory must be byte for byte and header for header the page
the full stack renders, must change the moment the content changes, and must
never reach a request that needs the full stack (staff, previews, conditional
requests, another scheme or host).
"""

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cardinal import staff_marker
from education import models, page_cache
from education.models import Guide
from education.services import guide_render

FAST_PATH = "education.page_cache.GuidePageCacheMiddleware"


def without_fast_path(settings, url, **kwargs):
    """The response of the full stack alone, as the reference."""
    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = [name for name in full if name != FAST_PATH]
    try:
        return Client().get(url, **kwargs)
    finally:
        settings.MIDDLEWARE = full


def queries_for(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, len(queries)


def test_second_anonymous_get_is_served_without_a_query(client, make_guide):
    url = make_guide().get_absolute_url()
    first, first_queries = queries_for(client, url)
    second, second_queries = queries_for(client, url)
    assert first_queries == 1  # the guide row: every section and its testimonials are on it
    assert second_queries == 0
    assert second.status_code == 200
    assert second.content == first.content


def test_served_page_has_the_headers_and_bytes_of_a_rendered_one(client, make_guide, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    url = make_guide().get_absolute_url()
    client.get(url, secure=True)
    served, queries = queries_for(client, url, secure=True)
    reference = without_fast_path(settings, url, secure=True)
    assert queries == 0
    assert served.content == reference.content
    assert dict(served.headers) == dict(reference.headers)
    for header in (
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "Cache-Control",
        "ETag",
        "Last-Modified",
        "Content-Length",
        "X-Frame-Options",
        "Permissions-Policy",
    ):
        assert served.has_header(header), header
    assert not served.cookies


def test_guide_list_is_served_from_memory_too(client, make_guide):
    make_guide()
    url = reverse("education:guide-list")
    first = client.get(url)
    second, queries = queries_for(client, url)
    assert queries == 0
    assert second.content == first.content


def test_conditional_request_after_a_stored_page_gets_the_views_304(client, make_guide, settings):
    url = make_guide().get_absolute_url()
    etag = client.get(url)["ETag"]
    answer, queries = queries_for(client, url, headers={"If-None-Match": etag})
    reference = without_fast_path(settings, url, headers={"If-None-Match": etag})
    assert answer.status_code == reference.status_code == 304
    assert queries == 1  # the view's validator query: the view answered
    assert dict(answer.headers) == dict(reference.headers)


def test_an_edit_changes_the_served_page_at_once(client, make_guide):
    guide = make_guide()
    url = guide.get_absolute_url()
    client.get(url)
    guide.body = "## Changed\n\nFresh wording.[^label]"
    guide_render(guide=guide)
    assert "Fresh wording." in client.get(url).content.decode()


def test_publishing_and_unpublishing_show_at_once(client, make_guide):
    guide = make_guide(status=Guide.Status.REVIEW)
    url = guide.get_absolute_url()
    assert client.get(url).status_code == 404
    guide.status = Guide.Status.PUBLISHED
    guide.save()
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # now stored
    guide.status = Guide.Status.DRAFT
    guide.save()
    assert client.get(url).status_code == 404


def test_deleting_a_guide_stops_serving_it(client, make_guide):
    guide = make_guide()
    url = guide.get_absolute_url()
    client.get(url)
    guide.delete()
    assert client.get(url).status_code == 404


def test_editing_a_source_changes_every_page_citing_it(client, make_guide, sources):
    url = make_guide().get_absolute_url()
    client.get(url)
    source = sources["label"]
    source.title = "A corrected title"
    source.save()
    assert "A corrected title." in client.get(url).content.decode()


def test_approving_a_testimonial_shows_it_at_once(client, make_guide):
    guide = make_guide()
    url = guide.get_absolute_url()
    client.get(url)
    models.Testimonial.objects.create(
        guide=guide, text="Worth the call", attribution="K.L.", consent_on_file=True, approved=True
    )
    assert "Worth the call" in client.get(url).content.decode()


def test_linking_a_related_guide_shows_it_at_once(client, make_guide):
    guide = make_guide()
    other = make_guide("otheramab")
    url = guide.get_absolute_url()
    client.get(url)
    guide.related.add(other)
    assert 'id="related"' in client.get(url).content.decode()


def test_a_change_retires_pages_again_when_it_commits(
    make_guide, django_capture_on_commit_callbacks
):
    # A page rendered from the old rows between the change and its commit is
    # stored under the generation the change set first; the commit replaces it.
    guide = make_guide()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        guide.title = "Renamed"
        guide.save()
        during = page_cache.current_generation()
    for callback in callbacks:
        callback()
    assert page_cache.current_generation() != during


def test_signed_in_staff_get_the_full_stack_and_a_renewed_session(client, make_guide, reviewer):
    url = make_guide().get_absolute_url()
    client.get(url)
    client.get(url)
    client.force_login(reviewer)
    client.get("/")  # any page through the full stack sets the staff marker
    assert staff_marker.COOKIE_NAME in client.cookies
    response, queries = queries_for(client, url)
    assert response.status_code == 200
    assert queries > 0
    assert "sessionid" in response.cookies


def test_a_session_cookie_alone_gets_the_stored_page(client, make_guide):
    url = make_guide().get_absolute_url()
    client.get(url)
    client.cookies["sessionid"] = "anything"
    response, queries = queries_for(client, url)
    assert response.status_code == 200
    assert queries == 0
    assert not response.cookies


def test_a_forged_staff_marker_gets_the_stored_page(client, make_guide, reviewer):
    url = make_guide().get_absolute_url()
    client.get(url)
    staff = Client()
    staff.force_login(reviewer)
    staff.get("/")
    # Another session's marker, or a made-up one, with a session cookie of one's own.
    for marker in (staff.cookies[staff_marker.COOKIE_NAME].value, "1"):
        client.cookies["sessionid"] = "anything"
        client.cookies[staff_marker.COOKIE_NAME] = marker
        response, queries = queries_for(client, url)
        assert response.status_code == 200
        assert queries == 0, marker


def test_query_string_bypasses_and_is_never_stored(client, make_guide):
    url = make_guide().get_absolute_url()
    client.get(url, {"preview": "1"})
    _, stored_queries = queries_for(client, url)
    assert stored_queries > 0  # the ?preview request left nothing to serve
    _, preview_queries = queries_for(client, url, query_params={"preview": "1"})
    assert preview_queries > 0


def test_staff_preview_of_a_draft_never_reaches_visitors(client, make_guide, reviewer):
    guide = make_guide(status=Guide.Status.DRAFT)
    staff = Client()
    staff.force_login(reviewer)
    preview = staff.get(reverse("admin:education_guide_preview", args=[guide.pk]))
    assert preview.status_code == 200
    assert client.get(guide.get_absolute_url()).status_code == 404


def test_a_page_stored_for_https_is_not_served_over_http(client, make_guide, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    url = make_guide().get_absolute_url()
    assert client.get(url, secure=True).has_header("Strict-Transport-Security")
    assert client.get(url, secure=True).has_header("Strict-Transport-Security")
    assert not client.get(url).has_header("Strict-Transport-Security")


def test_plain_http_still_gets_the_redirect_to_https(client, make_guide, settings):
    settings.SECURE_SSL_REDIRECT = True
    url = make_guide().get_absolute_url()
    client.get(url, secure=True)
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_a_stored_page_is_refused_to_a_host_the_site_does_not_serve(client, make_guide):
    url = make_guide().get_absolute_url()
    client.get(url)
    assert client.get(url, headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.filterwarnings("ignore")
def test_pages_render_normally_while_the_shared_cache_is_down(client, make_guide, settings):
    url = make_guide().get_absolute_url()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    for _ in range(2):
        response, queries = queries_for(client, url)
        assert response.status_code == 200
        assert queries == 1


def test_a_change_made_in_another_process_is_seen(client, make_guide, monkeypatch):
    # Another process edits the row and replaces the shared generation; this one
    # reads the generation again once GENERATION_CHECK_SECONDS have passed.
    monkeypatch.setattr(page_cache, "GENERATION_CHECK_SECONDS", 0)
    guide = make_guide()
    url = guide.get_absolute_url()
    client.get(url)
    Guide.objects.filter(pk=guide.pk).update(title="Retitled elsewhere")
    assert "Retitled elsewhere" not in client.get(url).content.decode()  # no signal here
    cache.set(page_cache.GENERATION_KEY, "set-by-another-process", timeout=None)
    assert "Retitled elsewhere" in client.get(url).content.decode()


def test_the_shared_generation_is_read_at_most_once_per_interval(client, make_guide, monkeypatch):
    monkeypatch.setattr(page_cache, "GENERATION_CHECK_SECONDS", 60)
    url = make_guide().get_absolute_url()
    client.get(url)
    cache.set(page_cache.GENERATION_KEY, "set-by-another-process", timeout=None)
    _, queries = queries_for(client, url)
    assert queries == 0  # still within the interval: the stored page is served


def test_the_app_config_connects_the_invalidation_receivers(make_guide):
    # Importing the views (the test client has) connects nothing: ready() does.
    guide = make_guide()
    config = apps.get_app_config("education")
    for signal, _receiver, sender, uid in config.signal_receivers():
        signal.disconnect(sender=sender, dispatch_uid=uid)
    try:
        assert not post_save.has_listeners(Guide)
        assert not post_delete.has_listeners(models.Testimonial)
        before = page_cache.current_generation()
        guide.save()
        assert page_cache.current_generation() == before
    finally:
        config.ready()
    assert post_save.has_listeners(Guide) and post_delete.has_listeners(models.FAQ)
    assert m2m_changed.has_listeners(Guide.related.through)
    assert post_save.has_listeners(models.Source) and post_save.has_listeners(models.Testimonial)
    guide.save()
    assert page_cache.current_generation() != before


def test_ready_connects_each_receiver_once(make_guide):
    apps.get_app_config("education").ready()
    guide = make_guide()
    guide.save()
    before = page_cache._local_changes
    guide.save()
    assert page_cache._local_changes == before + 1
