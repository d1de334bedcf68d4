"""Editorial admin: editors draft guides, medical reviewers publish them.

Who may do what comes from the groups the migrations create: "Editors" add and
change guides, FAQs and sources; "Medical reviewers" may also publish a guide
(education.publish_guide), sign off its medical review (education.sign_off_review,
with a reviewer profile naming them) and approve testimonials. A published guide,
and a source one cites, is read-only to someone who cannot publish, so every
change to a live page passes a reviewer; an edit of an approved testimonial
withdraws its approval (Testimonial.save). A sign-off is a GuideReview record,
listed read-only on the guide; Django's LogEntry records who changed what and when
(the History button of each guide).
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import prefetch_related_objects
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import override as translation_override

from education.models import (
    CHANGE_SUMMARY_MAX_LENGTH,
    FAQ,
    FINGERPRINTED_FIELDS,
    ROW_TEXT_FIELDS,
    Condition,
    Guide,
    GuideQuerySet,
    GuideReview,
    GuideTranslation,
    ReviewerProfile,
    Source,
    SourceQuerySet,
    Testimonial,
    TranslationFAQ,
    TranslationReview,
    is_medical_reviewer,
    page_prefetches,
    review_cutoff,
)
from education.services import (
    guide_change_record,
    guide_render,
    guide_review_sign_off,
    translation_change_record,
    translation_render,
    translation_review_sign_off,
)
from education.views import guide_page_context, prefetch_page

PUBLISH_PERMISSION = "education.publish_guide"
APPROVE_TESTIMONIAL_PERMISSION = "education.approve_testimonial"
NOT_CURRENT = "not-current"


class ReviewStateFilter(admin.SimpleListFilter):
    """The medical review state of each guide, from its last GuideReview."""

    title = "medical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            (NOT_CURRENT, "Not current (changed, never reviewed or overdue)"),
            (Guide.ReviewState.VALID, "Valid"),
            ("due-soon", "Valid, due within 30 days"),
            (Guide.ReviewState.CHANGED, "Changed since its review"),
            (Guide.ReviewState.NEVER, "Never reviewed"),
            (Guide.ReviewState.OVERDUE, "Overdue (signed over 12 months ago)"),
        ]

    def queryset(self, request, queryset):
        queryset = cast(GuideQuerySet, queryset)
        today = timezone.localdate()
        value = self.value()
        if value == NOT_CURRENT:
            return queryset.review_not_current(today)
        if value == "due-soon":
            return queryset.review_in_state(Guide.ReviewState.VALID, today).filter(
                last_review__signed_at__lt=review_cutoff(today) + timedelta(days=30)
            )
        if value in Guide.ReviewState.values:
            return queryset.review_in_state(value, today)
        return queryset


CHANGE_SUMMARY_FIELD = "change_summary"
CHANGE_SUMMARY_NEEDED = (
    "Say in one line what changed for readers: the page lists it under 'What changed', "
    "dated today. For a first publication, 'First published.'"
)
FAQS_CHANGED_NEED_SUMMARY = (
    "You changed the questions and answers of a published guide: say what changed in "
    "'What changed (public, one line)' above."
)


def _reads_differently(guide: Guide) -> bool:
    """Whether saving the guide as it is now publishes it, or changes what a reader
    sees of it, compared with its stored row (its FAQs aside)."""
    stored = Guide.objects.filter(pk=guide.pk).values("status", *FINGERPRINTED_FIELDS).first()
    if stored is None or stored["status"] != Guide.Status.PUBLISHED:
        return True
    return any(guide.serializable_value(name) != stored[name] for name in FINGERPRINTED_FIELDS)


class MarkdownTextField(forms.CharField):
    """A textarea's markdown exactly as typed, line breaks stored as "\\n".

    Browsers send a textarea's line breaks as "\\r\\n", and the default field strips
    the text's ends: either would make an untouched guide read as changed (its
    fingerprint, and the change log's question) on every save.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "strip": False})

    def to_python(self, value) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


MARKDOWN_FIELDS: Mapping[type[models.Field], Mapping[str, Any]] = {
    models.TextField: {"form_class": MarkdownTextField}
}


class FAQInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """A published guide's FAQ edit needs a line for the public change log.

        Runs after the guide's form has cleaned (self.instance holds its new values);
        when the guide's own fields changed too, that form has asked already.
        """
        super().clean()
        guide = self.instance
        if guide.status != Guide.Status.PUBLISHED or _reads_differently(guide):
            return
        if not any(form.has_changed() for form in self.forms):
            return
        if not self.data.get(CHANGE_SUMMARY_FIELD, "").strip():
            raise forms.ValidationError(FAQS_CHANGED_NEED_SUMMARY)


class FAQInline(admin.StackedInline):
    model = FAQ
    formset = FAQInlineFormSet
    formfield_overrides = MARKDOWN_FIELDS
    extra = 0
    fields = ["question", "answer", "order"]


class PublishingForm(forms.ModelForm):
    """The form of a guide or a translation: only a medical reviewer publishes one
    (the admin sets can_publish for whoever signed in)."""

    can_publish = False
    noun = "guide"

    def clean_status(self):
        status = self.cleaned_data["status"]
        was = self.instance.status if self.instance.pk else None
        if status == Guide.Status.PUBLISHED and was != status and not self.can_publish:
            raise forms.ValidationError(
                f"Only a medical reviewer can publish a {self.noun}. Set it to 'In review' instead."
            )
        return status


class GuideAdminForm(PublishingForm):
    change_summary = forms.CharField(
        label="What changed (public, one line)",
        max_length=CHANGE_SUMMARY_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Shown on the guide's page under 'What changed', dated today, and the "
        "page's 'Updated on' date moves to today. Needed when you publish the guide or "
        "change what readers see of a published guide, for example 'Added the FDA's 2019 "
        "warning about breathing problems with opioids.'",
    )

    class Meta:
        model = Guide
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        status = cleaned.get("status", self.instance.status)
        was = self.instance.status if self.instance.pk else None
        if (
            status == Guide.Status.PUBLISHED
            and (was != status or set(self.changed_data) & set(FINGERPRINTED_FIELDS))
            and not cleaned.get(CHANGE_SUMMARY_FIELD)
        ):
            self.add_error(CHANGE_SUMMARY_FIELD, CHANGE_SUMMARY_NEEDED)
        return cleaned


class ReviewedPageAdmin(admin.ModelAdmin):
    """What the admins of a guide and of its translation share: changing or deleting
    a published one takes a medical reviewer, as publishing it does (PublishingForm);
    each has a preview of its page and a sign-off page of its own medical review,
    which records the fingerprint of exactly what its readers see. A guide's review
    never covers its translation, nor the reverse: each admin signs off its own
    model (sign_off). The class attributes are the words that differ."""

    change_form_template = "admin/education/reviewed_change_form.html"
    noun = "guide"
    # What the preview and sign-off pages read with the row.
    page_related: tuple[str, ...] = ("last_review",)
    sign_off_title = "Sign off the medical review"
    sign_off_logged = "Signed off the medical review."
    sign_off_lasts = "The page says so until its content changes."
    no_review_yet = "No medical review yet."

    def sign_off(self, obj, *, reviewer, seen_fingerprint: str) -> GuideReview | TranslationReview:
        """Record the review of obj (the service of its model)."""
        raise NotImplementedError

    def sign_off_context(self, obj) -> dict[str, Any]:
        """What the sign-off page of obj says beyond its review status."""
        return {}

    def can_publish(self, request) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not self.can_publish(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not self.can_publish(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The admin's form class is a subclass of self.form (modelform_factory).
        form = cast(type[PublishingForm], super().get_form(request, obj, change, **kwargs))
        form.can_publish = self.can_publish(request)
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_sign_off_review": is_medical_reviewer(request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _url(self, name: str, obj) -> str:
        """The address of one of obj's admin pages ("change", "preview", "sign_off")."""
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=[obj.pk])

    def _page_object(self, object_id):
        rows = self.model._default_manager.select_related(*self.page_related)
        return get_object_or_404(rows, pk=object_id)

    @admin.display(description="Review history (never edited)")
    def review_history(self, obj):
        reviews = list(obj.reviews.all()) if obj.pk else []
        if not reviews:
            return self.no_review_yet
        return format_html(
            "<table><thead><tr><th>Signed</th><th>Reviewer</th><th>Fingerprint</th>"
            "<th>Matches the {} now</th></tr></thead><tbody>{}</tbody></table>",
            self.noun,
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                (
                    (
                        timezone.localtime(review.signed_at).strftime("%Y-%m-%d %H:%M"),
                        review.reviewer_display,
                        review.fingerprint[:12],
                        "yes" if review.fingerprint == obj.content_fingerprint else "no",
                    )
                    for review in reviews
                ),
            ),
        )

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if obj.pk is None:
            return f"Save the {self.noun} to preview it."
        link = '<a href="{}" target="_blank">Preview this {} as saved</a>'
        return format_html(link, self._url("preview", obj), self.noun)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        preview = self.admin_site.admin_view(self.preview_view)
        sign_off = self.admin_site.admin_view(self.sign_off_view)
        return [
            path("<int:object_id>/preview/", preview, name=f"{prefix}_preview"),
            path("<int:object_id>/sign-off/", sign_off, name=f"{prefix}_sign_off"),
            *super().get_urls(),
        ]

    def preview_response(self, request, obj) -> TemplateResponse:
        """obj's page as visitors would see it, whatever its status."""
        raise NotImplementedError

    def preview_view(self, request, object_id):
        """The page as visitors would see it, to whoever may change it while it is
        unpublished (a published one too).

        admin_view() has already required a signed-in staff member and marked the
        response never to be cached.
        """
        obj = self._page_object(object_id)
        # ModelAdmin's own permission: a published page may be read, not changed.
        if not super().has_change_permission(request, obj):
            raise PermissionDenied
        response = self.preview_response(request, obj)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def sign_off_view(self, request, object_id):
        """Show what a sign-off covers (GET) and record it (POST); medical reviewers
        only.

        The form carries the fingerprint shown, so a text changed while the
        reviewer read it is not signed off.
        """
        if not is_medical_reviewer(request.user):
            raise PermissionDenied
        obj = self._page_object(object_id)
        change_url = self._url("change", obj)
        if request.method == "POST":
            try:
                review = self.sign_off(
                    obj, reviewer=request.user, seen_fingerprint=request.POST.get("fingerprint", "")
                )
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
                return redirect(request.path)
            self.log_change(request, obj, self.sign_off_logged)
            self.message_user(
                request,
                f"You signed off the medical review of “{obj}” as {review.reviewer_display}. "
                f"{self.sign_off_lasts}",
                messages.SUCCESS,
            )
            return redirect(change_url)
        profile = ReviewerProfile.objects.filter(user=request.user).first()
        if profile is None:
            profile_url = reverse("admin:education_reviewerprofile_add")
        else:
            profile_url = reverse("admin:education_reviewerprofile_change", args=[profile.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": self.sign_off_title,
            "opts": self.opts,
            "original": obj,
            "noun": self.noun,
            "change_url": change_url,
            "preview_url": self._url("preview", obj),
            "review_status": review_in_words(obj),
            **self.sign_off_context(obj),
            "fingerprint": obj.current_fingerprint(),
            "profile": profile if profile is not None and profile.is_complete else None,
            "profile_url": profile_url,
        }
        templates = [
            f"admin/{self.opts.app_label}/{self.opts.model_name}/sign_off.html",
            f"admin/{self.opts.app_label}/sign_off.html",
        ]
        return TemplateResponse(request, templates, context)


@admin.register(Guide)
class GuideAdmin(ReviewedPageAdmin):
    form = GuideAdminForm
    formfield_overrides = MARKDOWN_FIELDS
    inlines = [FAQInline]
    list_display = [
        "title",
        "medication",
        "status",
        "condition",
        "fda_status",
        "review_status",
        "updated_at",
    ]
    list_select_related = ["last_review", "condition"]
    list_filter = ["status", "condition", "kind", "fda_status", ReviewStateFilter]
    search_fields = ["title", "medication", "slug"]
    ordering = ["order", "title"]
    prepopulated_fields = {"slug": ["medication"]}
    filter_horizontal = ["related"]
    readonly_fields = [
        "preview_link",
        "sources_cited",
        "published_at",
        "review_status",
        "review_history",
        "translations_list",
        "change_log",
        "content_updated_on",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "medication",
                    "description",
                    "condition",
                    "kind",
                    "order",
                    "preview_link",
                ]
            },
        ),
        (
            "Status and medical review",
            {
                "fields": [
                    "status",
                    "published_at",
                    "review_status",
                    "review_history",
                    "translations_list",
                ]
            },
        ),
        (
            "For the comparison table (a medication's row: the cells its condition's table has)",
            {
                "fields": [
                    "fda_status",
                    "fda_detail",
                    "mechanism",
                    "where_to_get",
                    "how_often",
                    "key_caution",
                    "evidence",
                ]
            },
        ),
        ("Content", {"fields": ["summary", "overdose_signs", "body", "sources_cited", "related"]}),
        ("What changed (the public change log)", {"fields": [CHANGE_SUMMARY_FIELD, "change_log"]}),
        ("Record", {"fields": ["content_updated_on", "created_at", "updated_at"]}),
    ]

    page_related = ("last_review", "condition")

    def sign_off(self, obj, *, reviewer, seen_fingerprint):
        return guide_review_sign_off(
            guide=obj, reviewer=reviewer, seen_fingerprint=seen_fingerprint
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("last_review")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Rendered once the FAQs are saved: citation numbers run across the page.
        guide_render(guide=form.instance)
        if summary := form.cleaned_data.get(CHANGE_SUMMARY_FIELD):
            guide_change_record(guide=form.instance, summary=summary, author=request.user)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if not add and "status" in form.changed_data:
            before = Guide.Status(form.initial["status"]).label
            after = Guide.Status(form.cleaned_data["status"]).label
            for entry in message:
                fields = entry.get("changed", {}).get("fields")
                if fields is not None and "name" not in entry["changed"]:
                    label = str(form.fields["status"].label)
                    entry["changed"]["fields"] = [
                        f"{field} ({before} to {after})" if field == label else field
                        for field in fields
                    ]
        return message

    @admin.display(description="Medical review")
    def review_status(self, guide):
        return review_in_words(guide)

    @admin.display(description="Translations (each reviewed on its own)")
    def translations_list(self, guide):
        texts = list(guide.translations.select_related("last_review")) if guide.pk else []
        if not texts:
            return "No translation."
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>: {}; {}; {}',
            (
                (
                    reverse("admin:education_guidetranslation_change", args=[text.pk]),
                    text.get_language_display(),
                    text.get_status_display().lower(),
                    translation_english_version(text),
                    review_in_words(text),
                )
                for text in texts
            ),
        )

    @admin.display(description="Sources cited, by number")
    def sources_cited(self, guide):
        citations = guide.citations.select_related("source")
        if not citations:
            return "None"
        return format_html_join(
            ", ",
            '<a href="{}">[{}] {}</a>{}',
            (
                (
                    reverse("admin:education_source_change", args=[c.source_id]),
                    c.number,
                    c.source,
                    " (broken link)" if c.source.link_status == Source.LinkStatus.BROKEN else "",
                )
                for c in citations
            ),
        )

    @admin.display(description="Change log (newest first)")
    def change_log(self, guide):
        changes = list(guide.changes.select_related("author")) if guide.pk else []
        if not changes:
            return "No entry yet."
        return format_html(
            "<table><thead><tr><th>Date</th><th>What changed</th><th>Entered by</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{change.date:%Y-%m-%d}",
                        change.summary,
                        change.author.get_username() if change.author else "the shipped files",
                    )
                    for change in changes
                ),
            ),
        )

    def preview_response(self, request, guide):
        prefetch_related_objects([guide], *page_prefetches())
        context = {**guide_page_context(guide), "preview": True}
        return TemplateResponse(request, "education/guide_detail.html", context)


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    """The conditions come from education/content/conditions.toml (load_guides)."""

    list_display = ["name", "short_name", "slug", "order"]
    ordering = ["order", "name"]
    readonly_fields = ["updated_at"]
    fields = [
        "name",
        "short_name",
        "slug",
        "description",
        "order",
        "columns",
        "overdose_heading",
        "emergency_note",
        "updated_at",
    ]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """A source a published guide cites is read-only to someone who cannot publish.

    Its entry is part of the live page, like the guide itself; sending the guide
    back to review instead would take the page down.
    """

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["key", "title", "authors", "year", "guide_count", "link_state"]
    list_filter = ["link_status"]
    search_fields = ["key", "title", "authors", "venue"]
    readonly_fields = ["used_in", "link_check", "updated_at"]
    fields = [
        "key",
        "authors",
        "title",
        "venue",
        "year",
        "url",
        "doi",
        "language",
        "link_check",
        "used_in",
        "updated_at",
    ]

    def get_queryset(self, request):
        # The default manager's queryset, typed by the stubs as a plain QuerySet.
        return cast(SourceQuerySet, super().get_queryset(request)).with_usage()

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and not request.user.has_perm(PUBLISH_PERMISSION)
            and obj.is_cited_by_published_guide()
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if {"url", "doi"} & set(form.changed_data):
            obj.forget_link_check()
        super().save_model(request, obj, form, change)

    @admin.display(description="Used in guides", ordering="guide_count")
    def guide_count(self, source):
        return source.guide_count

    @admin.display(description="Link", ordering="link_status")
    def link_state(self, source):
        """'broken link (HTTP 404)', 'works', 'could not check (HTTP 403)' or 'not checked'."""
        code = f"HTTP {source.link_status_code}" if source.link_status_code else "no answer"
        if source.link_status == Source.LinkStatus.BROKEN:
            return format_html("<strong>broken link</strong> ({})", code)
        if source.link_status == Source.LinkStatus.OK:
            return "works"
        if source.link_checked_at is not None:
            return f"could not check ({code})"
        return "not checked"

    @admin.display(description="Link check")
    def link_check(self, source):
        if source.link_checked_at is None:
            return "Not checked yet: manage.py check_sources, or the weekly check, does it."
        checked = timezone.localtime(source.link_checked_at).strftime("%Y-%m-%d %H:%M")
        state = self.link_state(source)
        if source.link_status == Source.LinkStatus.BROKEN and source.link_broken_since:
            since = timezone.localtime(source.link_broken_since).strftime("%Y-%m-%d")
            return format_html("{}, since {}; last checked {}", state, since, checked)
        return format_html("{}; last checked {}", state, checked)

    @admin.display(description="Where it is cited")
    def used_in(self, source):
        citations = source.citations.select_related("guide").order_by("guide__title")
        if not citations:
            return "Not cited by any guide (so not listed on any page)."
        listed = format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> (source [{}], {})',
            (
                (
                    reverse("admin:education_guide_change", args=[c.guide_id]),
                    c.guide.title,
                    c.number,
                    c.guide.get_status_display().lower(),
                )
                for c in citations
            ),
        )
        if any(c.guide.is_published for c in citations):
            note = "A published guide cites it, so only a medical reviewer can change it."
            return format_html("{}<br>{}", listed, note)
        return listed


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    """Superusers keep every reviewer's profile; a medical reviewer keeps their own."""

    list_display = ["signature", "user"]
    list_select_related = ["user"]
    search_fields = ["display_name", "credentials", "user__username"]

    def _own_only(self, request, obj) -> bool:
        return is_medical_reviewer(request.user) and (obj is None or obj.user_id == request.user.pk)

    def has_module_permission(self, request):
        return request.user.is_superuser or is_medical_reviewer(request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or self._own_only(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or self._own_only(request, obj)

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return True
        return (
            is_medical_reviewer(request.user)
            and not ReviewerProfile.objects.filter(user=request.user).exists()
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["user", "display_name", "credentials"]
        return ["display_name", "credentials"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.user = request.user
        super().save_model(request, obj, form, change)


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["__str__", "guide", "consent_on_file", "approved", "approved_by", "created_at"]
    list_filter = ["approved", "consent_on_file"]
    list_select_related = ["guide", "approved_by"]
    fields = [
        "guide",
        "text",
        "attribution",
        "consent_on_file",
        "approved",
        "approved_by",
        "approved_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = ["approved_by", "approved_at"]
        if not request.user.has_perm(APPROVE_TESTIMONIAL_PERMISSION):
            fields.append("approved")
        return fields

    def save_model(self, request, obj, form, change):
        """Ticking "approved" approves what the form holds; an edit of the text,
        attribution or guide of an approved testimonial withdraws its approval
        (Testimonial.save), whoever makes it."""
        if "approved" in form.changed_data:
            if obj.approved:
                obj.approve(by=request.user)
            else:
                obj.withdraw_approval()
        was_approved = obj.approved
        super().save_model(request, obj, form, change)
        if was_approved and not obj.approved:
            self.message_user(
                request,
                "The edit withdrew the approval: the testimonial is off the page until a "
                "medical reviewer approves it again.",
                messages.WARNING,
            )


def translation_english_version(text: GuideTranslation) -> str:
    """Whether a translation was made from the English guide as it reads now."""
    if text._state.adding:
        return "-"
    if not text.source_fingerprint:
        return "Not stamped: which English version it translates is unknown."
    if text.is_outdated:
        return "Outdated: the English guide changed after this translation ('En revisión')."
    return "Current: made from the English guide as it reads now."


def review_in_words(page: Guide | GuideTranslation) -> str:
    """The state of a guide's medical review, or of a translation's own, in words."""
    if page._state.adding or page.last_review is None:
        return "Never reviewed"
    review = page.last_review
    signed = f"{review.reviewer_display}, {review.signed_on:%Y-%m-%d}"
    state = page.review_state
    if state == Guide.ReviewState.CHANGED:
        return f"Changed since its last review ({signed})"
    if isinstance(page, GuideTranslation) and page.is_outdated:
        return f"Not shown: the English guide changed since ({signed})"
    if state == Guide.ReviewState.OVERDUE:
        return f"Overdue: reviewed by {signed}"
    return f"Valid: reviewed by {signed}"


class TranslationFAQInline(admin.StackedInline):
    model = TranslationFAQ
    formfield_overrides = MARKDOWN_FIELDS
    extra = 0
    fields = ["question", "answer", "order"]


class GuideTranslationAdminForm(PublishingForm):
    made_from_current = forms.BooleanField(
        label="Checked against the English guide as it reads now",
        required=False,
        help_text="Tick it once the translation says what the English guide says today: "
        "its page stops saying 'En revisión' (the English changed after the translation). "
        "A review signed off before no longer covers it.",
    )
    change_summary = forms.CharField(
        label="What changed (public, one line, in the translation's language)",
        max_length=CHANGE_SUMMARY_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text="Shown on the translated page under its change log, dated today.",
    )

    class Meta:
        model = GuideTranslation
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    noun = "translation"


@admin.register(GuideTranslation)
class GuideTranslationAdmin(ReviewedPageAdmin):
    """A guide's translation: its own text, FAQ and change log, and its own medical
    review, signed off here as a guide's is (the same permission). The English
    guide's review never covers it."""

    form = GuideTranslationAdminForm
    formfield_overrides = MARKDOWN_FIELDS
    inlines = [TranslationFAQInline]
    list_display = ["title", "guide", "language", "status", "english_version", "review_status"]
    list_filter = ["language", "status"]
    list_select_related = ["guide", "last_review"]
    search_fields = ["title", "medication", "guide__slug"]
    readonly_fields = [
        "preview_link",
        "english_version",
        "source_fingerprint",
        "published_at",
        "review_status",
        "review_history",
        "content_updated_on",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["guide", "language", "title", "medication", "description"]}),
        (
            "Status, English version and medical review",
            {
                "fields": [
                    "preview_link",
                    "status",
                    "published_at",
                    "english_version",
                    "source_fingerprint",
                    "made_from_current",
                    "review_status",
                    "review_history",
                ]
            },
        ),
        (
            "For the comparison table (the cells the English guide's row has)",
            {"fields": list(ROW_TEXT_FIELDS)},
        ),
        ("Content", {"fields": ["summary", "overdose_signs", "body"]}),
        ("What changed", {"fields": ["change_summary"]}),
        ("Record", {"fields": ["content_updated_on", "created_at", "updated_at"]}),
    ]

    noun = "translation"
    page_related = ("last_review", "guide__condition")
    sign_off_title = "Sign off the medical review of a translation"
    sign_off_logged = "Signed off the medical review of the translation."
    sign_off_lasts = "The page says so until its text changes, or the English guide does."
    no_review_yet = "No medical review of this translation yet."

    def sign_off(self, obj, *, reviewer, seen_fingerprint):
        return translation_review_sign_off(
            translation=obj, reviewer=reviewer, seen_fingerprint=seen_fingerprint
        )

    def sign_off_context(self, obj):
        return {"english_version": translation_english_version(obj)}

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("made_from_current"):
            obj.source_fingerprint = obj.guide.content_fingerprint
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        translation_render(translation=form.instance)
        if summary := form.cleaned_data.get("change_summary"):
            translation_change_record(
                translation=form.instance, summary=summary, author=request.user
            )

    @admin.display(description="English version")
    def english_version(self, text):
        return translation_english_version(text)

    @admin.display(description="Medical review of this translation")
    def review_status(self, text):
        return review_in_words(text)

    def preview_response(self, request, text):
        """In the translation's language (rendered here, while it is active)."""
        guide = text.guide
        prefetch_page(guide, text)
        with translation_override(text.language):
            context = {**guide_page_context(guide, text), "preview": True}
            response = TemplateResponse(request, "education/guide_detail.html", context)
            response.render()
        return response
