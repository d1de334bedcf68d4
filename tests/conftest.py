"""Fixtures shared by every test tier."""

import os

import pytest
from django.core.management import call_command
from django.core.management.color import no_style

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    """The Spanish pages need the compiled catalogues, also when pytest is run
    without make (scripts/compile_messages.py; quick when they are current)."""
    from scripts.compile_messages import compile_all

    compile_all()


@pytest.fixture(autouse=True)
def _task_mode(request, settings):
    """Unit tests run tasks in-process; integration tests send them to the broker."""
    from cardinal.celery import app

    eager = request.node.get_closest_marker("integration") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (rate limits, cached pages)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def navigator(django_user_model):
    """A navigator with an email address, marked available (on duty): the person
    new intakes are mailed to while admissions is open."""
    from admissions.roles import NAVIGATORS_GROUP
    from tests.admissions.helpers import on_duty
    from tests.factories import make_user

    nora = make_user("nora", NAVIGATORS_GROUP)
    on_duty(nora)
    return nora


@pytest.fixture
def make_intake():
    """make_intake(**overrides): an intake sent through the form's service, with the
    distinctive personal values of tests/admissions/helpers.py."""
    from admissions import services
    from tests.admissions.helpers import PERSONAL, PHONE_E164

    def make(**overrides):
        values = {
            "first_name": PERSONAL["first_name"],
            "phone": PHONE_E164,
            "who_needs_help": "self",
            "best_time": "any",
            "voicemail_ok": True,
            "contact_method": "call",
            "email": PERSONAL["email"],
            "insurance_provider": PERSONAL["insurance_provider"],
            "insurance_member_id": PERSONAL["insurance_member_id"],
            "message": PERSONAL["message"],
            "consent_page": "/admissions/",
        }
        values.update(overrides)
        return services.intake_submit(**values)

    return make


@pytest.fixture
def two_factor_off(settings):
    """Staff go straight to the admin; two-factor sign-in has tests of its own."""
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def no_fill_time(settings):
    """The intake form takes answers at once: a test fills it faster than people do."""
    settings.ADMISSIONS_MIN_FILL_SECONDS = 0


def _tables(models):
    """Every row of each model's table, in primary-key order, as stored."""
    return {
        model: list(
            model._base_manager.order_by("pk").values(
                *(field.attname for field in model._meta.concrete_fields)
            )
        )
        for model in models
    }


@pytest.fixture(scope="session")
def _shipped_rows(django_db_setup, django_db_blocker):
    """The rows `manage.py load_guides` writes for the shipped content, by model:
    every row of each table the load changed.

    The command runs once per session, in a transaction rolled back at once; the
    shipped_guides fixture writes its rows again into each test's database, which
    costs a few milliseconds where a load, rendering 22 documents, takes seconds.
    """
    from django.apps import apps
    from django.db import transaction

    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    with django_db_blocker.unblock(), transaction.atomic():
        before = _tables(models)
        call_command("load_guides", verbosity=0)
        after = _tables(models)
        transaction.set_rollback(True)
    rows = {model: after[model] for model in models if before[model] != after[model]}
    for model in rows:
        kept = {row[model._meta.pk.attname] for row in rows[model]}
        gone = [row for row in before[model] if row[model._meta.pk.attname] not in kept]
        assert not gone, f"load_guides deleted {model._meta.label} rows: {gone}"
    # With the rows they refer to (the conditions the migrations wrote, unchanged
    # when an earlier load in the session updated them), which a transactional
    # test's flush empties too.
    pending = list(rows)
    while pending:
        model = pending.pop()
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not field.many_to_one and not field.one_to_one or target not in after:
                continue
            key = field.target_field.attname
            wanted = {row[field.attname] for row in rows[model]} - {None}
            have = {row[key] for row in rows.get(target, [])}
            if wanted - have:
                rows[target] = [row for row in after[target] if row[key] in wanted | have]
                pending.append(target)
    return rows


@pytest.fixture
def shipped_guides(_shipped_rows):
    """The guides, sources and conditions as `manage.py load_guides` loads them,
    in the test's database (of either kind), its page cache emptied.

    Rows the migrations wrote (the conditions) are updated where the test's
    database still has them, written again where a transactional test emptied it.
    """
    from django.core.cache import cache
    from django.db import connection, transaction

    with transaction.atomic():  # the foreign keys are checked at its end
        for model, rows in _shipped_rows.items():
            pk = model._meta.pk.attname
            there = set(
                model._base_manager.filter(pk__in=[row[pk] for row in rows]).values_list(
                    "pk", flat=True
                )
            )
            model._base_manager.bulk_create(model(**row) for row in rows if row[pk] not in there)
            if there:
                fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
                model._base_manager.bulk_update(
                    [model(**row) for row in rows if row[pk] in there], fields
                )
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(_shipped_rows)):
                cursor.execute(sql)
    cache.clear()
