"""Production is the default and the configuration fails closed: with DJANGO_DEBUG
unset debug is off and the secrets are required; a development key, an
.env.example placeholder or a weak key stops start-up naming the variable; a
value that is no boolean or number is an error, never a silent default."""

import re
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from tests.cardinal.helpers import PRODUCTION_SECRETS, settings_from_env

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY"]


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def refusal(**env: str) -> str:
    """The start-up error the settings give for `env`."""
    with pytest.raises(ImproperlyConfigured) as failure:
        settings_from_env(**env)
    return str(failure.value)


def test_with_debug_unset_the_site_runs_as_production():
    production = settings_from_env(**PRODUCTION_SECRETS)
    assert production["DEBUG"] is False
    assert production["STAFF_REQUIRE_2FA"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SECURE_HSTS_SECONDS"] == 31536000
    assert production["SECRET_KEY"] == PRODUCTION_SECRETS["DJANGO_SECRET_KEY"]


def test_with_nothing_set_start_up_stops_and_names_the_missing_secret():
    message = refusal()
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in message
    assert "DJANGO_DEBUG=1" in message  # how to run locally instead


def test_debug_on_is_asked_for_and_runs_on_the_development_keys():
    local = settings_from_env(DJANGO_DEBUG="1")
    assert local["DEBUG"] is True
    assert local["SECRET_KEY"].startswith("insecure-local-development-key")


def development_keys() -> dict[str, str]:
    return {
        name: settings_from_env(DJANGO_DEBUG="1")[name.removeprefix("DJANGO_")]
        for name in SECRET_NAMES
    }


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_debug_off_refuses_the_development_key(name):
    dev_key = development_keys()[name]
    message = refusal(**{**PRODUCTION_SECRETS, name: dev_key})
    assert message.startswith(f"{name} holds the development key or the .env.example placeholder")
    assert dev_key not in message


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_debug_off_refuses_the_env_example_placeholder(name):
    example = env_example()
    assert example["DJANGO_DEBUG"] == "0"
    placeholder = example[name]
    assert placeholder, f".env.example gives {name} no placeholder"
    message = refusal(**{**PRODUCTION_SECRETS, name: placeholder})
    assert message.startswith(f"{name} holds the development key or the .env.example placeholder")


def test_debug_off_refuses_a_development_key_kept_after_a_rotated_one():
    dev_key = development_keys()["FIELD_ENCRYPTION_KEY"]
    rotated = f"{Fernet.generate_key().decode()},{dev_key}"
    message = refusal(**{**PRODUCTION_SECRETS, "FIELD_ENCRYPTION_KEY": rotated})
    assert message.startswith("FIELD_ENCRYPTION_KEY holds the development key")


@pytest.mark.parametrize(
    ("name", "weak", "says"),
    [
        ("DJANGO_SECRET_KEY", secrets.token_urlsafe(30), "at least 50 random characters"),
        ("DJANGO_SECRET_KEY", "ab" * 40, "at least 50 random characters"),  # 2 characters
        ("DJANGO_SECRET_KEY", "django-insecure-" + secrets.token_urlsafe(50), "at least 50"),
        ("FIELD_HASH_KEY", secrets.token_urlsafe(16), "at least 32 random characters"),
        ("FIELD_HASH_KEY", "y" * 40, "at least 32 random characters"),
        ("FIELD_HASH_KEY", f"{secrets.token_urlsafe(32)},short", "at least 32"),
        ("FIELD_ENCRYPTION_KEY", secrets.token_urlsafe(32), "must hold Fernet keys"),
        ("FIELD_ENCRYPTION_KEY", f"{Fernet.generate_key().decode()},x", "must hold Fernet"),
    ],
    ids=[
        "secret-key-short",
        "secret-key-two-characters",
        "secret-key-django-insecure",
        "hash-key-short",
        "hash-key-one-character",
        "hash-key-second-key-short",
        "encryption-key-not-fernet",
        "encryption-key-second-key-not-fernet",
    ],
)
def test_debug_off_refuses_a_weak_or_malformed_key_and_does_not_repeat_it(name, weak, says):
    message = refusal(**{**PRODUCTION_SECRETS, name: weak})
    assert message.startswith(f"{name} ")
    assert says in message
    assert weak not in message


def test_debug_off_takes_rotated_key_lists():
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    rotated = {
        "FIELD_ENCRYPTION_KEY": f"{new},{old}",
        "FIELD_HASH_KEY": f"{secrets.token_urlsafe(32)},{secrets.token_urlsafe(32)}",
    }
    production = settings_from_env(**{**PRODUCTION_SECRETS, **rotated})
    assert production["FIELD_HASH_KEY"] == rotated["FIELD_HASH_KEY"]


@pytest.mark.parametrize(
    ("value", "debug"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False),
     ("no", False), ("OFF", False), ("", False)],
)  # fmt: skip
def test_booleans_are_the_words_people_write(value, debug):
    assert settings_from_env(**PRODUCTION_SECRETS, DJANGO_DEBUG=value)["DEBUG"] is debug


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DJANGO_DEBUG", "fasle"),
        ("STAFF_REQUIRE_2FA", "enabled"),
        ("DJANGO_SECURE_SSL_REDIRECT", "2"),
    ],
)
def test_a_value_that_is_no_boolean_stops_start_up_naming_the_variable(name, value):
    message = refusal(**{**PRODUCTION_SECRETS, "DJANGO_DEBUG": "0", name: value})
    assert message.startswith(f"{name} must be one of 1, true, yes, on or 0, false, no, off")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMISSIONS_SLA_MINUTES", "15m"),
        ("SESSION_COOKIE_AGE", "half an hour"),
        ("EMAIL_PORT", "5 87"),
    ],
)
def test_a_value_that_is_no_number_stops_start_up_naming_the_variable(name, value):
    env = {**PRODUCTION_SECRETS, "EMAIL_HOST": "smtp.example.org", name: value}
    message = refusal(**env)
    assert re.match(rf"{name} must be a whole number \(it is '{value}'\)", message)
