"""Helpers for data migrations shared by the apps."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def group_permission_operations(app_label: str, groups: dict[str, list[str]]):
    """Forward and backward RunPython functions that create the given groups
    with the given permissions of one app (and remove the groups again)."""

    def create_groups(apps, schema_editor):
        # Permissions are normally created after all migrations ran; make them now.
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, apps=apps)
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
        for name, codenames in groups.items():
            group, _ = group_model.objects.get_or_create(name=name)
            permissions = permission_model.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
            missing = set(codenames) - set(permissions.values_list("codename", flat=True))
            if missing:
                raise RuntimeError(f"permissions not found: {sorted(missing)}")
            group.permissions.add(*permissions)

    def remove_groups(apps, schema_editor):
        apps.get_model("auth", "Group").objects.filter(name__in=groups).delete()

    return create_groups, remove_groups
