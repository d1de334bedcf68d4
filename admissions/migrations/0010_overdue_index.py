"""The overdue count of the Admissions overview (Intake.objects.overdue) from one
small index alone: the intakes awaiting contact, by when their clock started."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0009_intake_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                condition=models.Q(
                    ("first_contacted_at__isnull", True), ("status__in", ["new", "attempting"])
                ),
                fields=["call_after"],
                name="intake_overdue_idx",
            ),
        ),
    ]
