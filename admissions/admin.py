"""Admin of the admissions app: the navigators' work queue.

Only staff with the admissions permissions (the Navigators and Admissions
supervisors groups) see intakes. Decrypted personal fields and timeline notes
need the `view_personal_data` permission and the intake assigned to the user, or
the wider `view_all_personal_data` (supervisors). Every rendered intake page,
change, phone search and exported intake writes an AccessRecord. Staff accounts
are deactivated, never deleted (StaffUserAdmin).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from admissions import crypto, export, overview, roles, services
from admissions.models import (
    AccessRecord,
    AdmissionsOverview,
    Intake,
    IntakeActivity,
    Language,
    NavigatorState,
    languages_text,
    normalise_reference,
)
from admissions.schedule import schedule_current
from cardinal.lib.phone import phone_display, phone_e164

PERSONAL_DATA_PERMISSION = roles.PERSONAL_DATA_PERMISSION
ALL_PERSONAL_DATA_PERMISSION = roles.ALL_PERSONAL_DATA_PERMISSION
EXPORT_PERMISSION = "admissions.export_intakes"
OVERVIEW_PERMISSION = "admissions.view_admissionsoverview"
# The ids of the intakes the last phone search found: the number and its hash
# stay out of page addresses, history and bookmarks.
PHONE_SEARCH_SESSION_KEY = "admissions_phone_search"
# A navigator's own "My languages" page (own_languages_view).
OWN_LANGUAGES_URL_NAME = "admissions_own_languages"


def short_age(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


# --- The navigator's queue ---------------------------------------------------------
# The intake list opens on "My queue" for members of the Navigators group (who
# are given intakes): theirs and the unassigned ones, awaiting contact, by due
# time. Everyone else (supervisors watching the whole floor, superusers) opens on
# "All intakes", as does a search, which looks through every intake.
QUEUE_PARAMETER = "queue"
MY_QUEUE, ALL_INTAKES = "mine", "all"
# By due time (call_after plus the SLA, so overdue first); at equal due time the
# unassigned first: nobody else owns them, and the intakes that came in while
# nobody was on duty all fall due at the opening. Then who asked first.
MY_QUEUE_ORDERING = ["call_after", F("assigned_to").asc(nulls_first=True), "created_at", "pk"]


def queue_shown(request) -> str:
    """MY_QUEUE or ALL_INTAKES: the `queue` the address asks for, or the default
    (decided once per request)."""
    if not hasattr(request, "_intake_queue"):
        chosen = request.GET.get(QUEUE_PARAMETER)
        if chosen not in (MY_QUEUE, ALL_INTAKES):
            searching = request.GET.get("q") or "phone_search" in request.GET
            navigator = request.user.groups.filter(name=roles.NAVIGATORS_GROUP).exists()
            chosen = MY_QUEUE if navigator and not searching else ALL_INTAKES
        request._intake_queue = chosen
    return request._intake_queue


class QueueFilter(admin.SimpleListFilter):
    """My queue (mine and unassigned, awaiting contact) or all intakes; no
    "All" entry of its own, since no choice in the address means the default."""

    title = "queue"
    parameter_name = QUEUE_PARAMETER

    def lookups(self, request, model_admin):
        return [(MY_QUEUE, "My queue"), (ALL_INTAKES, "All intakes")]

    def value(self):
        # The facet counts set each choice in turn; otherwise the default applies.
        chosen = self.used_parameters.get(self.parameter_name)
        return chosen if chosen in (MY_QUEUE, ALL_INTAKES) else queue_shown(self.request)

    def choices(self, changelist):
        choices = super().choices(changelist)
        next(choices)  # Django's "All": the default, which is one of the two
        yield from choices

    def queryset(self, request, queryset):
        if self.value() == MY_QUEUE:
            return queryset.awaiting_contact().filter(
                Q(assigned_to=request.user) | Q(assigned_to__isnull=True)
            )
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = "navigator"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        navigators = roles.active_members(roles.NAVIGATORS_GROUP).values_list("pk", "username")
        return [
            ("me", "Assigned to me"),
            ("none", "Unassigned"),
            *((str(pk), username) for pk, username in navigators),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.not_overdue()
        return queryset


class SourcePageFilter(admin.SimpleListFilter):
    """The page that sent the person, as recorded (?from=...); none: they came
    straight to the form."""

    title = "source page"
    parameter_name = "source_page"
    # Addresses written for the field's own filter, which lookup_allowed took too.
    also_allowed = ("source_page__exact",)

    def lookups(self, request, model_admin):
        pages = Intake.objects.order_by("source_page").values_list("source_page", flat=True)
        return [(page, page or "None (straight to the form)") for page in pages.distinct()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(source_page=self.value())


class PhoneSearchFilter(admin.SimpleListFilter):
    """The intakes the last phone search found (PHONE_SEARCH_SESSION_KEY), of
    those whose details the user may still see."""

    title = "phone search"
    parameter_name = "phone_search"

    def lookups(self, request, model_admin):
        if PHONE_SEARCH_SESSION_KEY in request.session or self.value():
            return [("results", "Phone search results")]
        return []

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        ids = request.session.get(PHONE_SEARCH_SESSION_KEY, [])
        return queryset.filter(pk__in=ids).personal_data_visible_to(request.user)


class IntakeChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(request, *args, **kwargs)

    def _get_default_ordering(self):
        # The column headers mark the order the list is in: My queue's own.
        return self.model_admin.get_ordering(self.request)

    def get_queryset(self, request, exclude_parameters=None):
        # The list shows no personal field: do not even load (and decrypt) them.
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*Intake.PERSONAL_FIELDS)


class IntakeAdminForm(forms.ModelForm):
    class Meta:
        model = Intake
        fields = ["status", "assigned_to"]


class ActivityForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="What happened",
        choices=[("", "Choose…")]
        + [
            choice
            for choice in IntakeActivity.Kind.choices
            if choice[0] in IntakeActivity.STAFF_KINDS
        ],
    )

    class Meta:
        model = IntakeActivity
        fields = ["kind", "reached", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class LogActivityInline(admin.StackedInline):
    """A form to add one timeline entry. Past entries show in the Timeline fieldset.
    Its template shows the one form alone: no "#1", no remove or add control."""

    model = IntakeActivity
    form = ActivityForm
    template = "admin/admissions/intake/log_activity.html"
    extra = 1
    can_delete = False
    verbose_name = "log a call, voicemail or note"
    verbose_name_plural = "log a call, voicemail or note"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_max_num(self, request, obj=None, **kwargs):
        return 1


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    form = IntakeAdminForm
    inlines = [LogActivityInline]
    # When to call first: on a phone the columns past the first few need a scroll.
    list_display = [
        "reference",
        "call_after_when",
        "due_when",
        "status",
        "assigned_to",
        "age",
        "source_page",
        "language_badge",
    ]
    list_filter = [
        QueueFilter,
        "status",
        "language",
        AssigneeFilter,
        OverdueFilter,
        SourcePageFilter,
        PhoneSearchFilter,
    ]
    list_select_related = ["assigned_to"]
    list_per_page = 50
    ordering = ["-created_at"]
    show_full_result_count = False
    search_fields = ["reference"]  # see get_search_results: exact matches only
    search_help_text = (
        "A reference (CR-7K3F9Q) or a phone number, looked for among all intakes. A phone "
        "number is matched exactly and never appears in the page address."
    )
    actions = ["assign_to_me", "mark_contacted", "export_csv"]
    # The list fetches itself again this often (static/js/admin-queue.js).
    refresh_seconds = 30
    # The earlier intakes from the same phone listed on an intake's page.
    earlier_intakes_shown = 20

    class Media:
        css = {"all": ["css/admin-admissions.css"]}

    # --- Permissions -----------------------------------------------------------------

    def has_add_permission(self, request):
        return False  # intakes come from the public form only

    def has_delete_permission(self, request, obj=None):
        return False  # personal data is cleared by the retention sweep instead

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT_PERMISSION)

    def lookup_allowed(self, lookup, value, request=None):
        """Only the list's own filters: a lookup on an encrypted field (`?email=`)
        would tell who left it empty, and `?phone_hash=` whose number it is."""
        allowed: set[str | None] = set()
        for item in self.list_filter:
            if isinstance(item, str):
                allowed |= {item, f"{item}{LOOKUP_SEP}exact", f"{item}{LOOKUP_SEP}isnull"}
            elif isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                allowed |= {item.parameter_name, *getattr(item, "also_allowed", ())}
        return lookup in allowed and super().lookup_allowed(lookup, value, request)

    def _access(self, request, obj) -> dict:
        """What the user may do with this intake, decided once per request from the
        intake as loaded (a POST that changes the assignee counts once saved):
        see its personal details and notes; change who it is assigned to."""
        decided = request.__dict__.setdefault("_intake_access", {})
        if obj.pk not in decided:
            user = request.user
            decided[obj.pk] = {
                "personal": obj.personal_data_visible_to(user),
                "reassign": user.has_perm(ALL_PERSONAL_DATA_PERMISSION)
                or obj.assigned_to_id in (None, user.pk),
            }
        return decided[obj.pk]

    # --- The list ----------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return IntakeChangeList

    def get_ordering(self, request):
        if queue_shown(request) == MY_QUEUE:
            return MY_QUEUE_ORDERING
        return super().get_ordering(request)

    def changelist_view(self, request, extra_context=None):
        """The list, titled for the queue shown, with the number of its intakes
        awaiting contact in the page title ("(3 waiting) My queue | ...")."""
        mine = queue_shown(request) == MY_QUEUE
        context = {
            "title": "My queue" if mine else "All intakes",
            "refresh_seconds": self.refresh_seconds,
            "zone_name": schedule_current().zone_name,
            **(extra_context or {}),
        }
        response = super().changelist_view(request, context)
        shown = getattr(response, "context_data", None)  # a redirect after an action has none
        if shown and "cl" in shown:
            shown["waiting"] = shown["cl"].queryset.awaiting_contact().count()
        return response

    @admin.display(description="language", ordering="language")
    def language_badge(self, obj):
        """A badge for an intake to be called back in another language than English
        ("ES"); nothing for English, the usual case."""
        if obj.language == Language.ENGLISH:
            return ""
        return format_html(
            '<abbr class="language-badge" title="{}">{}</abbr>',
            obj.get_language_display(),
            obj.language.upper(),
        )

    @admin.display(description="age", ordering="created_at")
    def age(self, obj):
        return short_age(obj.age())

    @admin.display(description="call after", ordering="call_after")
    def call_after_when(self, obj):
        return schedule_current().when(obj.call_after, timezone.now())

    @admin.display(description="due by", ordering="call_after")
    def due_when(self, obj):
        """When the SLA runs out, for an intake still awaiting contact; past it,
        with an "Overdue" badge."""
        if not obj.is_awaiting_contact():
            return "-"
        now = timezone.now()
        due = schedule_current().when(obj.contact_due_at, now)
        if obj.is_overdue(now):
            return format_html('{} <span class="overdue-badge">{}</span>', due, "Overdue")
        return due

    def get_search_results(self, request, queryset, search_term):
        """Exact reference only: encrypted fields cannot be searched, and phone
        numbers are searched through find_view (POST), never the address."""
        if not search_term.strip():
            return queryset, False
        reference = normalise_reference(search_term)
        if reference is None:
            return queryset.none(), False
        return queryset.filter(reference=reference), False

    def find_view(self, request):
        """The search box posts here: a reference, or a phone number, which needs the
        personal data permission; its matches are kept in the session and listed
        with ?phone_search=results. A POST with `clear` forgets them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:admissions_intake_changelist")
        if request.POST.get("clear"):
            request.session.pop(PHONE_SEARCH_SESSION_KEY, None)
            return HttpResponseRedirect(changelist)
        params = {
            key: value
            for key, value in request.POST.items()
            if key in {"status__exact", "language__exact", "assignee", "overdue", "source_page"}
        }
        term = request.POST.get("q", "").strip()[:100]
        if normalise_reference(term):
            params["q"] = term.upper()
        elif term:
            e164 = phone_e164(term)
            if e164 is None:
                self.message_user(
                    request,
                    "Enter a reference such as CR-7K3F9Q, or a whole phone number.",
                    messages.WARNING,
                )
            elif not request.user.has_perm(PERSONAL_DATA_PERMISSION):
                raise PermissionDenied
            else:
                matches = services.intake_find_by_phone(user=request.user, phone=e164)
                request.session[PHONE_SEARCH_SESSION_KEY] = list(matches.intake_ids)
                if request.user.has_perm(ALL_PERSONAL_DATA_PERMISSION):
                    found = f"Intakes from that phone number: {matches.count}."
                else:
                    found = f"Intakes from that phone number assigned to you: {matches.count}."
                self.message_user(request, found)
                params["phone_search"] = "results"
        return HttpResponseRedirect(f"{changelist}?{urlencode(params)}")

    # --- One intake --------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        visible = obj is not None and self._access(request, obj)["personal"]
        if obj is None or obj.anonymised_at:
            person = ["anonymised_notice"]
        elif visible:
            person = [
                "first_name",
                "phone_link",
                "email",
                "substances_display",
                "insurance_provider",
                "insurance_member_id",
                "message",
            ]
        elif request.user.has_perm(PERSONAL_DATA_PERMISSION):
            person = ["personal_data_not_yours"]
        else:
            person = ["personal_data_hidden"]
        timeline = "timeline" if visible else "timeline_no_notes"
        earlier = []
        if self._shows_earlier_intakes(request, obj):
            earlier = [("Earlier intakes from this phone", {"fields": ["earlier_intakes"]})]
        # In the order of the call (change_form.html puts the log form after the
        # first): where the intake stands, the person and how to reach them, then
        # the consent and the history.
        return [
            (None, {"fields": ["status", "assigned_to", "call_after_full", "due_full"]}),
            ("The person", {"fields": person}),
            (
                "How to contact them",
                {
                    "fields": [
                        "language",
                        "contact_method",
                        "best_time",
                        "voicemail_ok",
                        "who_needs_help",
                        "state",
                    ]
                },
            ),
            *earlier,
            (
                "Consent and history",
                {
                    "fields": [
                        "reference",
                        "consent_summary",
                        "source_page",
                        "created_at",
                        "age",
                        "first_contacted_at",
                        "notified_at",
                        "escalated_at",
                    ]
                },
            ),
            ("Timeline", {"fields": [timeline]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        editable = {"status"}
        if obj is None or self._access(request, obj)["reassign"]:
            editable.add("assigned_to")  # another navigator's intake: a supervisor's call
        return [
            name
            for _, options in self.get_fieldsets(request, obj)
            for name in options["fields"]
            if name not in editable
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = roles.active_members(roles.NAVIGATORS_GROUP)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="call after")
    def call_after_full(self, obj):
        schedule = schedule_current()
        return f"{schedule.when(obj.call_after, timezone.now())} ({schedule.zone_name})"

    @admin.display(description="contact due by")
    def due_full(self, obj):
        if not obj.is_awaiting_contact():
            return "-"
        schedule = schedule_current()
        return f"{schedule.when(obj.contact_due_at, timezone.now())} ({schedule.zone_name})"

    @admin.display(description="earlier intakes")
    def earlier_intakes(self, obj):
        """Filled in by render_change_form (_earlier_intakes), which records it."""
        return render_to_string(
            "admin/admissions/intake/earlier_intakes.html", obj._earlier_intakes
        )

    def _shows_earlier_intakes(self, request, obj) -> bool:
        """The panel is for those who may see this intake's personal details:
        which earlier intakes are the same person's is personal data too."""
        return obj is not None and not obj.anonymised_at and self._access(request, obj)["personal"]

    def _earlier_intakes(self, request, obj) -> dict:
        """The intakes sent from this intake's phone number (its keyed hash under
        any FIELD_HASH_KEY) before it. Like the phone search, only those whose
        personal details the user may see are named and linked; the others are
        only counted. One SEARCH access record per intake named or counted, with
        the hash searched for; none when there is no earlier intake."""
        limit = self.earlier_intakes_shown
        found = list(
            Intake.objects.with_phone(obj.phone)
            .filter(created_at__lt=obj.created_at)
            .exclude(pk=obj.pk)
            .only("pk", "reference", "status", "created_at", "assigned_to_id")
            .order_by("-created_at", "-pk")[: limit + 1]
        )
        more = len(found) > limit
        found = found[:limit]
        shown = [intake for intake in found if intake.personal_data_visible_to(request.user)]
        others = len(found) - len(shown)
        if found:
            services.access_records_write(
                user=request.user,
                action=AccessRecord.Action.SEARCH,
                intake_ids=[intake.pk for intake in found],
                detail=f"earlier intakes from the same phone as {obj.reference}: "
                f"{len(shown)} shown, {others} counted",
                phone_hash=crypto.phone_hash(obj.phone),
            )
        return {"shown": shown, "others": others, "more": more, "limit": limit}

    @admin.display(description="phone")
    def phone_link(self, obj):
        return format_html('<a href="tel:{}">{}</a>', obj.phone, phone_display(obj.phone))

    @admin.display(description="substances of concern")
    def substances_display(self, obj):
        return ", ".join(obj.substance_labels()) or "-"

    @admin.display(description="personal details")
    def personal_data_hidden(self, obj):
        return "Hidden: seeing personal details needs the personal data permission."

    @admin.display(description="personal details")
    def personal_data_not_yours(self, obj):
        if obj.assigned_to_id is None:
            return 'Hidden until you pick the intake up ("Assign selected intakes to me").'
        return "Hidden: the intake is assigned to another navigator."

    @admin.display(description="personal details")
    def anonymised_notice(self, obj):
        return format_html(
            "Removed on {} at the end of the retention period.",
            timezone.localtime(obj.anonymised_at).strftime("%Y-%m-%d"),
        )

    @admin.display(description="consent")
    def consent_summary(self, obj):
        record = getattr(obj, "consent", None)
        if record is None:
            return "-"
        return format_html(
            "Wording {} given {} on {}",
            record.wording_version,
            timezone.localtime(record.given_at).strftime("%Y-%m-%d %H:%M"),
            record.page,
        )

    @admin.display(description="timeline")
    def timeline(self, obj):
        return self._timeline(obj, show_notes=True)

    @admin.display(description="timeline")
    def timeline_no_notes(self, obj):
        return self._timeline(obj, show_notes=False)

    def _timeline(self, obj, *, show_notes: bool):
        activities = obj.activities.all()[:200]
        return render_to_string(
            "admin/admissions/intake/timeline.html",
            {"activities": activities, "show_notes": show_notes},
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """Every rendered intake page is recorded, whatever the method: a POST that
        fails validation shows the details again."""
        if obj is not None:
            shown = self._access(request, obj)["personal"] and not obj.anonymised_at
            services.access_record_write(
                user=request.user,
                action=AccessRecord.Action.VIEW,
                intake=obj,
                detail=AccessRecord.VIEW_PERSONAL if shown else AccessRecord.VIEW_HIDDEN,
            )
            if self._shows_earlier_intakes(request, obj):
                obj._earlier_intakes = self._earlier_intakes(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        # Status and assignee change through the services, so the timeline follows.
        # What changed is said in words in the access record (log_change).
        obj._changes_in_words = []
        if "assigned_to" in form.changed_data:
            navigator = form.cleaned_data["assigned_to"]
            services.intake_assign(intake=obj, navigator=navigator)
            obj._changes_in_words.append(
                f"assigned to {navigator.get_username()}" if navigator else "unassigned"
            )
        if "status" in form.changed_data:
            status = form.cleaned_data["status"]
            services.intake_set_status(intake=obj, status=status, by=request.user)
            obj._changes_in_words.append(f"status to {Intake.Status(status).label}")

    def save_formset(self, request, form, formset, change):
        if formset.model is not IntakeActivity:
            return super().save_formset(request, form, formset, change)
        logged = [
            services.intake_log_activity(
                intake=form.instance,
                author=request.user,
                kind=activity.kind,
                note=activity.note,
                reached=activity.reached,
            )
            for activity in formset.save(commit=False)
        ]
        formset.new_objects = logged
        form.instance._changes_in_words = [
            *getattr(form.instance, "_changes_in_words", []),
            *(f"logged “{activity.get_kind_display()}”" for activity in logged),
        ]
        return None

    def log_change(self, request, obj, message):
        """Django's history entry, and an access record saying what changed in
        words ("status to Contacted, logged “Call attempt”")."""
        entry = super().log_change(request, obj, message)
        words = getattr(obj, "_changes_in_words", None)
        services.access_record_write(
            user=request.user,
            action=AccessRecord.Action.CHANGE,
            intake=obj,
            detail=", ".join(words) if words else "saved with no change",
        )
        return entry

    # --- Actions -----------------------------------------------------------------------

    @admin.action(description="Assign selected intakes to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        """Pick up unassigned intakes; taking another navigator's needs a supervisor."""
        taken = queryset
        if not request.user.has_perm(ALL_PERSONAL_DATA_PERMISSION):
            taken = queryset.filter(Q(assigned_to__isnull=True) | Q(assigned_to_id=request.user.pk))
        count = self._change_each(
            request,
            taken,
            lambda intake: services.intake_assign(intake=intake, navigator=request.user),
            detail=f"assigned to {request.user.get_username()} (list action)",
        )
        self.message_user(request, f"Assigned {count} intakes to you.")
        others = queryset.count() - count
        if others:
            self.message_user(
                request,
                f"{others} intakes assigned to another navigator were left as they are: "
                "a supervisor can reassign them.",
                messages.WARNING,
            )

    @admin.action(description="Mark selected intakes contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        count = self._change_each(
            request,
            queryset,
            lambda intake: services.intake_mark_contacted(intake=intake, by=request.user),
            detail="marked contacted (list action)",
        )
        self.message_user(request, f"Marked {count} intakes contacted.")

    @staticmethod
    def _change_each(request, queryset, change, *, detail: str) -> int:
        """Apply a list action's service to each intake and record the access."""
        count = 0
        for intake in queryset.defer(*Intake.PERSONAL_FIELDS):
            change(intake)
            services.access_record_write(
                user=request.user, action=AccessRecord.Action.CHANGE, intake=intake, detail=detail
            )
            count += 1
        return count

    @admin.action(
        description="Export selected intakes to CSV (no messages)", permissions=["export"]
    )
    def export_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="intakes-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        export.intake_export_csv(
            intakes=queryset,
            user=request.user,
            include_personal=request.user.has_perm(PERSONAL_DATA_PERMISSION),
            out=response,
        )
        return response

    # --- Extra pages -------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "find/",
                self.admin_site.admin_view(require_POST(self.find_view)),
                name="admissions_intake_find",
            ),
            path(
                "my-languages/",
                self.admin_site.admin_view(own_languages_view),
                name=OWN_LANGUAGES_URL_NAME,
            ),
            *super().get_urls(),
        ]


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """Read-only for those allowed to view it (Admissions supervisors). Each
    entry says what happened in words (AccessRecord.__str__)."""

    list_display = ["created_at", "what_happened", "searched_hash"]
    list_filter = ["action"]
    fields = [
        "what_happened",
        "created_at",
        "username",
        "intake",
        "action",
        "detail",
        "phone_hash",
    ]
    readonly_fields = ["what_happened", "created_at"]
    list_select_related = ["intake"]
    search_fields = ["username", "=intake__reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    class Media:
        css = {"all": ["css/admin-admissions.css"]}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="what happened")
    def what_happened(self, obj):
        return str(obj)

    @admin.display(description="phone hash")
    def searched_hash(self, obj):
        return f"{obj.phone_hash[:12]}…" if obj.phone_hash else ""

    def get_queryset(self, request):
        # Show the intake's reference without loading its personal fields.
        return (
            super()
            .get_queryset(request)
            .select_related("intake")
            .defer(*(f"intake__{name}" for name in Intake.PERSONAL_FIELDS))
        )


@admin.register(AdmissionsOverview)
class AdmissionsOverviewAdmin(admin.ModelAdmin):
    """The "Admissions overview" page: charts and counts, no personal data."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(OVERVIEW_PERMISSION)  # the supervisors' page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="admissions_admissionsoverview_changelist",
            )
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Admissions overview",
            "opts": self.model._meta,
            **overview.build(request.GET),
        }
        return TemplateResponse(request, "admin/admissions/overview.html", context)


# --- Staff accounts ---------------------------------------------------------------

User = get_user_model()
admin.site.unregister(User)


STAFF_CHANGE_PERMISSION = "auth.change_user"


class StaffProfileForm(forms.ModelForm):
    """The languages a staff member speaks, ticked (stored by languages_text)."""

    languages = forms.MultipleChoiceField(
        label="Languages spoken",
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The languages they can hold a call in. A Spanish intake goes to a "
        "Spanish speaker on duty first.",
        error_messages={"required": "Tick at least one language."},
    )

    class Meta:
        model = NavigatorState
        fields = ["languages"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["languages"] = (
            self.instance.language_codes if self.instance.pk else [Language.ENGLISH]
        )

    def clean_languages(self):
        return languages_text(self.cleaned_data["languages"])


class OwnLanguagesForm(StaffProfileForm):
    """The languages a navigator speaks, ticked by the navigator on "My languages"
    (own_languages_view): the same field as the staff profile's, nothing else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].help_text = (
            "The languages you can hold a call in. A Spanish intake goes to a Spanish "
            "speaker on duty first."
        )


def own_languages_view(request):
    """The "My languages" page: a navigator (an active member of the Navigators
    group) ticks the languages they speak. Their own staff profile's languages only, never anyone
    else's nor its duty state; recorded in their account's history. Reached from
    the link beside the duty switch; IntakeAdmin serves it with the navigator's
    other pages."""
    user = request.user
    if not roles.is_navigator(user):
        raise PermissionDenied
    state = NavigatorState.objects.filter(user=user).first() or NavigatorState(user=user)
    data = request.POST if request.method == "POST" else None
    form = OwnLanguagesForm(data, instance=state)
    if request.method == "POST" and form.is_valid():
        state, _ = NavigatorState.objects.update_or_create(
            user=user, defaults={"languages": form.cleaned_data["languages"]}
        )
        spoken = ", ".join(state.language_labels())
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[user],
            action_flag=CHANGE,
            change_message=f"Changed their languages spoken: {spoken}.",
            single_object=True,
        )
        messages.success(request, f"Your languages are saved: {spoken}.")
        return HttpResponseRedirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": "My languages",
        "opts": Intake._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/admissions/own_languages.html", context)


class StaffProfileInline(admin.StackedInline):
    """The staff member's profile on their account page: the languages they speak
    (the duty state is theirs to set, with the switch on every admin page). Whoever
    may change staff accounts may change it."""

    model = NavigatorState
    form = StaffProfileForm
    fields = ["languages"]
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = "staff profile"
    verbose_name_plural = "staff profile"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("auth.view_user") or self.has_change_permission(request)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(STAFF_CHANGE_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_extra(self, request, obj=None, **kwargs):
        has_profile = obj is not None and NavigatorState.objects.filter(user=obj).exists()
        return 0 if has_profile else 1


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Staff accounts are deactivated, never deleted, not even by a superuser:
    deleting one would erase its admin history (LogEntry) with it. The account
    page holds the staff profile too (StaffProfileInline: languages spoken), which
    whoever may change staff accounts changes; a navigator sets their own
    languages on "My languages" (own_languages_view)."""

    actions = ["deactivate"]
    inlines = [StaffProfileInline]
    # UserAdmin's columns, then the languages.
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "languages_spoken"]
    list_select_related = ["navigator_state"]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description="languages spoken")
    def languages_spoken(self, obj):
        state = getattr(obj, "navigator_state", None)
        labels = state.language_labels() if state is not None else [Language.ENGLISH.label]
        return ", ".join(labels)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Deactivate selected staff accounts", permissions=["change"])
    def deactivate(self, request, queryset):
        users = list(queryset.filter(is_active=True).exclude(pk=request.user.pk))
        for user in users:
            user.is_active = False
            user.save(update_fields=["is_active"])
            self.log_change(request, user, "Deactivated.")
        self.message_user(request, f"Deactivated {len(users)} staff accounts.")
        if queryset.filter(pk=request.user.pk, is_active=True).exists():
            self.message_user(request, "Your own account stays active.", messages.WARNING)
