"""Template context shared by every page. Reads settings only: no database."""

from django.conf import settings

from cardinal.lib.jsonld import SHARE_IMAGE, site_asset_url
from cardinal.lib.phone import tel_uri

SAMHSA_HELPLINE = "1-800-662-4357"


def site(request=None) -> dict:
    return {
        "HELPLINE_PHONE": settings.HELPLINE_PHONE,
        "HELPLINE_TEL": tel_uri(settings.HELPLINE_PHONE),
        "CLINIC_LEGAL_NAME": settings.CLINIC_LEGAL_NAME,
        "CLINIC_ADDRESS": settings.CLINIC_ADDRESS,
        "SITE_URL": settings.SITE_URL,
        "SHARE_IMAGE_URL": site_asset_url(SHARE_IMAGE),
        "SAMHSA_HELPLINE": SAMHSA_HELPLINE,
        "SAMHSA_TEL": tel_uri(SAMHSA_HELPLINE),
    }
