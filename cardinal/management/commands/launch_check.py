"""Whether the site is ready to go live: Django's deployment checks and the clinic's.

    DJANGO_DEBUG=0 ... manage.py launch_check

Run it with the production environment, on the production database. It lists
each problem with how to fix it, one line each, and exits with status 1 while
any remain; 0, with a line saying so, once none does (cardinal/launch.py).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cardinal import launch


class Command(BaseCommand):
    help = (
        "Check that the site is ready to go live: Django's deployment checks (check --deploy) "
        "and the clinic's own (legal name, address, helpline, SITE_URL, staff mail, the "
        "medical review of every published guide, the facts of the About our care page). "
        "Lists each problem with its fix and exits with status 1 while any remain, 0 when "
        "none does."
    )
    # The checks are what this command runs and reports, not a gate before it.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        try:
            found = launch.problems()
        except DatabaseError as exc:
            raise CommandError(
                f"The database could not be read ({type(exc).__name__}): check DATABASE_URL "
                "and that the database is up, then run launch_check again."
            ) from exc
        for message in found:
            line = f"{message.id}: {message.msg}"
            if message.hint:
                line += f" {message.hint}"
            self.stdout.write(self.style.ERROR(" ".join(line.split())))
        if found:
            noun = "problem" if len(found) == 1 else "problems"
            raise CommandError(f"Not ready to launch: {len(found)} {noun} above.", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                "Ready to launch: Django's deployment checks and the clinic's launch checks "
                "found nothing to fix."
            )
        )
