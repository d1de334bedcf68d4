"""Indexes of the Admissions overview (admissions/overview.py): a period of
intakes read from one index alone, and the timeline's assessments and admissions.
At 100,000 intakes each builds in about a second."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0007_oncall_timeline_kinds"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                condition=models.Q(("anonymised_at__isnull", True)),
                fields=[
                    "created_at",
                    "id",
                    "source_page",
                    "status",
                    "first_contacted_at",
                    "call_after",
                ],
                name="intake_overview_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="intakeactivity",
            index=models.Index(
                condition=models.Q(
                    ("kind", "status_change"),
                    ("to_status__in", ["assessment_scheduled", "admitted"]),
                ),
                fields=["to_status", "intake"],
                name="activity_assessed_idx",
            ),
        ),
    ]
