"""A guide stores its FAQ and Sources sections and the parts of its JSON-LD that come
from them, rendered with it (education.services.faqs_render and sources_render), so
a page request reads no FAQ and no citation.

Every existing guide gets them here from its FAQs (answers as last rendered) and its
citations: load_guides renders only the guides whose files changed, and staff's
guides have no file.
"""

from django.db import migrations, models

# What the sections show of a FAQ and of a source (education/includes/*.html).
SHOWN_FAQ_FIELDS = ("question", "answer_html", "answer_text")
SHOWN_SOURCE_FIELDS = ("key", "authors", "title", "venue", "year", "url", "doi")


def render_sections_of_existing_guides(apps, schema_editor):
    from education.models import FAQ, Citation, Source
    from education.services import faqs_render, sources_render

    Guide = apps.get_model("education", "Guide")
    StoredFAQ = apps.get_model("education", "FAQ")
    StoredCitation = apps.get_model("education", "Citation")

    def copy(model, row, fields):
        return model(**{name: getattr(row, name) for name in fields})

    for guide_id in Guide.objects.values_list("pk", flat=True):
        faqs = [
            copy(FAQ, row, SHOWN_FAQ_FIELDS)
            for row in StoredFAQ.objects.filter(guide_id=guide_id).order_by("order", "pk")
        ]
        rows = StoredCitation.objects.filter(guide_id=guide_id).select_related("source")
        citations = [
            Citation(number=row.number, source=copy(Source, row.source, SHOWN_SOURCE_FIELDS))
            for row in rows.order_by("number")
        ]
        faqs_html, questions = faqs_render(faqs=faqs)
        sources_html, cited = sources_render(citations=citations)
        Guide.objects.filter(pk=guide_id).update(
            faqs_html=faqs_html,
            sources_html=sources_html,
            json_ld_parts={"faq": questions, "citation": cited},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0011_guide_condition_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="guide",
            name="faqs_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="sources_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="guide",
            name="json_ld_parts",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.RunPython(render_sections_of_existing_guides, migrations.RunPython.noop),
    ]
