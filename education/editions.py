"""A guide as a page in one language shows it: the English guide, or its translation.

The guide page, the guide list, the related links and the comparison tables read
a guide through these, so an English page reads the guide row itself (nothing
changes for it) and a translated page reads its translation's stored texts over
the English guide's (its slug, condition, kind, FDA status and position).
"""

from datetime import date

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from education.models import ROW_TEXT_FIELDS, ConditionText, Guide, GuideTranslation

# What the translation's row holds instead of the English guide's, as the page reads it.
TRANSLATED_ATTRIBUTES = frozenset(
    (
        "title",
        "medication",
        "description",
        *ROW_TEXT_FIELDS,
        "summary_html",
        "body_html",
        "overdose_signs_html",
        "toc",
        "row_html",
        "faqs_html",
        "sources_html",
        "related_html",
        "json_ld_parts",
        "takeaways_html",
        "emergency_html",
        "toc_html",
        "changes_html",
        "first_change_on",
        "content_updated_on",
        "content_fingerprint",
    )
)


def fda_status_label(guide: Guide, language: str) -> str:
    """Guide.fda_status_label in `language`: 'Aprobado por la FDA para el trastorno...'."""
    if language == "en":
        return guide.fda_status_label
    if not guide.is_medication or not guide.fda_status:
        return ""
    name = guide.condition.text_in(language).name
    with translation.override(language):
        if guide.fda_status == Guide.FdaStatus.APPROVED:
            return gettext("FDA-approved for %(condition)s") % {"condition": name}
        return gettext("Off-label for %(condition)s") % {"condition": name}


def fda_status_in_sentence(guide: Guide, language: str) -> str:
    """fda_status_label after a colon, in `language`."""
    if language == "en":
        return guide.fda_status_in_sentence
    label = fda_status_label(guide, language)
    return label if label.startswith("FDA") else label[:1].lower() + label[1:]


class GuideEdition:
    """A published guide as its translation's page shows it: the translation's texts
    and review over the English guide's other attributes."""

    def __init__(self, guide: Guide, text: GuideTranslation):
        self.guide = guide
        self.translation = text
        self.language = text.language

    def __getattr__(self, name):
        # Only called for what the instance and class lack: the translation's texts,
        # else the English guide's attributes. Read when asked, so a list that reads
        # the translations' titles only loads those.
        if name in TRANSLATED_ATTRIBUTES:
            return getattr(self.__dict__["translation"], name)
        return getattr(self.__dict__["guide"], name)

    def get_absolute_url(self) -> str:
        with translation.override(self.language):
            return reverse("education:guide-detail", args=[self.guide.slug])

    @property
    def english_url(self) -> str:
        with translation.override("en"):
            return reverse("education:guide-detail", args=[self.guide.slug])

    @property
    def condition(self) -> ConditionText:
        return self.guide.condition.text_in(self.language)

    @property
    def changes(self):
        return self.translation.changes

    @property
    def first_published_on(self) -> date | None:
        return self.translation.first_published_on

    @property
    def fda_status_label(self) -> str:
        return fda_status_label(self.guide, self.language)

    @property
    def fda_status_in_sentence(self) -> str:
        return fda_status_in_sentence(self.guide, self.language)

    @property
    def summary_items(self) -> list[str]:
        return self.translation.summary_items

    @property
    def last_review(self):
        return self.translation.last_review

    @property
    def review_state(self) -> str:
        return self.translation.review_state

    @property
    def review_is_current(self) -> bool:
        return self.translation.review_is_current

    @property
    def review_due_at(self):
        return self.translation.review_due_at

    @property
    def changed_after_review_on(self):
        return self.translation.changed_after_review_on

    @property
    def is_outdated(self) -> bool:
        return self.translation.is_outdated

    @property
    def english_changed_on(self) -> date:
        """When the English guide changed: its change log's newest date, or the day
        its row last moved when that date is older than the translation (a change
        the log does not list: a FAQ or a cited source edited in place)."""
        guide, made_on = self.guide, self.translation.content_updated_on
        if guide.content_updated_on and (made_on is None or guide.content_updated_on >= made_on):
            return guide.content_updated_on
        return timezone.localdate(guide.updated_at)
