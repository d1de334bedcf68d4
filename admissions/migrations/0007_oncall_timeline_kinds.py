"""Two timeline kinds the notification writes: "On-call told: admissions closed"
and "On-call told: nobody on duty" (a choices change: no schema change)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0006_duty_and_call_after"),
    ]

    operations = [
        migrations.AlterField(
            model_name="intakeactivity",
            name="kind",
            field=models.CharField(
                choices=[
                    ("call_attempt", "Call attempt"),
                    ("voicemail", "Voicemail left"),
                    ("note", "Note"),
                    ("status_change", "Status change"),
                    ("oncall_closed", "On-call told: admissions closed"),
                    ("oncall_nobody", "On-call told: nobody on duty"),
                ],
                default="call_attempt",
                max_length=16,
            ),
        ),
    ]
