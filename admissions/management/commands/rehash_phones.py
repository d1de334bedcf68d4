"""Hash every intake's phone number again with the newest hash key.

Rotation: put the new key first in FIELD_HASH_KEY, keeping the old ones after it
(phones are looked up under every key meanwhile); deploy; run this command; then
drop the old keys.
"""

from django.core.management.base import BaseCommand

from admissions import services


class Command(BaseCommand):
    help = "Re-hash every intake's phone number with the first FIELD_HASH_KEY."

    def handle(self, *args, **options):
        count = services.intakes_rehash_phones()
        self.stdout.write(f"Re-hashed the phone numbers of {count} intakes with the newest key.")
