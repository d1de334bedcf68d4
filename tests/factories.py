"""Objects the tests of every tier make: staff users in their groups."""

from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group

from admissions import roles

STAFF_PASSWORD = "a-long-test-password-1"


def make_user(username: str, *groups: str, email: str | None = None, **extra) -> AbstractUser:
    """A staff user (password STAFF_PASSWORD) in the named groups.

    Transactional tests empty every table, the migrations' groups included: the
    admissions groups are made again, with their permissions, when missing.
    """
    if set(groups) & set(roles.GROUPS) and not Group.objects.filter(name__in=groups).exists():
        roles.groups_create(global_apps, None)
    found = list(Group.objects.filter(name__in=groups))
    if len(found) != len(set(groups)):
        missing = set(groups) - {group.name for group in found}
        raise LookupError(f"no such staff group: {sorted(missing)}")
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@cardinal.example" if email is None else email,
        password=STAFF_PASSWORD,
        is_staff=True,
        **extra,
    )
    user.groups.add(*found)
    return user
