"""Check the hash chain of the access records (admissions/audit.py).

Prints "N records, chain intact" and the last record's hash (note it down
elsewhere: a later run that ends in a different hash for that record means the
log was rewritten), or names the first broken record and exits with status 1.
"""

from django.core.management.base import BaseCommand, CommandError

from admissions.models import AccessRecord


class Command(BaseCommand):
    help = "Verify the access records' hash chain; report the first broken link."

    def handle(self, *args, **options):
        check = AccessRecord.objects.verify_chain()
        if check.broken_pk is not None:
            raise CommandError(
                f"access record #{check.broken_pk} breaks the chain: {check.problem} "
                f"({check.count - 1} records before it are intact)"
            )
        self.stdout.write(f"{check.count} records, chain intact")
        if check.count:
            self.stdout.write(f"last hash {check.last_hash}")
