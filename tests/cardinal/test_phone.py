"""The phone number parser the intake form, the staff search and the site's links share."""

import pytest

from cardinal.lib.phone import phone_display, phone_e164, tel_uri


def test_every_way_of_writing_a_number_gives_its_e164_form():
    written = ["(202) 555-0147", "202.555.0147", "202-555-0147", "1 202 555 0147"]
    written += ["+1-202-555-0147", "+1 (202) 555 0147", "  (202) 555-0147  "]
    for typed in written:
        assert phone_e164(typed) == "+12025550147", typed
    assert phone_e164("1-800-662-HELP") == "+18006624357"  # letters of a keypad
    assert phone_e164("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12",
        "555-1234",  # no area code
        "(555) 555-0100",  # the right length, but no such area code
        "+1 011 555 2671",
        "9" * 40,
        "not a phone",
        "+",
    ],
)
def test_anything_but_a_valid_number_is_none(typed):
    assert phone_e164(typed) is None


def test_a_national_number_is_read_as_one_of_the_region_given():
    assert phone_e164("020 7946 0958", region="GB") == "+442079460958"
    assert phone_e164("020 7946 0958") is None  # no such number in the US


def test_display_is_national_within_the_country_code_and_international_outside():
    assert phone_display("+14155552671") == "(415) 555-2671"
    assert phone_display("+14165550123") == "(416) 555-0123"  # Canada shares +1
    assert phone_display("+442079460958") == "+44 20 7946 0958"
    assert phone_display("+442079460958", region="GB") == "020 7946 0958"


def test_display_of_text_that_is_no_number_is_the_text():
    assert phone_display("not a phone") == "not a phone"
    assert phone_display("") == ""


def test_what_the_parser_returns_displays_and_parses_back_to_itself():
    for typed in ("(415) 555-2671", "+44 20 7946 0958", "1-800-662-HELP"):
        e164 = phone_e164(typed)
        assert phone_e164(phone_display(e164)) == e164


def test_tel_uri_is_e164_for_a_number_and_digits_for_anything_else():
    assert tel_uri("(202) 555-0147") == "tel:+12025550147"
    assert tel_uri("1-800-662-4357") == "tel:+18006624357"
    assert tel_uri("988") == "tel:+1988"
    assert tel_uri("*988#") == "tel:988"  # too short to parse: its digits
