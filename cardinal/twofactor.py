"""Two-factor authentication (TOTP) for staff.

When settings.STAFF_REQUIRE_2FA is on (the default with debug off), a staff
member who signed in with a password reaches the admin only after entering a
code from an authenticator app, or one of their single-use recovery codes.

A password alone never enrols an app. An administrator issues a one-time,
expiring enrolment link (manage.py create_staff prints one for a new account,
manage.py staff_enrolment_link for an existing one); its owner opens it, signs
in with their password, scans the QR code and confirms with a first code. They
are then shown their recovery codes, once, and mailed that an app was added.
Without a usable link, the setup page asks them to get one. Devices and links
are kept by cardinal.staff; codes are checked by django-otp, which also
throttles guessing.
"""

import math

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import VerifyNotAllowed

from cardinal.staff import services
from cardinal.staff.models import EnrolmentLink, RecoveryCodes, StaffTOTPDevice

ENROL_URL_NAME = services.ENROL_URL_NAME
SETUP_URL_NAME = "staff-2fa-setup"
VERIFY_URL_NAME = "staff-2fa-verify"
# The enrolment link a visitor opened in this session (its id; never the token).
LINK_SESSION_KEY = "staff_enrolment_link"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SignInCodeForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app, or a recovery code",
        min_length=6,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _wait_seconds(device) -> int:
    """Seconds before `device` checks a code again: django-otp makes each wrong
    code wait longer (1, 2, 4 ... seconds), and a code sent sooner is not checked.
    0 when it checks codes now."""
    allowed, why = device.verify_is_allowed()
    if allowed or why.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return 0
    return max(1, math.ceil((why["locked_until"] - timezone.now()).total_seconds()))


def too_fast(seconds: int) -> str:
    """The answer to a code sent before the wait after a wrong one was over."""
    wait = "1 second" if seconds == 1 else f"{seconds} seconds"
    return (
        "Codes were tried too fast after a wrong one, so this one was not checked. "
        f"Wait {wait}, then type the code your app shows now."
    )


def _confirmed_device(user) -> StaffTOTPDevice | None:
    return StaffTOTPDevice.objects.filter(user=user, confirmed=True).first()


def _page(request, template: str, status: int = 200, **context):
    context = {**admin.site.each_context(request), **context}
    return render(request, template, context, status=status)


@never_cache
@sensitive_variables("token")
def enrol(request):
    """Open an enrolment link: remember it in the session, then sign in (if
    needed) and go on to the setup page. The token leaves the address bar."""
    token = request.GET.get("token", "")
    link = services.enrolment_link_find(token=token)
    if link is None:
        return _page(
            request,
            "staff/two_factor_no_link.html",
            status=404,
            title="This enrolment link does not work",
            problem="It has expired, was used already, or was replaced by a newer one.",
        )
    user = request.user
    if user.is_authenticated and user.pk != link.user_id:
        return _page(
            request,
            "staff/two_factor_no_link.html",
            status=403,
            title="This enrolment link is for another account",
            problem="Sign out, then open the link again and sign in as its owner.",
        )
    request.session[LINK_SESSION_KEY] = link.pk
    if not user.is_authenticated:
        return redirect_to_login(reverse(SETUP_URL_NAME), settings.LOGIN_URL)
    return redirect(SETUP_URL_NAME)


def _claimed_link(request) -> EnrolmentLink | None:
    link_id = request.session.get(LINK_SESSION_KEY)
    if link_id is None:
        return None
    return EnrolmentLink.objects.usable().filter(pk=link_id, user=request.user).first()


@never_cache
@sensitive_post_parameters("token")
@sensitive_variables("token")
@login_required
def setup(request):
    """Enrol an authenticator app with an enrolment link: show the QR code,
    confirm with a first code, show the recovery codes once."""
    link = _claimed_link(request)
    if link is None:
        if _confirmed_device(request.user):
            return redirect(VERIFY_URL_NAME)
        return _page(
            request,
            "staff/two_factor_no_link.html",
            status=403,
            title="Ask an administrator for an enrolment link",
            problem=(
                "Your account has no authenticator app yet, and one can only be added "
                "with an enrolment link from an administrator."
            ),
        )
    device = services.device_pending(link=link)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _wait_seconds(device)
        token = form.cleaned_data["token"]
        codes = None if wait else services.device_enrol(link=link, device=device, token=token)
        if codes is not None:
            request.session.pop(LINK_SESSION_KEY, None)
            device.refresh_from_db()
            otp_login(request, device)
            # Shown in this response only: the codes are kept as hashes.
            return _page(
                request,
                "staff/two_factor_recovery_codes.html",
                codes=codes,
                title="Your recovery codes",
            )
        form.add_error(
            "token",
            too_fast(wait)
            if wait
            else "That code did not match. Check the time on your phone and try again.",
        )
    return _page(
        request,
        "staff/two_factor_setup.html",
        form=form,
        qr_svg=segno.make(device.config_url, error="m").svg_inline(scale=4, border=2),
        secret=device.base32_key,
        title="Set up two-factor sign-in",
    )


@never_cache
@sensitive_post_parameters("token")
@sensitive_variables("token")
@login_required
def verify(request):
    """Ask for the current code from the enrolled app, or a recovery code."""
    user = request.user
    device = _confirmed_device(user)
    if device is None:
        return redirect(SETUP_URL_NAME)
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        checker = _checking_device(user, device, token)
        wait = _wait_seconds(checker) if checker is not None else 0
        verified = None if wait or checker is None else _verified(user, checker, token)
        if verified is not None:
            otp_login(request, verified)
            return redirect("admin:index")
        form.add_error("token", too_fast(wait) if wait else "That code did not match.")
    return _page(
        request, "staff/two_factor_verify.html", form=form, title="Enter your sign-in code"
    )


def _checking_device(user, device: StaffTOTPDevice, token: str):
    """The device that checks `token`: the app for a number, else the recovery
    codes (None: the user has none)."""
    if "".join(token.split()).isdigit():
        return device
    return RecoveryCodes.objects.filter(user=user, confirmed=True).first()


def _verified(user, checker, token: str):
    """`checker` when it accepts `token` (an app's code without its spaces)."""
    if isinstance(checker, StaffTOTPDevice):
        token = "".join(token.split())
    return verify_token(user, checker.persistent_id, token)


class StaffTwoFactorMiddleware:
    """Keep staff who have not passed two-factor out of the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_REQUIRE_2FA and self._needs_second_factor(request):
            name = VERIFY_URL_NAME if _confirmed_device(request.user) else SETUP_URL_NAME
            return redirect(name)
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        if not request.path.startswith("/admin/"):
            return False
        if request.path in (reverse("admin:login"), reverse("admin:logout")):
            return False
        user = request.user
        return user.is_authenticated and user.is_staff and not user.is_verified()
