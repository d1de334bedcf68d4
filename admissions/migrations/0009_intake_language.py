"""The language of an intake's call and the languages navigators speak: a Spanish
intake goes to a Spanish speaker on duty first (services.navigator_next). The
overview's index holds the language too, so the figures per language are read
from it alone; the list's language filter has an index of its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0008_overview_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="intake",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("es", "Spanish")],
                default="en",
                max_length=2,
                verbose_name="language for the call",
            ),
        ),
        migrations.AddField(
            model_name="navigatorstate",
            name="languages",
            field=models.CharField(
                default="en",
                help_text="The languages this navigator can hold a call in. A Spanish intake "
                "goes to a Spanish speaker on duty first.",
                max_length=40,
                verbose_name="languages spoken",
            ),
        ),
        migrations.AlterModelOptions(
            name="navigatorstate",
            options={"verbose_name": "staff profile"},
        ),
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
                    ("spanish_needed", "Spanish speaker needed: none on duty"),
                ],
                default="call_attempt",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                fields=["language", "-created_at"], name="intake_language_created_idx"
            ),
        ),
        migrations.RemoveIndex(
            model_name="intake",
            name="intake_overview_idx",
        ),
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
                    "language",
                ],
                name="intake_overview_idx",
            ),
        ),
    ]
