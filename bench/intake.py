"""Posting intakes to the running site, as a visitor's browser would.

The form has a CSRF token, a honeypot and a signed fill-time token that must be a
few seconds old, is used once and belongs to the browser (CSRF cookie) it was given
to: `prepare` loads the form (token cookie, hidden fields) for one submission, and
`prepare_many` loads as many as a run will send, ahead of time, so that each has
aged past the minimum fill time; `write_forms` writes them for wrk
(bench/wrk_report.lua), which posts each once. `submit_probe` submits one intake
and reads its reference from the confirmation page, to time the navigator's mail.
Cookies are handled by hand: the site marks them Secure and the bench talks plain
HTTP on loopback.
"""

import http.client
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

FORM_PATH = "/admissions/?from=baclofen"
POST_PATH = "/admissions/"
REFERENCE = re.compile(r"CR-[2-9A-HJ-NP-Z]{6}")
CONTENT_TYPE = "application/x-www-form-urlencoded"
# settings.ADMISSIONS_MIN_FILL_SECONDS on its default: a form sent sooner is shown again.
MIN_FILL_SECONDS = 3


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def _request(port: int, method: str, path: str, *, body: str = "", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        return response, content
    finally:
        connection.close()


@dataclass
class PreparedForm:
    body: str
    cookie: str
    content_type: str = CONTENT_TYPE


def prepare(port: int) -> PreparedForm:
    """Load the form for one submission: its CSRF cookie and hidden fields, and a
    filled-in body."""
    response, content = _request(port, "GET", FORM_PATH, headers={"Host": "127.0.0.1"})
    if response.status != 200:
        raise RuntimeError(f"the intake form answered {response.status}")
    parser = _Inputs()
    parser.feed(content.decode())
    hidden = parser.values
    token = _cookies(response).get("csrftoken")
    if not token or "csrfmiddlewaretoken" not in hidden or "started" not in hidden:
        raise RuntimeError("the intake form has no CSRF token or fill-time token")
    fields = [
        ("csrfmiddlewaretoken", hidden["csrfmiddlewaretoken"]),
        ("started", hidden["started"]),
        ("source", hidden.get("source", "")),
        ("website", ""),
        ("first_name", "Bench"),
        ("phone", "(202) 555-0147"),
        ("who_needs_help", "self"),
        ("best_time", "any"),
        ("voicemail_ok", "yes"),
        ("contact_method", "call"),
        ("email", "bench@example.org"),
        ("state", "NY"),
        ("substances", "alcohol"),
        ("insurance_provider", "Example Health"),
        ("insurance_member_id", "X123456789"),
        ("message", "Evenings are best."),
        ("consent", "on"),
    ]
    return PreparedForm(body=urlencode(fields), cookie=f"csrftoken={token}")


def prepare_many(port: int, count: int, threads: int = 8) -> list[PreparedForm]:
    """Load the form `count` times, as that many browsers would."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda _: prepare(port), range(count)))


def write_forms(path: Path, forms: list[PreparedForm]) -> None:
    """One form a line for wrk: its cookie, a tab, its body (neither holds a tab)."""
    path.write_text("".join(f"{form.cookie}\t{form.body}\n" for form in forms))


def post(port: int, form: PreparedForm) -> tuple[int, str, dict[str, str]]:
    response, _ = _request(
        port,
        "POST",
        POST_PATH,
        body=form.body,
        headers={"Host": "127.0.0.1", "Content-Type": form.content_type, "Cookie": form.cookie},
    )
    return response.status, response.headers.get("Location", ""), _cookies(response)


def check_accepted(port: int, form: PreparedForm) -> None:
    """One post must be accepted (a redirect to the confirmation page), or stop here."""
    status, location, _ = post(port, form)
    if status != 302 or "thanks" not in location:
        raise RuntimeError(
            f"the prepared intake was not accepted (status {status}, to {location!r}); "
            "see the gunicorn log"
        )


def submit_probe(port: int, form: PreparedForm) -> tuple[float, str]:
    """Submit one intake; (monotonic time it was sent, its reference)."""
    sent = time.monotonic()
    status, location, cookies = post(port, form)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"probe intake not accepted (status {status})")
    response, content = _request(
        port,
        "GET",
        location,
        headers={"Host": "127.0.0.1", "Cookie": f"sessionid={cookies['sessionid']}"},
    )
    match = REFERENCE.search(content.decode())
    if response.status != 200 or not match:
        raise RuntimeError("the confirmation page shows no reference")
    return sent, match.group(0)
