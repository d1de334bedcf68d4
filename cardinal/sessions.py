"""Sessions in the database, stored under a hash of their key (SESSION_ENGINE).

The cookie carries the session key; the django_session table holds only a hash
of it, so a copy of the database holds no key a browser could present to take
over a signed-in staff session. The key is random (about 165 bits), so an
unkeyed hash cannot be reversed, and rotating SECRET_KEY signs nobody out.

Sessions stay in the database, the source of truth, rather than in Redis: with
Redis down, a person who sent the intake form still sees its confirmation and
staff stay signed in (tests/integration/test_faults.py).
"""

import hashlib

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone
from django.utils.crypto import get_random_string


def stored_key(session_key: str) -> str:
    """The hash a session is stored under: 40 hex characters, the width of
    django_session.session_key."""
    digest = hashlib.blake2b(session_key.encode(), digest_size=20, person=b"cardinal-session")
    return digest.hexdigest()


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, with every lookup and write by stored_key()."""

    def _get_session_from_db(self):
        try:
            return self.model.objects.get(
                session_key=stored_key(self.session_key or ""), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    async def _aget_session_from_db(self):
        try:
            return await self.model.objects.aget(
                session_key=stored_key(self.session_key or ""), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    def _get_new_session_key(self):
        """A new random key, without asking the database first whether it is taken
        (Django's way: a SELECT for every new session, such as each intake's). The
        insert of a new session fails on a taken key, and create() then draws
        another; at 32 characters of 36 that happens as good as never."""
        return get_random_string(32, VALID_KEY_CHARS)

    def exists(self, session_key):
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key):
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    async def acreate_model_instance(self, data):
        instance = await super().acreate_model_instance(data)
        instance.session_key = stored_key(instance.session_key)
        return instance

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=stored_key(session_key)).delete()

    async def adelete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=stored_key(session_key)).adelete()
