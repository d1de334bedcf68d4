"""Run Django's deployment checks under production settings with throwaway secrets.

Usage: python scripts/check_deploy.py   (make check-deploy)
Exits non-zero when Django reports any warning or error.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def production_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the test suite only
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "www.example.org",
            "SITE_URL": "https://www.example.org",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIELD_HASH_KEY": secrets.token_urlsafe(32),
        }
    )
    return env


def main() -> int:
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.call(command, cwd=ROOT, env=production_env())  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
