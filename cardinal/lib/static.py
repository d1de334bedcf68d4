"""The production static files storage: whitenoise's compressed, hashed files, with
each file's address worked out once per process."""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The address of a static file (its hashed name under STATIC_URL) is looked up
    in the manifest, split, joined and unquoted on every {% static %}: seven times
    for each guide page rendered. The manifest does not change while a process runs
    (collectstatic writes it before the server starts), so each address is kept
    once found. A name missing from the manifest still raises every time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses: dict[tuple[str, bool], str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        key = (name, settings.DEBUG)  # in debug, Django gives the name unhashed
        address = self._addresses.get(key)
        if address is None:
            address = self._addresses[key] = super().url(name)
        return address
