"""The settings the test suite runs on: the project's own (cardinal/settings.py),
with debug on unless the environment says otherwise, as `make run` has it, so the
embedded development keys stand in for the secrets production requires. Django's
test runner still runs every test with DEBUG False. Tests of production settings
read cardinal/settings.py afresh with an environment of their own
(tests/cardinal/helpers.py); child processes run cardinal.settings itself
(tests/harness.py, child_env)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from cardinal.settings import *  # noqa: E402, F403

# The suite runs at any hour: admissions is open around the clock unless a test
# sets hours of its own (tests/admissions/test_schedule.py, the routing tests).
ADMISSIONS_HOURS = "mon-sun 00:00-24:00"

# Making and signing in a staff account hashes its password: the full-strength
# hasher would spend about a quarter of a second on each (tests/hashers.py).
PASSWORD_HASHERS = ["tests.hashers.QuickPBKDF2PasswordHasher"]
