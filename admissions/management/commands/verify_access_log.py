"""Check the hash chain of the access records (admissions/audit.py).

Prints "N records, chain intact" and the last record's hash, or names the first
broken record and exits with status 1. Keep the printed hash outside the
database: `--expect HASH` later checks that the chain still passes through that
record, so the records up to it were not rewritten, even with the hashes redone.
"""

from django.core.management.base import BaseCommand, CommandError

from admissions.models import AccessRecord


class Command(BaseCommand):
    help = "Verify the access records' hash chain; report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect",
            metavar="HASH",
            action="append",
            default=[],
            help="A hash an earlier run printed: the chain must still contain it.",
        )

    def handle(self, *args, **options):
        check = AccessRecord.objects.verify_chain()
        if check.broken_pk is not None:
            raise CommandError(
                f"access record #{check.broken_pk} breaks the chain: {check.problem} "
                f"({check.count - 1} records before it are intact)"
            )
        for expected in options["expect"]:
            if not AccessRecord.objects.filter(row_hash=expected.strip()).exists():
                raise CommandError(
                    f"no access record has the hash {expected.strip()}: the records up to it "
                    "were rewritten"
                )
        self.stdout.write(f"{check.count} records, chain intact")
        if check.count:
            self.stdout.write(f"last hash {check.last_hash}")
