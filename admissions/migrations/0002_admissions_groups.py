"""Groups of the admissions workflow and the permissions they hold (admissions.roles)."""

from django.db import migrations

from admissions.roles import groups_create, groups_remove


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0001_intake"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(groups_create, groups_remove)]
