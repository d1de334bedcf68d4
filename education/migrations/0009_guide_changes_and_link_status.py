"""A public change log per guide, its "Updated on" date, and the link check of sources.

Guide.content_updated_on is the date the content last changed; an existing
published guide gets the day it was first published (what its change log would
start with), never the day of this migration. The shipped guides' entries come
with the next load_guides.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def date_existing_guides(apps, schema_editor):
    Guide = apps.get_model("education", "Guide")
    for guide in Guide.objects.filter(published_at__isnull=False).only("published_at"):
        Guide.objects.filter(pk=guide.pk).update(
            content_updated_on=timezone.localdate(guide.published_at)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0008_remove_free_text_reviewer_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="guide",
            name="content_updated_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="content updated on"
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="link_broken_since",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="source",
            name="link_checked_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="source",
            name="link_status",
            field=models.CharField(
                choices=[("unknown", "not checked"), ("ok", "works"), ("broken", "broken link")],
                default="unknown",
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="link_status_code",
            field=models.PositiveSmallIntegerField(
                blank=True,
                editable=False,
                help_text="None: no answer.",
                null=True,
                verbose_name="HTTP status",
            ),
        ),
        migrations.CreateModel(
            name="GuideChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("summary", models.CharField(help_text="One line, for readers.", max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for an entry from the shipped files.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "guide",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="education.guide",
                    ),
                ),
            ],
            options={
                "verbose_name": "guide change",
                "ordering": ["-date", "-pk"],
                "indexes": [models.Index(fields=["guide", "-date"], name="guide_change_date_idx")],
            },
        ),
        migrations.RunPython(date_existing_guides, migrations.RunPython.noop),
    ]
