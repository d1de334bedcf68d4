"""Load the shipped medication guides, their translations and sources; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from education.loader import DEFAULT_CONTENT_DIR, ContentError, read_content
from education.models import Source
from education.services import content_load


class Command(BaseCommand):
    help = (
        "Load sources.toml, conditions.toml, guides/*.md and their translations "
        "(guides/es/*.md) from a content directory (default: education/content). "
        "Updates in place by key and slug; never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(DEFAULT_CONTENT_DIR))

    def handle(self, *args, directory: str, **options):
        try:
            content = read_content(
                Path(directory), known_source_keys=set(Source.objects.values_list("key", flat=True))
            )
        except ContentError as error:
            raise CommandError(str(error)) from None
        report = content_load(content=content)
        self.stdout.write(
            f"Sources: {report.sources_created} added, {report.sources_updated} updated. "
            f"Guides: {report.guides_created} added, {report.guides_updated} updated, "
            f"{report.unchanged} unchanged. "
            f"Translations: {report.translations_created} added, "
            f"{report.translations_updated} updated, {report.translations_unchanged} unchanged."
        )
        if report.drafts:
            self.stdout.write(
                self.style.WARNING(
                    'Loaded as drafts (no status = "published" in the file): '
                    + ", ".join(report.drafts)
                )
            )
        if report.outdated:
            self.stdout.write(
                self.style.WARNING(
                    "Translations not made from the English guide as it reads now (their "
                    "pages say 'En revisión'; once checked, run manage.py "
                    "stamp_translations): " + ", ".join(report.outdated)
                )
            )
