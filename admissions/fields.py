"""Model fields that keep personal data encrypted at rest."""

from django.db import models

from admissions import crypto

# A token's length follows the length of what it encrypts (in 16-byte steps).
# Text is padded with PAD characters to a multiple of PAD_BYTES (in UTF-8)
# before encryption, so that a token tells no more than which 64-byte step the
# text is in: every choice of substances of concern fits the first step, so
# their tokens are all of one length. Forms refuse NUL, so no text ends with
# one; values stored before padding read the same.
PAD = "\x00"
PAD_BYTES = 64


def pad(text: str) -> str:
    """text followed by PAD characters up to a multiple of PAD_BYTES bytes."""
    return text + PAD * (-len(text.encode("utf-8")) % PAD_BYTES)


def unpad(text: str) -> str:
    return text.rstrip(PAD)


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token of the padded text; Python code sees the
    plain text.

    An empty value is stored empty. The column can be compared with nothing but
    the empty string: search by a keyed hash (see Intake.phone_hash) instead.
    """

    description = "Text encrypted at rest"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(pad(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return unpad(crypto.decrypt(value))

    def get_lookup(self, lookup_name):
        if lookup_name not in {"exact", "isnull"}:
            return None
        return super().get_lookup(lookup_name)
