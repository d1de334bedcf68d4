"""Encrypt every intake's personal fields again with the newest key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEY, keeping the old ones
after it; deploy; run this command; then drop the old keys.
"""

from django.core.management.base import BaseCommand

from admissions import services


class Command(BaseCommand):
    help = "Re-encrypt all intakes and timeline notes with the first FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        count = services.intakes_reencrypt()
        self.stdout.write(f"Re-encrypted {count} rows with the newest key.")
