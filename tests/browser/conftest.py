"""Browser tier: Debian's Chromium driven by Playwright, one browser per session.

Playwright never downloads a browser here: it launches /usr/bin/chromium.
Screenshots land in test-artifacts/screenshots/ for a person to look at.
"""

import struct
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.test import override_settings
from pytest_django.plugin import pytest_collection_modifyitems as django_test_order

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    # pytest-django runs database tests first, transactional ones (which empty every
    # table, migration data included) after them and the rest last. pytest then moves
    # all tests of one browser together, which would bring the transactional browser
    # tests up next to the gate's plain database tests, ahead of other apps' tests
    # that rely on migration data: sort once more, keeping pytest-django's order.
    django_test_order(items)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.jpg.

    JPEG, which Chromium encodes in half the time PNG takes a long guide page.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.jpg"
    page.screenshot(path=str(target), full_page=True, type="jpeg", quality=70)
    return target


def image_width(jpeg: bytes) -> int:
    """The width in pixels a JPEG's frame header gives."""
    at = 2  # after the start-of-image marker
    while at + 9 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        # Start of frame: SOF0 to SOF15 but DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return struct.unpack(">H", jpeg[at + 7 : at + 9])[0]
        at += 2 + length
    raise ValueError("not a JPEG with a frame header")


@pytest.fixture
def screenshot():
    """save_screenshot(page, name); each test gives its screenshots names of their own."""
    return save_screenshot


@pytest.fixture
def site_url(live_server):
    return live_server.url


@contextmanager
def rows_removed_afterwards():
    """Empty again, on the way out, every table that is empty on the way in.

    Rows that were there before (content types, permissions, the groups the
    migrations create) stay, so the tests that follow find the database as
    the migrations left it.
    """
    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    empty = [model._meta.db_table for model in models if not model._base_manager.exists()]
    try:
        yield
    finally:
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), empty))


@pytest.fixture(scope="session")
def gate(browser, django_db_setup, django_db_blocker):
    """The quality gate's findings for every public page (tests/browser/gate.py).

    The walk runs once per session, on a server of its own, so the tests that
    read its findings need no live_server and no database flush each. It loads
    the shipped guides and sends the intake form (tasks run in-process, as in
    every other browser test), and removes what it wrote when it is done.
    """
    from pytest_django.live_server_helper import LiveServer

    from cardinal.celery import app
    from tests.browser.gate import walk_the_site

    eager = app.conf.task_always_eager
    with (
        django_db_blocker.unblock(),
        rows_removed_afterwards(),
        override_settings(ADMISSIONS_MIN_FILL_SECONDS=0, CELERY_TASK_ALWAYS_EAGER=True),
    ):
        server = LiveServer("localhost")
        app.conf.task_always_eager = True
        try:
            cache.clear()
            call_command("load_guides", verbosity=0)
            return walk_the_site(browser, server.url)
        finally:
            app.conf.task_always_eager = eager
            server.stop()
            cache.clear()
