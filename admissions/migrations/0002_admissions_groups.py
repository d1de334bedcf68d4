"""Groups of the admissions workflow and the permissions they hold.

Navigators work the intake queue; Admissions supervisors also export intakes
and read the access records. Both see personal details. Other staff (content
editors) hold no admissions permission and see no intake.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them now.
    create_permissions(global_apps.get_app_config("admissions"), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="admissions", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0001_intake"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
