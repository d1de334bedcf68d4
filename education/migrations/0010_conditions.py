"""Guides by condition: the Condition table, each guide's condition and kind, and
the comparison-table cells the opioid use disorder table adds.

Every existing guide is for alcohol use disorder (models.DEFAULT_CONDITION), a
medication with its row's cells rendered for the guide list as guide_render would.
None of this changes an existing guide's content fingerprint: the new fields enter
it only when they differ from these values (models.LATER_FINGERPRINTED_FIELDS), so
a review signed before stays valid. The next load_guides brings the rest of
conditions.toml.
"""

import django.db.models.deletion
from django.db import migrations, models

from education import markup
from education.models import DEFAULT_CONDITION


def existing_guides_for_alcohol_use_disorder(apps, schema_editor):
    Condition = apps.get_model("education", "Condition")
    Guide = apps.get_model("education", "Guide")
    values = {name: value for name, value in DEFAULT_CONDITION.items() if name != "slug"}
    values["emergency_note_html"] = markup.plain_inline_html(values["emergency_note"])
    condition, _ = Condition.objects.get_or_create(slug=DEFAULT_CONDITION["slug"], defaults=values)
    for guide in Guide.objects.only("mechanism", "key_caution"):
        row_html = {
            name: markup.plain_inline_html(value)
            for name, value in (("mechanism", guide.mechanism), ("key_caution", guide.key_caution))
            if value
        }
        Guide.objects.filter(pk=guide.pk).update(condition=condition, row_html=row_html)


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0009_guide_changes_and_link_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="Condition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "slug",
                    models.SlugField(
                        help_text="The list section's anchor.", max_length=80, unique=True
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="As in a sentence, lower case: 'opioid use disorder'.",
                        max_length=100,
                    ),
                ),
                ("short_name", models.CharField(blank=True, help_text="'OUD'.", max_length=20)),
                (
                    "description",
                    models.TextField(help_text="Plain text under its heading in the guide list."),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(default=100, help_text="Position in lists."),
                ),
                (
                    "columns",
                    models.JSONField(
                        default=list,
                        help_text="The comparison table's columns after the medication: [field, label] pairs; fields: mechanism, where_to_get, how_often, fda_status, key_caution, evidence.",
                    ),
                ),
                (
                    "overdose_heading",
                    models.CharField(
                        blank=True,
                        help_text="Heading of the signs of overdose in the emergency box; empty: 'If someone took too much <medication>'.",
                        max_length=200,
                    ),
                ),
                (
                    "emergency_note",
                    models.TextField(
                        blank=True,
                        help_text="The emergency box's step for this condition: markdown (bold, links), no citations.",
                    ),
                ),
                ("emergency_note_html", models.TextField(blank=True, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["order", "name"],
            },
        ),
        migrations.AddField(
            model_name="guide",
            name="evidence",
            field=models.CharField(
                blank=True,
                help_text="The main finding, in a phrase.",
                max_length=300,
                verbose_name="what the research shows",
            ),
        ),
        migrations.AddField(
            model_name="guide",
            name="fda_detail",
            field=models.CharField(
                blank=True,
                help_text="Shown after the FDA badge in the table: 'Approved in 2002 (tablets)'.",
                max_length=300,
                verbose_name="FDA status, in words",
            ),
        ),
        migrations.AddField(
            model_name="guide",
            name="how_often",
            field=models.CharField(
                blank=True, help_text="Daily, weekly, monthly...", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="guide",
            name="kind",
            field=models.CharField(
                choices=[
                    ("medication", "Medication (a row of its condition's comparison table)"),
                    ("rescue", "Overdose reversal (no row in the table, no FDA-status badge)"),
                    ("comparison", "Comparison page (shows its condition's table)"),
                ],
                default="medication",
                help_text="What the page is.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="guide",
            name="row_html",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="where_to_get",
            field=models.CharField(
                blank=True,
                help_text="Who prescribes or gives it: any prescriber, a clinic, a pharmacy.",
                max_length=300,
                verbose_name="where you get it",
            ),
        ),
        migrations.AlterField(
            model_name="guide",
            name="fda_status",
            field=models.CharField(
                blank=True,
                choices=[("approved", "FDA-approved"), ("off_label", "Off-label")],
                default="off_label",
                help_text="Empty for an overdose-reversal guide or a comparison page.",
                max_length=20,
                verbose_name="FDA status for its condition",
            ),
        ),
        migrations.AlterField(
            model_name="guide",
            name="key_caution",
            field=models.CharField(
                blank=True, help_text="The main caution, in a phrase.", max_length=300
            ),
        ),
        migrations.AlterField(
            model_name="guide",
            name="mechanism",
            field=models.CharField(
                blank=True,
                help_text="How it is thought to work, in a phrase.",
                max_length=300,
                verbose_name="how it works",
            ),
        ),
        migrations.AddField(
            model_name="guide",
            name="condition",
            field=models.ForeignKey(
                help_text="What the medicine treats: the guide list's section, the FDA status's condition, the comparison table the guide is a row of.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="guides",
                to="education.condition",
            ),
        ),
        migrations.AddIndex(
            model_name="guide",
            index=models.Index(fields=["kind"], name="guide_kind_idx"),
        ),
        migrations.RunPython(existing_guides_for_alcohol_use_disorder, migrations.RunPython.noop),
    ]
