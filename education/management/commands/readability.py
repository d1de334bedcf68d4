"""Report the reading level of each guide (Flesch-Kincaid US grade)."""

from django.core.management.base import BaseCommand, CommandError

from education.models import Guide
from education.readability import grade_level


class Command(BaseCommand):
    help = (
        "Print the Flesch-Kincaid grade of each guide's body and of its summary and FAQ "
        "answers. With --max-grade, exit with an error when a body is above it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Guides to report (default: all).")
        parser.add_argument("--max-grade", type=float, default=None)

    def handle(self, *args, slugs: list[str], max_grade: float | None, **options):
        guides = Guide.objects.order_by("order", "title").prefetch_related("faqs")
        if slugs:
            guides = guides.filter(slug__in=slugs)
        too_hard = []
        self.stdout.write(f"{'guide':<16}{'body':>8}{'summary+FAQ':>14}")
        for guide in guides:
            body = grade_level(guide.body)
            extras = "\n\n".join([*guide.summary_items, *(faq.answer for faq in guide.faqs.all())])
            self.stdout.write(f"{guide.slug:<16}{body:>8.1f}{grade_level(extras):>14.1f}")
            if max_grade is not None and body > max_grade:
                too_hard.append(f"{guide.slug} ({body:.1f})")
        if too_hard:
            raise CommandError(f"Above grade {max_grade:g}: " + ", ".join(too_hard))
