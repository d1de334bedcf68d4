"""The staff groups of the admissions workflow: their names, their permissions,
and who is an active member of one.

Navigators work the intake queue; Admissions supervisors also export intakes and
read the access records. Both see personal details. Other staff (content
editors) hold no admissions permission and see no intake. The 0002 migration
creates the groups from GROUPS below.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import QuerySet

from cardinal.lib.migration_helpers import group_permission_operations

NAVIGATORS_GROUP = "Navigators"
SUPERVISORS_GROUP = "Admissions supervisors"

NAVIGATOR_PERMISSIONS = [
    "view_intake",
    "change_intake",
    "view_personal_data",
    "add_intakeactivity",
    "view_intakeactivity",
    "view_admissionsoverview",
]
SUPERVISOR_PERMISSIONS = [*NAVIGATOR_PERMISSIONS, "export_intakes", "view_accessrecord"]

GROUPS = {NAVIGATORS_GROUP: NAVIGATOR_PERMISSIONS, SUPERVISORS_GROUP: SUPERVISOR_PERMISSIONS}

# RunPython functions for the migration; also callable with the live app registry
# (`groups_create(django.apps.apps, None)`) where the tables were emptied.
groups_create, groups_remove = group_permission_operations("admissions", GROUPS)


def active_members(group: str, *, with_email: bool = False) -> QuerySet[AbstractUser]:
    """Active staff users in the group, by username; only those with an email
    address when `with_email`."""
    members = get_user_model().objects.filter(is_active=True, groups__name=group)
    if with_email:
        members = members.exclude(email="")
    return members.order_by("username")
