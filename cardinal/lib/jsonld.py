"""Serialise schema.org data for a <script type="application/ld+json"> block, and
the clinic's own Organization node."""

import json
import re
from urllib.parse import urljoin

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from cardinal.lib.phone import tel_uri

# Each markup character and its JSON escape. str.replace, three times over: translate()
# with a mapping to longer strings takes a slow path, 0.6 ms on a guide's 12 KB.
_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))

ORGANIZATION_NAME = "Cardinal Recovery"
# The organisation's logo (512 x 512) and the picture of a shared link (1200 x 630),
# drawn from static/img/logo.svg by scripts/make_images.py.
LOGO = "img/logo.png"
SHARE_IMAGE = "img/share.png"

# A US address as the footer shows it: "100 Main Street, Suite 2, Springfield, IL 62701".
# The last two parts are the city and "ST 12345" (or ZIP+4); everything before is the
# street address, suite included.
_US_ADDRESS = re.compile(
    r"^\s*(?P<street>.+?)\s*,\s*(?P<locality>[^,]+?)\s*,\s*"
    r"(?P<region>[A-Z]{2})\s+(?P<postal>\d{5}(?:-\d{4})?)\s*$"
)


def json_ld(data: dict | list) -> SafeString:
    """JSON that cannot close the script element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character, escaped in _ESCAPES:
        text = text.replace(character, escaped)
    return mark_safe(text)  # noqa: S308 - markup characters escaped above


def postal_address(text: str) -> dict | str:
    """A schema.org PostalAddress of a US address written "street, city, ST 12345";
    any other text as it is (schema.org takes an address as text too): its parts
    are never guessed."""
    match = _US_ADDRESS.match(text)
    if not match:
        return text.strip()
    return {
        "@type": "PostalAddress",
        "streetAddress": match["street"],
        "addressLocality": match["locality"],
        "addressRegion": match["region"],
        "postalCode": match["postal"],
        "addressCountry": "US",
    }


def site_asset_url(path: str) -> str:
    """The absolute address, on SITE_URL, of a static file (hashed in production)."""
    return urljoin(settings.SITE_URL + "/", static(path))


def clinic_logo() -> dict:
    return {"@type": "ImageObject", "url": site_asset_url(LOGO), "width": 512, "height": 512}


def clinic_organization() -> dict:
    """The clinic as a schema.org MedicalOrganization, from the settings."""
    return {
        "@context": "https://schema.org",
        "@type": "MedicalOrganization",
        "@id": f"{settings.SITE_URL}/#organization",
        "name": ORGANIZATION_NAME,
        "legalName": settings.CLINIC_LEGAL_NAME,
        "url": settings.SITE_URL + "/",
        "logo": clinic_logo(),
        "image": site_asset_url(SHARE_IMAGE),
        "telephone": tel_uri(settings.HELPLINE_PHONE).removeprefix("tel:"),
        "address": postal_address(settings.CLINIC_ADDRESS),
        "medicalSpecialty": "Psychiatric",
        "isAcceptingNewPatients": True,
    }
