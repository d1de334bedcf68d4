"""Markdown rendering: anchors, table of contents, citation numbering, sanitising."""

import re

from django.utils.text import slugify

from education.markup import RESERVED_IDS, Anchors, render_guide, sanitise

KNOWN = {"a", "b", "c"}


def render(summary=(), body="", faqs=(), known=KNOWN):
    return render_guide(summary=list(summary), body=body, faq_answers=list(faqs), known_keys=known)


def test_level_two_headings_get_ids_from_their_text_and_build_the_toc():
    result = render(body="## What it *is*\n\nText.\n\n### Detail\n\n## Side effects & safety\n")
    assert '<h2 id="what-it-is">What it <em>is</em></h2>' in result.body_html
    assert '<h3 id="detail">Detail</h3>' in result.body_html
    assert result.toc == [
        {"id": "what-it-is", "text": "What it is"},
        {"id": "side-effects-safety", "text": "Side effects & safety"},
    ]


def test_repeated_and_reserved_heading_ids_are_made_unique():
    result = render(body="## Dosing\n\n## Dosing\n\n## Sources\n\n## FAQ\n")
    ids = [entry["id"] for entry in result.toc]
    assert ids == ["dosing", "dosing-2", "sources-2", "faq-2"]


def first_free_id(text, taken):
    """The heading id rule as first written: try base, base-2, base-3... in turn."""
    base = slugify(text) or "section"
    anchor, suffix = base, 2
    while anchor in taken:
        anchor, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(anchor)
    return anchor


def heading_ids(html):
    return re.findall(r'<h[23] id="([^"]+)"', html)


def test_heading_ids_are_those_of_the_first_free_suffix_rule():
    # Repeats, headings whose text already ends in a suffix, reserved ids, symbols only.
    texts = [
        "Dosing", "Dosing", "Dosing 3", "Dosing", "Dosing 2", "Dosing", "Sources",
        "Sources 2", "Sources", "FAQ", "!!", "??", "Section", "Dosing 3 2", "Dosing 3",
    ]  # fmt: skip
    body = "".join(f"{'#' * (2 + n % 2)} {text}\n\n" for n, text in enumerate(texts))
    taken = set(RESERVED_IDS)
    expected = [first_free_id(text, taken) for text in texts]
    assert heading_ids(render(body=body).body_html) == expected
    assert expected[:6] == ["dosing", "dosing-2", "dosing-3", "dosing-4", "dosing-2-2", "dosing-5"]


def test_ids_stay_unique_across_summary_body_and_faq_answers():
    result = render(body="## Dosing\n\n## Dosing\n", faqs=["## Dosing\n\nText."])
    assert heading_ids(result.body_html + result.faq_html[0]) == ["dosing", "dosing-2", "dosing-3"]


def test_a_heading_repeated_sixteen_thousand_times_gets_as_many_distinct_ids():
    for body in ("# a\n" * 16000, "## a\n" * 16000):
        result = render(body=body)
        ids = heading_ids(result.body_html)
        assert len(ids) == len(set(ids)) == 16000
        assert ids[:3] == ["a", "a-2", "a-3"] and ids[-1] == "a-16000"
        assert [entry["id"] for entry in result.toc] == ids
        assert "<h1" not in result.body_html


class CountingSet(set):
    lookups = 0

    def __contains__(self, item):
        CountingSet.lookups += 1
        return super().__contains__(item)


def test_naming_repeated_headings_looks_up_each_id_a_bounded_number_of_times():
    # The rule as first written looked up 1 + 2 + ... + n ids for n repeats.
    anchors = Anchors()
    anchors.used = CountingSet(anchors.used)
    CountingSet.lookups = 0
    claimed = [anchors.claim("a") for _ in range(5000)] + [anchors.claim("a-7")]
    assert claimed[:3] == ["a", "a-2", "a-3"] and claimed[-1] == "a-7-2"
    assert len(set(claimed)) == 5001
    assert CountingSet.lookups <= 3 * 5001


def test_heading_ids_stay_the_same_when_other_text_changes():
    first = render(body="## Stopping safely\n\nOld text.").toc
    second = render(body="Intro added.\n\n## Stopping safely\n\nNew text.").toc
    assert first == second == [{"id": "stopping-safely", "text": "Stopping safely"}]


def test_level_one_heading_in_the_body_becomes_level_two():
    result = render(body="# Big title\n")
    assert "<h1" not in result.body_html
    assert '<h2 id="big-title">Big title</h2>' in result.body_html


def test_citations_are_numbered_by_first_use_across_summary_body_and_faq():
    result = render(
        summary=["First claim.[^b]"],
        body="Body claim.[^a][^b]",
        faqs=["Answer.[^c][^a]"],
    )
    assert result.cited_keys == ["b", "a", "c"]
    assert 'href="#source-b" aria-label="Source 1">[1]</a>' in result.summary_html[0]
    assert 'href="#source-a" aria-label="Source 2">[2]</a>' in result.body_html
    assert 'href="#source-c" aria-label="Source 3">[3]</a>' in result.faq_html[0]


def test_each_citation_has_its_own_anchor_and_the_first_is_the_back_link_target():
    result = render(summary=["One.[^a]"], body="Two.[^a] Three.[^a]")
    ids = re.findall(r'id="(cite-[^"]+)"', "".join(result.summary_html) + result.body_html)
    assert ids == ["cite-a", "cite-a-2", "cite-a-3"]
    assert result.body_html.count("[1]") == 2


def test_unknown_citation_key_is_reported_not_linked():
    result = render(body="Claim.[^a][^nosuch] Again.[^nosuch]")
    assert result.unknown_keys == ["nosuch"]
    assert "#source-nosuch" not in result.body_html
    assert result.cited_keys == ["a"]


def test_unused_source_is_not_numbered():
    result = render(body="Claim.[^a]", known={"a", "b"})
    assert result.cited_keys == ["a"]


def test_citation_key_inside_code_is_left_as_text():
    result = render(body="Write `[^a]` to cite.")
    assert "<code>[^a]</code>" in result.body_html
    assert result.cited_keys == []


def test_script_in_markdown_never_reaches_the_page():
    body = (
        "Hello <script>alert('x')</script>\n\n"
        '<img src=x onerror="alert(1)">\n\n'
        "[click](javascript:alert(1))\n"
    )
    result = render(body=body, faqs=["<script>steal()</script>"])
    page = result.body_html + result.faq_html[0]
    assert "<script" not in page
    assert "<img" not in page
    assert 'href="javascript' not in page


def test_sanitiser_keeps_generated_markup_and_drops_anything_else():
    dirty = (
        '<h2 id="x" onclick="evil()">T</h2><script>evil()</script>'
        '<a href="javascript:evil()" style="color:red">x</a><iframe src="//evil"></iframe>'
        '<sup class="cite other">'
        '<a id="cite-a" href="#source-a" aria-label="Source 1">[1]</a></sup>'
    )
    clean = sanitise(dirty)
    assert '<h2 id="x">T</h2>' in clean
    assert "evil" not in clean and "iframe" not in clean and "style" not in clean
    assert '<sup class="cite"><a id="cite-a" href="#source-a" aria-label="Source 1">' in clean


def test_tables_render_without_inline_styles():
    result = render(body="| Dose | Note |\n|---:|:--|\n| 80 mg | cap[^a] |\n")
    assert "<table>" in result.body_html and "<td>80 mg</td>" in result.body_html
    assert "style=" not in result.body_html


def test_faq_plain_text_drops_markup_and_citation_marks():
    result = render(faqs=["**No.** It is *off-label*.[^a] See [the label](https://example.org)."])
    assert result.faq_text == ["No. It is off-label. See the label."]
