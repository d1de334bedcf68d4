"""Existing rows and groups brought up to date:

- the access records written so far are chained, oldest first (admissions/audit.py);
- timeline entries get their author's username;
- the "Admissions overview" leaves the Navigators (it is the supervisors' page), and
  the Admissions supervisors get `view_all_personal_data` (navigators see the
  details of the intakes assigned to them).
"""

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import OuterRef, Subquery

from admissions.audit import GENESIS_HASH, record_digest

NAVIGATORS = "Navigators"
SUPERVISORS = "Admissions supervisors"


def chain_access_records(apps, schema_editor):
    record_model = apps.get_model("admissions", "AccessRecord")
    prev_hash = GENESIS_HASH
    for record in record_model.objects.order_by("pk").iterator(chunk_size=2000):
        record.prev_hash = prev_hash
        record.row_hash = prev_hash = record_digest(
            prev_hash=prev_hash,
            created_at=record.created_at,
            username=record.username,
            intake_id=record.intake_id,
            action=record.action,
            detail=record.detail,
            phone_hash=record.phone_hash,
        )
        record.save(update_fields=["prev_hash", "row_hash"])


def fill_author_usernames(apps, schema_editor):
    activity_model = apps.get_model("admissions", "IntakeActivity")
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    username = global_apps.get_model(settings.AUTH_USER_MODEL).USERNAME_FIELD
    activity_model.objects.filter(author__isnull=False, author_username="").update(
        author_username=Subquery(
            user_model.objects.filter(pk=OuterRef("author_id")).values(username)[:1]
        )
    )


def _permission(apps, codename):
    create_permissions(global_apps.get_app_config("admissions"), verbosity=0, apps=apps)
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="admissions", codename=codename
    )


def update_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    overview = _permission(apps, "view_admissionsoverview")
    every_intake = _permission(apps, "view_all_personal_data")
    for group in group_model.objects.filter(name=NAVIGATORS):
        group.permissions.remove(overview)
    for group in group_model.objects.filter(name=SUPERVISORS):
        group.permissions.add(overview, every_intake)


def restore_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    overview = _permission(apps, "view_admissionsoverview")
    every_intake = _permission(apps, "view_all_personal_data")
    for group in group_model.objects.filter(name=NAVIGATORS):
        group.permissions.add(overview)
    for group in group_model.objects.filter(name=SUPERVISORS):
        group.permissions.remove(every_intake)


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0003_access_record_chain"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(chain_access_records, migrations.RunPython.noop),
        migrations.RunPython(fill_author_usernames, migrations.RunPython.noop),
        migrations.RunPython(update_groups, restore_groups),
    ]
