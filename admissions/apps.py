from django.apps import AppConfig


class AdmissionsConfig(AppConfig):
    name = "admissions"
    verbose_name = "Admissions"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from admissions.duty import navigator_signed_out

        user_logged_out.connect(navigator_signed_out, dispatch_uid="admissions-navigator-away")
