"""Template tags of the staff admin's index page."""

from django import template
from django.urls import reverse

from education.models import Guide

register = template.Library()


@register.simple_tag(takes_context=True)
def guides_review_notice(context) -> dict | None:
    """How many published guides lack a current medical review, for staff who see guides.

    None when there are none or the user cannot see guides. The link opens the
    guide list filtered to them.
    """
    request = context.get("request")
    if request is None or not request.user.has_perm("education.view_guide"):
        return None
    count = Guide.objects.published().review_not_current().count()
    if not count:
        return None
    url = (
        reverse("admin:education_guide_changelist") + "?status__exact=published&review=not-current"
    )
    return {"count": count, "url": url}
