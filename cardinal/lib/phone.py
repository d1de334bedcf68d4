"""Phone number helpers shared by the site chrome and the intake form."""

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=32)
def tel_uri(number: str, region: str = "US") -> str:
    """A tel: URI in E.164 form for a displayed number."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return f"tel:{digits}"
    return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
