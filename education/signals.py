"""Signal receivers of the education app; EducationConfig.ready() connects them."""

from django.utils import timezone

from education.models import Guide


def testimonial_changed(sender, instance, **kwargs) -> None:
    """The guide page shows its approved testimonials: move its cache validators on."""
    Guide.objects.filter(pk=instance.guide_id).update(updated_at=timezone.now())
