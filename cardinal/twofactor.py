"""Two-factor authentication (TOTP) for staff.

When settings.STAFF_REQUIRE_2FA is on (the default with debug off), a staff
member who signed in with a password reaches the admin only after entering a
code from an authenticator app. The first time, they enrol a device by scanning
a QR code. Codes are checked by django-otp, which also throttles guessing.
"""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

SETUP_URL_NAME = "staff-2fa-setup"
VERIFY_URL_NAME = "staff-2fa-verify"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@never_cache
@sensitive_post_parameters("token")
@login_required
def setup(request):
    """Enrol an authenticator app: show the QR code, confirm with a first code."""
    if _confirmed_device(request.user):
        return redirect(VERIFY_URL_NAME)
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect("admin:index")
        form.add_error(
            "token", "That code did not match. Check the time on your phone and try again."
        )
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    context = {
        **admin.site.each_context(request),
        "form": form,
        "qr_svg": qr_svg,
        "secret": _base32_secret(device),
        "title": "Set up two-factor sign-in",
    }
    return render(request, "staff/two_factor_setup.html", context)


@never_cache
@sensitive_post_parameters("token")
@login_required
def verify(request):
    """Ask for the current code from the enrolled authenticator app."""
    device = _confirmed_device(request.user)
    if device is None:
        return redirect(SETUP_URL_NAME)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect("admin:index")
        form.add_error(
            "token", "That code did not match, or too many codes were tried. Wait and try again."
        )
    context = {
        **admin.site.each_context(request),
        "form": form,
        "title": "Enter your sign-in code",
    }
    return render(request, "staff/two_factor_verify.html", context)


def _base32_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


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
