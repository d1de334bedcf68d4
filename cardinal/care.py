"""About our care: what the clinic publishes about its care, from the file it fills in.

The "About our care" page (/about-our-care/) answers what a family checks before
calling a treatment program, as NIAAA's Alcohol Treatment Navigator advises: the
levels of care, the license and accreditation, the location, insurance and cost,
what happens after the call, and the Navigator's questions to ask a provider, each
with the clinic's answer.

The facts come from one TOML file the clinic edits, CLINIC_CARE_FILE (shipped as
clinic/about-our-care.toml, every fact empty), and the address from
CLINIC_ADDRESS. Nothing is made up: an empty fact is shown as not yet published
(or, for accreditation, not at all), and `missing()` names each one for
launch_check (cardinal/launch.py), so the page and the check never disagree about
what is missing. The file is read strictly: an unknown key, a wrong type or a
link that is not http(s) stops with CareFileError naming the file and the key.
"""

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_noop

# Where the questions come from (cited on the page).
NAVIGATOR_QUESTIONS_TITLE = "10 Questions to Ask Alcohol Treatment Programs"
NAVIGATOR_QUESTIONS_URL = (
    "https://alcoholtreatment.niaaa.nih.gov/how-to-find-alcohol-treatment/"
    "10-questions-for-alcohol-treatment-programs"
)
NAVIGATOR_URL = "https://alcoholtreatment.niaaa.nih.gov/"

# The levels of care a clinic may list under [levels] offered: key -> (name, what it is).
LEVELS = {
    "withdrawal-management": (
        "Medically supervised withdrawal (detox)",
        "Doctors and nurses help a person stop drinking or using safely, and watch for "
        "dangerous withdrawal.",
    ),
    "inpatient": (
        "Inpatient care",
        "Care in a hospital setting around the clock, for people whose health needs close "
        "medical watch.",
    ),
    "residential": (
        "Residential treatment",
        "Living at the treatment center for a time, with therapy every day and staff on hand "
        "day and night.",
    ),
    "partial-hospitalization": (
        "Partial hospitalization (day treatment)",
        "Treatment for most of the day, several days a week, going home each evening.",
    ),
    "intensive-outpatient": (
        "Intensive outpatient",
        "Several sessions a week, often in the evening, while living at home and keeping up "
        "with work or school.",
    ),
    "outpatient": (
        "Outpatient",
        "Regular appointments, usually once or twice a week, with a therapist or a doctor.",
    ),
    "medication-treatment": (
        "Medication treatment",
        "A prescriber starts and follows up medications for alcohol or opioid use disorder, "
        "alongside counseling.",
    ),
}

# Questions to ask a provider, in our own words, after the Navigator's advice (its
# first two, availability and cost, follow its page; the others cover the signs of
# quality care it describes); the clinic answers each under [answers] with the key.
QUESTIONS = {
    "availability": "Are you taking new patients, and how soon could treatment begin?",
    "cost": "What will treatment cost, and how much of it will insurance pay?",
    "credentials": (
        "What training and licenses do your clinicians have, and is the program licensed "
        "and accredited?"
    ),
    "assessment": (
        "How do you assess a new patient before treatment is planned: drinking and other "
        "drug use, physical and mental health, home, work and family?"
    ),
    "treatment_plan": "Is the treatment plan made for this person, and how often is it reviewed?",
    "therapies": "Which talk therapies do you use, and does research show that they work?",
    "medications": (
        "Do you offer the medications approved for alcohol use disorder, and who prescribes them?"
    ),
    "relapse": "What happens if the person drinks or uses again during treatment?",
    "family": "How can family members take part, and what support is there for them?",
    "after_treatment": "What support is there once treatment ends?",
}

ASK_ON_THE_CALL = gettext_noop("Ask us on the call.")  # translated where shown

# Every key the file may have, by table; True marks the facts launch_check asks for.
SCHEMA: dict[str, dict[str, bool]] = {
    "levels": {"offered": True, "notes": False},
    "license": {"number": True, "issued_by": True, "verify_url": False},
    "accreditation": {"none": False, "body": False},
    "location": {"directions": False},
    "insurance": {"accepted": True, "self_pay": True, "financial_help": False},
    "after_the_call": {"assessment": True},
    "answers": dict.fromkeys(QUESTIONS, True),
}
BODY_KEYS = ("name", "program", "verify_url")


class CareFileError(Exception):
    """The clinic's file cannot be read or holds something it should not; the
    message names the file and the key."""


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class License:
    number: str
    issued_by: str
    verify_url: str

    @property
    def published(self) -> bool:
        return bool(self.number and self.issued_by)


@dataclass(frozen=True)
class Accreditation:
    name: str
    program: str
    verify_url: str


@dataclass(frozen=True)
class Answer:
    key: str
    question: str
    text: str  # "" while the clinic has not answered


@dataclass(frozen=True)
class Missing:
    """A fact the clinic has not filled in: the launch check's id, what it is,
    and where in the file it goes."""

    check_id: str
    what: str
    where: str


@dataclass(frozen=True)
class CareFacts:
    path: Path
    levels: tuple[Level, ...]
    levels_notes: str
    license: License
    accreditations: tuple[Accreditation, ...]
    no_accreditation: bool  # the clinic says it holds none
    directions: str
    insurance_accepted: tuple[str, ...]
    self_pay: str
    financial_help: str
    assessment: str
    answers: tuple[Answer, ...]

    def missing(self) -> list[Missing]:
        """Each fact the page cannot show yet, in the page's order."""
        facts = [
            (self.levels, "L011", "which levels of care the clinic offers", "[levels] offered"),
            (self.license.number, "L012", "the license number", "[license] number"),
            (
                self.license.issued_by,
                "L012",
                "which state agency issued the license",
                "[license] issued_by",
            ),
            (
                self.accreditations or self.no_accreditation,
                "L013",
                "whether the clinic is accredited, and by whom",
                "[[accreditation.body]] (one per accrediting body) or none = true under "
                "[accreditation]",
            ),
            (
                self.insurance_accepted,
                "L014",
                "which insurance the clinic accepts",
                "[insurance] accepted",
            ),
            (
                self.self_pay,
                "L014",
                "what treatment costs without insurance",
                "[insurance] self_pay",
            ),
            (
                self.assessment,
                "L015",
                "how the assessment after the call works",
                "[after_the_call] assessment",
            ),
            *(
                (
                    answer.text,
                    "L016",
                    f'the clinic\'s answer to "{answer.question}"',
                    f"[answers] {answer.key}",
                )
                for answer in self.answers
            ),
        ]
        return [
            Missing(f"cardinal.{check}", what, where)
            for present, check, what, where in facts
            if not present
        ]


def _text(value, path: Path, where: str) -> str:
    if not isinstance(value, str):
        raise CareFileError(f"{path}: {where} must be text in quotes, not {value!r}")
    return value.strip()


def _texts(value, path: Path, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CareFileError(f'{path}: {where} must be a list, e.g. ["one", "two"]')
    items = tuple(_text(item, path, where) for item in value)
    return tuple(item for item in items if item)


def _link(value, path: Path, where: str) -> str:
    url = _text(value, path, where)
    parts = urlsplit(url)
    if url and (parts.scheme not in {"https", "http"} or not parts.netloc):
        raise CareFileError(f'{path}: {where} must be a web address starting https://, not "{url}"')
    return url


def _tables(data: dict, path: Path) -> dict[str, dict]:
    """The file's tables, each checked for unknown keys; absent tables are empty."""
    for name in data:
        if name not in SCHEMA:
            raise CareFileError(
                f"{path}: unknown table [{name}]; the tables are "
                + ", ".join(f"[{known}]" for known in SCHEMA)
            )
    tables = {}
    for name, keys in SCHEMA.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise CareFileError(f"{path}: {name} must be a table, [{name}]")
        for key in table:
            if key not in keys:
                raise CareFileError(
                    f"{path}: unknown key {key!r} in [{name}]; its keys are " + ", ".join(keys)
                )
        tables[name] = table
    return tables


def _levels(value, path: Path) -> tuple[Level, ...]:
    keys = _texts(value, path, "[levels] offered")
    for key in keys:
        if key not in LEVELS:
            raise CareFileError(
                f'{path}: [levels] offered lists "{key}", which is not a level of care; '
                "the levels are " + ", ".join(LEVELS)
            )
    return tuple(Level(key, *LEVELS[key]) for key in LEVELS if key in keys)


def _accreditations(table: dict, path: Path) -> tuple[tuple[Accreditation, ...], bool]:
    none = table.get("none", False)
    if not isinstance(none, bool):
        raise CareFileError(f"{path}: [accreditation] none must be true or false")
    bodies = table.get("body", [])
    if not isinstance(bodies, list) or not all(isinstance(body, dict) for body in bodies):
        raise CareFileError(f"{path}: write each accrediting body as an [[accreditation.body]]")
    found = []
    for body in bodies:
        for key in body:
            if key not in BODY_KEYS:
                raise CareFileError(
                    f"{path}: unknown key {key!r} in [[accreditation.body]]; its keys are "
                    + ", ".join(BODY_KEYS)
                )
        name = _text(body.get("name", ""), path, "[[accreditation.body]] name")
        if not name:
            raise CareFileError(f"{path}: an [[accreditation.body]] has no name")
        found.append(
            Accreditation(
                name=name,
                program=_text(body.get("program", ""), path, "[[accreditation.body]] program"),
                verify_url=_link(
                    body.get("verify_url", ""), path, "[[accreditation.body]] verify_url"
                ),
            )
        )
    if none and found:
        raise CareFileError(
            f"{path}: [accreditation] says none = true but lists an accrediting body"
        )
    return tuple(found), none


def care_parse(text: str, path: Path) -> CareFacts:
    """The facts of the file's text; CareFileError names what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CareFileError(f"{path}: not valid TOML: {error}") from None
    tables = _tables(data, path)
    levels, license_, insurance = tables["levels"], tables["license"], tables["insurance"]
    accreditations, none = _accreditations(tables["accreditation"], path)
    answers = tables["answers"]
    return CareFacts(
        path=path,
        levels=_levels(levels.get("offered", []), path),
        levels_notes=_text(levels.get("notes", ""), path, "[levels] notes"),
        license=License(
            number=_text(license_.get("number", ""), path, "[license] number"),
            issued_by=_text(license_.get("issued_by", ""), path, "[license] issued_by"),
            verify_url=_link(license_.get("verify_url", ""), path, "[license] verify_url"),
        ),
        accreditations=accreditations,
        no_accreditation=none,
        directions=_text(tables["location"].get("directions", ""), path, "[location] directions"),
        insurance_accepted=_texts(insurance.get("accepted", []), path, "[insurance] accepted"),
        self_pay=_text(insurance.get("self_pay", ""), path, "[insurance] self_pay"),
        financial_help=_text(
            insurance.get("financial_help", ""), path, "[insurance] financial_help"
        ),
        assessment=_text(
            tables["after_the_call"].get("assessment", ""), path, "[after_the_call] assessment"
        ),
        answers=tuple(
            Answer(key, question, _text(answers.get(key, ""), path, f"[answers] {key}"))
            for key, question in QUESTIONS.items()
        ),
    )


@functools.lru_cache(maxsize=8)
def _read(path: Path, modified_ns: int, size: int) -> CareFacts:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CareFileError(f"CLINIC_CARE_FILE {path} cannot be read ({error})") from None
    return care_parse(text, path)


def care_current() -> CareFacts:
    """The facts of CLINIC_CARE_FILE as it is now (read again once its time or size
    changes)."""
    path = Path(settings.CLINIC_CARE_FILE)
    try:
        stat = path.stat()
    except OSError as error:
        raise CareFileError(
            f"CLINIC_CARE_FILE {path} cannot be read ({error.strerror or error})"
        ) from None
    return _read(path, stat.st_mtime_ns, stat.st_size)
