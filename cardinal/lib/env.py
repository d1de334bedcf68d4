"""Settings from the environment, read strictly.

cardinal/settings.py calls these at start-up; each reads one variable when it is
called. A value that cannot be what its setting needs (a boolean that is not one
of the words below, an integer that is not a number, a network that is not a
network, a secret that is missing, known or weak) stops start-up with
ImproperlyConfigured naming the variable: a typo never becomes a silent default.
Error messages never repeat the value of a secret.
"""

import ipaddress
import os
from collections.abc import Callable

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
# Every secret in .env.example starts with this: a copied example is never a key.
PLACEHOLDER_PREFIX = "change-me"
# Django's own rule for SECRET_KEY (security.W009), applied at start-up.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
HASH_KEY_MIN_BYTES = 32


def env_str(name: str, default: str = "") -> str:
    """The variable's value; `default` when it is unset or blank."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1, true, yes, on or 0, false, no, off (it is {value!r})."
    )


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (it is {value!r}).") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """Comma-separated IP networks (CIDR; a bare address is a network of one),
    normalised: 10.0.0.1/8 becomes 10.0.0.0/8."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP networks such as 10.0.0.0/8, comma-separated "
                f"({item!r} is not one)."
            ) from None
    return networks


def split_keys(value: str) -> list[str]:
    """The keys of a comma-separated list, newest first."""
    return [key.strip() for key in value.split(",") if key.strip()]


def secret_key_problem(value: str) -> str | None:
    """Why `value` cannot be Django's SECRET_KEY, or None."""
    if (
        len(value) < SECRET_KEY_MIN_LENGTH
        or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or value.startswith("django-insecure-")
    ):
        return (
            f"must be at least {SECRET_KEY_MIN_LENGTH} random characters "
            '(make one with: python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    return None


def secret_keys_problem(value: str) -> str | None:
    """Why `value` is not a comma-separated list of keys fit for SECRET_KEY
    (SECRET_KEY_FALLBACKS), or None."""
    return next(filter(None, map(secret_key_problem, split_keys(value))), None)


def fernet_keys_problem(value: str) -> str | None:
    """Why `value` is not a comma-separated list of Fernet keys, or None."""
    try:
        for key in split_keys(value):
            Fernet(key.encode())
    except ValueError:
        return (
            "must hold Fernet keys, comma-separated, newest first (make one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
        )
    return None


def hash_keys_problem(value: str) -> str | None:
    """Why `value` is not a comma-separated list of strong HMAC keys, or None."""
    for key in split_keys(value):
        if (
            len(key.encode()) < HASH_KEY_MIN_BYTES
            or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        ):
            return (
                f"must hold keys of at least {HASH_KEY_MIN_BYTES} random characters, "
                "comma-separated, newest first (make one with: python -c "
                '"import secrets; print(secrets.token_urlsafe(32))")'
            )
    return None


def env_secret(
    name: str, *, debug: bool, dev_default: str, problem: Callable[[str], str | None]
) -> str:
    """A secret from the environment. With debug on, the development default
    stands in for a missing one. With debug off it is required, and neither the
    development default nor an .env.example placeholder nor a value `problem`
    finds fault with is accepted."""
    value = env_str(name)
    if debug:
        return value or dev_default
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_DEBUG is off (see README.md, 'Configuration'; "
            "DJANGO_DEBUG=1 runs on the development keys)."
        )
    keys = split_keys(value) or [value]
    if dev_default in keys or any(key.startswith(PLACEHOLDER_PREFIX) for key in keys):
        raise ImproperlyConfigured(
            f"{name} holds the development key or the .env.example placeholder, which are "
            "public: set a key of your own (see README.md, 'Configuration')."
        )
    reason = problem(value)
    if reason:
        raise ImproperlyConfigured(f"{name} {reason}.")
    return value
