"""The duty switch in the header of every admin page, for navigators."""

from django import template

from admissions import roles
from admissions.models import NavigatorState

register = template.Library()


@register.inclusion_tag("admin/admissions/duty_switch.html", takes_context=True)
def duty_switch(context) -> dict:
    """Whether the signed-in navigator is on duty, and the form that switches it
    (nothing for staff outside the Navigators group)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not roles.is_navigator(user):
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "on_duty": NavigatorState.objects.on_duty().filter(user=user).exists(),
        "csrf_token": context.get("csrf_token"),
    }
