"""Create a staff account (or add an existing one to groups).

Interactive:      manage.py create_staff --group Navigators --superuser
Non-interactive:  DJANGO_STAFF_PASSWORD=... manage.py create_staff --username ana \
                      --email ana@example.org --group Navigators --noinput
Running it again for an existing username only adds the groups (and superuser
status when asked); the password is left alone.

A new account gets a one-time enrolment link, printed for you to hand over: its
owner needs it to add an authenticator app (two-factor sign-in). For an existing
account, `manage.py staff_enrolment_link <username>` issues one.
"""

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from cardinal.staff.services import (
    authenticator_enrolled,
    enrolment_link_instructions,
    enrolment_link_issue,
)

PASSWORD_ENV = "DJANGO_STAFF_PASSWORD"  # noqa: S105 - the name of a variable, not a password


class Command(BaseCommand):
    help = "Create a staff account in the given groups (Navigators, Admissions supervisors)."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument(
            "--group",
            action="append",
            default=[],
            dest="groups",
            help="A group to join; repeat for several.",
        )
        parser.add_argument("--superuser", action="store_true", help="Make a superuser.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Ask nothing: the password comes from ${PASSWORD_ENV}.",
        )

    def handle(self, *args, **options):
        interactive = options["interactive"]
        groups = self._groups(options["groups"])
        user_model = get_user_model()

        username = options["username"] or (self._ask("Username: ") if interactive else "")
        if not username:
            raise CommandError("A username is needed (--username).")
        user = user_model.objects.filter(username=username).first()
        if user is None:
            email = options["email"]
            if email is None:
                email = self._ask("Email address: ") if interactive else ""
            self._check_email(email)
            password = self._password(username, email, interactive)
            user = user_model(username=username, email=email, is_staff=True)
            user.set_password(password)
            created = True
        else:
            created = False
        with transaction.atomic():
            user.is_staff = True
            user.is_superuser = user.is_superuser or options["superuser"]
            user.save()
            user.groups.add(*groups)
        names = ", ".join(group.name for group in groups) or "no group"
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} staff account {username!r} ({names})."))
        if created:
            self.stdout.write(enrolment_link_instructions(url=enrolment_link_issue(user=user)))
        elif not authenticator_enrolled(user=user):
            self.stdout.write(
                f"{username!r} has no authenticator app yet: give them an enrolment link "
                f"(manage.py staff_enrolment_link {username})."
            )

    def _groups(self, names: list[str]) -> list[Group]:
        groups = list(Group.objects.filter(name__in=names))
        missing = set(names) - {group.name for group in groups}
        if missing:
            known = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(
                f"No such group: {', '.join(sorted(missing))}. Known groups: {known or 'none'}. "
                "Did you run manage.py migrate?"
            )
        return groups

    def _ask(self, prompt: str) -> str:
        return input(prompt).strip()

    def _check_email(self, email: str) -> None:
        if not email:
            return
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError("That email address is not valid.") from None

    def _password(self, username: str, email: str, interactive: bool) -> str:
        candidate = get_user_model()(username=username, email=email)
        password = os.environ.get(PASSWORD_ENV, "")
        if password:
            self._validate(password, candidate)
            return password
        if not interactive:
            raise CommandError(f"Set {PASSWORD_ENV} to give the new account a password.")
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords differ. Try again.")
                continue
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            return password

    def _validate(self, password: str, user) -> None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
