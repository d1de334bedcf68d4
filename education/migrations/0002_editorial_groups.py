"""Groups for the editorial workflow: Editors draft, Medical reviewers publish."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    "add_guide",
    "change_guide",
    "view_guide",
    "add_faq",
    "change_faq",
    "delete_faq",
    "view_faq",
    "add_source",
    "change_source",
    "view_source",
    "add_testimonial",
    "change_testimonial",
    "view_testimonial",
]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_guide", "approve_testimonial"]

GROUPS = {"Editors": EDITOR_PERMISSIONS, "Medical reviewers": REVIEWER_PERMISSIONS}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them now.
    create_permissions(global_apps.get_app_config("education"), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="education", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
