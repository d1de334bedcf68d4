"""Guides by condition: the conditions file, each guide's condition and kind, the
guide list's section and comparison table per condition, the comparison page (the
same table, cited), the per-condition FDA status, related list, emergency box,
structured data and sitemap, and the fingerprint the new fields leave alone."""

import hashlib
import json
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from education import markup
from education.loader import COMPARISON_SECTIONS, read_conditions, required_sections
from education.models import (
    DEFAULT_CONDITION,
    FINGERPRINT_VERSION,
    FINGERPRINTED_FIELDS_V1,
    FINGERPRINTED_SOURCE_FIELDS,
    Condition,
    Guide,
    Source,
)
from education.services import guide_render
from tests.education.conftest import SHIPPED_CONTENT
from tests.education.test_changelog import migrate
from tests.education.test_views import json_ld_graph

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent / "conditions"
COMPARED = "test-use-disorder-medications-compared"
MARK = re.compile(r'<sup class="cite">.*?</sup>')


def load(directory=CONTENT):
    call_command("load_guides", str(directory), stdout=StringIO())


@pytest.fixture
def loaded(db):
    load()


@pytest.fixture
def content(tmp_path):
    """A copy of the test content to edit: edit(name, old, new) changes one file."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT, directory)

    def edit(name, old, new):
        path = directory / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit.directory = directory
    return edit


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def section_of(html, slug):
    """The guide list's section of one condition."""
    start = html.index(f'<section class="condition-section" aria-labelledby="{slug}">')
    return html[start : html.index("</section>", start)]


def table_of(html):
    return html[html.index('<table class="table compare-table"') : html.index("</table>") + 8]


def words(fragment):
    """The text of a fragment, without citation marks or markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", MARK.sub("", fragment)).split())


def table_links(table):
    return re.findall(r'<th scope="row"><a href="/medications/([^/]+)/">', table)


# --- the conditions file and the loader --------------------------------------------


def test_loading_creates_the_conditions_and_a_guide_naming_none_is_for_alcohol_use_disorder(
    loaded,
):
    condition = Condition.objects.get(slug="test-use-disorder")
    assert (condition.name, condition.short_name, condition.order) == (
        "test use disorder",
        "TUD",
        2,
    )
    assert condition.column_fields == [
        "mechanism",
        "where_to_get",
        "how_often",
        "fda_status",
        "key_caution",
        "evidence",
    ]
    assert Guide.objects.get(slug="audmab").condition.slug == "alcohol-use-disorder"
    kinds = dict(Guide.objects.filter(condition=condition).values_list("slug", "kind"))
    assert kinds == {
        "gammamab": "medication",
        "deltamab": "medication",
        "rescuemab": "rescue",
        COMPARED: "comparison",
    }
    gammamab = Guide.objects.get(slug="gammamab")
    assert gammamab.where_to_get == "Any prescriber[^t-guideline]"
    assert gammamab.row_html["where_to_get"] == "Any prescriber"


def test_loading_the_same_conditions_and_guides_again_changes_nothing(loaded):
    before = list(Condition.objects.values_list("slug", "updated_at"))
    guides = list(Guide.objects.values_list("slug", "updated_at", "content_fingerprint"))
    load()
    assert list(Condition.objects.values_list("slug", "updated_at")) == before
    assert list(Guide.objects.values_list("slug", "updated_at", "content_fingerprint")) == guides


def test_a_changed_conditions_file_updates_the_condition_and_its_guides_pages(client, content):
    load(content.directory)
    listing = reverse("education:guide-list")
    etag = client.get(listing)["ETag"]
    content("conditions.toml", "Made-up medicines", "Invented medicines")
    load(content.directory)
    assert Condition.objects.get(slug="test-use-disorder").description.startswith("Invented")
    response = client.get(listing, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Invented medicines" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "guides/gammamab.md",
            'how_often = "Daily, or a monthly shot[^t-label]"\n',
            "",
            "'how_often' is needed: the test use disorder comparison table has a 'How often' "
            "column",
        ),
        (
            "guides/audmab.md",
            'key_caution = "Liver checks"',
            'key_caution = "Liver checks"\nevidence = "It works"',
            "'evidence': the alcohol use disorder comparison table has no such column",
        ),
        (
            "guides/rescuemab.md",
            'kind = "rescue"',
            'kind = "rescue"\nmechanism = "Blocks it"',
            "'mechanism' is a cell of the comparison table, and an overdose-reversal guide has "
            "no row there",
        ),
        (
            "guides/compared.md",
            'kind = "comparison"',
            'kind = "comparison"\nfda_status = "approved"',
            "'fda_status' is a cell of the comparison table, and a comparison page has no row",
        ),
        (
            "guides/compared.md",
            "## The medications side by side",
            "## Side by side",
            "A comparison page needs a '## The medications side by side' section",
        ),
        (
            "guides/gammamab.md",
            'condition = "test-use-disorder"',
            'condition = "no-such-disorder"',
            "condition 'no-such-disorder' is not in",
        ),
        ("guides/gammamab.md", "order = 1", 'order = 1\nkind = "pill"', "'kind' must be one of"),
        (
            "guides/gammamab.md",
            'fda_status = "approved"',
            'fda_status = "maybe"',
            "'fda_status' must be one of approved, off_label",
        ),
        (
            "guides/gammamab.md",
            'evidence = "Fewer deaths in treatment[^t-trial]"',
            f'evidence = "{"x" * 301}"',
            "'evidence' is 301 characters; a table cell holds at most 300",
        ),
        (
            "guides/gammamab.md",
            'evidence = "Fewer deaths in treatment[^t-trial]"',
            'evidence = "Fewer deaths[^no-such-key]"',
            "unknown citation key 'no-such-key'",
        ),
        (
            "conditions.toml",
            '["how_often", "How often"]',
            '["price", "Price"]',
            "column 3: unknown field 'price'",
        ),
        (
            "conditions.toml",
            'emergency_note = "**Give rescuemab',
            'emergency_note = "[^t-label]**Give rescuemab',
            "'emergency_note' cites no source",
        ),
    ],
)
def test_a_guide_or_condition_that_does_not_fit_stops_the_load_with_its_reason(
    content, name, old, new, message
):
    content(name, old, new)
    with pytest.raises(CommandError) as error:
        load(content.directory)
    assert message in str(error.value)
    assert Path(name).name in str(error.value)
    assert not Condition.objects.filter(slug="test-use-disorder").exists()
    assert not Guide.objects.exists()


def test_a_condition_has_one_comparison_page(content):
    second = content.directory / "guides" / "compared-again.md"
    shutil.copy(content.directory / "guides" / "compared.md", second)
    content("guides/compared-again.md", f'slug = "{COMPARED}"', 'slug = "compared-again"')
    with pytest.raises(CommandError, match="is already the comparison page of test use disorder"):
        load(content.directory)


def test_the_admin_form_refuses_a_medication_without_the_cells_of_its_conditions_table(loaded):
    guide = Guide.objects.get(slug="deltamab")
    guide.evidence = ""
    guide.kind = Guide.Kind.MEDICATION
    with pytest.raises(ValidationError) as error:
        guide.full_clean()
    assert "evidence" in error.value.message_dict
    comparison = Guide.objects.get(slug=COMPARED)
    comparison.mechanism = "Works"
    comparison.body = "No table heading.[^t-label]"
    with pytest.raises(ValidationError) as error:
        comparison.full_clean()
    assert set(error.value.message_dict) >= {"mechanism", "body"}


def test_the_shipped_alcohol_use_disorder_entry_is_the_default_condition():
    shipped = {entry.slug: entry for entry in read_conditions(SHIPPED_CONTENT / "conditions.toml")}
    values = dict(shipped["alcohol-use-disorder"].values)
    # Its Spanish texts are the file's own (the migrations made the row before them).
    values.pop("translations")
    assert values == {name: value for name, value in DEFAULT_CONDITION.items() if name != "slug"}
    # The opioid use disorder table compares what the issue lists, in its order.
    assert [name for name, _ in shipped["opioid-use-disorder"].values["columns"]] == [
        "mechanism",
        "where_to_get",
        "how_often",
        "fda_status",
        "key_caution",
        "evidence",
    ]


def test_a_comparison_page_has_its_own_required_sections():
    assert required_sections(Guide.Kind.COMPARISON) == COMPARISON_SECTIONS
    assert required_sections(Guide.Kind.RESCUE) == required_sections(Guide.Kind.MEDICATION)
    body = (CONTENT / "guides" / "compared.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## +(.+?) *$", body, re.MULTILINE)
    assert headings == list(COMPARISON_SECTIONS)


# --- the guide list and the home page ------------------------------------------------


def test_the_guide_list_has_one_section_and_one_table_per_condition(client, loaded):
    html = get(client, reverse("education:guide-list"))
    assert "<h1>Medications for alcohol use disorder and test use disorder</h1>" in html
    alcohol, test = section_of(html, "alcohol-use-disorder"), section_of(html, "test-use-disorder")
    assert '<h2 id="alcohol-use-disorder">Medications for alcohol use disorder</h2>' in alcohol
    assert '<h2 id="test-use-disorder">Medications for test use disorder</h2>' in test
    assert table_links(table_of(alcohol)) == ["audmab"]
    # Only the medications are rows; every guide of the condition is listed.
    assert table_links(table_of(test)) == ["gammamab", "deltamab"]
    for slug in ("gammamab", "deltamab", "rescuemab", COMPARED):
        assert f'href="/medications/{slug}/"' in test and f"/medications/{slug}/" not in alcohol
    headers = re.findall(r'<th scope="col">(.*?)</th>', table_of(test))
    assert headers == [
        "Medication",
        "How it works",
        "Where you get it",
        "How often",
        "FDA status for test use disorder",
        "Key caution",
        "What the research shows",
    ]
    assert re.findall(r'<th scope="col">(.*?)</th>', table_of(alcohol))[1] == (
        "FDA status for alcohol use disorder"
    )
    row = words(table_of(test).split('<th scope="row">')[1])
    assert row == (
        "Gammamab Partly switches the test receptor on Any prescriber Daily, or a monthly shot "
        "FDA-approved Approved in 2002 Dangerous with sedatives Fewer deaths in treatment"
    )
    # No citation mark points at a Sources list this page does not have.
    assert "cite" not in table_of(test) and "[^" not in html
    # The comparison page, with the sources of the cells, is one link away.
    note = test[test.index('id="compare-note-test-use-disorder"') :]
    assert f'<a href="/medications/{COMPARED}/">' in note.split("</p>")[0]


def test_the_guide_list_shows_only_conditions_with_published_guides(client, make_guide):
    Condition.objects.create(slug="empty-disorder", name="empty disorder", description="None.")
    make_guide("alpha")
    html = get(client, reverse("education:guide-list"))
    assert 'id="alcohol-use-disorder"' in html and "empty-disorder" not in html
    assert "<h1>Medications for alcohol use disorder</h1>" in html


def test_the_guide_list_costs_the_same_queries_however_many_guides(
    client, loaded, django_assert_num_queries
):
    # The list's validators, then its guides with their conditions.
    with django_assert_num_queries(2):
        client.get(reverse("education:guide-list"))


def test_the_home_page_links_each_condition_section_and_its_guides(client, loaded):
    html = get(client, "/")
    for slug in ("alcohol-use-disorder", "test-use-disorder"):
        condition = Condition.objects.get(slug=slug)
        assert f'<a href="/medications/#{slug}">{condition.heading}</a>' in html
    for slug in ("audmab", "gammamab", "deltamab", "rescuemab", COMPARED):
        assert f'href="/medications/{slug}/"' in html
    assert "Learn about medications for alcohol use disorder and test use disorder" in html


# --- the comparison page ---------------------------------------------------------------


def test_the_comparison_page_shows_the_table_under_its_heading_with_cited_cells(client, loaded):
    html = get(client, f"/medications/{COMPARED}/")
    body = html[html.index('<div class="guide__body">') :]
    table = table_of(body)
    heading = body.index('<h2 id="the-medications-side-by-side">')
    assert heading < body.index(table) < body.index("Rescuemab is for everyone at risk.")
    assert table_links(table) == ["gammamab", "deltamab"]
    # Numbered by first use in reading order: takeaways, emergency box, body, table, ...
    sources = re.findall(r'<li id="source-([^"]+)"', html)
    assert sources == ["t-guideline", "t-rescue", "t-label", "t-trial"]
    cited = re.findall(r'href="#source-([^"]+)" aria-label="Source (\d+)">\[(\d+)\]', table)
    assert cited and all(sources[int(number) - 1] == key for key, number, _ in cited)
    assert cited[0] == ("t-label", "3", "3")
    research = body[body.index('id="what-the-research-shows"') :]
    assert 'aria-label="Source 4">[4]</a>' in research.split("</p>")[0]


def test_the_list_and_the_comparison_page_show_the_same_table(client, loaded):
    listed = table_of(section_of(get(client, reverse("education:guide-list")), "test-use-disorder"))
    compared = table_of(get(client, f"/medications/{COMPARED}/"))
    assert words(compared) == words(listed)
    assert "Fewer deaths in treatment" in words(compared)


@pytest.mark.parametrize("change", ["edit", "withdraw", "delete"])
def test_a_medications_change_renders_the_comparison_page_again(client, loaded, sign_off, change):
    comparison = Guide.objects.get(slug=COMPARED)
    sign_off(comparison)
    assert comparison.review_state == Guide.ReviewState.VALID
    deltamab = Guide.objects.get(slug="deltamab")
    if change == "edit":
        deltamab.evidence = "Fewer overdoses[^t-trial]"
        deltamab.save()
        guide_render(guide=deltamab)
    elif change == "withdraw":
        deltamab.status = Guide.Status.DRAFT
        deltamab.save()
    else:
        deltamab.delete()
    table = table_of(get(client, f"/medications/{COMPARED}/"))
    listed = table_of(section_of(get(client, reverse("education:guide-list")), "test-use-disorder"))
    if change == "edit":
        assert "Fewer overdoses" in words(table) and "Mixed results" not in words(table)
    else:
        assert table_links(table) == ["gammamab"]
    assert words(table) == words(listed)
    # The review covered the old table: the page no longer claims it.
    comparison.refresh_from_db()
    assert comparison.review_state == Guide.ReviewState.CHANGED


def test_an_unrelated_save_leaves_the_comparison_page_alone(loaded, render_calls):
    audmab = Guide.objects.get(slug="audmab")
    comparison = Guide.objects.get(slug=COMPARED)
    audmab.key_caution = "Liver and kidney checks"
    audmab.save()
    guide_render(guide=audmab)
    assert [call["body"] for call in render_calls] == [audmab.body]
    assert Guide.objects.get(slug=COMPARED).updated_at == comparison.updated_at


# --- the guide page --------------------------------------------------------------------


def test_the_fda_badge_names_the_guides_own_condition(client, loaded):
    def badges(slug):
        html = get(client, f"/medications/{slug}/")
        header = html.split('<header class="guide__header">')[1].split("</header>")[0]
        return re.findall(r'<span class="fda-badge[^"]*">(.*?)</span>', header)

    assert badges("gammamab") == ["FDA-approved for test use disorder"]
    assert badges("deltamab") == ["Off-label for test use disorder"]
    assert badges("audmab") == ["FDA-approved for alcohol use disorder"]
    assert badges("rescuemab") == badges(COMPARED) == []


def test_related_guides_of_the_same_condition_come_first_each_labelled_for_its_own(client, loaded):
    html = get(client, "/medications/gammamab/")
    related = html.split('id="related"', 1)[1].split("</section>", 1)[0]
    items = [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", related)
    ]
    assert items == [
        "Deltamab: off-label for test use disorder",
        "Rescuemab",
        "Medications for test use disorder: compared",
        "Audmab: FDA-approved for alcohol use disorder",
    ]


def test_the_emergency_box_carries_the_conditions_own_step(client, loaded):
    def boxes(slug):
        html = get(client, f"/medications/{slug}/")
        return re.findall(r'<aside class="emergency".*?</aside>', html, re.DOTALL)

    for box in boxes("gammamab") + boxes(COMPARED):
        assert "<h3>Signs of a test overdose</h3>" in box
        assert "<strong>Give rescuemab if you have it</strong>" in box
        assert '<a href="/medications/rescuemab/">How to use rescuemab</a>' in box
        assert 'href="tel:911"' in box and "alcohol-withdrawal" not in box
    for box in boxes("audmab"):
        assert "<h3>If someone took too much audmab</h3>" in box
        assert 'href="/crisis/#alcohol-withdrawal"' in box
        assert "Stopping heavy drinking all at once can be dangerous." in box


def test_json_ld_names_the_condition_beside_the_drug(client, loaded):
    medical = json_ld_graph(get(client, "/medications/gammamab/"))["MedicalWebPage"]
    condition = {"@type": "MedicalCondition", "name": "Test use disorder", "alternateName": "TUD"}
    assert medical["about"] == [{"@type": "Drug", "name": "Gammamab"}, condition]
    alcohol = json_ld_graph(get(client, "/medications/audmab/"))["MedicalWebPage"]
    assert alcohol["about"][1]["name"] == "Alcohol use disorder"
    compared = json_ld_graph(get(client, f"/medications/{COMPARED}/"))["MedicalWebPage"]
    assert compared["about"] == [condition]


def test_the_sitemap_lists_every_published_guide_of_every_condition(client, loaded, settings):
    settings.SITE_URL = "https://cardinal.example"
    Guide.objects.filter(slug="rescuemab").update(status=Guide.Status.DRAFT)
    xml = get(client, "/sitemap.xml")
    for slug in ("audmab", "gammamab", "deltamab", COMPARED):
        assert f"<loc>https://cardinal.example/medications/{slug}/</loc>" in xml
    assert "/medications/rescuemab/" not in xml


# --- what a review covers --------------------------------------------------------------


def _version_one_fingerprint(guide):
    """The fingerprint as version 1 computed it, before conditions existed."""
    keys = {
        key
        for text in (guide.summary, guide.overdose_signs, guide.body)
        for key in markup.cited_keys(text)
    }
    sources = Source.objects.filter(key__in=keys).values(*FINGERPRINTED_SOURCE_FIELDS)
    document = {
        "version": FINGERPRINT_VERSION,
        **{name: getattr(guide, name) for name in FINGERPRINTED_FIELDS_V1},
        "faqs": [],
        "sources": sorted(sources, key=lambda source: source["key"]),
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_an_alcohol_guide_keeps_the_fingerprint_it_had_before_conditions(make_guide):
    guide = make_guide()
    assert guide.content_fingerprint == _version_one_fingerprint(guide)
    # What a reader sees of the new fields does count, once a guide uses them.
    condition = Condition.objects.create(
        slug="test-use-disorder",
        name="test use disorder",
        description="Test.",
        columns=[["fda_status", "FDA"], ["mechanism", "How"], ["key_caution", "Caution"]],
    )
    guide.condition = condition
    guide_render(guide=guide)
    assert guide.content_fingerprint != _version_one_fingerprint(guide)


def test_the_migration_gives_existing_guides_alcohol_use_disorder_and_their_row():
    old = migrate([("education", "0009_guide_changes_and_link_status")])
    OldGuide = old.get_model("education", "Guide")
    OldGuide.objects.create(
        slug="old",
        title="Old",
        medication="Old",
        body="b",
        summary="s",
        mechanism="Blocks *receptors*",
        key_caution="Liver & kidney checks",
        content_fingerprint="before",
    )
    new = migrate([("education", "0011_guide_condition_required")])
    guide = new.get_model("education", "Guide").objects.select_related("condition").get()
    assert guide.condition.slug == "alcohol-use-disorder"
    assert guide.condition.emergency_note_html.startswith("<strong>Stopping heavy drinking")
    assert (guide.kind, guide.content_fingerprint) == ("medication", "before")
    assert guide.row_html == {
        "mechanism": "Blocks <em>receptors</em>",
        "key_caution": "Liver &amp; kidney checks",
    }
    migrate(None)
