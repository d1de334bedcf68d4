"""Groups of the admissions workflow and the permissions they hold.

Navigators work the intake queue; Admissions supervisors also export intakes
and read the access records. Both see personal details. Other staff (content
editors) hold no admissions permission and see no intake.
"""

from django.db import migrations

from cardinal.migration_helpers import group_permission_operations

NAVIGATOR_PERMISSIONS = [
    "view_intake",
    "change_intake",
    "view_personal_data",
    "add_intakeactivity",
    "view_intakeactivity",
    "view_admissionsoverview",
]
SUPERVISOR_PERMISSIONS = NAVIGATOR_PERMISSIONS + ["export_intakes", "view_accessrecord"]

GROUPS = {"Navigators": NAVIGATOR_PERMISSIONS, "Admissions supervisors": SUPERVISOR_PERMISSIONS}


create_groups, remove_groups = group_permission_operations("admissions", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0001_intake"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
