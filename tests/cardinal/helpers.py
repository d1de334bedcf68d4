"""The project's settings as a process with a given environment would read them."""

import os
import runpy
from pathlib import Path
from unittest import mock

import cardinal

SETTINGS_FILE = Path(cardinal.__file__).with_name("settings.py")

# Values that satisfy the settings with DJANGO_DEBUG off (none of them a real secret).
PRODUCTION_SECRETS = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "FIELD_ENCRYPTION_KEY": "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=",
    "FIELD_HASH_KEY": "y" * 40,
}


def settings_from_env(**env: str) -> dict:
    """Run cardinal/settings.py afresh, in this process, with `env` as the whole
    environment; return its names. The live settings are left as they are."""
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))
