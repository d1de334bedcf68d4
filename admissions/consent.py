"""The consent wording shown on the intake form, versioned.

A wording, once shown to anyone, never changes: add a new version and point
CURRENT_VERSION at it. Each intake's consent record stores the version and a
hash of the exact text, so we can always show what a person agreed to.
"""

import hashlib
from dataclasses import dataclass

PRIVACY_LINK_TEXT = "privacy notice"


@dataclass(frozen=True)
class ConsentWording:
    version: str
    text: str

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
    ]
}
CURRENT_VERSION = "2026-11"


def current() -> ConsentWording:
    return WORDINGS[CURRENT_VERSION]
