"""The intake form: short, labelled, validated; abuse checks that reject silently."""

import re
import time
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from admissions import consent
from admissions.models import Intake
from cardinal.lib.phone import phone_e164

STARTED_SALT = "admissions.intake.started"
SOURCE_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
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


def no_control_characters(value: str) -> None:
    """Reject invisible control characters (the message says which field, never the value)."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS:
            raise ValidationError("Please remove unusual invisible characters.", code="control")


def one_line(value: str) -> None:
    """Reject line breaks in a one-line field. A browser strips them from a text
    input, so only a program sends them; kept, they could start a new header
    wherever the value is reused (a mail, an export)."""
    if any(char in LINE_BREAKS for char in value):
        raise ValidationError("Please keep this on one line.", code="line_break")


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneField(forms.CharField):
    """A phone number, US by default, cleaned to E.164 (+12025550147)."""

    default_error_messages = {
        "invalid": "Enter a phone number we can call, for example (202) 555-0147.",
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
    """The current consent wording, its "privacy notice" words linked."""
    text = escape(consent.current().text)
    link = format_html('<a href="{}">{}</a>', reverse("privacy"), consent.PRIVACY_LINK_TEXT)
    return mark_safe(text.replace(consent.PRIVACY_LINK_TEXT, link, 1))


class IntakeForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=60,
        help_text="Or any name you would like us to use.",
        validators=[no_control_characters, one_line],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    phone = PhoneField(
        label="Phone number",
        help_text="We will call or text this number. Numbers outside the US need the country code.",
    )
    contact_method = forms.ChoiceField(
        label="How should we reach you first?",
        choices=Intake.ContactMethod.choices,
        widget=forms.RadioSelect,
    )
    best_time = forms.ChoiceField(
        label="Best time to call", choices=Intake.BestTime.choices, widget=forms.RadioSelect
    )
    voicemail_ok = forms.TypedChoiceField(
        label="Is it OK to leave a voicemail?",
        choices=[("yes", "Yes"), ("no", "No, please don't")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    who_needs_help = forms.ChoiceField(
        label="Who needs help?", choices=Intake.WhoNeedsHelp.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    state = forms.ChoiceField(
        label="State you live in (optional)",
        required=False,
        choices=[("", "Choose a state")] + US_STATES,
    )
    substances = forms.MultipleChoiceField(
        label="Substances of concern (optional)",
        required=False,
        choices=Intake.Substance.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    insurance_provider = forms.CharField(
        label="Insurance provider (optional)",
        required=False,
        max_length=100,
        validators=[no_control_characters, one_line],
    )
    insurance_member_id = forms.CharField(
        label="Insurance member ID (optional)",
        required=False,
        max_length=40,
        validators=[no_control_characters, one_line],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        label="Anything you would like us to know? (optional)",
        required=False,
        max_length=1000,
        help_text="Up to 1,000 characters.",
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        label="",  # set in __init__: the current wording, with a link
        error_messages={"required": "Please tick the box so we may call or text you."},
    )
    # Spam checks: a field people never see, and the time the form was shown.
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    source = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, source: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_label()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["started"] = signing.dumps(time.time(), salt=STARTED_SALT)
            self.initial["source"] = clean_source(source)

    def clean_source(self):
        return clean_source(self.cleaned_data["source"])

    def clean_substances(self):
        chosen = self.cleaned_data["substances"]
        if Intake.Substance.PREFER_NOT_TO_SAY in chosen and len(chosen) > 1:
            raise ValidationError(
                "Choose “Prefer not to say” on its own, or untick it.", code="exclusive"
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
        }

    def automated_reason(self) -> str:
        """Why this looks sent by a program ("" when it does not). Reads raw data only."""
        if self.data.get("website"):
            return "honeypot"
        try:
            started = float(signing.loads(self.data.get("started", ""), salt=STARTED_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return "bad timestamp"
        if time.time() - started < settings.ADMISSIONS_MIN_FILL_SECONDS:
            return "too fast"
        return ""

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
            label = "Consent to be contacted" if name == "consent" else field.label
            items.append((anchor, label, self.errors[name][0]))
        return items


def clean_source(value: str) -> str:
    """A guide's slug from ?from=..., or "" for anything else."""
    value = (value or "").strip().lower()
    return value if SOURCE_PATTERN.fullmatch(value) else ""
