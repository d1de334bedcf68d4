"""A guide and each translation store the sections of their page that no request
changes, rendered in their language (education.services.sections_render): the key
takeaways, the two emergency boxes, the table of contents and the change log, with
the date of the log's oldest entry, so a page request reads no change-log row and
renders none of those templates. A guide stores the testimonials its pages show
(education.models.testimonials_store), so they read no testimonial row either.

Every existing guide and translation gets them here from what is stored (its HTML as
last rendered, its condition, its change log), for the reason 0012 gives.
"""

from django.db import migrations, models

# What the sections show (education/includes/): of a guide or translation, of a
# condition (and its translations' texts), of a change-log entry.
SHOWN_TEXT_FIELDS = (
    *("medication", "summary_html", "overdose_signs_html", "toc"),
    *("faqs_html", "sources_html"),
)
SHOWN_CONDITION_FIELDS = ("slug", "name", "short_name", "overdose_heading")
SHOWN_CONDITION_FIELDS += ("emergency_note_html", "translations", "columns")


def render_sections_of_existing_pages(apps, schema_editor):
    from education.editions import GuideEdition
    from education.models import Condition, Guide, GuideChange, GuideTranslation
    from education.services import sections_render

    def copy(model, row, fields):
        return model(**{name: getattr(row, name) for name in fields})

    def log(changes):
        rows = changes.order_by("-date", "-pk")
        return [GuideChange(date=row.date, summary=row.summary) for row in rows]

    StoredGuide = apps.get_model("education", "Guide")
    StoredTranslation = apps.get_model("education", "GuideTranslation")
    conditions = {
        row.pk: copy(Condition, row, SHOWN_CONDITION_FIELDS)
        for row in apps.get_model("education", "Condition").objects.all()
    }
    guides = {}
    for row in StoredGuide.objects.all():
        guide = guides[row.pk] = copy(Guide, row, SHOWN_TEXT_FIELDS)
        guide.condition = conditions[row.condition_id]
        sections = sections_render(page=guide, changes=log(row.changes.all()))
        StoredGuide.objects.filter(pk=row.pk).update(**sections)
    for row in StoredTranslation.objects.all():
        text = copy(GuideTranslation, row, (*SHOWN_TEXT_FIELDS, "language"))
        page = GuideEdition(guides[row.guide_id], text)
        sections = sections_render(page=page, changes=log(row.changes.all()))
        StoredTranslation.objects.filter(pk=row.pk).update(**sections)
    shown = apps.get_model("education", "Testimonial").objects.filter(
        consent_on_file=True, approved=True
    )
    for guide_id in StoredGuide.objects.values_list("pk", flat=True):
        rows = shown.filter(guide_id=guide_id).order_by("-created_at", "-pk")
        StoredGuide.objects.filter(pk=guide_id).update(
            shown_testimonials=[
                {"text": t, "attribution": a} for t, a in rows.values_list("text", "attribution")
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0015_translation_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="guide",
            name="changes_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="emergency_html",
            field=models.JSONField(default=list, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="first_change_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="guide",
            name="takeaways_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="toc_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guidetranslation",
            name="changes_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guidetranslation",
            name="emergency_html",
            field=models.JSONField(default=list, editable=False),
        ),
        migrations.AddField(
            model_name="guidetranslation",
            name="first_change_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="guidetranslation",
            name="takeaways_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guidetranslation",
            name="toc_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="shown_testimonials",
            field=models.JSONField(default=list, editable=False),
        ),
        migrations.RunPython(render_sections_of_existing_pages, migrations.RunPython.noop),
    ]
