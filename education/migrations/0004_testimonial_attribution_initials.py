"""A testimonial's attribution is initials only ("J.M.").

Approved testimonials whose attribution is something else (a name, say) lose
their approval, so they leave the page until a reviewer corrects and approves
them again. Going back keeps them unapproved.
"""

import re

import django.core.validators
from django.db import migrations, models

INITIALS_PATTERN = r"^[A-Z]\.(?:[A-Z]\.){0,2}\Z"


def withdraw_approval_of_non_initials(apps, schema_editor):
    testimonial_model = apps.get_model("education", "Testimonial")
    approved = testimonial_model.objects.filter(approved=True).values_list("pk", "attribution")
    names = [pk for pk, attribution in approved if not re.match(INITIALS_PATTERN, attribution)]
    testimonial_model.objects.filter(pk__in=names).update(
        approved=False, approved_by=None, approved_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0003_admin_filter_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="testimonial",
            name="attribution",
            field=models.CharField(
                help_text="Initials only, for example 'J.M.'. Never a full name.",
                max_length=12,
                validators=[
                    django.core.validators.RegexValidator(
                        INITIALS_PATTERN,
                        "Initials only: one to three capital letters, each followed by a full "
                        "stop and no spaces, for example 'J.M.'. Never a name.",
                    )
                ],
            ),
        ),
        migrations.RunPython(withdraw_approval_of_non_initials, migrations.RunPython.noop),
    ]
