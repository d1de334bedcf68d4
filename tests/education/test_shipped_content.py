"""The shipped guides as visitors get them: every page renders, is light and is listed."""

import re
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction

from education import markup
from education.loader import body_sections, read_content, required_sections, split_front_matter
from education.models import Guide
from education.readability import grade_level
from tests.education.conftest import SHIPPED_CONTENT
from tests.education.test_conditions import section_of, table_links, table_of
from tests.education.test_views import json_ld_graph

pytestmark = pytest.mark.django_db

# Every test below reads the guides from the content directory, so a new guide is
# checked as soon as its file ships; the catalogue says what must be there.
SHIPPED_GUIDES = {entry.slug: entry for entry in read_content(SHIPPED_CONTENT).guides}
SHIPPED = list(SHIPPED_GUIDES)
# What ships, by condition and kind: a guide lost, renamed or filed under another
# condition or kind fails test_the_shipped_guides_are_the_catalogue.
CATALOGUE = {
    ("alcohol-use-disorder", Guide.Kind.MEDICATION): {
        "baclofen",
        "naltrexone",
        "acamprosate",
        "disulfiram",
        "topiramate",
        "gabapentin",
    },
    ("opioid-use-disorder", Guide.Kind.MEDICATION): {
        "buprenorphine",
        "methadone",
        "naltrexone-opioid-use-disorder",
    },
    ("opioid-use-disorder", Guide.Kind.RESCUE): {"naloxone"},
    ("opioid-use-disorder", Guide.Kind.COMPARISON): {"opioid-use-disorder-medications-compared"},
}
# The structured data's MedicalCondition of each condition, as search engines read it.
MEDICAL_CONDITIONS = {
    "alcohol-use-disorder": {
        "@type": "MedicalCondition",
        "name": "Alcohol use disorder",
        "alternateName": "AUD",
    },
    "opioid-use-disorder": {
        "@type": "MedicalCondition",
        "name": "Opioid use disorder",
        "alternateName": "OUD",
    },
}
PRESCRIBER_QUESTIONS = "Questions to ask your prescriber"
MAX_PAGE_BYTES = 120 * 1024
MIN_SOURCES = 8  # distinct sources on every guide's page (content README)
MAX_BODY_GRADE = 8  # Flesch-Kincaid US grade of a body (manage.py readability)


def slugs_of(condition: str) -> list[str]:
    return [slug for slug in SHIPPED if SHIPPED_GUIDES[slug].values["condition"] == condition]


@pytest.fixture(scope="module")
def _shipped_once(django_db_setup, django_db_blocker):
    """The shipped content loaded once for this module, in a transaction rolled back
    after its last test; each test runs in a savepoint inside it, as in Django's
    setUpTestData, so what one test changes is gone before the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_guides", str(SHIPPED_CONTENT), stdout=None)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def shipped(_shipped_once, db):
    """The shipped guides, sources and conditions, as `manage.py load_guides` loads them."""


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guide_renders_under_the_page_weight_budget(client, shipped, slug):
    response = client.get(f"/medications/{slug}/")
    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'id="sources"' in html and "Medically reviewed by" not in html
    assert f'href="/admissions/?from={slug}"' in html


def test_baclofen_page_carries_its_sources_and_citations(client, shipped):
    html = client.get("/medications/baclofen/").content.decode()
    entries = re.findall(r'<li id="source-([^"]+)"', html)
    assert len(entries) >= 15 and len(set(entries)) == len(entries)
    marks = re.findall(r'<a id="cite-[^"]+" href="#source-([^"]+)"', html)
    assert len(marks) >= 25
    assert set(marks) == set(entries)
    assert "Off-label for alcohol use disorder" in html


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guide_lists_enough_sources_and_every_citation_resolves(client, shipped, slug):
    html = client.get(f"/medications/{slug}/").content.decode()
    entries = re.findall(r'<li id="source-([^"]+)"', html)
    assert len(set(entries)) == len(entries) >= MIN_SOURCES, slug
    marks = re.findall(r'<a id="cite-[^"]+" href="#source-([^"]+)"', html)
    # Each numbered mark leads to a listed source, and each listed source is cited.
    assert set(marks) == set(entries), slug


def test_guide_list_and_sitemap_link_every_shipped_guide(client, shipped):
    listing = client.get("/medications/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    for slug in SHIPPED:
        assert f'href="/medications/{slug}/"' in listing
        assert f"/medications/{slug}/</loc>" in sitemap


def test_the_guide_list_has_each_conditions_section_with_every_guide_of_it(client, shipped):
    listing = client.get("/medications/").content.decode()
    assert "<h1>Medications for alcohol use disorder and opioid use disorder</h1>" in listing
    for condition in MEDICAL_CONDITIONS:
        section = section_of(listing, condition)
        mine = slugs_of(condition)
        for slug in SHIPPED:
            listed = f'href="/medications/{slug}/"' in section
            assert listed == (slug in mine), f"{slug} in the {condition} section: {listed}"
        # Its table has a row for each of its medications, and for nothing else.
        medications = [
            slug for slug in mine if SHIPPED_GUIDES[slug].values["kind"] == Guide.Kind.MEDICATION
        ]
        assert sorted(table_links(table_of(section))) == sorted(medications), condition
    opioids = section_of(listing, "opioid-use-disorder")
    note = opioids[opioids.index('id="compare-note-opioid-use-disorder"') :].split("</p>")[0]
    assert '<a href="/medications/opioid-use-disorder-medications-compared/">' in note


def test_every_shipped_guides_structured_data_names_its_condition(client, shipped):
    for slug in SHIPPED:
        entry = SHIPPED_GUIDES[slug]
        html = client.get(f"/medications/{slug}/").content.decode()
        about = json_ld_graph(html)["MedicalWebPage"]["about"]
        drug = {"@type": "Drug", "name": entry.values["medication"]}
        # A comparison page is about several medicines, so it names only the condition.
        medicines = [] if entry.values["kind"] == Guide.Kind.COMPARISON else [drug]
        assert about == [*medicines, MEDICAL_CONDITIONS[entry.values["condition"]]], slug


QUESTION_ITEM = re.compile(r"^- .+\?$", re.MULTILINE)
REVIEW_KEYS = ("reviewer_name", "reviewer_credentials", "last_reviewed")
# The guides whose kind has the prescriber's questions (a comparison page has not).
ASKING = [
    slug
    for slug in SHIPPED
    if PRESCRIBER_QUESTIONS in required_sections(SHIPPED_GUIDES[slug].values["kind"])
]


def test_the_shipped_guides_are_the_catalogue():
    found = defaultdict(set)
    for slug, entry in SHIPPED_GUIDES.items():
        found[(entry.values["condition"], entry.values["kind"])].add(slug)
    assert dict(found) == CATALOGUE


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guide_has_every_required_section_once_in_order(slug):
    body = SHIPPED_GUIDES[slug].values["body"]
    required = required_sections(SHIPPED_GUIDES[slug].values["kind"])
    headings = re.findall(r"^## +(.+?) *$", body, re.MULTILINE)
    for heading in required:
        assert headings.count(heading) == 1, (
            f"{slug}: '## {heading}' appears {headings.count(heading)} times"
        )
    positions = [headings.index(heading) for heading in required]
    assert positions == sorted(positions), f"{slug}: the required sections are out of order"


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_required_section_of_a_shipped_guide_cites_a_source(slug):
    sections = body_sections(SHIPPED_GUIDES[slug].values["body"])
    for heading in required_sections(SHIPPED_GUIDES[slug].values["kind"]):
        assert markup.cited_keys(sections[heading]), f"{slug}: '## {heading}' cites no source"


@pytest.mark.parametrize("slug", ASKING)
def test_each_shipped_guide_asks_three_to_five_questions_of_the_prescriber(slug):
    questions = body_sections(SHIPPED_GUIDES[slug].values["body"])[PRESCRIBER_QUESTIONS]
    assert 3 <= len(QUESTION_ITEM.findall(questions)) <= 5


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guides_body_reads_at_grade_eight_or_below(slug):
    grade = grade_level(SHIPPED_GUIDES[slug].values["body"])
    assert grade <= MAX_BODY_GRADE, f"{slug}: its body reads at grade {grade}"


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_shipped_guide_has_cited_signs_of_overdose(slug):
    signs = SHIPPED_GUIDES[slug].values["overdose_signs"]
    assert signs and markup.cited_keys(signs), slug


@pytest.mark.parametrize("slug", SHIPPED)
def test_shipped_guides_claim_no_medical_review(slug):
    path = SHIPPED_GUIDES[slug].path
    front_matter, _ = split_front_matter(path.read_text(encoding="utf-8"), path)
    assert not set(REVIEW_KEYS) & set(front_matter), slug
    assert "medically reviewed" not in path.read_text(encoding="utf-8").lower()


LABEL_WARNINGS = {
    "topiramate": [
        "angle-closure glaucoma",
        "blurred vision",
        "cleft lip",
        "kidney stones",
        "metabolic acidosis",
        "suicid",
        "do not stop",
    ],
    "gabapentin": [
        "december 2019",
        "breathing problems",
        "opioid",
        "kidney",
        "suicid",
        "misuse",
        "taper",
    ],
}


@pytest.mark.parametrize("slug", LABEL_WARNINGS)
def test_topiramate_and_gabapentin_carry_their_label_warnings(slug):
    warnings = body_sections(SHIPPED_GUIDES[slug].values["body"])["Serious warnings"].lower()
    for warning in LABEL_WARNINGS[slug]:
        assert warning in warnings, f"{slug}: no '{warning}' in its serious warnings"


def test_emergency_box_with_poison_control_is_on_every_published_guide(client, shipped):
    published = list(Guide.objects.published())
    assert sorted(guide.slug for guide in published) == sorted(SHIPPED)
    for guide in published:
        html = client.get(guide.get_absolute_url()).content.decode()
        boxes = re.findall(r'<aside class="emergency".*?</aside>', html, re.DOTALL)
        assert len(boxes) == 2, guide.slug
        for box in boxes:
            assert ">In an emergency</h2>" in box
            assert 'href="tel:+18002221222"' in box and "1-800-222-1222" in box
            assert 'href="tel:911"' in box and 'href="tel:988"' in box
            assert 'href="/crisis/"' in box
            assert "cannot be woken, has trouble breathing or has a seizure" in box
            # Its condition's step: alcohol withdrawal, or naloxone (conditions.toml).
            note = guide.condition.emergency_note_html
            assert note and f"<li>{note}</li>" in box, guide.slug
            assert '<sup class="cite">' in box, f"{guide.slug}: its signs of overdose are not cited"
        assert html.index(boxes[0]) < html.index('class="guide__body"') < html.index(boxes[1])
        assert html.index(boxes[1]) < html.index('id="faq"')


def test_crisis_page_has_poison_control_and_the_alcohol_withdrawal_section(client):
    html = client.get("/crisis/").content.decode()
    assert 'href="tel:+18002221222"' in html
    assert re.search(r'id="alcohol-withdrawal"[^>]*>\s*<h2[^>]*>Alcohol withdrawal', html)


# The condition is named "alcohol use disorder" in the guides' own words, "AUD" for
# short only in a body that spelled it out first. An older name stays where a
# label's or an approval's own wording is given ("... uses an older name for it,
# alcohol dependence"), and in the titles of sources (sources.toml).
OTHER_NAMES = re.compile(
    r"\b(alcoholism|alcohol addiction|alcohol problems?|drinking problems?"
    r"|alcohol dependence|alcohol-dependent)\b",
    re.IGNORECASE,
)
OLDER_NAME_GIVEN = re.compile(r"[^.]*\bolder name\b[^.]*\balcohol dependence\.", re.IGNORECASE)
ACRONYM = re.compile(r"\bAUD\b")


@pytest.mark.parametrize("slug", SHIPPED)
def test_the_shipped_guides_call_the_condition_alcohol_use_disorder(slug):
    entry = SHIPPED_GUIDES[slug]
    values = entry.values
    shown = [values["title"], values["description"], *entry.texts()]
    shown += [question for question, _ in entry.faqs]
    for text in shown:
        found = OTHER_NAMES.findall(OLDER_NAME_GIVEN.sub("", text))
        assert not found, f"{slug}: {found} in {text[:80]!r}"
    # Text read on its own (title, takeaways, FAQ, overdose signs) spells it out.
    for text in [text for text in shown if text is not values["body"]]:
        assert not ACRONYM.search(text), f"{slug}: AUD unexplained in {text[:80]!r}"
    first = ACRONYM.search(values["body"])
    if first:
        spelled_out = values["body"][: first.end() + 1].lower()
        assert spelled_out.endswith("alcohol use disorder (aud)"), slug
