"""Report the reading level of each guide: Flesch-Kincaid US grade, or INFLESZ in Spanish."""

from django.core.management.base import BaseCommand, CommandError

from education.models import TRANSLATION_LANGUAGES, Guide, GuideTranslation
from education.readability import grade_level, inflesz, inflesz_band


class Command(BaseCommand):
    help = (
        "Print the Flesch-Kincaid grade of each guide's body and of its summary and FAQ "
        "answers. With --max-grade, exit with an error when a body is above it. With "
        "--lang es, print the INFLESZ score and band of each Spanish translation instead; "
        "with --min-inflesz, exit with an error when a body, or a summary and FAQ, is "
        "below it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Guides to report (default: all).")
        parser.add_argument(
            "--lang",
            default="en",
            choices=["en", *(code for code, _ in TRANSLATION_LANGUAGES)],
            help="The guides' language: en (the guides) or es (their translations).",
        )
        parser.add_argument("--max-grade", type=float, default=None)
        parser.add_argument("--min-inflesz", type=float, default=None)

    def handle(self, *args, slugs: list[str], lang: str, max_grade, min_inflesz, **options):
        if lang != "en":
            self.report_translations(slugs, lang, min_inflesz)
            return
        if min_inflesz is not None:
            raise CommandError("--min-inflesz scores Spanish: use it with --lang es")
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

    def report_translations(self, slugs: list[str], lang: str, min_inflesz: float | None):
        texts = (
            GuideTranslation.objects.filter(language=lang)
            .select_related("guide")
            .prefetch_related("faqs")
            .order_by("guide__order", "guide__title")
        )
        if slugs:
            texts = texts.filter(guide__slug__in=slugs)
        too_hard = []
        width = max([16, *(len(text.guide.slug) + 2 for text in texts)])
        self.stdout.write(
            f"{'guide':<{width}}{'body':>8}  {'band':<16}{'summary+FAQ':>12}  band (INFLESZ)"
        )
        for text in texts:
            body = inflesz(text.body)
            extras = inflesz(
                "\n\n".join([*text.summary_items, *(faq.answer for faq in text.faqs.all())])
            )
            self.stdout.write(
                f"{text.guide.slug:<{width}}{body:>8.1f}  {inflesz_band(body):<16}"
                f"{extras:>12.1f}  {inflesz_band(extras)}"
            )
            if min_inflesz is not None:
                for part, score in (("body", body), ("summary+FAQ", extras)):
                    if score < min_inflesz:
                        too_hard.append(f"{text.guide.slug} {part} ({score:.1f})")
        if too_hard:
            raise CommandError(f"Below INFLESZ {min_inflesz:g}: " + ", ".join(too_hard))
