"""The "Staff sign-in" section of the admin: two-factor devices, recovery codes and
enrolment links, listed, viewed and deleted, never added or edited; and
django-axes' sign-in records under plain names.

No page shows a seed, a QR code or a recovery code, so an administrator cannot
copy a colleague's second factor; deleting a device ends the sessions verified
with it, and the owner enrols again with a new link (manage.py
staff_enrolment_link). django-otp's own TOTP admin, which shows QR codes, is
removed: its table is empty once the devices are moved here (migration 0002).
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from cardinal.staff.models import (
    EnrolmentLink,
    FailedSignIn,
    RecoveryCodes,
    SignInLockout,
    StaffTOTPDevice,
    SuccessfulSignIn,
)

# Staff meet django-axes' records here, under plain names ("Sign-in lockouts"), with
# axes' own list and detail pages; axes' "Access attempts" section is removed.
for model in (TOTPDevice, AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(SignInLockout)
class SignInLockoutAdmin(AccessAttemptAdmin):
    pass


@admin.register(SuccessfulSignIn)
class SuccessfulSignInAdmin(AccessLogAdmin):
    pass


@admin.register(FailedSignIn)
class FailedSignInAdmin(AccessFailureLogAdmin):
    pass


class ViewAndDeleteAdmin(admin.ModelAdmin):
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StaffTOTPDevice)
class StaffTOTPDeviceAdmin(ViewAndDeleteAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


@admin.register(RecoveryCodes)
class RecoveryCodesAdmin(ViewAndDeleteAdmin):
    list_display = ["user", "codes_left", "created_at", "last_used_at"]
    fields = ["user", "codes_left", "created_at", "last_used_at"]
    readonly_fields = ["codes_left"]

    @admin.display(description="codes left")
    def codes_left(self, obj: RecoveryCodes) -> int:
        return obj.codes.count()


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(ViewAndDeleteAdmin):
    list_display = ["user", "created_at", "expires_at", "used_at"]
    fields = ["user", "created_at", "expires_at", "used_at"]
