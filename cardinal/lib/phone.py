"""Phone numbers: one parser and one validity rule for the intake form, the staff
search and the links the site shows.

A number is one we can call when phonenumbers finds it valid (a real number
range, not only the right length). The form accepts only such numbers, so the
staff search, which must find what the form stored, uses the same rule.
"""

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def phone_e164(text: str, region: str = "US") -> str | None:
    """The number in E.164 form (+12025550147), a national number read as one
    of `region`; None when the text is no valid phone number."""
    number = _parse(text, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_display(e164: str, region: str = "US") -> str:
    """A stored E.164 number as people write it: (202) 555-0147 for a number with
    `region`'s country code, +44 20 7946 0958 for another; the text itself if it
    is none."""
    number = _parse(e164, region)
    if number is None:
        return e164
    if number.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=32)
def tel_uri(number: str, region: str = "US") -> str:
    """A tel: URI in E.164 form for a displayed number."""
    parsed = _parse(number, region)
    if parsed is None:
        digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return f"tel:{digits}"
    return "tel:" + phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
