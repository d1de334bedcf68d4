"""The consent wording shown on the intake form, versioned.

A wording, once shown to anyone, never changes: add a new version and point
CURRENT_VERSION at it. Each intake's consent record stores the version and a
hash of the exact text, so we can always show what a person agreed to.
"""

import hashlib
from dataclasses import dataclass

from django.utils.translation import get_language

PRIVACY_LINK_TEXT = "privacy notice"


@dataclass(frozen=True)
class ConsentWording:
    version: str
    text: str
    language: str = "en"
    # The words of `text` the form links to the privacy notice.
    privacy_link_text: str = PRIVACY_LINK_TEXT

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


WORDINGS = {
    wording.version: wording
    for wording in [
        ConsentWording(
            version="2026-11",
            text=(
                "I agree that Cardinal Recovery may call me and send me text messages at the "
                "phone number I gave, about my request and treatment options. Message and data "
                "rates may apply. I can say stop at any time. Consent is not a condition of "
                "receiving care. Read our privacy notice."
            ),
        ),
        # The Spanish form's wording (/es/admissions/): its own text, version and hash.
        ConsentWording(
            version="2026-12-es",
            language="es",
            privacy_link_text="aviso de privacidad",
            text=(
                "Acepto que Cardinal Recovery me llame y me envíe mensajes de texto al número "
                "de teléfono que di, sobre mi solicitud y las opciones de tratamiento. Pueden "
                "aplicarse tarifas de mensajes y datos. Puedo pedir que dejen de contactarme en "
                "cualquier momento. Dar este permiso no es una condición para recibir atención. "
                "Lea nuestro aviso de privacidad."
            ),
        ),
    ]
}
# The English wording; CURRENT_VERSIONS has the current one of each language.
CURRENT_VERSION = "2026-11"
CURRENT_VERSIONS = {"en": CURRENT_VERSION, "es": "2026-12-es"}


def current() -> ConsentWording:
    """The current wording in the language of the page (English when it has none)."""
    return WORDINGS[CURRENT_VERSIONS.get(get_language() or "en", CURRENT_VERSION)]
