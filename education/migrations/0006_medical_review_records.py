"""Medical reviews become records: reviewer profiles, sign-offs and the content fingerprint.

A GuideReview is a reviewer's sign-off of a guide's fingerprint; Guide.last_review
points at the newest one and Guide.content_fingerprint holds the fingerprint of the
current content (filled in by the next render). No review is created here: the
free-text reviewer fields name nobody who signed anything (0008 removes them).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0005_guide_overdose_signs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewerProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "display_name",
                    models.CharField(
                        help_text="Your name as readers see it, for example 'Jane Doe'.",
                        max_length=200,
                    ),
                ),
                (
                    "credentials",
                    models.CharField(
                        help_text="Your degrees and certifications, for example 'MD, FASAM'.",
                        max_length=200,
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reviewer_profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "reviewer profile"},
        ),
        migrations.CreateModel(
            name="GuideReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reviewer_name", models.CharField(max_length=200)),
                ("reviewer_credentials", models.CharField(max_length=200)),
                ("signed_at", models.DateTimeField()),
                (
                    "fingerprint",
                    models.CharField(
                        help_text="Guide.current_fingerprint() signed.", max_length=64
                    ),
                ),
                (
                    "guide",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviews",
                        to="education.guide",
                    ),
                ),
                (
                    "reviewer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="guide_reviews",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "medical review",
                "ordering": ["-signed_at", "-pk"],
                "permissions": [("sign_off_review", "Can sign off the medical review of a guide")],
                "indexes": [
                    models.Index(fields=["guide", "-signed_at"], name="review_guide_signed_idx")
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="guide",
            options={
                "ordering": ["order", "title"],
                "permissions": [("publish_guide", "Can publish a guide")],
            },
        ),
        migrations.AddField(
            model_name="guide",
            name="content_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="guide",
            name="last_review",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="education.guidereview",
            ),
        ),
    ]
