"""Editors draft translations as they draft guides; Medical reviewers also publish them
(and sign off their review with the sign_off_review permission they already hold)."""

from django.db import migrations

from cardinal.lib.migration_helpers import group_permission_operations

EDITOR_PERMISSIONS = [
    "add_guidetranslation",
    "change_guidetranslation",
    "view_guidetranslation",
    "add_translationfaq",
    "change_translationfaq",
    "delete_translationfaq",
    "view_translationfaq",
]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Medical reviewers": EDITOR_PERMISSIONS}

add_permissions, _ = group_permission_operations("education", GROUPS)


def remove_permissions(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="education", codename__in=EDITOR_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("education", "0014_translations")]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
