"""The guide's free-text reviewer fields go: a review is a GuideReview record now.

A data migration cannot invent a reviewer: the names and dates in reviewer_name,
reviewer_credentials and last_reviewed record no sign-off by anyone (the shipped
guides named a "Medical Review Team" nobody was), so they are dropped and no
GuideReview is created from them. Every existing guide is "never reviewed" until a
medical reviewer signs it off in the admin. Reversing restores the empty columns,
not the names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("education", "0007_reviewers_sign_off_permission")]

    operations = [
        migrations.RemoveIndex(model_name="guide", name="guide_last_reviewed_idx"),
        migrations.RemoveField(model_name="guide", name="last_reviewed"),
        migrations.RemoveField(model_name="guide", name="reviewer_credentials"),
        migrations.RemoveField(model_name="guide", name="reviewer_name"),
    ]
