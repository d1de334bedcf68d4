"""Independent quality checkers for rendered pages, wrapped for the browser tests.

- run_axe(page): axe-core's WCAG 2.0/2.1 A and AA rules, run inside the page;
  run_axe(page, AXE_BEST_PRACTICE): its best-practice rules (every content inside a
  landmark, one main, unique landmark names, heading order, ...).
- run_vnu({name: html}): the Nu Html Checker over many documents in one Java run.
- horizontal_overflow(page): how many CSS px the page scrolls sideways.
- small_tap_targets(page): visible controls smaller than 24x24 CSS px (WCAG 2.5.8).
- small_text(page): reading text set under 16 CSS px.
- long_lines(page): paragraphs whose lines hold over 80 characters (or run over 760 px).
- assert_clean(problems, where): fails with one line per problem (rule, target, message).

The checkers come from node_modules (package.json, installed by `make test`).
Every checker returns Problem records; nothing is filtered out here, so a test
that wants to accept something has to say so itself.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_BEST_PRACTICE = ("best-practice",)
MIN_TARGET_PX = 24
INTERACTIVE = "a[href], button, input, select, textarea, summary, [role=button]"


@dataclass(frozen=True)
class Problem:
    """One finding of one checker: which rule, where on the page, and what is wrong."""

    rule: str
    target: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.target}: {self.message}"


def format_problems(problems: list[Problem], where: str) -> str:
    lines = [f"{len(problems)} problem(s) on {where}:"]
    lines += [f"  - {problem}" for problem in problems]
    return "\n".join(lines)


def assert_clean(problems: list[Problem], where: str) -> None:
    """Fail with every problem listed, one per line, if there are any."""
    if problems:
        raise AssertionError(format_problems(problems, where))


def _missing(path: Path) -> RuntimeError:
    return RuntimeError(f"{path.relative_to(ROOT)} is missing: run `make node_modules/.installed`")


# axe-core ---------------------------------------------------------------------------

_RUN_AXE = """(tags) => axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
}).then((results) => ({
    rulesRun: results.passes.length + results.violations.length + results.incomplete.length,
    violations: results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => ({
            target: node.target.map((part) => [].concat(part).join(" >>> ")).join(", "),
            summary: node.failureSummary || "",
        })),
    })),
}))"""


def _one_line(summary: str) -> str:
    """axe's failure summary ("Fix any of the following:" and a line per check) on one line."""
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    return "; ".join(lines).replace(":; ", ": ")


def run_axe(page, tags: tuple[str, ...] = AXE_TAGS) -> list[Problem]:
    """Run axe-core in the page: one Problem per failing element and rule.

    The site's Content-Security-Policy blocks the injected script, so the page must
    belong to a context created with bypass_csp=True; otherwise this raises rather
    than reporting a page it could not check as clean. Results axe marks "incomplete"
    (needs a person to review, such as text over an image) are not violations.
    """
    if not AXE_JS.exists():
        raise _missing(AXE_JS)
    if not page.evaluate("typeof window.axe === 'object'"):
        try:
            page.add_script_tag(path=str(AXE_JS))
        except Exception as exc:
            raise RuntimeError(
                "axe-core could not be injected; create the context with bypass_csp=True"
            ) from exc
        if not page.evaluate("typeof window.axe === 'object'"):
            raise RuntimeError(
                "axe-core did not load (Content-Security-Policy?); "
                "create the context with bypass_csp=True"
            )
    results = page.evaluate(_RUN_AXE, list(tags))
    if not results["rulesRun"]:
        raise RuntimeError(f"axe-core found nothing to check on {page.url}")
    return [
        Problem(
            rule=violation["id"],
            target=node["target"],
            message=f"{violation['help']} ({violation['impact']}). {_one_line(node['summary'])}",
        )
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


# Nu Html Checker ---------------------------------------------------------------------


def run_vnu(html_by_name: dict[str, str]) -> dict[str, list[Problem]]:
    """Check many HTML documents with one run of the Nu Html Checker (the JVM is slow to start).

    Returns every error vnu reports, keyed by the caller's name for the document.
    A message vnu cannot tie to one of the documents raises instead of being dropped.
    """
    if not VNU_JAR.exists():
        raise _missing(VNU_JAR)
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is missing: run `make browser-deps`")
    results: dict[str, list[Problem]] = {name: [] for name in html_by_name}
    if not html_by_name:
        return results
    with tempfile.TemporaryDirectory(prefix="vnu-") as tmp:
        name_by_file = {}
        for index, (name, html) in enumerate(html_by_name.items()):
            path = Path(tmp) / f"page-{index:03d}.html"
            path.write_text(html, encoding="utf-8")
            name_by_file[path.name] = name
        command = [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only"]
        completed = subprocess.run(
            [*command, *sorted(name_by_file)],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    output = completed.stderr + completed.stdout
    try:
        # The JSON report is on stderr, possibly after notes from the JVM itself.
        report, _ = json.JSONDecoder().raw_decode(output[output.index('{"') :])
    except ValueError as exc:
        raise RuntimeError(
            f"vnu exited with {completed.returncode} and no JSON report: {output[:2000]}"
        ) from exc
    for message in report.get("messages", []):
        file_name = Path(unquote(urlsplit(message.get("url", "")).path)).name
        if file_name not in name_by_file:
            raise RuntimeError(f"vnu reported on no known document: {message}")
        rule = message.get("type", "error")
        if message.get("subType"):
            rule += "/" + message["subType"]
        where = f"line {message.get('lastLine', '?')}, column {message.get('firstColumn', '?')}"
        if message.get("extract"):
            where += f" near {message['extract'].strip()!r}"
        results[name_by_file[file_name]].append(
            Problem(rule=f"vnu-{rule}", target=where, message=message.get("message", ""))
        )
    if completed.returncode not in (0, 1) or (
        completed.returncode == 1 and not any(results.values())
    ):
        raise RuntimeError(f"vnu failed with exit code {completed.returncode}")
    return results


# Layout -----------------------------------------------------------------------------

_OVERFLOW = """() => Math.max(0,
    document.documentElement.scrollWidth - document.documentElement.clientWidth)"""

# A short CSS path (id, tag, up to two classes, position among siblings) to point at
# an element in a failure message.
_CSS_PATH = """const cssPath = (el) => {
    const parts = [];
    const top = [document.body, document.documentElement];
    for (; el && el.nodeType === 1 && !top.includes(el); el = el.parentElement) {
        if (el.id) { parts.unshift("#" + CSS.escape(el.id)); break; }
        let part = el.localName;
        for (const name of [...el.classList].slice(0, 2)) { part += "." + CSS.escape(name); }
        const twins = el.parentElement
            ? [...el.parentElement.children].filter((other) => other.localName === el.localName)
            : [];
        if (twins.length > 1) { part += `:nth-of-type(${twins.indexOf(el) + 1})`; }
        parts.unshift(part);
    }
    return parts.join(" > ");
};"""

_WIDE_ELEMENTS = (
    """() => {
    """
    + _CSS_PATH
    + """
    const limit = document.documentElement.clientWidth;
    return [...document.body.querySelectorAll("*")]
        .filter((el) => el.getBoundingClientRect().right + window.scrollX > limit + 0.5)
        .slice(0, 10)
        .map((el) => ({target: cssPath(el), right: el.getBoundingClientRect().right}));
}"""
)


def horizontal_overflow(page) -> int:
    """CSS pixels the page can scroll sideways at the current viewport (0 is good)."""
    return page.evaluate(_OVERFLOW)


def wide_elements(page) -> list[Problem]:
    """Elements that reach past the right edge of the viewport, to explain an overflow."""
    width = page.evaluate("document.documentElement.clientWidth")
    return [
        Problem(
            rule="horizontal-overflow",
            target=item["target"],
            message=f"right edge at {item['right']:.0f} px, viewport is {width} px wide",
        )
        for item in page.evaluate(_WIDE_ELEMENTS)
    ]


def assert_no_horizontal_overflow(page, where: str) -> None:
    overflow = horizontal_overflow(page)
    if overflow:
        problems = wide_elements(page) or [
            Problem(rule="horizontal-overflow", target="html", message=f"{overflow} px too wide")
        ]
        raise AssertionError(
            f"{where} scrolls sideways by {overflow} px\n" + format_problems(problems, where)
        )


# Which controls count, and when one is small (WCAG 2.5.8 Target Size (Minimum)):
# - Controls are a[href], button, input, select, textarea, summary and [role=button].
# - Only what a person can see and tap is measured: not display:none, visibility:hidden
#   or opacity:0 (checkVisibility), not a box of 1 px or less (text kept for screen
#   readers), not parked entirely above or left of the page (a skip link until focused).
# - A target is small when its border box is under 24 CSS px wide or high.
# - Inline exception: a link that sits in a line of text (computed display inline or
#   inline-*, such as a citation number) and whose block (the nearest ancestor that is
#   not display:inline or contents) also holds words that are not inside any control.
#   Its size is set by the line of text it sits in. A link alone in its paragraph or
#   list item is not in a sentence and must be 24x24.
# - Equivalent exception: a checkbox, radio or other input whose <label> is at least
#   24x24, since tapping the label does the same thing.
# The spacing exception is not applied: every control must be 24x24 on its own.
_SMALL_TARGETS = (
    """([selector, minimum]) => {
    """
    + _CSS_PATH
    + """
    const transparent = (el) => ["inline", "contents"].includes(getComputedStyle(el).display);
    const inSentence = (el) => {
        if (el.localName !== "a" || !getComputedStyle(el).display.startsWith("inline")) {
            return false;
        }
        let block = el.parentElement;
        while (block && block !== document.body && transparent(block)) block = block.parentElement;
        if (!block) return false;
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        let words = "";
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const control = node.parentElement.closest(selector);
            if (!control || !block.contains(control)) words += node.data + " ";
        }
        return /\\p{L}{2,}/u.test(words);
    };
    const bigEnough = (rect) => rect.width + 0.01 >= minimum && rect.height + 0.01 >= minimum;
    const hasBigLabel = (el) => [...(el.labels || [])].some(
        (label) => bigEnough(label.getBoundingClientRect()));
    const small = [];
    for (const el of document.querySelectorAll(selector)) {
        if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width <= 1 || rect.height <= 1) continue;
        if (rect.right + window.scrollX <= 0 || rect.bottom + window.scrollY <= 0) continue;
        if (bigEnough(rect) || inSentence(el) || hasBigLabel(el)) continue;
        small.push({
            target: cssPath(el),
            width: rect.width,
            height: rect.height,
            text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim(),
        });
    }
    return small;
}"""
)


def small_tap_targets(page, minimum: int = MIN_TARGET_PX) -> list[Problem]:
    """Visible controls under minimum x minimum CSS px (see the rules above)."""
    return [
        Problem(
            rule="target-size",
            target=item["target"],
            message=(
                f"{item['width']:.1f}x{item['height']:.1f} CSS px, needs at least "
                f"{minimum}x{minimum}" + (f" (text {item['text'][:40]!r})" if item["text"] else "")
            ),
        )
        for item in page.evaluate(_SMALL_TARGETS, [INTERACTIVE, minimum])
    ]


# Type -------------------------------------------------------------------------------

# Reading text is what sits in paragraphs, list items, table cells, captions, form
# labels and hints in main: each one's own computed font-size counts (a citation
# mark or a badge inside one may be smaller).
READING_TEXT = ", ".join(
    f"main {part}"
    for part in ("p", "li", "dd", "td", "th", "figcaption", "label", "legend", ".form-text")
)

_SMALL_TEXT = (
    """([selector, minimum]) => {
    """
    + _CSS_PATH
    + """
    return [...document.querySelectorAll(selector)]
        .filter((el) => el.checkVisibility() && /\\p{L}{2,}/u.test(el.innerText))
        .map((el) => ({target: cssPath(el), size: parseFloat(getComputedStyle(el).fontSize),
                       text: el.innerText.trim()}))
        .filter((item) => item.size + 0.01 < minimum);
}"""
)


def small_text(page, minimum: float = 16, selector: str = READING_TEXT) -> list[Problem]:
    """Reading text in main (see READING_TEXT) set in type under minimum CSS px."""
    return [
        Problem(
            rule="text-size",
            target=item["target"],
            message=f"{item['size']:.1f} px text, needs at least {minimum:g} px "
            f"(text {item['text'][:40]!r})",
        )
        for item in page.evaluate(_SMALL_TEXT, [selector, minimum])
    ]


# How many characters fit on one line of a paragraph: its content width divided by
# the average width of its own characters in its own font (bold or italic words in
# it are wider, so this errs on the long side). Only paragraphs and list items laid
# out as blocks of text that wrap onto a second line are measured; a short one is
# as long as its text.
_LONG_LINES = (
    """([selector, maxChars, maxWidth]) => {
    """
    + _CSS_PATH
    + """
    const canvas = document.createElement("canvas").getContext("2d");
    const found = [];
    for (const el of document.querySelectorAll(selector)) {
        const style = getComputedStyle(el);
        // A row of buttons (display: flex) is not a line of text.
        if (!el.checkVisibility() || !["block", "list-item"].includes(style.display)) continue;
        const text = el.innerText.replace(/\\s+/g, " ").trim();
        const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
        const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
        const width = el.clientWidth - padding;
        if (text.length < 2 || el.clientHeight < 1.5 * lineHeight) continue;
        const font = [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily];
        canvas.font = font.join(" ");
        const chars = width / (canvas.measureText(text).width / text.length);
        if (chars > maxChars || width > maxWidth) {
            found.push({target: cssPath(el), chars, width});
        }
    }
    return found;
}"""
)


def long_lines(page, max_chars: int = 80, max_width: int = 760, selector: str = "main p, main li"):
    """Wrapping paragraphs and list items whose lines hold over max_chars characters
    or run over max_width CSS px."""
    return [
        Problem(
            rule="line-length",
            target=item["target"],
            message=f"about {item['chars']:.0f} characters ({item['width']:.0f} px) a line, "
            f"keep it to {max_chars} characters and {max_width} px",
        )
        for item in page.evaluate(_LONG_LINES, [selector, max_chars, max_width])
    ]
