from django.apps import AppConfig, apps


class StaffConfig(AppConfig):
    name = "cardinal.staff"
    label = "staff"
    verbose_name = "Staff sign-in"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cardinal.staff.session_lifetime import session_mark_signed_in

        user_logged_in.connect(session_mark_signed_in, dispatch_uid="staff-signed-in-at")
        # Django's users and groups, under a plain name in the admin instead of
        # "Authentication and Authorization" (a name only: no migration reads it).
        apps.get_app_config("auth").verbose_name = "Staff accounts"
