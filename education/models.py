"""Models of the education app: medication guides and their shared bibliography.

A guide's markdown (summary, body, FAQ answers) is rendered by
education.services.guide_render once the guide and its FAQs are saved; the HTML,
the table of contents and the numbered list of cited sources are stored, so a
request reads them and never parses markdown.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from education import markup

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REVIEW_INTERVAL = timedelta(days=365)
# One to three capital initials, each followed by a full stop: "J.", "J.M.", "A.B.C.".
INITIALS_PATTERN = r"^[A-Z]\.(?:[A-Z]\.){0,2}\Z"
INITIALS_MESSAGE = (
    "Initials only: one to three capital letters, each followed by a full stop and no "
    "spaces, for example 'J.M.'. Never a name."
)


def unknown_keys_message(keys: list[str]) -> str:
    listed = ", ".join(f"[^{key}]" for key in keys)
    return (
        f"Unknown citation key(s): {listed}. Add the source to the bibliography first, "
        "or correct the key."
    )


def known_source_keys(*texts: str) -> dict[str, int]:
    """Keys cited in the texts that exist in the bibliography, with their ids."""
    keys = {key for text in texts for key in markup.cited_keys(text)}
    if not keys:
        return {}
    return dict(Source.objects.filter(key__in=keys).values_list("key", "pk"))


def check_citations(*texts: str) -> None:
    """Raise ValidationError naming every cited key that is not a known source."""
    known = known_source_keys(*texts)
    missing = [key for text in texts for key in markup.cited_keys(text) if key not in known]
    if missing:
        raise ValidationError(unknown_keys_message(list(dict.fromkeys(missing))))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!" else f"{text}."


class SourceQuerySet(models.QuerySet):
    def with_usage(self):
        return self.annotate(guide_count=models.Count("citations", distinct=True))


class Source(models.Model):
    """One entry of the bibliography shared by every guide."""

    key = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                rf"^{markup.CITATION_KEY}$", "Use letters, digits, dots, underscores or hyphens."
            )
        ],
        help_text="Cite it in a guide as [^key].",
    )
    authors = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=500)
    venue = models.CharField(max_length=300, blank=True, help_text="Journal, publisher or agency.")
    year = models.CharField(max_length=20, blank=True, help_text="As cited: 2023, 'current'...")
    url = models.URLField("URL", max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True, help_text="Linked when no URL.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The pages that list this entry changed: move their cache validators on.
        Guide.objects.filter(citations__source=self).update(updated_at=timezone.now())

    def is_cited_by_published_guide(self) -> bool:
        """Whether a live page lists this entry (so changing it changes that page)."""
        return (
            self.pk is not None
            and Guide.objects.published().filter(citations__source=self).exists()
        )

    @property
    def authors_sentence(self) -> str:
        return _sentence(self.authors)

    @property
    def title_sentence(self) -> str:
        return _sentence(self.title)

    @property
    def published_in(self) -> str:
        """Venue and year as one sentence: 'Lancet, 2007.'"""
        return _sentence(", ".join(part for part in (self.venue, self.year) if part))

    @property
    def link(self) -> str:
        if self.url:
            return self.url
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""


class GuideQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Guide.Status.PUBLISHED)

    def review_overdue(self, today: date | None = None):
        today = today or timezone.localdate()
        return self.filter(last_reviewed__lt=today - REVIEW_INTERVAL)

    def for_page(self):
        """Everything the guide page shows, in a fixed number of queries."""
        return self.prefetch_related(*page_prefetches())


def page_prefetches() -> list:
    """What a guide page shows beyond the guide row: one query each."""
    return [
        "faqs",
        models.Prefetch(
            "citations", queryset=Citation.objects.select_related("source").order_by("number")
        ),
        models.Prefetch(
            "related",
            queryset=Guide.objects.published().only(
                "slug", "title", "medication", "fda_status", "order"
            ),
            to_attr="published_related",
        ),
        models.Prefetch(
            "testimonials", queryset=Testimonial.objects.shown(), to_attr="shown_testimonials"
        ),
    ]


class Guide(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    class FdaStatus(models.TextChoices):
        APPROVED = "approved", "FDA-approved for alcohol use disorder"
        OFF_LABEL = "off_label", "Off-label for alcohol use disorder"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    medication = models.CharField(max_length=100)
    description = models.CharField(
        max_length=300, help_text="The meta description search engines show; under 160 characters."
    )
    fda_status = models.CharField(
        "FDA status for AUD", max_length=20, choices=FdaStatus.choices, default=FdaStatus.OFF_LABEL
    )
    mechanism = models.CharField(
        max_length=300, help_text="How it is thought to work, in a phrase (comparison table)."
    )
    key_caution = models.CharField(
        max_length=300, help_text="The main caution, in a phrase (comparison table)."
    )
    summary = models.TextField(
        "key takeaways", help_text="One takeaway per line; markdown and citations allowed."
    )
    body = models.TextField(
        help_text="Markdown. '## Heading' starts a section in the table of contents; "
        "cite a source with [^key]."
    )
    overdose_signs = models.TextField(
        "signs of overdose",
        blank=True,
        help_text="Shown in the guide's emergency box; markdown and citations allowed.",
    )
    related = models.ManyToManyField("self", symmetrical=False, blank=True)
    order = models.PositiveSmallIntegerField(default=100, help_text="Position in lists.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    reviewer_name = models.CharField(max_length=200, blank=True)
    reviewer_credentials = models.CharField(
        max_length=200,
        blank=True,
        help_text="For example: MD, board-certified in addiction medicine.",
    )
    last_reviewed = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Stored by guide_render (education.services).
    summary_html = models.JSONField(default=list, editable=False)
    body_html = models.TextField(blank=True, editable=False)
    # One rendering per emergency box, in reading order (each with its own citation ids).
    overdose_signs_html = models.JSONField(default=list, editable=False)
    toc = models.JSONField(default=list, editable=False)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        permissions = [
            ("publish_guide", "Can publish a guide and sign off its medical review"),
        ]
        indexes = [
            models.Index(fields=["status", "order"], name="guide_status_order_idx"),
            models.Index(fields=["order", "title"], name="guide_order_title_idx"),
            models.Index(fields=["fda_status"], name="guide_fda_status_idx"),
            models.Index(fields=["last_reviewed"], name="guide_last_reviewed_idx"),
            models.Index(fields=["updated_at"], name="guide_updated_at_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Save the row; education.services.guide_render renders its markdown."""
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "published_at", "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("education:guide-detail", args=[self.slug])

    def clean(self):
        errors = {}
        for field in ("summary", "overdose_signs", "body"):
            try:
                check_citations(getattr(self, field))
            except ValidationError as error:
                errors[field] = error.messages
        if self.last_reviewed and self.last_reviewed > timezone.localdate():
            errors["last_reviewed"] = ["The review date cannot be in the future."]
        if self.status == self.Status.PUBLISHED:
            if not self.reviewer_name:
                errors["reviewer_name"] = ["A published guide names its medical reviewer."]
            if not self.last_reviewed:
                errors["last_reviewed"] = ["A published guide has a review date."]
        if errors:
            raise ValidationError(errors)

    @property
    def summary_items(self) -> list[str]:
        return [line.strip() for line in self.summary.splitlines() if line.strip()]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_off_label(self) -> bool:
        return self.fda_status == self.FdaStatus.OFF_LABEL

    @property
    def content_updated_on(self) -> date | None:
        """The date what readers see last changed: the page's "Updated on".

        For now the day the guide was first published; the guide's change log
        will give the date of its newest entry.
        """
        changed = self.published_at or self.updated_at
        return timezone.localdate(changed) if changed else None

    @property
    def review_overdue(self) -> bool:
        if self.last_reviewed is None:
            return False
        return self.last_reviewed < timezone.localdate() - REVIEW_INTERVAL


class FAQ(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown; cite a source with [^key].")
    order = models.PositiveSmallIntegerField(default=0)
    # Stored by guide_render with the guide (citation numbers run across the page).
    answer_html = models.TextField(blank=True, editable=False)
    answer_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"
        indexes = [models.Index(fields=["guide", "order"], name="faq_guide_order_idx")]

    def __str__(self):
        return self.question

    def clean(self):
        try:
            check_citations(self.answer)
        except ValidationError as error:
            raise ValidationError({"answer": error.messages}) from None


class Citation(models.Model):
    """A source cited by a guide, with its number on that page (by first use)."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["guide", "number"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "source"], name="citation_once_per_guide"),
            models.UniqueConstraint(fields=["guide", "number"], name="citation_number_per_guide"),
        ]

    def __str__(self):
        return f"{self.guide_id} [{self.number}] {self.source_id}"

    @property
    def source_anchor(self) -> str:
        return markup.source_id(self.source.key)

    @property
    def first_citation_anchor(self) -> str:
        return markup.citation_id(self.source.key)


# What a reviewer approves of a testimonial (attribute names): a change withdraws the approval.
APPROVED_CONTENT = ("guide_id", "text", "attribution")
APPROVAL_FIELDS = ("approved", "approved_by", "approved_at")


def _content_written(field_names) -> tuple[str, ...]:
    """The approved-content attributes a save or update with these field names writes."""
    if field_names is None:
        return APPROVED_CONTENT
    names = set(field_names)
    return tuple(a for a in APPROVED_CONTENT if a in names or a.removesuffix("_id") in names)


class TestimonialQuerySet(models.QuerySet):
    def shown(self):
        """Only what a person agreed to share and staff approved."""
        return self.filter(consent_on_file=True, approved=True)

    def update(self, **kwargs):
        """Writing approved content withdraws the approval, unless the same update gives it.

        bulk_update() goes through here too; like any update() it sends no signal.
        """
        if _content_written(kwargs) and "approved_at" not in kwargs:
            kwargs |= {"approved": False, "approved_by": None, "approved_at": None}
        return super().update(**kwargs)


class Testimonial(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="testimonials")
    text = models.TextField(max_length=1000)
    attribution = models.CharField(
        max_length=12,
        validators=[RegexValidator(INITIALS_PATTERN, INITIALS_MESSAGE)],
        help_text="Initials only, for example 'J.M.'. Never a full name.",
    )
    consent_on_file = models.BooleanField(
        default=False, help_text="Signed consent to publish this text is on file."
    )
    approved = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_testimonial", "Can approve a testimonial for publication")]
        indexes = [
            models.Index(
                fields=["guide", "approved", "consent_on_file"], name="testimonial_shown_idx"
            ),
            models.Index(fields=["approved", "consent_on_file"], name="testimonial_review_idx"),
        ]

    def __str__(self):
        return f"Testimonial #{self.pk}"

    def save(self, *args, **kwargs):
        """Save the row; a change to approved content withdraws the approval.

        The approval stays only if it was given with this change (approve() set a
        new approved_at). A move to another guide also moves the validators of the
        page it leaves.
        """
        update_fields = kwargs.get("update_fields")
        written = () if self._state.adding else _content_written(update_fields)
        stored = None
        if written:
            row = Testimonial._base_manager.filter(pk=self.pk)
            stored = row.values(*written, "approved", "approved_at").first()
        if (
            stored is not None
            and self.approved
            and stored["approved"]
            and stored["approved_at"] == self.approved_at
            and any(stored[name] != getattr(self, name) for name in written)
        ):
            self.withdraw_approval()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *APPROVAL_FIELDS}
        super().save(*args, **kwargs)
        left = stored.get("guide_id") if stored else None
        if left is not None and left != self.guide_id:
            Guide.objects.filter(pk=left).update(updated_at=timezone.now())

    def clean(self):
        if self.approved and not self.consent_on_file:
            raise ValidationError({"approved": "Only a testimonial with consent on file."})

    def approve(self, *, by: "User") -> None:
        """Approve what the testimonial says now, as `by`; the caller saves it."""
        self.approved, self.approved_by, self.approved_at = True, by, timezone.now()

    def withdraw_approval(self) -> None:
        """Take the testimonial off the page until a reviewer approves it again."""
        self.approved, self.approved_by, self.approved_at = False, None, None
