"""Launch readiness: what must be true before the site goes live (`manage.py launch_check`).

Two sets of checks run together, and the site is ready when neither reports a
problem (a message at WARNING or above that settings do not silence):

- Django's own, as `manage.py check --deploy` runs them (security settings, DEBUG,
  the secret key, every app's checks), with the database;
- the clinic's, below: facts a visitor relies on (the legal name, the address,
  the helpline, the public address, each fact of the "About our care" page),
  where staff are told of intakes, and the medical review of every published guide.

The clinic's checks are Django system checks, each registered with @launch_check
in a registry of their own rather than Django's: `check --deploy` (and
`make check-deploy`, which CI runs on throwaway settings) stays Django's alone,
and a clinic's placeholder facts never fail it. To add one, write a function
here taking **kwargs and returning a list of checks.Error, with the next free
id (cardinal.L0NN), a msg naming what is wrong and a hint naming the variable
or admin page that fixes it.
"""

import ipaddress
import re
import urllib.parse
from collections.abc import Callable

from django.conf import settings
from django.core import checks
from django.core.checks.registry import CheckRegistry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse

from cardinal import care
from cardinal.lib.phone import phone_display, phone_e164

registry = CheckRegistry()
launch_check: Callable = registry.register

# Words the embedded defaults of CLINIC_LEGAL_NAME and CLINIC_ADDRESS carry.
PLACEHOLDER_MARKS = ("placeholder", "example street", "00000")
# North American numbers 555-0100 to 555-0199 are set aside for fiction: they never ring.
FICTIONAL_PHONE = re.compile(r"\+1\d{3}55501\d{2}")
# Names that never reach anyone on the internet (RFC 2606, RFC 6761).
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid", "localhost", "test")
# Backends that deliver no mail: the console (the embedded default), memory, a file, nothing.
UNDELIVERED_MAIL = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def problems(*, databases: list[str] | None = None) -> list[checks.CheckMessage]:
    """Every problem that stands between the site and its launch: Django's
    deployment checks, then the clinic's (reading the `databases`, by default
    the default one)."""
    databases = ["default"] if databases is None else databases
    found = [
        *checks.run_checks(include_deployment_checks=True, databases=databases),
        *registry.run_checks(databases=databases),
    ]
    serious = [m for m in found if m.is_serious(checks.WARNING) and not m.is_silenced()]
    return sorted(serious, key=lambda message: message.id or "")


def is_unreachable_host(host: str) -> bool:
    """Whether a host name or address is this machine's own (loopback, or none
    at all) or a name reserved for examples and tests: nobody outside reaches it."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return address.is_loopback or address.is_unspecified
    if any(host == domain or host.endswith(f".{domain}") for domain in RESERVED_DOMAINS):
        return True
    return host.rpartition(".")[2] in RESERVED_TLDS


def _mailbox_problem(address: str) -> str:
    """Why mail to (or from) this address reaches nobody; "" when it can."""
    if not address.strip():
        return "is empty"
    _, _, mailbox = address.rpartition("<")  # "Name <box@host>"
    mailbox = mailbox.rstrip(">").strip()
    try:
        validate_email(mailbox)
    except ValidationError:
        return f'"{address}" is not an email address'
    if is_unreachable_host(mailbox.rpartition("@")[2]):
        return f'"{address}" is at a local or example domain'
    return ""


# --- The clinic's checks ------------------------------------------------------------------


@launch_check
def clinic_identity(**kwargs) -> list[checks.CheckMessage]:
    """The legal name and the address shown in the footer and the privacy notice."""
    found: list[checks.CheckMessage] = []
    for name, hint, error_id in (
        ("CLINIC_LEGAL_NAME", "the clinic's legal name, as on its licence", "cardinal.L001"),
        ("CLINIC_ADDRESS", "the street address where people are seen", "cardinal.L002"),
    ):
        value = getattr(settings, name)
        if not value.strip() or any(mark in value.lower() for mark in PLACEHOLDER_MARKS):
            found.append(
                checks.Error(
                    f'{name} is still a placeholder: "{value}".' if value else f"{name} is empty.",
                    hint=f"Set {name} to {hint}.",
                    id=error_id,
                )
            )
    return found


@launch_check
def helpline(**kwargs) -> list[checks.CheckMessage]:
    """The number every page asks people to call."""
    value = settings.HELPLINE_PHONE
    hint = "Set HELPLINE_PHONE to the admissions line people can call."
    number = phone_e164(value)
    if number is None:
        message = f'HELPLINE_PHONE "{value}" is not a phone number anyone can call.'
        return [checks.Error(message, hint=hint, id="cardinal.L003")]
    if FICTIONAL_PHONE.fullmatch(number):
        message = (
            f'HELPLINE_PHONE "{phone_display(number)}" is a fictional number: '
            "555-0100 to 555-0199 never ring."
        )
        return [checks.Error(message, hint=hint, id="cardinal.L003")]
    return []


@launch_check
def public_address(**kwargs) -> list[checks.CheckMessage]:
    """SITE_URL: canonical links, the sitemap and the links in staff mail."""
    value = settings.SITE_URL
    hint = "Set SITE_URL to the site's public https:// address."
    parts = urllib.parse.urlsplit(value)
    found: list[checks.CheckMessage] = []
    if parts.scheme != "https":
        found.append(
            checks.Error(f'SITE_URL "{value}" is not HTTPS.', hint=hint, id="cardinal.L004")
        )
    if is_unreachable_host(parts.hostname or ""):
        found.append(
            checks.Error(
                f'SITE_URL "{value}" is a loopback or example address.',
                hint=hint,
                id="cardinal.L005",
            )
        )
    return found


@launch_check
def staff_mail(**kwargs) -> list[checks.CheckMessage]:
    """Where staff hear of intakes: the on-call inbox, a real mail server, a real sender."""
    found: list[checks.CheckMessage] = []
    oncall = getattr(settings, "ADMISSIONS_ONCALL_EMAIL", "")
    if problem := _mailbox_problem(oncall):
        found.append(
            checks.Error(
                f"ADMISSIONS_ONCALL_EMAIL {problem}: intakes nobody on duty can take reach no one.",
                hint="Set ADMISSIONS_ONCALL_EMAIL to the inbox of whoever is on call.",
                id="cardinal.L006",
            )
        )
    if settings.EMAIL_BACKEND in UNDELIVERED_MAIL:
        found.append(
            checks.Error(
                "Mail is not sent: navigators would never hear of a new intake.",
                hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to the clinic's "
                "mail server.",
                id="cardinal.L007",
            )
        )
    if problem := _mailbox_problem(settings.DEFAULT_FROM_EMAIL):
        found.append(
            checks.Error(
                f"DEFAULT_FROM_EMAIL {problem}: mail servers refuse or bin its mail.",
                hint="Set DEFAULT_FROM_EMAIL to an address of the clinic's own domain.",
                id="cardinal.L008",
            )
        )
    return found


@launch_check
def guide_reviews(**kwargs) -> list[checks.CheckMessage]:
    """Every published guide has a current medical review, as guides_review_status
    judges it (Guide.review_state_now: only "valid" is current)."""
    from education.models import Guide

    found: list[checks.CheckMessage] = []
    for guide in Guide.objects.published().select_related("last_review").order_by("slug"):
        state = guide.review_state_now()
        if state == Guide.ReviewState.VALID:
            continue
        page = reverse("admin:education_guide_sign_off", args=[guide.pk])
        found.append(
            checks.Error(
                f"The published guide {guide.slug} has no current medical review "
                f"({Guide.ReviewState(state).label}).",
                hint=f"A medical reviewer signs it off in the admin: {settings.SITE_URL}{page}",
                id="cardinal.L009",
            )
        )
    return found


def _project_path(path) -> str:
    """The path as the clinic finds it: from the project folder when it is inside it."""
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


@launch_check
def about_our_care(**kwargs) -> list[checks.CheckMessage]:
    """Each fact the "About our care" page cannot show yet (cardinal/care.py), one
    line each, naming where in CLINIC_CARE_FILE it goes."""
    try:
        facts = care.care_current()
    except care.CareFileError as error:
        return [
            checks.Error(
                f"The About our care page cannot be shown: {error}",
                hint="Correct the file (its first lines say how it is written), or point "
                "CLINIC_CARE_FILE at the clinic's copy.",
                id="cardinal.L010",
            )
        ]
    where = _project_path(facts.path)
    return [
        checks.Error(
            f"The About our care page does not say {missing.what} yet.",
            hint=f"Fill in {missing.where} in {where}.",
            id=missing.check_id,
        )
        for missing in facts.missing()
    ]
