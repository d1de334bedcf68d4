"""A guide stores its Related medications section, rendered with it and again when a
guide it lists changes (education.services.related_render), so a page request reads
no related guide.

Every existing guide gets it here from its related guides as they are (see 0012 for
why load_guides would not).
"""

from django.db import migrations, models

# What the section shows of a related guide and of its condition
# (education/includes/related.html).
SHOWN_GUIDE_FIELDS = ("pk", "slug", "title", "medication", "kind", "fda_status", "condition_id")


def render_related_of_existing_guides(apps, schema_editor):
    from education.models import Condition, Guide
    from education.services import related_section

    StoredGuide = apps.get_model("education", "Guide")
    conditions = {
        row.pk: Condition(pk=row.pk, name=row.name)
        for row in apps.get_model("education", "Condition").objects.all()
    }

    def listed(row) -> Guide:
        guide = Guide(**{name: getattr(row, name) for name in SHOWN_GUIDE_FIELDS})
        guide.condition = conditions[row.condition_id]
        return guide

    for guide in StoredGuide.objects.all():
        related = guide.related.filter(status="published").order_by("order", "title")
        html = related_section(
            related=[listed(row) for row in related], condition_id=guide.condition_id
        )
        StoredGuide.objects.filter(pk=guide.pk).update(related_html=html)


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0012_guide_sections_stored"),
    ]

    operations = [
        migrations.AddField(
            model_name="guide",
            name="related_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(render_related_of_existing_guides, migrations.RunPython.noop),
    ]
