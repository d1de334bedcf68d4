"""Model fields that keep personal data encrypted at rest."""

from django.db import models

from admissions import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code sees the plain text.

    An empty value is stored empty. The column can be compared with nothing but
    the empty string: search by a keyed hash (see Intake.phone_hash) instead.
    """

    description = "Text encrypted at rest"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name not in {"exact", "isnull"}:
            return None
        return super().get_lookup(lookup_name)
