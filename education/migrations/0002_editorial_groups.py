"""Groups for the editorial workflow: Editors draft, Medical reviewers publish."""

from django.db import migrations

from cardinal.lib.migration_helpers import group_permission_operations

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


create_groups, remove_groups = group_permission_operations("education", GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
