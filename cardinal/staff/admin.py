"""Staff devices in the admin: listed, viewed and deleted, never added or edited.

No page shows a seed, a QR code or a recovery code, so an administrator cannot
copy a colleague's second factor; deleting a device ends the sessions verified
with it, and the owner enrols again with a new link (manage.py
staff_enrolment_link). django-otp's own TOTP admin, which shows QR codes, is
removed: its table is empty once the devices are moved here (migration 0002).
"""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from cardinal.staff.models import EnrolmentLink, RecoveryCodes, StaffTOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


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
