"""Signal receivers of the education app; EducationConfig.ready() connects them."""

from education.models import Guide


def faq_changed(sender, instance, **kwargs) -> None:
    """A FAQ is part of what its guide's review covers: store the new fingerprint."""
    guide = Guide.objects.filter(pk=instance.guide_id).first()
    if guide is not None:
        guide.refresh_content_fingerprint()


def translation_faq_changed(sender, instance, **kwargs) -> None:
    """A translated FAQ is part of what its translation's review covers."""
    from education.models import GuideTranslation

    text = GuideTranslation.objects.filter(pk=instance.translation_id).first()
    if text is not None:
        text.refresh_content_fingerprint()


def source_changed(sender, instance, **kwargs) -> None:
    """A cited source is part of what each citing guide's review covers, and of the
    Sources section stored on it."""
    from education.services import guide_sources_refresh

    for guide in Guide.objects.filter(citations__source=instance).distinct():
        guide.refresh_content_fingerprint()
    # The translations citing it are rendered again there, their fingerprints with them.
    guide_sources_refresh(source=instance)


def testimonial_changed(sender, instance, **kwargs) -> None:
    """The guide page shows its approved testimonials, copied onto the guide's row:
    store them again (which moves its cache validators on)."""
    from education.models import testimonials_store

    testimonials_store([instance.guide_id])


def comparison_rows_changed(sender, instance, **kwargs) -> None:
    """A medication's row, or a condition's columns, may have changed a comparison
    page's table: render the pages it changed (services.comparison_pages_refresh)."""
    if isinstance(instance, Guide) and instance.is_comparison:
        return
    from education.services import comparison_pages_refresh

    comparison_pages_refresh()


def listed_guide_changed(sender, instance, **kwargs) -> None:
    """A guide's title, kind, FDA status or status shows on the pages that list it
    as related: render their Related medications section again."""
    from education.services import guides_related_refresh

    guides_related_refresh(guides=Guide.objects.filter(related=instance).exclude(pk=instance.pk))


def listed_guide_deleted(sender, instance, **kwargs) -> None:
    """A deleted guide's links are gone with it: render again every Related
    medications section (its rows, which named the pages listing it, are gone too)."""
    from education.services import guides_related_refresh

    guides_related_refresh(guides=Guide.objects.exclude(related_html=""))


def related_list_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Guides were added to or taken from a guide's related list."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from education.services import guides_related_refresh

    if not reverse:
        guides_related_refresh(guides=[instance])
    elif pk_set:
        guides_related_refresh(guides=Guide.objects.filter(pk__in=pk_set))
    else:
        guides_related_refresh(guides=Guide.objects.exclude(related_html=""))


def listed_condition_changed(sender, instance, **kwargs) -> None:
    """A related guide is labelled with its condition's name ("FDA-approved for
    opioid use disorder"): render again the sections that list a guide of it."""
    from education.services import guides_related_refresh

    guides_related_refresh(guides=Guide.objects.filter(related__condition=instance).distinct())


def translation_deleted(sender, instance, **kwargs) -> None:
    """A deleted translation's guide is named in English again on the translated
    pages that list it, and in its comparison table."""
    from education.services import guides_related_refresh, translated_comparison_pages_refresh

    guides_related_refresh(guides=Guide.objects.filter(related=instance.guide_id))
    translated_comparison_pages_refresh()


def change_log_changed(sender, instance, **kwargs) -> None:
    """A line of a guide's or a translation's change log was saved or deleted: render
    again the page's stored sections that show the log (services.sections_render)."""
    from education.models import GuideChange, GuideTranslation
    from education.services import pages_sections_refresh

    if isinstance(instance, GuideChange):
        pages_sections_refresh(guides=Guide.objects.filter(pk=instance.guide_id))
    else:
        pages_sections_refresh(
            translations=GuideTranslation.objects.filter(pk=instance.translation_id)
        )


def condition_sections_changed(sender, instance, **kwargs) -> None:
    """The emergency boxes name the condition's signs heading and its last step: render
    again the stored sections of its guides and of their translations."""
    from education.models import GuideTranslation
    from education.services import pages_sections_refresh

    pages_sections_refresh(
        guides=Guide.objects.filter(condition=instance),
        translations=GuideTranslation.objects.filter(guide__condition=instance),
    )
