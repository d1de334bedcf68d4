"""The Medical reviewers group may sign off a guide's medical review."""

from django.db import migrations

from cardinal.lib.migration_helpers import group_permission_operations

REVIEWERS_GROUP = "Medical reviewers"
PERMISSION = "sign_off_review"

add_permission, _ = group_permission_operations("education", {REVIEWERS_GROUP: [PERMISSION]})


def remove_permission(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=REVIEWERS_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="education", codename=PERMISSION)
        )


class Migration(migrations.Migration):
    dependencies = [("education", "0006_medical_review_records")]

    operations = [migrations.RunPython(add_permission, remove_permission)]
