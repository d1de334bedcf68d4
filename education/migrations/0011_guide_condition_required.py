"""Every guide has a condition (0010 gave the existing ones alcohol use disorder).

A migration of its own: PostgreSQL does not alter a table in the transaction that
updated its rows with deferred foreign-key checks still pending.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0010_conditions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="guide",
            name="condition",
            field=models.ForeignKey(
                help_text="What the medicine treats: the guide list's section, the FDA status's "
                "condition, the comparison table the guide is a row of.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="guides",
                to="education.condition",
            ),
        ),
    ]
