"""The About our care page: the clinic's facts from its file, shown only where set and
never invented, linked from every page's footer and the thanks page, in the sitemap;
launch_check names each fact the clinic has not filled in."""

import os
import re
from pathlib import Path

import pytest

from cardinal import care, launch
from tests.admissions.helpers import form_data
from tests.cardinal.test_launch_check import COMPLETE_CARE_FILE, launch_check

pytestmark = pytest.mark.django_db

URL = "/about-our-care/"
SHIPPED_FILE = Path(care.__file__).resolve().parents[1] / "clinic" / "about-our-care.toml"
# The complete file's facts, as the page should show them.
COMPLETE_FACTS = care.care_parse(COMPLETE_CARE_FILE.read_text(), COMPLETE_CARE_FILE)


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words, without tags, on single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def care_file(settings, tmp_path):
    """Write a care file with this text and make it the clinic's."""

    def write(text: str) -> Path:
        path = tmp_path / "about-our-care.toml"
        path.write_text(text)
        settings.CLINIC_CARE_FILE = path
        return path

    return write


@pytest.fixture
def complete(settings):
    settings.CLINIC_CARE_FILE = COMPLETE_CARE_FILE


# --- The page --------------------------------------------------------------------------


def test_the_page_shows_every_fact_the_clinic_filled_in(client, complete, settings):
    settings.CLINIC_ADDRESS = "1200 K Street NW, Suite 400, Washington, DC 20005"
    html = page(client)
    words = text_of(main_of(html))

    for level in ("Outpatient.", "Intensive outpatient.", "Medication treatment."):
        assert level in words
    assert "Residential" not in words and "detox" not in words  # not offered
    assert "We treat adults aged 18 and over" in words
    assert (
        "Licensed by the District of Columbia Department of Behavioral Health, "
        "license number DBH-SUD-0427." in words
    )
    assert 'href="https://licensing.dbh.dc.gov/lookup?license=DBH-SUD-0427"' in html
    assert (
        "Accredited by CARF International (Outpatient Treatment: Alcohol and Other Drugs)." in words
    )
    assert 'href="https://carf.org/find-provider/"' in html
    assert "<address>" in html and "1200 K Street NW, Suite 400, Washington, DC 20005" in words
    assert "Two blocks from McPherson Square station." in words
    assert re.findall(r"<li>([^<]+)</li>", html[html.index("data-insurance") :])[:3] == [
        "DC Medicaid",
        "Medicare",
        "CareFirst BlueCross BlueShield",
    ]
    # A blank line in the file's text starts a new paragraph.
    assert "<p>An assessment without insurance costs $150.</p>" in html
    assert "<p>Intensive outpatient care costs $95 a session.</p>" in html
    assert "A sliding scale by household income" in words
    assert "A counselor meets you in person or by video" in words
    for answer in COMPLETE_FACTS.answers:
        assert answer.text and answer.text in words
    assert care.ASK_ON_THE_CALL not in words
    assert "not published" not in words and "data-unpublished" not in html


def test_each_navigator_question_is_a_heading_with_its_answer_under_it(client, complete):
    html = page(client)
    for answer in COMPLETE_FACTS.answers:
        heading = f'<h3 id="question-{answer.key}">{answer.question}</h3>'
        assert heading in html
        after = html[html.index(heading) + len(heading) :]
        assert text_of(after).startswith(answer.text)


def test_the_questions_cite_the_navigator_page_they_come_from(client):
    html = page(client)
    assert f'<a href="{care.NAVIGATOR_QUESTIONS_URL}">' in html
    assert f"“{care.NAVIGATOR_QUESTIONS_TITLE}”" in html
    assert "National Institute on Alcohol Abuse and Alcoholism (NIAAA)" in html
    assert len(care.QUESTIONS) == 10


def test_on_the_shipped_file_nothing_is_invented(client, settings):
    assert settings.CLINIC_CARE_FILE == SHIPPED_FILE
    html = page(client)
    main = main_of(html)
    words = text_of(main)

    # No license or accreditation is shown: the page says they are not published.
    assert "data-license" not in main and "data-accreditation" not in main
    assert "Licensed by" not in words and "Accredited" not in words
    assert "We have not published our license details here yet." in words
    for fact in ("levels", "license", "insurance", "self-pay", "assessment"):
        assert f'data-unpublished="{fact}"' in main
    for name, _ in care.LEVELS.values():
        assert f"{name}." not in words
    assert "We accept" not in words and "Without insurance" not in words
    # Every question is there, answered only with "ask us".
    for key, question in care.QUESTIONS.items():
        assert question in words
        assert f'<p data-unanswered="{key}">{care.ASK_ON_THE_CALL}</p>' in main


def test_the_shipped_file_sets_no_fact():
    facts = care.care_parse(SHIPPED_FILE.read_text(), SHIPPED_FILE)
    assert facts.levels == () and facts.levels_notes == ""
    assert facts.license == care.License("", "", "")
    assert facts.accreditations == () and facts.no_accreditation is False
    assert facts.directions == "" and facts.insurance_accepted == ()
    assert facts.self_pay == facts.financial_help == facts.assessment == ""
    assert [answer.text for answer in facts.answers] == [""] * len(care.QUESTIONS)
    # Its comments ask each question the page asks, for the clinic answering it.
    text = SHIPPED_FILE.read_text()
    comments = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    for question in care.QUESTIONS.values():
        assert question in comments


def test_accreditation_stays_off_the_page_when_the_clinic_holds_none(client, care_file):
    care_file('[license]\nnumber = "L-1"\nissued_by = "the State Health Department"\n'
              "[accreditation]\nnone = true\n")  # fmt: skip
    main = main_of(page(client))
    assert "Licensed by the State Health Department, license number L-1." in text_of(main)
    assert "data-accreditation" not in main and "Accredited" not in main
    assert "cardinal.L013" not in {problem.id for problem in launch.about_our_care()}


def test_a_license_number_without_its_issuer_is_not_shown(client, care_file):
    care_file('[license]\nnumber = "L-1"\n')
    html = main_of(page(client))
    assert "L-1" not in html and 'data-unpublished="license"' in html
    [problem] = [problem for problem in launch.about_our_care() if problem.id == "cardinal.L012"]
    assert "which state agency issued the license" in problem.msg
    assert "[license] issued_by" in problem.hint


def test_an_edited_file_shows_on_the_next_request(client, care_file):
    path = care_file('[answers]\navailability = "Yes, this week."\n')
    assert "Yes, this week." in page(client)
    before = path.stat().st_mtime_ns
    path.write_text('[answers]\navailability = "Not until June."\n')  # the same length
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a second later, whatever the clock
    html = page(client)
    assert "Not until June." in html and "Yes, this week." not in html


def test_the_page_has_its_canonical_address_and_description(client, settings):
    settings.SITE_URL = "https://care.cardinal-recovery.org"
    html = page(client)
    canonical = "https://care.cardinal-recovery.org/about-our-care/"
    assert f'<link rel="canonical" href="{canonical}">' in html
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    assert "levels of care" in description and "insurance and cost" in description
    assert "<title>About our care | Cardinal Recovery</title>" in html
    assert html.count("<h1") == 1


def test_the_page_says_when_navigators_call_back(client, settings):
    settings.ADMISSIONS_HOURS = "mon-fri 09:00-17:00"
    settings.ADMISSIONS_CALLBACK_MINUTES = 10
    words = text_of(main_of(page(client)))
    assert "Navigators call back Monday to Friday, 9 am to 5 pm, Eastern Time" in words
    assert "within 10 minutes when one is free" in words
    assert "arrange a free clinical assessment" in words


# --- Links to it ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/privacy/", "/crisis/", "/admissions/", URL])
def test_every_page_links_to_it_from_the_footer(client, url):
    html = client.get(url).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'<a href="{URL}">About our care</a>' in footer


def test_the_thanks_page_links_to_it(client, navigator):
    client.post("/admissions/", form_data(client, best_time="any"))
    html = client.get("/admissions/thanks/").content.decode()
    main = main_of(html)
    assert f'<a href="{URL}">about our care</a>' in main


def test_the_sitemap_lists_it_on_the_public_address(client, settings):
    settings.SITE_URL = "https://care.cardinal-recovery.org"
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>https://care.cardinal-recovery.org{URL}</loc>" in sitemap


# --- A file the page cannot use -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[licence]\nnumber = "1"\n', "unknown table [licence]"),
        ('[license]\nnumbr = "1"\n', "unknown key 'numbr' in [license]"),
        ('[levels]\noffered = ["rehab"]\n', '"rehab", which is not a level of care'),
        ("[levels]\noffered = 3\n", "[levels] offered must be a list"),
        ("[answers]\ncost = 150\n", "[answers] cost must be text in quotes"),
        ('[license]\nverify_url = "javascript:alert(1)"\n', "must be a web address"),
        ('[accreditation]\nnone = true\n[[accreditation.body]]\nname = "CARF"\n', "none = true"),
        ("[answers\n", "not valid TOML"),
    ],
)
def test_a_file_it_cannot_use_is_reported_naming_what_to_correct(care_file, text, named):
    path = care_file(text)
    with pytest.raises(care.CareFileError, match=re.escape(named)):
        care.care_current()
    [problem] = launch.about_our_care()
    assert problem.id == "cardinal.L010"
    assert str(path) in problem.msg and named in problem.msg


def test_a_missing_file_is_reported_by_its_setting(settings, tmp_path):
    settings.CLINIC_CARE_FILE = tmp_path / "nowhere.toml"
    [problem] = launch.about_our_care()
    assert problem.id == "cardinal.L010"
    assert "CLINIC_CARE_FILE" in problem.msg and "nowhere.toml" in problem.msg


# --- launch_check -----------------------------------------------------------------------


def test_launch_check_names_each_missing_fact_of_the_shipped_file_and_where_it_goes():
    status, output = launch_check()
    assert status == 1
    lines = [line for line in output.splitlines() if "About our care" in line]
    expected = [
        ("cardinal.L011", "which levels of care the clinic offers", "[levels] offered"),
        ("cardinal.L012", "the license number", "[license] number"),
        ("cardinal.L012", "which state agency issued the license", "[license] issued_by"),
        (
            "cardinal.L013",
            "whether the clinic is accredited, and by whom",
            "[[accreditation.body]] (one per accrediting body) or none = true under "
            "[accreditation]",
        ),
        ("cardinal.L014", "which insurance the clinic accepts", "[insurance] accepted"),
        ("cardinal.L014", "what treatment costs without insurance", "[insurance] self_pay"),
        ("cardinal.L015", "how the assessment after the call works", "[after_the_call] assessment"),
        *(
            ("cardinal.L016", question, f"[answers] {key}")
            for key, question in care.QUESTIONS.items()
        ),
    ]
    assert len(lines) == len(expected)
    for line, (check_id, what, where) in zip(lines, expected, strict=True):
        assert line.startswith(f"{check_id}: The About our care page does not say ")
        assert what in line
        assert line.endswith(f" yet. Fill in {where} in clinic/about-our-care.toml.")


def test_launch_check_finds_nothing_missing_in_a_complete_file(complete):
    assert launch.about_our_care() == []
