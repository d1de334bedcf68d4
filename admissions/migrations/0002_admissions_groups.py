"""Groups of the admissions workflow and the permissions they held then.

The lists are frozen here as they were when this migration was written: later
migrations change them (0004), and admissions.roles.GROUPS says what they are now.
"""

from django.db import migrations

from cardinal.lib.migration_helpers import group_permission_operations

NAVIGATOR_PERMISSIONS = [
    "view_intake",
    "change_intake",
    "view_personal_data",
    "add_intakeactivity",
    "view_intakeactivity",
    "view_admissionsoverview",
]
GROUPS = {
    "Navigators": NAVIGATOR_PERMISSIONS,
    "Admissions supervisors": [*NAVIGATOR_PERMISSIONS, "export_intakes", "view_accessrecord"],
}

groups_create, groups_remove = group_permission_operations("admissions", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0001_intake"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(groups_create, groups_remove)]
