"""The second factor of staff sign-in, and the links that let staff enrol one.

StaffTOTPDevice replaces django-otp's TOTPDevice, whose seed is a plain hex
column: here the seed is a Fernet token under FIELD_ENCRYPTION_KEY, so a copy of
the database yields no authenticator. Recovery codes and enrolment links are
stored as SHA-256 hashes of random values (80 and 256 bits), which cannot be
reversed.
"""

import hashlib
import secrets
import time
from base64 import b32encode
from functools import lru_cache
from urllib.parse import quote, urlencode

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from cardinal.lib.env import split_keys

TOTP_KEY_BYTES = 20
RECOVERY_CODE_BYTES = 10  # 80 bits, 16 base32 characters


@lru_cache(maxsize=4)
def _fernet(key_setting: str) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in split_keys(key_setting)])


def seal(data: bytes) -> str:
    """data encrypted with the newest FIELD_ENCRYPTION_KEY (a Fernet token)."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(data).decode("ascii")


def unseal(token: str) -> bytes:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode("ascii"))


def reseal(token: str) -> str:
    """The same data encrypted again with the newest key."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).rotate(token.encode("ascii")).decode("ascii")


def sealed_random_key() -> str:
    """A new TOTP seed, encrypted: the default of StaffTOTPDevice.encrypted_key."""
    return seal(secrets.token_bytes(TOTP_KEY_BYTES))


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class StaffTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP, RFC 6238), as django-otp's TOTPDevice, with
    its seed encrypted at rest. django-otp finds it as it finds its own devices."""

    encrypted_key = models.TextField(default=sealed_random_key, editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)
    # When its owner was told by mail that it was added.
    owner_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(Device.Meta):
        verbose_name = "two-factor device"

    @property
    def bin_key(self) -> bytes:
        """The seed."""
        return unseal(self.encrypted_key)

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            number = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(number, self.tolerance, self.last_t + 1)
        if not verified:
            self.throttle_increment(commit=True)
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def base32_key(self) -> str:
        return b32encode(self.bin_key).decode().rstrip("=")

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app reads from the QR code."""
        issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": self.base32_key,
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


class RecoveryCodes(TimestampMixin, ThrottlingMixin, Device):
    """A user's single-use recovery codes, for a sign-in without the phone.
    Each code is kept as its hash and deleted once used."""

    class Meta(Device.Meta):
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    @staticmethod
    def normalise(code: str) -> str:
        return "".join(character for character in code.lower() if character.isalnum())

    def replace_codes(self, count: int) -> list[str]:
        """Forget the old codes and make `count` new ones; returns them (shown once)."""
        codes = [
            b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
            for _ in range(count)
        ]
        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=self, code_hash=secret_hash(code)) for code in codes
        )
        return ["-".join(code[i : i + 4] for i in range(0, len(code), 4)) for code in codes]

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code = self.codes.filter(code_hash=secret_hash(self.normalise(str(token)))).first()
        if code is None:
            self.throttle_increment(commit=True)
            return False
        code.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)

    def __str__(self):
        return f"Recovery code #{self.pk}"


class EnrolmentLinkQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class EnrolmentLink(models.Model):
    """A one-time, expiring link an administrator gives a staff member to enrol
    an authenticator app (manage.py staff_enrolment_link). Only the hash of its
    token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = EnrolmentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"enrolment link for {self.user.get_username()}"


# django-axes' sign-in records, in the admin under plain names (cardinal/staff/admin.py
# registers these in place of axes' own): the same tables, no column of their own.


def _at(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class SignInLockout(AccessAttempt):
    """Failed sign-ins counted per username and client address: at
    AXES_FAILURE_LIMIT the pair is locked out; deleting the row unlocks it."""

    class Meta:
        proxy = True
        ordering = ["-attempt_time"]
        verbose_name = "sign-in lockout"
        verbose_name_plural = "sign-in lockouts"

    def __str__(self):
        failures = self.failures_since_start
        return f"{self.username} from {self.ip_address}: {failures} failed sign-ins"


class SuccessfulSignIn(AccessLog):
    class Meta:
        proxy = True
        ordering = ["-attempt_time"]
        verbose_name = "successful sign-in"
        verbose_name_plural = "successful sign-ins"

    def __str__(self):
        return f"{self.username} signed in at {_at(self.attempt_time)}"


class FailedSignIn(AccessFailureLog):
    class Meta:
        proxy = True
        ordering = ["-attempt_time"]
        verbose_name = "failed sign-in"
        verbose_name_plural = "failed sign-ins"

    def __str__(self):
        locked = ", locked out" if self.locked_out else ""
        return f"failed sign-in as {self.username} at {_at(self.attempt_time)}{locked}"
