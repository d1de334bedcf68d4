"""Record in each translation file the English version it was made from."""

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from education.loader import DEFAULT_CONTENT_DIR, FENCE, ContentError, read_content
from education.models import Guide, Source
from education.services import content_load

STAMP_LINE = re.compile(r'^source_fingerprint *= *"[^"\n]*" *\n', re.MULTILINE)
TRANSLATION_OF_LINE = re.compile(r"^translation_of *= *.*\n", re.MULTILINE)


def stamped(text: str, fingerprint: str) -> str:
    """The file's text with `source_fingerprint = "<fingerprint>"` in its front matter:
    the line replaced where there is one, else written after translation_of."""
    line = f'source_fingerprint = "{fingerprint}"\n'
    end = text.find(f"\n{FENCE}", len(FENCE))
    front, rest = text[: end + 1], text[end + 1 :]
    if STAMP_LINE.search(front):
        front = STAMP_LINE.sub(line, front, count=1)
    else:
        match = TRANSLATION_OF_LINE.search(front)
        at = match.end() if match else len(FENCE) + 1
        front = front[:at] + line + front[at:]
    return front + rest


class Command(BaseCommand):
    help = (
        "Load the content, then write into each translation file (guides/<language>/"
        "*.md) the content fingerprint of its English guide as loaded, as "
        "`source_fingerprint`, and load again: run it once a translation has been "
        "checked against the English guide as it reads now. Its page stops saying "
        "'En revisión'; a review signed off before covers it no longer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slugs", nargs="*", help="The English slugs of the translations to stamp (all)."
        )
        parser.add_argument("--directory", default=str(DEFAULT_CONTENT_DIR))

    def _load(self, directory: Path):
        try:
            content = read_content(
                directory, known_source_keys=set(Source.objects.values_list("key", flat=True))
            )
        except ContentError as error:
            raise CommandError(str(error)) from None
        content_load(content=content)
        return content

    def handle(self, *args, slugs: list[str], directory: str, **options):
        content = self._load(Path(directory))
        entries = [e for e in content.translations if not slugs or e.translation_of in slugs]
        unknown = set(slugs) - {entry.translation_of for entry in entries}
        if unknown:
            raise CommandError(f"No translation file for: {', '.join(sorted(unknown))}")
        fingerprints = dict(
            Guide.objects.filter(slug__in=[entry.translation_of for entry in entries]).values_list(
                "slug", "content_fingerprint"
            )
        )
        written = []
        for entry in entries:
            fingerprint = fingerprints[entry.translation_of]
            if entry.values["source_fingerprint"] == fingerprint:
                continue
            text = entry.path.read_text(encoding="utf-8")
            entry.path.write_text(stamped(text, fingerprint), encoding="utf-8")
            written.append(f"{entry.language}/{entry.translation_of}")
        if written:
            self._load(Path(directory))
            self.stdout.write("Stamped: " + ", ".join(written))
        else:
            self.stdout.write("Every translation was already stamped with its English version.")
