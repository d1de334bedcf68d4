"""List every published guide with the state of its medical review; gate a launch on it."""

from django.core.management.base import BaseCommand, CommandError

from education.models import Guide


class Command(BaseCommand):
    help = (
        "List every published guide with its medical review state: valid, changed since "
        "review, never reviewed or overdue. Only 'valid' counts as a current review: a "
        "guide changed since its review, never reviewed, or reviewed more than 12 months "
        "ago is not. Exits with status 1 when any published guide lacks a current review, "
        "0 when every one has one. The state is computed from the guide's content now."
    )

    def handle(self, *args, **options):
        guides = list(Guide.objects.published().select_related("last_review"))
        if not guides:
            self.stdout.write("No published guides.")
            return
        width = max(len(guide.slug) for guide in guides)
        lacking = 0
        for guide in guides:
            state = guide.review_state_now()
            review = guide.last_review
            line = f"{guide.slug:<{width}}  {Guide.ReviewState(state).label}"
            if review is not None:
                line += f" (last review {review.signed_on:%Y-%m-%d} by {review.reviewer_display})"
            if state == Guide.ReviewState.VALID:
                self.stdout.write(line)
            else:
                lacking += 1
                self.stdout.write(self.style.WARNING(line))
        total = len(guides)
        if lacking:
            raise CommandError(
                f"{lacking} of {total} published guides lack a current medical review.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(f"All {total} published guides have a current review.")
        )
