"""Check every source's links now, as the weekly beat task does."""

from django.core.management.base import BaseCommand

from education.services import sources_check_links


class Command(BaseCommand):
    help = (
        "Fetch every source's URL and DOI (https://doi.org/<doi>): HEAD, then GET when "
        "HEAD fails, redirects followed, SOURCES_CHECK_TIMEOUT_SECONDS per address. "
        "Store on each source whether its links work, list the broken ones and those "
        "that could not be checked, and mail the Editors the links newly broken (one "
        "mail; none when nothing new broke). The weekly beat task runs the same check."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, help="seconds per address (default: the setting)"
        )
        parser.add_argument(
            "--no-mail", action="store_true", help="store and list only; mail nobody"
        )

    def handle(self, *args, **options):
        report = sources_check_links(timeout=options["timeout"], mail=not options["no_mail"])
        newly = {source.pk for source, _ in report.newly_broken}
        for source, result in report.broken:
            mark = " (new)" if source.pk in newly else ""
            self.stdout.write(
                self.style.ERROR(f"broken{mark}  {source.key}  {result.url}  {result.problem}")
            )
        for source, result in report.unknown:
            self.stdout.write(
                self.style.WARNING(f"unknown  {source.key}  {result.url}  {result.problem}")
            )
        summary = (
            f"{report.checked} sources checked: {report.ok} working, {len(report.broken)} "
            f"broken ({len(report.newly_broken)} new), {len(report.unknown)} could not be "
            "checked."
        )
        if report.mailed_to:
            editors = "editor" if report.mailed_to == 1 else "editors"
            summary += f" The new breakages were mailed to {report.mailed_to} {editors}."
        elif report.newly_broken and not options["no_mail"]:
            summary += " No editor has an email address: nobody was mailed."
        self.stdout.write(summary)
