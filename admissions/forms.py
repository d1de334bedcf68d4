"""The intake form: short, labelled, validated; abuse checks that never drop a person.

Only the honeypot (a field people never see) is answered with a silent fake
confirmation. A fill-time token that is too fresh, too old, already used or not
this browser's re-shows the form, answers kept, with a word of explanation.
"""

import contextlib
import copy
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from admissions import consent
from admissions.models import Intake, Language
from cardinal.lib.phone import phone_e164

STARTED_SALT = "admissions.intake.started"
SOURCE_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
# Pages of the site that link to the form with ?from=... (besides each guide).
SITE_SOURCES = frozenset({"home", "medications"})
# What an intake records for any other ?from= value.
OTHER_SOURCE = "other"
GUIDE_SLUGS_CACHE_KEY = "admissions.published-guide-slugs"
GUIDE_SLUGS_CACHE_SECONDS = 60
ALLOWED_CONTROL_CHARACTERS = {"\n", "\r", "\t"}
LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029"}

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("PR", "Puerto Rico"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip


# What the error summary calls a question whose label is itself a question or has a
# note: "Voicemail: Choose yes or no." reads right where "Is it OK to leave a
# voicemail?: ..." would not. Other labels are used as they are, less " (optional)".
SUMMARY_NAMES = {
    "contact_method": _("How to reach you first"),
    "voicemail_ok": _("Voicemail"),
    "who_needs_help": _("Who needs help"),
    "message": _("Your message"),
    "consent": _("Consent to be contacted"),
}


def no_control_characters(value: str) -> None:
    """Reject invisible control characters (the message says which field, never the value)."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS:
            raise ValidationError(_("Please remove unusual invisible characters."), code="control")


def one_line(value: str) -> None:
    """Reject line breaks in a one-line field. A browser strips them from a text
    input, so only a program sends them; kept, they could start a new header
    wherever the value is reused (a mail, an export)."""
    if any(char in LINE_BREAKS for char in value):
        raise ValidationError(_("Please keep this on one line."), code="line_break")


class SharedChoices(forms.ChoiceField):
    """A choice field whose choices are fixed where the form is defined, shared by
    every form made instead of copied: Django deep-copies each field of a form for
    every instance, and the copy of the 52 states alone cost more CPU than the
    whole validation of a submission. Nothing changes a form's choices."""

    def __deepcopy__(self, memo):
        # forms.Field.__deepcopy__, with the widget copied as its own __deepcopy__
        # does less its choices, which its setter would normalise again.
        result = copy.copy(self)
        memo[id(self)] = result
        result.widget = copy.copy(self.widget)
        result.widget.attrs = self.widget.attrs.copy()
        memo[id(self.widget)] = result.widget
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class ChoiceField(SharedChoices):
    pass


class TypedChoiceField(SharedChoices, forms.TypedChoiceField):
    pass


class MultipleChoiceField(SharedChoices, forms.MultipleChoiceField):
    pass


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneField(forms.CharField):
    """A phone number, US by default, cleaned to E.164 (+12025550147)."""

    default_error_messages = {
        "required": _("Enter a phone number we can call."),
        "invalid": _("Enter a phone number we can call, for example (202) 555-0147."),
    }

    widget = TelInput(attrs={"autocomplete": "tel"})

    def __init__(self, *, region: str = "US", **kwargs):
        self.region = region
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        e164 = phone_e164(value, self.region)
        if e164 is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return e164


def consent_label():
    """The current consent wording of the page's language, its privacy-notice words linked."""
    wording = consent.current()
    text = escape(wording.text)
    link = format_html('<a href="{}">{}</a>', reverse("privacy"), wording.privacy_link_text)
    label = text.replace(wording.privacy_link_text, link, 1)
    if wording.language != (get_language() or "en"):
        # No wording in the page's language: shown as it is, marked as its language.
        label = f'<span lang="{wording.language}">{label}</span>'
    return mark_safe(label)


def page_language() -> str:
    """The language of the page the form is on (Language; English outside /es/)."""
    language = (get_language() or Language.ENGLISH).split("-")[0]
    return language if language in Language.values else Language.ENGLISH


# The languages a person may be called back in, each named so that a reader of
# it finds it on either page: "Spanish (español)" on the English form.
CALL_LANGUAGES = [
    (Language.ENGLISH.value, pgettext_lazy("language for the call", "English")),
    (Language.SPANISH.value, pgettext_lazy("language for the call", "Spanish (español)")),
]


class IntakeForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=60,
        help_text=_("Or any name you would like us to use."),
        validators=[no_control_characters, one_line],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Enter your first name, or any name we can call you by.")},
    )
    phone = PhoneField(
        label=_("Phone number"),
        help_text=_(
            "We will call or text this number. Numbers outside the US need the country code."
        ),
    )
    contact_method = ChoiceField(
        label=_("How should we reach you first?"),
        choices=Intake.ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a phone call or a text message."),
            "invalid_choice": _("Choose a phone call or a text message."),
        },
    )
    best_time = ChoiceField(
        label=_("Best time to call"),
        choices=Intake.BestTime.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a time of day, or any time."),
            "invalid_choice": _("Choose a time of day, or any time."),
        },
    )
    voicemail_ok = TypedChoiceField(
        label=_("Is it OK to leave a voicemail?"),
        choices=[("yes", _("Yes")), ("no", _("No, please don't"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose yes or no."),
            "invalid_choice": _("Choose yes or no."),
        },
    )
    who_needs_help = ChoiceField(
        label=_("Who needs help?"),
        choices=Intake.WhoNeedsHelp.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose who the help is for."),
            "invalid_choice": _("Choose who the help is for."),
        },
    )
    # The page's language is chosen to begin with (__init__); left unanswered, it stands.
    language = ChoiceField(
        label=_("Language for the call (optional)"),
        required=False,
        choices=CALL_LANGUAGES,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose English or Spanish.")},
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "invalid": _("Enter an email address like name@example.com, or leave it empty.")
        },
    )
    state = ChoiceField(
        label=_("State you live in (optional)"),
        required=False,
        choices=[("", _("Choose a state")), *US_STATES],
        error_messages={"invalid_choice": "Choose a state from the list, or leave it empty."},
    )
    substances = MultipleChoiceField(
        label=_("Substances of concern (optional)"),
        required=False,
        choices=Intake.Substance.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Tick only choices from the list."},
    )
    insurance_provider = forms.CharField(
        label=_("Insurance provider (optional)"),
        required=False,
        max_length=100,
        validators=[no_control_characters, one_line],
    )
    insurance_member_id = forms.CharField(
        label=_("Insurance member ID (optional)"),
        required=False,
        max_length=40,
        validators=[no_control_characters, one_line],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        label=_("Anything you would like us to know? (optional)"),
        required=False,
        max_length=1000,
        help_text=_("Up to 1,000 characters."),
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        label="",  # set in __init__: the current wording, with a link
        error_messages={"required": _("Please tick the box so we may call or text you.")},
    )
    # Spam checks: a field people never see, and the time the form was shown.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    source = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, source: str = "", csrf_secret: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_label()
        self.fields["language"].initial = page_language()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["started"] = fill_token(csrf_secret=csrf_secret)
            self.initial["source"] = clean_source(source)

    def clean_source(self):
        return known_source(self.cleaned_data["source"])

    def clean_language(self):
        return self.cleaned_data["language"] or page_language()

    def clean_substances(self):
        chosen = list(dict.fromkeys(self.cleaned_data["substances"]))  # each code once, in order
        if Intake.Substance.PREFER_NOT_TO_SAY in chosen and len(chosen) > 1:
            raise ValidationError(
                _("Choose “Prefer not to say” on its own, or untick it."), code="exclusive"
            )
        return chosen

    def intake_data(self) -> dict:
        """The cleaned values services.intake_submit takes."""
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "phone": data["phone"],
            "who_needs_help": data["who_needs_help"],
            "best_time": data["best_time"],
            "voicemail_ok": data["voicemail_ok"],
            "contact_method": data["contact_method"],
            "email": data["email"],
            "state": data["state"],
            "substances": data["substances"],
            "insurance_provider": data["insurance_provider"],
            "insurance_member_id": data["insurance_member_id"],
            "message": data["message"],
            "source_page": data["source"],
            "language": data["language"],
        }

    def is_honeypot(self) -> bool:
        """Whether the field people never see was filled in (a program did). Raw data only."""
        return bool(self.data.get("website"))

    def fill_check(self, *, csrf_secret: str) -> "FillCheck":
        """The posted fill-time token, checked against this browser's CSRF secret."""
        return fill_token_check(self.data.get("started", ""), csrf_secret=csrf_secret)

    def with_new_token(self, *, csrf_secret: str) -> "IntakeForm":
        """The same answers in a form with a fresh fill-time token, to show again.

        The person has filled this form once already: the new token counts as
        shown ADMISSIONS_MIN_FILL_SECONDS ago, so pressing Send again at once,
        however quickly, is accepted (a browser's autofill makes a first press
        fast; the honeypot and the rate limits still stand)."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        started = time.time() - settings.ADMISSIONS_MIN_FILL_SECONDS
        data["started"] = fill_token(csrf_secret=csrf_secret, started=started)
        return type(self)(data)

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor id, label, first error) for each field with errors, in form order."""
        items = []
        for name, field in self.fields.items():
            if name not in self.errors or field.widget.is_hidden:
                continue
            bound = self[name]
            anchor = bound.auto_id
            if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"
            label = str(SUMMARY_NAMES.get(name) or field.label).removesuffix(gettext(" (optional)"))
            items.append((anchor, label, str(self.errors[name][0])))
        return items


def clean_source(value: str) -> str:
    """A slug from ?from=..., or "" for anything that cannot be one."""
    value = (value or "").strip().lower()
    return value if SOURCE_PATTERN.fullmatch(value) else ""


def known_source(value: str) -> str:
    """What an intake records as the page that sent the person: a published
    guide's slug or a page of SITE_SOURCES; OTHER_SOURCE for any other value,
    so nobody can put words of their choice into the staff's filters."""
    if not (value or "").strip():
        return ""
    slug = clean_source(value)
    if slug and (slug in SITE_SOURCES or slug in published_guide_slugs()):
        return slug
    return OTHER_SOURCE


def published_guide_slugs() -> frozenset[str]:
    """Slugs of the published guides, kept in the cache for a minute.

    Found through the app registry: admissions does not import the education
    app, and without it no guide is known.
    """
    try:
        slugs = cache.get(GUIDE_SLUGS_CACHE_KEY)
    except Exception:  # the cache is down: ask the database
        slugs = None
    if slugs is not None:
        return slugs
    try:
        guide_model = apps.get_model("education", "Guide")
    except LookupError:
        return frozenset()
    slugs = frozenset(guide_model.objects.published().values_list("slug", flat=True))
    with contextlib.suppress(Exception):  # the cache is down: the next form asks again
        cache.set(GUIDE_SLUGS_CACHE_KEY, slugs, GUIDE_SLUGS_CACHE_SECONDS)
    return slugs


# --- The fill-time token ---------------------------------------------------------------


@dataclass(frozen=True)
class FillCheck:
    """What is wrong with a posted fill-time token ("" when nothing), and its nonce."""

    problem: str
    nonce: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _csrf_digest(csrf_secret: str) -> str:
    return hashlib.sha256(f"{STARTED_SALT}:{csrf_secret}".encode()).hexdigest()[:32]


def fill_token(*, csrf_secret: str, started: float | None = None) -> str:
    """The form's hidden "started" value, signed with SECRET_KEY (or a key of
    SECRET_KEY_FALLBACKS when checked): when the form was shown, a random nonce
    that makes it single use, and a digest of the browser's CSRF secret (the
    unmasked value of its CSRF cookie) that binds it to that browser."""
    payload = {
        "t": time.time() if started is None else started,
        "n": secrets.token_urlsafe(12),
        "c": _csrf_digest(csrf_secret),
    }
    return signing.dumps(payload, salt=STARTED_SALT)


def fill_token_check(token: str, *, csrf_secret: str, now: float | None = None) -> FillCheck:
    """Check a fill-time token: problem "missing", "forged", "not this browser's",
    "too fast" (sooner than ADMISSIONS_MIN_FILL_SECONDS after the form was shown)
    or "expired" (later than ADMISSIONS_FORM_MAX_AGE_SECONDS). Whether it was
    used already is for the caller (admissions.limits) to say."""
    if not token:
        return FillCheck("missing")
    try:
        payload = signing.loads(token, salt=STARTED_SALT)
        started, nonce, digest = float(payload["t"]), str(payload["n"]), str(payload["c"])
    except (signing.BadSignature, TypeError, ValueError, KeyError):
        return FillCheck("forged")
    if not hmac.compare_digest(digest, _csrf_digest(csrf_secret)):
        return FillCheck("not this browser's", nonce)
    age = (time.time() if now is None else now) - started
    if age < settings.ADMISSIONS_MIN_FILL_SECONDS:
        return FillCheck("too fast", nonce)
    if age > settings.ADMISSIONS_FORM_MAX_AGE_SECONDS:
        return FillCheck("expired", nonce)
    return FillCheck("", nonce)
