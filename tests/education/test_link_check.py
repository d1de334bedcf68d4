"""The link check of the bibliography, against an HTTP server on loopback only.

Every source in these tests points at 127.0.0.1, DOIs go through a resolver on
the same server, and each connection the check opens is asserted to go there:
nothing here reaches the internet.
"""

import shutil
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from smtplib import SMTPException
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cardinal.celery import app as celery_app
from education import services, tasks
from education.models import Guide, Source
from education.services import link_check, sources_check_links
from tests.education.conftest import FIXTURE_CONTENT
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOOPBACK = "127.0.0.1"
SLOW_SECONDS = 1.0
SHORT_TIMEOUT = 0.2
OK, BROKEN, UNKNOWN = Source.LinkStatus.OK, Source.LinkStatus.BROKEN, Source.LinkStatus.UNKNOWN


class Handler(BaseHTTPRequestHandler):
    """ok 200; missing 404; slow answers after SLOW_SECONDS; moved redirects to ok;
    no-head refuses HEAD with 405; forbidden 403; loop redirects to itself; the
    resolver under /doi/ knows one DOI."""

    routes = {
        "/ok": (200, None),
        "/missing": (404, None),
        "/slow": (200, None),
        "/moved": (301, "/ok"),
        "/forbidden": (403, None),
        "/loop": (302, "/loop"),
        "/doi/10.1000/known": (302, "/ok"),
        "/doi/10.1000/unknown": (404, None),
    }

    def answer(self):
        self.server.requests.append((self.command, self.path, self.headers["User-Agent"]))
        if self.path == "/slow":
            time.sleep(SLOW_SECONDS)
        if self.path == "/no-head":
            code, location = (405, None) if self.command == "HEAD" else (200, None)
        else:
            code, location = self.routes.get(self.path, (404, None))
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        body = b"" if self.command == "HEAD" else b"page"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET = answer

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://{LOOPBACK}:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch, server):
    """Every connection goes to the loopback server; DOIs resolve there too."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(services, "DOI_RESOLVER", f"{server.base}/doi/")
    hosts = []
    connect = socket.create_connection

    def guarded(address, *args, **kwargs):
        hosts.append(address[0])
        assert address[0] == LOOPBACK, f"the link check tried to reach {address[0]}"
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    yield hosts
    assert set(hosts) <= {LOOPBACK}


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.SOURCES_CHECK_TIMEOUT_SECONDS = SHORT_TIMEOUT


def check(url):
    return link_check(url=url, timeout=SHORT_TIMEOUT, user_agent="test-agent")


def source(key, server, path="/ok", **fields):
    return Source.objects.create(key=key, title=f"Title of {key}", url=server.base + path, **fields)


# --- One address --------------------------------------------------------------------


def test_a_page_that_answers_200_works(server):
    result = check(server.base + "/ok")
    assert (result.status, result.code, result.problem) == (OK, 200, "")
    assert server.requests == [("HEAD", "/ok", "test-agent")]


def test_a_404_is_a_broken_link_after_head_and_get(server):
    result = check(server.base + "/missing")
    assert (result.status, result.code, result.problem) == (BROKEN, 404, "HTTP 404")
    assert [(method, path) for method, path, _ in server.requests] == [
        ("HEAD", "/missing"),
        ("GET", "/missing"),
    ]


def test_no_answer_within_the_timeout_is_a_broken_link(server):
    started = time.monotonic()
    result = check(server.base + "/slow")
    assert result.status == BROKEN and result.code is None
    assert result.problem == f"no answer within {SHORT_TIMEOUT:g} s"
    # HEAD and GET each waited the timeout, not the server's second.
    assert time.monotonic() - started < 2 * SLOW_SECONDS


def test_a_redirect_is_followed_to_the_page_with_the_same_method(server):
    result = check(server.base + "/moved")
    assert (result.status, result.code) == (OK, 200)
    assert [(method, path) for method, path, _ in server.requests] == [
        ("HEAD", "/moved"),
        ("HEAD", "/ok"),
    ]


def test_a_server_that_refuses_head_is_asked_with_get(server):
    result = check(server.base + "/no-head")
    assert (result.status, result.code) == (OK, 200)
    assert [(method, path) for method, path, _ in server.requests] == [
        ("HEAD", "/no-head"),
        ("GET", "/no-head"),
    ]


def test_a_site_that_turns_robots_away_cannot_be_told_either_way(server):
    result = check(server.base + "/forbidden")
    assert (result.status, result.code) == (UNKNOWN, 403)
    assert "open the link by hand" in result.problem


def test_a_redirect_loop_is_a_broken_link(server):
    result = check(server.base + "/loop")
    assert result.status == BROKEN and result.code == 302


def test_an_address_that_is_not_http_is_never_opened(server, loopback_only):
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/file"):
        result = check(url)
        assert (result.status, result.problem) == (UNKNOWN, "not a web address")
    assert server.requests == [] and loopback_only == []


def test_the_check_names_itself_with_the_site_address(server, settings):
    settings.SITE_URL = "https://cardinal.example"
    source("named", server)
    sources_check_links()
    assert server.requests[0][2] == "CardinalRecoveryLinkCheck/1.0 (+https://cardinal.example)"


# --- Every source -------------------------------------------------------------------


def test_every_source_url_and_doi_is_checked_and_its_state_stored(server, editor):
    works = source("works", server)
    gone = source("gone", server, "/missing")
    slow = source("slow", server, "/slow")
    moved = source("moved", server, "/moved")
    refused = source("refused", server, "/forbidden")
    doi_only = Source.objects.create(key="doi-only", title="By DOI", doi="10.1000/known")
    bad_doi = source("bad-doi", server, doi="10.1000/unknown")
    unlinked = Source.objects.create(key="unlinked", title="No address")
    before = timezone.now()
    report = sources_check_links()
    assert report.checked == 7 and report.ok == 3
    states = {
        s.key: (s.link_status, s.link_status_code)
        for s in Source.objects.all()
        if s.key != "unlinked"
    }
    assert states == {
        "works": (OK, 200),
        "gone": (BROKEN, 404),
        "slow": (BROKEN, None),
        "moved": (OK, 200),
        "refused": (UNKNOWN, 403),
        "doi-only": (OK, 200),
        "bad-doi": (BROKEN, 404),
    }
    for checked in (works, gone, slow, moved, refused, doi_only, bad_doi):
        checked.refresh_from_db()
        assert checked.link_checked_at >= before, checked.key
        assert (checked.link_broken_since is not None) == (checked.link_status == BROKEN)
    unlinked.refresh_from_db()
    assert unlinked.link_status == UNKNOWN and unlinked.link_checked_at is None
    requested = {path for _, path, _ in server.requests}
    assert {"/doi/10.1000/known", "/doi/10.1000/unknown", "/ok"} <= requested
    assert [s.key for s, _ in report.newly_broken] == ["bad-doi", "gone", "slow"]


def test_editors_get_one_mail_listing_the_new_breakages(server, editor, signed_reviewer):
    gone = source("gone", server, "/missing")
    source("bad-doi", server, doi="10.1000/unknown")
    source("works", server)
    make_user("eli-editor", "Editors")
    make_user("no-address", "Editors", email="")
    make_user("left", "Editors", is_active=False)
    guide = Guide.objects.create(
        slug="citer", title="Citer guide", medication="Citer", body="Text.[^gone]"
    )
    services.guide_render(guide=guide)
    sources_check_links()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "2 source links are broken"
    assert sorted(message.to) == ["edith-editor@cardinal.example", "eli-editor@cardinal.example"]
    assert "[gone] Title of gone" in message.body and "Problem: HTTP 404" in message.body
    assert f"Address: {server.base}/doi/10.1000/unknown" in message.body
    assert "Cited by: Citer guide" in message.body
    assert reverse("admin:education_source_change", args=[gone.pk]) in message.body
    assert "link_status__exact=broken" in message.body
    assert "[works]" not in message.body


def test_a_breakage_is_mailed_once_and_again_only_after_it_was_fixed(server, editor):
    gone = source("gone", server, "/missing")
    sources_check_links()
    gone.refresh_from_db()
    since = gone.link_broken_since
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "A source link is broken"

    report = sources_check_links()
    gone.refresh_from_db()
    assert len(mail.outbox) == 1 and report.newly_broken == [] and len(report.broken) == 1
    assert gone.link_broken_since == since and gone.link_checked_at > since

    Source.objects.filter(pk=gone.pk).update(url=server.base + "/ok")
    sources_check_links()
    gone.refresh_from_db()
    assert (gone.link_status, gone.link_broken_since) == (OK, None)

    Source.objects.filter(pk=gone.pk).update(url=server.base + "/missing")
    sources_check_links()
    assert len(mail.outbox) == 2


def test_nothing_new_broken_sends_no_mail(server, editor):
    source("works", server)
    source("refused", server, "/forbidden")
    report = sources_check_links()
    assert report.newly_broken == [] and len(report.unknown) == 1
    assert mail.outbox == []


def test_no_mail_when_asked_not_to_but_the_state_is_stored(server, editor):
    gone = source("gone", server, "/missing")
    sources_check_links(mail=False)
    gone.refresh_from_db()
    assert gone.link_status == BROKEN and mail.outbox == []


def test_a_failed_mail_undoes_the_run_so_the_retry_mails_the_same_breakages(server, editor):
    gone = source("gone", server, "/missing")
    with (
        patch.object(services, "send_mail", side_effect=SMTPException("down")),
        pytest.raises(SMTPException),
    ):
        sources_check_links()
    gone.refresh_from_db()
    assert gone.link_status == UNKNOWN and gone.link_checked_at is None
    assert len(sources_check_links().newly_broken) == 1 and len(mail.outbox) == 1


def test_a_check_changes_no_page(server, editor):
    cited = source("cited", server, "/missing")
    guide = Guide.objects.create(slug="citer", title="Citer", medication="Citer", body="A.[^cited]")
    services.guide_render(guide=guide)
    guide.refresh_from_db()
    cited.refresh_from_db()
    with patch("education.page_cache.content_changed") as retire:
        sources_check_links()
    retire.assert_not_called()
    after = Guide.objects.get(pk=guide.pk)
    assert after.updated_at == guide.updated_at
    assert after.content_fingerprint == guide.content_fingerprint
    assert Source.objects.get(pk=cited.pk).updated_at == cited.updated_at


# --- Command, task, schedule, admin -------------------------------------------------


def test_check_sources_lists_the_broken_and_unchecked_links(server, editor, capsys):
    source("gone", server, "/missing")
    source("refused", server, "/forbidden")
    source("works", server)
    call_command("check_sources", "--no-mail")
    out = capsys.readouterr().out
    assert f"broken (new)  gone  {server.base}/missing  HTTP 404" in out
    assert f"unknown  refused  {server.base}/forbidden  HTTP 403" in out
    assert "3 sources checked: 1 working, 1 broken (1 new), 1 could not be checked." in out
    assert mail.outbox == []
    call_command("check_sources", "--timeout", "1")
    assert "broken  gone" in capsys.readouterr().out and len(mail.outbox) == 0


def test_check_sources_mails_the_editors_and_says_so(server, editor, capsys):
    source("gone", server, "/missing")
    call_command("check_sources")
    assert "mailed to 1 editor." in capsys.readouterr().out and len(mail.outbox) == 1


def test_the_weekly_task_runs_the_check(server, editor):
    source("gone", server, "/missing")
    assert tasks.sources_check_links() == 1
    assert len(mail.outbox) == 1
    assert tasks.sources_check_links() == 0


def test_beat_runs_the_check_once_a_week():
    entry = settings.CELERY_BEAT_SCHEDULE["sources-check-links"]
    assert entry["task"] == tasks.sources_check_links.name
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    schedule = entry["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1}, {6}, {0})
    assert entry["options"]["expires"] < timedelta(days=7).total_seconds()


def test_the_sources_admin_shows_broken_links_with_a_filter(client, server, editor):
    source("gone", server, "/missing")
    source("works", server)
    source("unchecked", server)
    sources_check_links(mail=False)
    Source.objects.filter(key="unchecked").update(link_status=UNKNOWN, link_checked_at=None)
    client.force_login(editor)
    changelist = reverse("admin:education_source_changelist")
    html = client.get(changelist).content.decode()
    assert "<strong>broken link</strong> (HTTP 404)" in html
    assert "works" in html and "not checked" in html
    filtered = client.get(changelist, {"link_status__exact": "broken"}).content.decode()
    assert "Title of gone" in filtered
    assert "Title of works" not in filtered and "Title of unchecked" not in filtered
    gone = Source.objects.get(key="gone")
    page = client.get(reverse("admin:education_source_change", args=[gone.pk])).content
    assert "broken link</strong> (HTTP 404), since" in page.decode()


def test_a_guide_in_the_admin_marks_its_broken_sources(client, server, editor):
    source("gone", server, "/missing")
    source("works", server)
    guide = Guide.objects.create(
        slug="citer", title="Citer", medication="Citer", body="A.[^gone] B.[^works]"
    )
    services.guide_render(guide=guide)
    sources_check_links(mail=False)
    client.force_login(editor)
    html = client.get(reverse("admin:education_guide_change", args=[guide.pk])).content.decode()
    assert "[1] gone</a> (broken link)" in html
    assert "[2] works</a>" in html and "[2] works</a> (broken link)" not in html


def test_a_new_address_forgets_the_last_check(client, server, reviewer, tmp_path):
    gone = source("gone", server, "/missing")
    sources_check_links(mail=False)
    client.force_login(reviewer)
    data = {name: getattr(gone, name) for name in ("key", "authors", "title", "venue", "year")}
    data |= {"url": server.base + "/ok", "doi": "", "language": "en", "_save": "Save"}
    response = client.post(reverse("admin:education_source_change", args=[gone.pk]), data)
    assert response.status_code == 302
    gone.refresh_from_db()
    assert (gone.link_status, gone.link_checked_at, gone.link_broken_since) == (UNKNOWN, None, None)
    sources_check_links(mail=False)
    title_only = Source.objects.get(pk=gone.pk)
    Source.objects.filter(pk=gone.pk).update(title="Retitled")
    title_only.title = "Retitled again"
    title_only.save()
    assert Source.objects.get(pk=gone.pk).link_status == OK  # only an address change forgets


def test_the_loader_forgets_the_check_of_a_source_whose_address_changed(server, tmp_path):
    # Loads the fixture bibliography (example.org addresses) and checks no link.
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    call_command("load_guides", str(content), stdout=None)
    moved = Source.objects.get(url="https://example.org/alpha-trial")
    kept = Source.objects.exclude(pk=moved.pk).first()
    Source.objects.update(
        link_status=BROKEN, link_checked_at=timezone.now(), link_broken_since=timezone.now()
    )
    toml = content / "sources.toml"
    toml.write_text(toml.read_text().replace(moved.url, "https://example.org/moved", 1))
    call_command("load_guides", str(content), stdout=None)
    assert Source.objects.get(pk=moved.pk).link_status == UNKNOWN
    assert Source.objects.get(pk=kept.pk).link_status == BROKEN
