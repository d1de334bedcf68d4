"""Signal receivers of the education app; EducationConfig.ready() connects them."""

from django.utils import timezone

from education.models import Guide


def faq_changed(sender, instance, **kwargs) -> None:
    """A FAQ is part of what its guide's review covers: store the new fingerprint."""
    guide = Guide.objects.filter(pk=instance.guide_id).first()
    if guide is not None:
        guide.refresh_content_fingerprint()


def source_changed(sender, instance, **kwargs) -> None:
    """A cited source is part of what each citing guide's review covers, and of the
    Sources section stored on it."""
    from education.services import guide_sources_refresh

    for guide in Guide.objects.filter(citations__source=instance).distinct():
        guide.refresh_content_fingerprint()
    guide_sources_refresh(source=instance)


def testimonial_changed(sender, instance, **kwargs) -> None:
    """The guide page shows its approved testimonials: move its cache validators on."""
    Guide.objects.filter(pk=instance.guide_id).update(updated_at=timezone.now())


def comparison_rows_changed(sender, instance, **kwargs) -> None:
    """A medication's row, or a condition's columns, may have changed a comparison
    page's table: render the pages it changed (services.comparison_pages_refresh)."""
    if isinstance(instance, Guide) and instance.is_comparison:
        return
    from education.services import comparison_pages_refresh

    comparison_pages_refresh()
