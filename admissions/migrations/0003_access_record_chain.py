"""Access records: the hash chain and the phone hash searched for; timeline
entries keep their author's name; the permission to see every intake's details."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("admissions", "0002_admissions_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="accessrecord",
            options={"base_manager_name": "objects", "ordering": ["-created_at", "-pk"]},
        ),
        migrations.AlterModelOptions(
            name="intake",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("view_personal_data", "Can see an intake's personal data"),
                    (
                        "view_all_personal_data",
                        "Can see the personal data of intakes of others",
                    ),
                    ("export_intakes", "Can export intakes to CSV"),
                ],
            },
        ),
        migrations.AddField(
            model_name="accessrecord",
            name="phone_hash",
            field=models.CharField(
                blank=True, help_text="A phone search: the keyed hash searched for.", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="accessrecord",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="accessrecord",
            name="row_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="accessrecord",
            name="user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="intakeactivity",
            name="author_username",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
    ]
