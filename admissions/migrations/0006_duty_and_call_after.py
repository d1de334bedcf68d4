"""Navigators on duty (available or away, last seen) and the intake's call_after,
where the SLA clock starts. Intakes saved before it start their clock at
submission, as they did."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def call_after_from_created_at(apps, schema_editor):
    Intake = apps.get_model("admissions", "Intake")
    Intake._base_manager.update(call_after=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0005_access_record_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="intake", name="intake_awaiting_contact_idx"),
        migrations.AddField(
            model_name="intake",
            name="call_after",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(call_after_from_created_at, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                condition=models.Q(("first_contacted_at__isnull", True)),
                fields=["call_after"],
                name="intake_awaiting_contact_idx",
            ),
        ),
        migrations.AddField(
            model_name="navigatorstate",
            name="available",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="navigatorstate",
            name="available_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="navigatorstate",
            name="last_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
