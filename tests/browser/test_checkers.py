"""The quality gate fails on a bad page: each checker finds its problem in fixtures/broken.html."""

import re
from pathlib import Path

import pytest

from tests.browser.checkers import (
    Problem,
    assert_clean,
    assert_no_horizontal_overflow,
    horizontal_overflow,
    run_axe,
    run_vnu,
    small_tap_targets,
)
from tests.browser.conftest import PHONE

BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken.html"

VALID = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A valid page</title></head>
<body><main><h1>A valid page</h1><p>Nothing wrong here.</p></main></body>
</html>
"""


@pytest.fixture
def broken_page(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(BROKEN.as_uri())
    yield page
    context.close()


def by_rule(problems: list[Problem]) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        found.setdefault(problem.rule, []).append(problem)
    return found


def test_axe_reports_missing_alt_missing_label_and_low_contrast(broken_page):
    found = by_rule(run_axe(broken_page))

    assert [p.target for p in found["image-alt"]] == ["img"]
    assert [p.target for p in found["label"]] == ["input"]
    assert [p.target for p in found["color-contrast"]] == [".faint"]
    assert "insufficient color contrast" in found["color-contrast"][0].message
    with pytest.raises(AssertionError) as failure:
        assert_clean(run_axe(broken_page), "broken.html")
    report = str(failure.value)
    assert "[image-alt] img: Images must have alternative text (critical)." in report
    assert "[label] input: Form elements must have labels (critical). Fix any of" in report


def test_axe_raises_when_the_page_policy_blocks_it(browser):
    context = browser.new_context()  # no bypass_csp: the policy below applies
    page = context.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Locked</title>'
        '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
        "</head><body><img src='data:,'></body></html>"
    )
    with pytest.raises(RuntimeError, match="bypass_csp=True"):
        run_axe(page)
    context.close()


def test_vnu_reports_invalid_markup_per_document_in_one_run():
    results = run_vnu({"broken": BROKEN.read_text(encoding="utf-8"), "valid": VALID})

    assert results["valid"] == []
    messages = [problem.message for problem in results["broken"]]
    assert "Duplicate ID “notes”." in messages
    assert any(m.startswith("An “img” element must have an “alt” attribute") for m in messages)
    assert "Unclosed element “span”." in messages
    assert all(problem.rule == "vnu-error" for problem in results["broken"])
    with pytest.raises(AssertionError, match=r"\[vnu-error\] line \d+, column \d+ near .*notes"):
        assert_clean(results["broken"], "broken.html")


def test_page_wider_than_a_phone_is_reported(broken_page):
    assert horizontal_overflow(broken_page) == 600 - PHONE["width"]
    with pytest.raises(AssertionError) as failure:
        assert_no_horizontal_overflow(broken_page, "broken.html")
    assert "scrolls sideways by 225 px" in str(failure.value)
    assert "[horizontal-overflow] main > div.wide: right edge at 600 px" in str(failure.value)


def test_tiny_button_and_lone_small_link_are_reported_but_a_link_in_a_sentence_is_not(
    broken_page,
):
    problems = small_tap_targets(broken_page)
    found = {problem.target: problem.message for problem in problems}

    assert found["main > button.tiny"].startswith("10.0x10.0 CSS px, needs at least 24x24")
    assert "'Close'" in found["main > button.tiny"]
    lonely = re.match(r"[\d.]+x([\d.]+) CSS px", found["main > p:nth-of-type(5) > a.lonely"])
    assert float(lonely.group(1)) < 24
    assert sorted(found) == ["main > button.tiny", "main > p:nth-of-type(5) > a.lonely"]
    with pytest.raises(AssertionError, match=r"\[target-size\] main > button\.tiny: 10\.0x10\.0"):
        assert_clean(problems, "broken.html")
