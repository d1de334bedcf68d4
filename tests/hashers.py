"""The password hasher the test suite signs staff in with."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with 1,000 rounds instead of a million: a quarter of a second
    of CPU less for every staff account a test makes or signs in. The hashes it
    writes name their rounds, so the site's own hasher still checks them in the
    child processes the integration tests start (and strengthens them there)."""

    iterations = 1_000
