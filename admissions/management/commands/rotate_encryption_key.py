"""Encrypt every intake's personal fields again with the newest key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEY, keeping the old ones
after it; deploy; run this command; then drop the old keys.
"""

from django.core.management.base import BaseCommand

from admissions import services
from cardinal.staff.services import devices_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt all intakes, timeline notes and staff authenticator keys with the "
        "first FIELD_ENCRYPTION_KEY."
    )

    def handle(self, *args, **options):
        count = services.intakes_reencrypt()
        self.stdout.write(f"Re-encrypted {count} rows with the newest key.")
        devices = devices_reencrypt()
        self.stdout.write(f"Re-encrypted {devices} staff authenticator keys with the newest key.")
