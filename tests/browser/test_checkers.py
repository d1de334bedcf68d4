"""The quality gate fails on a bad page: each checker finds its problem in fixtures/broken.html."""

import re
from pathlib import Path

import pytest

from tests.browser import checkers
from tests.browser.checkers import Problem, assert_clean
from tests.browser.conftest import DESKTOP, PHONE, image_width, save_screenshot
from tests.browser.gate import call_button, overflow, structure
from tests.browser.visitor import new_tab

BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken.html"

VALID = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A valid page</title></head>
<body><main><h1>A valid page</h1><p>Nothing wrong here.</p></main></body>
</html>
"""


@pytest.fixture
def broken_page(browser):
    with new_tab(browser, viewport=PHONE) as page:
        page.goto(BROKEN.as_uri())
        yield page


def by_rule(problems: list[Problem]) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        found.setdefault(problem.rule, []).append(problem)
    return found


def test_axe_reports_missing_alt_missing_label_and_low_contrast(broken_page):
    found = by_rule(checkers.run_axe(broken_page))

    assert [p.target for p in found["image-alt"]] == ["img"]
    assert [p.target for p in found["label"]] == ["input"]
    assert [p.target for p in found["color-contrast"]] == [".faint"]
    assert "insufficient color contrast" in found["color-contrast"][0].message
    with pytest.raises(AssertionError) as failure:
        assert_clean(checkers.run_axe(broken_page), "broken.html")
    report = str(failure.value)
    assert "[image-alt] img: Images must have alternative text (critical)." in report
    assert "[label] input: Form elements must have labels (critical). Fix any of" in report


OUTSIDE_LANDMARKS = """<!doctype html><html lang="en"><head><title>Strip</title></head>
<body><div class="strip">In crisis? Call 988.</div><header><p>Site</p></header>
<main><h1>Page</h1></main><a class="fab" href="tel:988">Call 988</a></body></html>"""


def test_axe_best_practice_reports_content_outside_landmarks_that_wcag_rules_pass(browser):
    with new_tab(browser, viewport=PHONE, bypass_csp=True) as page:
        page.set_content(OUTSIDE_LANDMARKS)
        assert checkers.run_axe(page) == []
        found = by_rule(checkers.run_axe(page, checkers.AXE_BEST_PRACTICE))
        page.set_content(VALID)
        assert checkers.run_axe(page, checkers.AXE_BEST_PRACTICE) == []
    assert sorted(p.target for p in found["region"]) == ["a", "div"]  # the fab, the strip


def test_axe_raises_when_the_page_policy_blocks_it(browser):
    with new_tab(browser) as page:  # no bypass_csp: the policy below applies
        page.set_content(
            '<!doctype html><html lang="en"><head><title>Locked</title>'
            '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
            "</head><body><img src='data:,'></body></html>"
        )
        with pytest.raises(RuntimeError, match="bypass_csp=True"):
            checkers.run_axe(page)


def test_vnu_reports_invalid_markup_per_document_in_one_run():
    results = checkers.run_vnu({"broken": BROKEN.read_text(encoding="utf-8"), "valid": VALID})

    assert results["valid"] == []
    messages = [problem.message for problem in results["broken"]]
    assert "Duplicate ID “notes”." in messages
    assert any(m.startswith("An “img” element must have an “alt” attribute") for m in messages)
    assert "Unclosed element “span”." in messages
    assert all(problem.rule == "vnu-error" for problem in results["broken"])
    with pytest.raises(AssertionError, match=r"\[vnu-error\] line \d+, column \d+ near .*notes"):
        assert_clean(results["broken"], "broken.html")


def test_page_wider_than_a_phone_is_reported(broken_page):
    assert checkers.horizontal_overflow(broken_page) == 600 - PHONE["width"]
    with pytest.raises(AssertionError) as failure:
        checkers.assert_no_horizontal_overflow(broken_page, "broken.html")
    assert "scrolls sideways by 225 px" in str(failure.value)
    assert "[horizontal-overflow] main > div.wide: right edge at 600 px" in str(failure.value)


def test_the_full_page_screenshot_of_a_page_wider_than_a_phone_is_reported(broken_page):
    shot = save_screenshot(broken_page, "checkers-broken-phone").read_bytes()
    assert image_width(shot) == 600
    problems = overflow(broken_page, shot)
    assert "screenshot: 600 px wide, not the viewport's" in [
        f"{p.target}: {p.message}" for p in problems
    ]


def test_tiny_button_and_lone_small_link_are_reported_but_a_link_in_a_sentence_is_not(
    broken_page,
):
    problems = checkers.small_tap_targets(broken_page)
    found = {problem.target: problem.message for problem in problems}

    assert found["main > button.tiny"].startswith("10.0x10.0 CSS px, needs at least 24x24")
    assert "'Close'" in found["main > button.tiny"]
    lonely = re.match(r"[\d.]+x([\d.]+) CSS px", found["main > p:nth-of-type(5) > a.lonely"])
    assert float(lonely.group(1)) < 24
    assert sorted(found) == ["main > button.tiny", "main > p:nth-of-type(5) > a.lonely"]
    with pytest.raises(AssertionError, match=r"\[target-size\] main > button\.tiny: 10\.0x10\.0"):
        assert_clean(problems, "broken.html")


def test_paragraph_in_small_type_is_reported_but_a_small_link_in_a_paragraph_is_not(
    broken_page,
):
    problems = checkers.small_text(broken_page)

    assert [problem.target for problem in problems] == ["main > p.small-print:nth-of-type(6)"]
    assert problems[0].message.startswith("12.0 px text, needs at least 16 px")
    with pytest.raises(AssertionError, match=r"\[text-size\] main > p\.small-print"):
        assert_clean(problems, "broken.html")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_lines_of_over_80_characters_are_reported_on_a_wide_screen(browser, viewport):
    with new_tab(browser, viewport=viewport) as page:
        page.goto(BROKEN.as_uri())
        found = {problem.target: problem.message for problem in checkers.long_lines(page)}

    if viewport is PHONE:
        assert found == {}
        return
    long = found["main > p.long:nth-of-type(7)"]
    characters = int(re.match(r"about (\d+) characters", long).group(1))
    assert characters > 120
    assert "#notes" not in found  # a paragraph of one short line is as long as its text


def test_missing_landmarks_are_reported(broken_page):
    problems = structure(broken_page)

    assert [(problem.rule, problem.target) for problem in problems] == [
        ("landmarks", "banner"),
        ("landmarks", "contentinfo"),
        ("landmarks", "navigation"),
    ]


CALL_BUTTON_PAGE = """<!doctype html><html lang="en"><head><title>Call</title>
<style>body {{ margin: 0; }} .tall {{ height: 3000px; }} .call-fab {{ {style} }}</style></head>
<body>{own}<a class="call-fab" href="tel:+12025550147">Call us</a><div class="tall"></div>
<footer class="site-footer"><div class="container">The end</div></footer></body></html>"""
HEADER_CALL_LINK = '<a class="helpline-link" href="tel:+12025550147">(202) 555-0147</a>'


@pytest.mark.parametrize(
    ("viewport", "style", "own", "expected"),
    [
        (PHONE, "", "", ["not fixed in view at the top", "not fixed in view at the end"]),
        (PHONE, "position: fixed; bottom: 0", "", ["the end of the page stays under the button"]),
        (
            PHONE,
            "position: fixed; bottom: 1rem",
            HEADER_CALL_LINK,
            ["shown at the top while the page's own call link is on screen"],
        ),
        (DESKTOP, "position: fixed; bottom: 0", "", ["shown at desktop size"]),
    ],
    ids=["phone-scrolls-away", "phone-covers-the-end", "phone-doubles-the-header", "desktop"],
)
def test_call_button_that_scrolls_away_covers_the_end_or_shows_on_a_desktop_is_reported(
    browser, viewport, style, own, expected
):
    with new_tab(browser, viewport=viewport) as page:
        page.set_content(CALL_BUTTON_PAGE.format(style=style, own=own))
        problems = call_button(page, "phone" if viewport is PHONE else "desktop")

    assert [problem.message for problem in problems] == expected
