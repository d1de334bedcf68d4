from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "cardinal.staff"
    label = "staff"
    verbose_name = "Staff sign-in"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cardinal.staff.session_lifetime import session_mark_signed_in

        user_logged_in.connect(session_mark_signed_in, dispatch_uid="staff-signed-in-at")
