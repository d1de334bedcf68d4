"""The project's settings as a process with a given environment would read them."""

import os
import runpy
import secrets
from pathlib import Path
from unittest import mock

from cryptography.fernet import Fernet

import cardinal

SETTINGS_FILE = Path(cardinal.__file__).with_name("settings.py")

# Values that satisfy the settings with DJANGO_DEBUG off, made afresh for each run.
PRODUCTION_SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "FIELD_HASH_KEY": secrets.token_urlsafe(32),
}


def settings_from_env(**env: str) -> dict:
    """Run cardinal/settings.py afresh, in this process, with `env` as the whole
    environment; return its names. The live settings are left as they are."""
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))
