"""Editorial admin: editors draft guides, medical reviewers publish them.

Who may do what comes from the groups the 0002 migration creates: "Editors" add and
change guides, FAQs and sources; "Medical reviewers" may also publish a guide and
sign off its review (education.publish_guide) and approve testimonials. A
published guide, and a source one cites, is read-only to someone who cannot
publish, so every change to a live page passes a reviewer; an edit of an approved
testimonial withdraws its approval (Testimonial.save). Django's LogEntry records
who changed what and when (the History button of each guide).
"""

from datetime import timedelta
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from education.models import (
    FAQ,
    REVIEW_INTERVAL,
    Guide,
    Source,
    SourceQuerySet,
    Testimonial,
    page_prefetches,
)
from education.services import guide_render
from education.views import guide_page_context

PUBLISH_PERMISSION = "education.publish_guide"
APPROVE_TESTIMONIAL_PERMISSION = "education.approve_testimonial"
REVIEW_FIELDS = ("reviewer_name", "reviewer_credentials", "last_reviewed")


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = "medical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue (over 12 months ago)"),
            ("due-soon", "Due within 30 days"),
            ("never", "Never reviewed"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.review_overdue(today)
        if self.value() == "due-soon":
            cutoff = today - REVIEW_INTERVAL
            return queryset.filter(
                last_reviewed__gte=cutoff, last_reviewed__lt=cutoff + timedelta(days=30)
            )
        if self.value() == "never":
            return queryset.filter(last_reviewed__isnull=True)
        return queryset


class FAQInline(admin.StackedInline):
    model = FAQ
    extra = 0
    fields = ["question", "answer", "order"]


class GuideAdminForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    can_publish = False

    def clean_status(self):
        status = self.cleaned_data["status"]
        was = self.instance.status if self.instance.pk else None
        if status == Guide.Status.PUBLISHED and was != status and not self.can_publish:
            raise forms.ValidationError(
                "Only a medical reviewer can publish a guide. Set it to 'In review' instead."
            )
        return status


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    form = GuideAdminForm
    inlines = [FAQInline]
    list_display = [
        "title",
        "medication",
        "status",
        "fda_status",
        "last_reviewed",
        "review_is_overdue",
        "updated_at",
    ]
    list_filter = ["status", "fda_status", ReviewOverdueFilter]
    search_fields = ["title", "medication", "slug"]
    ordering = ["order", "title"]
    prepopulated_fields = {"slug": ["medication"]}
    filter_horizontal = ["related"]
    readonly_fields = ["preview_link", "sources_cited", "published_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "medication", "description", "order", "preview_link"]}),
        ("Status and medical review", {"fields": ["status", *REVIEW_FIELDS, "published_at"]}),
        ("For the comparison table", {"fields": ["fda_status", "mechanism", "key_caution"]}),
        ("Content", {"fields": ["summary", "overdose_signs", "body", "sources_cited", "related"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.can_publish(request):
            fields += REVIEW_FIELDS
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The admin's form class is a subclass of self.form (modelform_factory).
        form = cast(type[GuideAdminForm], super().get_form(request, obj, change, **kwargs))
        form.can_publish = self.can_publish(request)
        return form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Rendered once the FAQs are saved: citation numbers run across the page.
        guide_render(guide=form.instance)

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

    @admin.display(boolean=True, description="Review overdue")
    def review_is_overdue(self, guide):
        return guide.review_overdue

    @admin.display(description="Preview")
    def preview_link(self, guide):
        if guide.pk is None:
            return "Save the guide to preview it."
        url = reverse("admin:education_guide_preview", args=[guide.pk])
        return format_html('<a href="{}" target="_blank">Preview this guide as saved</a>', url)

    @admin.display(description="Sources cited, by number")
    def sources_cited(self, guide):
        citations = guide.citations.select_related("source")
        if not citations:
            return "None"
        return format_html_join(
            ", ",
            '<a href="{}">[{}] {}</a>',
            (
                (reverse("admin:education_source_change", args=[c.source_id]), c.number, c.source)
                for c in citations
            ),
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:object_id>/preview/", preview, name="education_guide_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """The page as visitors would see it, whatever the guide's status.

        admin_view() has already required a signed-in staff member and marked the
        response never to be cached.
        """
        guide = get_object_or_404(Guide, pk=object_id)
        if not super().has_change_permission(request, guide):
            raise PermissionDenied
        prefetch_related_objects([guide], *page_prefetches())
        context = {**guide_page_context(guide), "preview": True}
        response = TemplateResponse(request, "education/guide_detail.html", context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """A source a published guide cites is read-only to someone who cannot publish.

    Its entry is part of the live page, like the guide itself; sending the guide
    back to review instead would take the page down.
    """

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["key", "title", "authors", "year", "guide_count"]
    search_fields = ["key", "title", "authors", "venue"]
    readonly_fields = ["used_in", "updated_at"]
    fields = ["key", "authors", "title", "venue", "year", "url", "doi", "used_in", "updated_at"]

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

    @admin.display(description="Used in guides", ordering="guide_count")
    def guide_count(self, source):
        return source.guide_count

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
