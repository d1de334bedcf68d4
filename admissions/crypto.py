"""Encryption at rest and the keyed phone hash.

Keys are read from settings when used, not when imported, so a rotated key list
takes effect without code changes. FIELD_ENCRYPTION_KEY holds Fernet keys,
comma-separated, newest first: text is encrypted with the first and decrypted
with whichever key matches. FIELD_HASH_KEY holds HMAC keys the same way: a phone
is hashed with the first and looked up under each.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multi_fernet(key_setting: str) -> MultiFernet:
    keys = [key.strip() for key in key_setting.split(",") if key.strip()]
    if not keys:
        raise DecryptionError("FIELD_ENCRYPTION_KEY holds no key")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _fernet() -> MultiFernet:
    return _multi_fernet(settings.FIELD_ENCRYPTION_KEY)


def encrypt(text: str) -> str:
    """The Fernet token (ASCII) of text, made with the newest key."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        # The message names no value: only that no configured key matched.
        raise DecryptionError("no configured encryption key can read a stored value") from exc


def _hash_keys() -> list[str]:
    keys = [key.strip() for key in settings.FIELD_HASH_KEY.split(",") if key.strip()]
    if not keys:
        raise ValueError("FIELD_HASH_KEY holds no key")
    return keys


def _hmac(key: str, e164: str) -> str:
    return hmac.new(key.encode("utf-8"), e164.encode("utf-8"), hashlib.sha256).hexdigest()


def phone_hash(e164: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a phone number in E.164 form, with the
    newest FIELD_HASH_KEY: the hash a phone is stored under."""
    return _hmac(_hash_keys()[0], e164)


def phone_hashes(e164: str) -> list[str]:
    """The phone's hash under each FIELD_HASH_KEY, newest first: what a lookup
    matches while a key is being rotated (manage.py rehash_phones)."""
    return [_hmac(key, e164) for key in _hash_keys()]
