"""The staff groups of the admissions workflow: their names, their permissions,
and who is an active member of one.

Navigators work the intake queue and see the personal details of the intakes
assigned to them; Admissions supervisors see every intake's details, export
intakes, read the access records and the overview. Other staff (content editors)
hold no admissions permission and see no intake. The migrations create the
groups (0002) and bring them to GROUPS below (0004); groups_create makes them
again from GROUPS where the tables were emptied.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import QuerySet

from cardinal.lib.migration_helpers import group_permission_operations

NAVIGATORS_GROUP = "Navigators"
SUPERVISORS_GROUP = "Admissions supervisors"

# Personal details of the intakes assigned to the user; with the second, of every intake.
PERSONAL_DATA_PERMISSION = "admissions.view_personal_data"
ALL_PERSONAL_DATA_PERMISSION = "admissions.view_all_personal_data"

NAVIGATOR_PERMISSIONS = [
    "view_intake",
    "change_intake",
    "view_personal_data",
    "add_intakeactivity",
    "view_intakeactivity",
]
SUPERVISOR_PERMISSIONS = [
    *NAVIGATOR_PERMISSIONS,
    "view_all_personal_data",
    "export_intakes",
    "view_accessrecord",
    "view_admissionsoverview",
]

GROUPS = {NAVIGATORS_GROUP: NAVIGATOR_PERMISSIONS, SUPERVISORS_GROUP: SUPERVISOR_PERMISSIONS}

# Make the groups with the live app registry (`groups_create(django.apps.apps, None)`)
# where the tables were emptied (tests/factories.py).
groups_create, groups_remove = group_permission_operations("admissions", GROUPS)


def active_members(group: str, *, with_email: bool = False) -> QuerySet[AbstractUser]:
    """Active staff users in the group, by username; only those with an email
    address when `with_email`."""
    members = get_user_model().objects.filter(is_active=True, groups__name=group)
    if with_email:
        members = members.exclude(email="")
    return members.order_by("username")


def is_navigator(user) -> bool:
    """Whether the user is an active member of the Navigators group."""
    return active_members(NAVIGATORS_GROUP).filter(pk=user.pk).exists()
