"""Markdown for the medication guides: citations, heading anchors, sanitising.

A guide is rendered once, by education.services.guide_render after it and its
FAQs are saved; requests only read the stored HTML.
The summary, the body and the FAQ answers are rendered in reading order with one
shared state, so a source keeps one number on the whole page, heading ids are
unique on the page, and every citation can link to its entry in the Sources list.
"""

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import nh3
from django.utils.html import strip_tags
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

# A citation key: letters, digits, dot, underscore, hyphen (safe inside an id).
CITATION_KEY = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
CITATION_RE = re.compile(r"\[\^(" + CITATION_KEY + r")\]")

# Ids the guide template uses itself; a heading never takes one of them.
RESERVED_IDS = frozenset(
    {
        "main",
        "site-nav",
        "key-takeaways",
        "contents",
        "emergency",
        "emergency-again",
        "helpline",
        "faq",
        "sources",
        "what-changed",
        "related",
        "testimonials",
        "footer-help",
        "footer-about",
    }
)

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "sup",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "id", "aria-label"},
    "h2": {"id"},
    "h3": {"id"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {"sup": {"cite"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise(fragment: str) -> str:
    """Keep only the markup the renderer produces; drop everything else."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    )


def cited_keys(text: str) -> list[str]:
    """Citation keys written in a piece of markdown, in order, without repeats."""
    return list(dict.fromkeys(CITATION_RE.findall(text or "")))


class Citations:
    """Numbers sources by first use and names each citation's anchor."""

    def __init__(self, known_keys: Collection[str]):
        self.known_keys = set(known_keys)
        self.order: list[str] = []
        self.uses: dict[str, int] = {}
        self.unknown: list[str] = []
        self._numbers: dict[str, int] = {}
        self._unknown_seen: set[str] = set()

    def cite(self, key: str) -> tuple[int, str] | None:
        """The source's number and this citation's id, or None for an unknown key."""
        if key not in self.known_keys:
            if key not in self._unknown_seen:
                self._unknown_seen.add(key)
                self.unknown.append(key)
            return None
        if key not in self.uses:
            self.order.append(key)
            self._numbers[key] = len(self.order)
            self.uses[key] = 0
        self.uses[key] += 1
        return self._numbers[key], citation_id(key, self.uses[key])


class Anchors:
    """The ids already used on a page, and the next free id for a heading's text.

    A repeated base takes the first free suffix from 2 on ("dosing", "dosing-2",
    ...). The suffix to try next is kept per base: ids are never given back, so
    every suffix below it is still taken, and naming n headings costs O(n) set
    lookups in all, however often a base repeats.
    """

    def __init__(self, reserved: Collection[str] = ()):
        self.used: set[str] = set(reserved)
        self._next_suffix: dict[str, int] = {}

    def __contains__(self, anchor: str) -> bool:
        return anchor in self.used

    def claim(self, base: str) -> str:
        """A free id made from `base`, now taken."""
        anchor = base
        if anchor in self.used:
            suffix = self._next_suffix.get(base, 2)
            anchor = f"{base}-{suffix}"
            while anchor in self.used:
                suffix += 1
                anchor = f"{base}-{suffix}"
            self._next_suffix[base] = suffix + 1
        self.used.add(anchor)
        return anchor


def citation_id(key: str, use: int = 1) -> str:
    return f"cite-{key}" if use == 1 else f"cite-{key}-{use}"


def source_id(key: str) -> str:
    return f"source-{key}"


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[^", state.pos):
        return False
    match = CITATION_RE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"key": match.group(1)}
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _render_citation(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if env.get("plain"):
        return ""
    ref = env["citations"].cite(token.meta["key"])
    if ref is None:
        return html.escape(token.content)
    number, anchor = ref
    target = source_id(token.meta["key"])
    return (
        f'<sup class="cite"><a id="{anchor}" href="#{target}" '
        f'aria-label="Source {number}">[{number}]</a></sup>'
    )


def _heading_text(inline_token) -> str:
    parts = [
        child.content
        for child in inline_token.children or []
        if child.type in {"text", "code_inline"}
    ]
    return " ".join("".join(parts).split())


def _heading_anchors(state: StateCore) -> None:
    """Give h2 and h3 stable ids from their text; h2s make the table of contents.

    A level-one heading in the body becomes a level two: the page has one h1.
    """
    anchors: Anchors = state.env.setdefault("anchors", Anchors(RESERVED_IDS))
    toc = state.env.get("toc")
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type not in {"heading_open", "heading_close"}:
            continue
        if token.tag == "h1":
            token.tag = "h2"
        if token.type == "heading_close" or token.tag not in {"h2", "h3"}:
            continue
        text = _heading_text(tokens[index + 1])
        anchor = anchors.claim(slugify(text) or "section")
        token.attrSet("id", anchor)
        if token.tag == "h2" and toc is not None:
            toc.append({"id": anchor, "text": text})


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.after("inline", "heading_anchors", _heading_anchors)
    md.add_render_rule("citation", _render_citation)
    return md


_markdown = _build_markdown()


@dataclass
class RenderedGuide:
    summary_html: list[str] = field(default_factory=list)
    overdose_signs_html: list[str] = field(default_factory=list)
    # With a table (render_guide's table_cells): the body up to the table's heading
    # included, the table's cells row by row, then the rest of the body.
    body_html: str = ""
    table_html: list[list[str]] = field(default_factory=list)
    body_after_table_html: str = ""
    toc: list[dict] = field(default_factory=list)
    faq_html: list[str] = field(default_factory=list)
    faq_text: list[str] = field(default_factory=list)
    cited_keys: list[str] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)


def render_plain_html(markdown: str) -> str:
    """HTML of a piece of markdown with the citation marks left out."""
    return _markdown.render(markdown or "", {"plain": True, "anchors": Anchors()})


def plain_inline_html(markdown: str) -> str:
    """HTML of one line of markdown (bold, links...) with the citation marks left out."""
    return sanitise(_markdown.renderInline(markdown or "", {"plain": True, "anchors": Anchors()}))


def split_after_heading(body: str, heading: str) -> tuple[str, str] | None:
    """The body up to the end of its '## heading' line, and the rest; None without one."""
    match = re.search(rf"^## +{re.escape(heading)} *$\n?", body or "", re.MULTILINE)
    if match is None:
        return None
    return body[: match.end()], body[match.end() :]


def plain_text(markdown: str) -> str:
    """The words of a piece of markdown, without markup or citation marks."""
    return " ".join(html.unescape(strip_tags(render_plain_html(markdown))).split())


def render_guide(
    *,
    summary: list[str],
    body: str,
    faq_answers: list[str],
    known_keys: Collection[str],
    overdose_signs: str = "",
    table_after: str = "",
    table_cells: Sequence[Sequence[str]] = (),
) -> RenderedGuide:
    """Render a guide's summary, body and FAQ answers, in that (reading) order.

    The signs of overdose are shown in the emergency box before the body and again
    after it, so they are rendered twice, each time in its place in that order.
    table_after: the '##' heading of the body under which a table sits (a
    comparison page's), whose cells (one line of markdown each, row by row) are
    rendered there in reading order; a body without that heading has the table
    at its end.
    """
    citations = Citations(known_keys)
    env: dict = {"citations": citations, "anchors": Anchors(RESERVED_IDS)}
    result = RenderedGuide()
    result.summary_html = [
        sanitise(_markdown.renderInline(item, env)) for item in summary if item.strip()
    ]
    signs = overdose_signs.strip()
    if signs:
        result.overdose_signs_html.append(sanitise(_markdown.render(signs, env)))
    env["toc"] = result.toc
    before, after = body or "", ""
    if table_after:
        before, after = split_after_heading(before, table_after) or (before, "")
    result.body_html = sanitise(_markdown.render(before, env))
    if table_after:
        result.table_html = [
            [sanitise(_markdown.renderInline(cell or "", env)) for cell in row]
            for row in table_cells
        ]
        result.body_after_table_html = sanitise(_markdown.render(after, env))
    del env["toc"]
    if signs:
        result.overdose_signs_html.append(sanitise(_markdown.render(signs, env)))
    for answer in faq_answers:
        result.faq_html.append(sanitise(_markdown.render(answer or "", env)))
        result.faq_text.append(plain_text(answer))
    result.cited_keys = citations.order
    result.unknown_keys = citations.unknown
    return result
