"""The measurements made inside one Django process, with the bench's production
settings (run by bench/run.py as `python -m bench.inprocess <command>`; prints JSON).

  setup    staff accounts the bench needs: navigators (they receive the intake
           mail) and a superuser with a confirmed TOTP device
  render   the guide rendered from the database, in English and in Spanish: the view
           alone and the whole middleware stack without the page cache; times and
           queries; and the markdown render (on save) of a 64 KB body made only of
           headings
  admin    the navigator pages at growing numbers of intakes: p95 time and queries
  intakes  how many intakes exist and how many are notified
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardinal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from admissions.models import AccessRecord, Intake, IntakeActivity  # noqa: E402
from admissions.roles import NAVIGATORS_GROUP  # noqa: E402
from bench import seed  # noqa: E402
from cardinal.staff.models import StaffTOTPDevice  # noqa: E402
from education import markup, views  # noqa: E402
from education.models import Guide  # noqa: E402

HOST = "127.0.0.1"
NAVIGATOR_COUNT = 4
SUPERUSER = "bench-admin"
FAST_PATH = "education.page_cache.GuidePageCacheMiddleware"
PARTS = ("guide row", "prefetches", "context", "template")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def percentile(samples: list[float], pct: int) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1]


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50_ms": ms(percentile(samples, 50)),
        "p95_ms": ms(percentile(samples, 95)),
        "p99_ms": ms(percentile(samples, 99)),
        "max_ms": ms(max(samples)),
    }


# --- setup ----------------------------------------------------------------------------


def navigators() -> list[User]:
    return list(User.objects.filter(username__startswith="bench-navigator").order_by("pk"))


def setup(args) -> dict:
    group = Group.objects.get(name=NAVIGATORS_GROUP)
    for number in range(1, NAVIGATOR_COUNT + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench-navigator-{number}",
            defaults={"email": f"navigator{number}@bench.invalid", "is_staff": True},
        )
        user.groups.add(group)
    admin, created = User.objects.get_or_create(
        username=SUPERUSER, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    admin.groups.add(group)
    StaffTOTPDevice.objects.get_or_create(user=admin, name="bench", defaults={"confirmed": True})
    return {"navigators": NAVIGATOR_COUNT, "superuser": SUPERUSER}


def staff_client() -> Client:
    """A signed-in superuser who has passed the second factor, as in production."""
    admin = User.objects.get(username=SUPERUSER)
    client = Client(HTTP_HOST=HOST)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaffTOTPDevice.objects.get(user=admin).persistent_id
    session.save()
    return client


# --- render ---------------------------------------------------------------------------


def render(args) -> dict:
    """The English page's figures at the top level (as before the Spanish pages),
    the Spanish page's under "spanish"."""
    english = render_page(args.slug, "en", args.n, args.warmup)
    return {
        **english,
        "spanish": render_page(args.slug, "es", args.n, args.warmup),
        "heading_heavy_ms": render_heading_heavy(args.heading_repeats),
    }


def render_page(slug: str, language: str, n: int, warmup: int) -> dict:
    """The guide page in one language (/medications/<slug>/ or /es/medications/<slug>/):
    the view alone, its queries for every guide, its parts and the whole middleware
    stack without the page cache. The view is called in the page's language, made
    active as PathLanguageMiddleware makes it, outside the timings."""
    factory = RequestFactory(HTTP_HOST=HOST)

    def once(slug=slug):
        request = factory.get(reverse("education:guide-detail", args=[slug]))
        started = time.perf_counter()
        response = views.guide_detail(request, slug=slug)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return elapsed, response.content

    with translation.override(language):
        path = reverse("education:guide-detail", args=[slug])
        html = once()[1]
        # The page measured is the one visitors get in that language (its translation).
        assert f'<html lang="{language}">'.encode() in html, language
        for _ in range(warmup):
            once()
        view_times = [once()[0] for _ in range(n)]
        queries = {}
        for other in Guide.objects.published().values_list("slug", flat=True):
            with CaptureQueriesContext(connection) as captured:
                once(other)
            queries[other] = len(captured)
        parts = render_parts(factory.get(path), slug, n, warmup)

    # The same page through every middleware (which activates the language of the
    # address), with the page cache taken out.
    middleware = [name for name in settings.MIDDLEWARE if name != FAST_PATH]
    with override_settings(MIDDLEWARE=middleware):
        client = Client(HTTP_HOST=HOST)
        for _ in range(warmup):
            client.get(path)
        stack_times = []
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(path)
            stack_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert response.headers["Content-Language"] == language

    return {
        "slug": slug,
        "language": language,
        "path": path,
        "html_bytes": len(html),
        "parts_p50_ms": parts,
        "view": summary(view_times),
        "full_stack_without_page_cache": summary(stack_times),
        "queries": queries[slug],
        "queries_by_guide": queries,
    }


# A 64 KB body of nothing but headings: naming their ids was once quadratic.
HEADING_HEAVY_BODIES = {"# a": "# a\n" * 16000, "## a": "## a\n" * 16000}


def render_heading_heavy(repeats: int) -> dict:
    """Median time of markup.render_guide (what a save runs) on each heading-heavy body."""
    result = {}
    for name, body in HEADING_HEAVY_BODIES.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            markup.render_guide(summary=[], body=body, faq_answers=[], known_keys=())
            times.append(time.perf_counter() - started)
        result[name] = ms(statistics.median(times))
    print(
        "  render of a 64 KB heading-heavy body: "
        + ", ".join(f"'{name}' x 16,000 {value:.0f} ms" for name, value in result.items()),
        file=sys.stderr,
    )
    return result


def render_parts(request, slug: str, n: int, warmup: int) -> dict:
    """Where a render's time goes, as the view spends it: the guide row (on a
    translated page read in one query with its translation's row), the prefetches,
    the context (JSON-LD) and the template (with the context processors)."""
    template = get_template("education/guide_detail.html")

    def once():
        marks = [time.perf_counter()]
        guide, shown = views._shown(request, slug)
        marks.append(time.perf_counter())
        text = None if shown is guide else shown
        views.prefetch_page(guide, text)
        marks.append(time.perf_counter())
        context = views.guide_page_context(guide, text)
        marks.append(time.perf_counter())
        template.render(context, request)
        marks.append(time.perf_counter())
        request.__dict__.pop("_education_memo", None)  # the next call reads the rows again
        return [later - earlier for earlier, later in zip(marks, marks[1:], strict=False)]

    for _ in range(warmup):
        once()
    columns = zip(*(once() for _ in range(n)), strict=True)
    translated = translation.get_language() != settings.LANGUAGE_CODE
    names = ("guide and translation row" if translated else "guide row", *PARTS[1:])
    return {
        name: ms(statistics.median(column)) for name, column in zip(names, columns, strict=True)
    }


# --- admin ----------------------------------------------------------------------------


def admin_pages(intake: Intake, navigator: User) -> dict[str, str]:
    changelist = reverse("admin:admissions_intake_changelist")
    overview = reverse("admin:admissions_admissionsoverview_changelist")
    year_ago = timezone.localdate() - timedelta(days=365)
    return {
        "intake list": changelist,  # All intakes: the bench signs in as a superuser
        "list: my queue": f"{changelist}?queue=mine",  # the unassigned, by due time
        "intake page": reverse("admin:admissions_intake_change", args=[intake.pk]),
        "overview": overview,
        # The overview's longest preset period, and its longest period of all.
        "overview: 90 days": f"{overview}?days=90",
        "overview: 366 days": f"{overview}?start={year_ago.isoformat()}",
        # The list's filters, search and the access log, each backed by an index.
        "list: status new": f"{changelist}?status__exact=new",
        "list: overdue": f"{changelist}?overdue=yes",
        "list: not overdue": f"{changelist}?overdue=no",
        "list: one navigator": f"{changelist}?assignee={navigator.pk}",
        "list: unassigned": f"{changelist}?assignee=none",
        "list: from a guide": f"{changelist}?source_page=baclofen",
        "list: by reference": f"{changelist}?q={intake.reference}",
        "list: oldest first": f"{changelist}?o=6",  # by age
        "access records": reverse("admin:admissions_accessrecord_changelist"),
    }


def measure_page(client: Client, url: str, n: int, warmup: int) -> dict:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
    return {
        **summary(times),
        "queries": len(captured),
        "slowest_query_ms": round(float(slowest["time"]) * 1000, 2),
        "slowest_query": slowest["sql"][:300],
    }


def admin(args) -> dict:
    if args.fresh:
        seed.truncate()
    staff = navigators()
    client = staff_client()
    results = []
    for size in args.sizes:
        started = time.perf_counter()
        added = seed.grow_to(size, staff)
        seeded = time.perf_counter() - started
        # A typical intake: contacted, with a timeline and access records.
        contacted = Intake.objects.filter(status=Intake.Status.CONTACTED).order_by("pk")
        intake = contacted[contacted.count() // 2]
        pages = {
            name: measure_page(client, url, args.n, args.warmup)
            for name, url in admin_pages(intake, staff[0]).items()
        }
        results.append(
            {
                "intakes": Intake.objects.count(),
                "activities": IntakeActivity.objects.count(),
                "access_records": AccessRecord.objects.count(),
                "added": added,
                "seed_seconds": round(seeded, 1),
                "pages": pages,
            }
        )
        print(
            f"  admin at {size:,} intakes: seeded {added:,} in {seeded:.0f} s; "
            + ", ".join(
                f"{name} p95 {pages[name]['p95_ms']:.0f} ms"
                for name in ("intake list", "intake page", "overview", "overview: 90 days")
            ),
            file=sys.stderr,
        )
    return {"sizes": results}


# --- intakes --------------------------------------------------------------------------


def intakes(args) -> dict:
    return {
        "total": Intake.objects.count(),
        "notified": Intake.objects.filter(notified_at__isnull=False).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup")
    commands.add_parser("intakes")
    render_parser = commands.add_parser("render")
    render_parser.add_argument("--slug", default="baclofen")
    render_parser.add_argument("--n", type=int, default=300)
    render_parser.add_argument("--warmup", type=int, default=30)
    render_parser.add_argument("--heading-repeats", type=int, default=3)
    admin_parser = commands.add_parser("admin")
    admin_parser.add_argument(
        "--sizes", type=lambda text: [int(size) for size in text.split(",")], required=True
    )
    admin_parser.add_argument("--n", type=int, default=40)
    admin_parser.add_argument("--warmup", type=int, default=3)
    admin_parser.add_argument("--fresh", action="store_true", help="empty the intake tables first")
    args = parser.parse_args()
    result = {"setup": setup, "render": render, "admin": admin, "intakes": intakes}[args.command](
        args
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
