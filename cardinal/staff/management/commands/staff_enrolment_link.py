"""Issue a one-time link with which a staff member enrols an authenticator app.

    manage.py staff_enrolment_link ana

Give the link to its owner by a channel you trust. After signing in with their
password, it lets them enrol an app once, within STAFF_ENROLMENT_LINK_HOURS; a
new link replaces any unused one, and the app it enrols replaces their old one
(a lost or new phone).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cardinal.staff.services import enrolment_link_instructions, enrolment_link_issue


class Command(BaseCommand):
    help = "Print a one-time link with which a staff member enrols an authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff account {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"The account {user.get_username()!r} is deactivated.")
        self.stdout.write(enrolment_link_instructions(url=enrolment_link_issue(user=user)))
