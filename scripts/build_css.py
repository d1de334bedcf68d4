"""Build the parts of Bootstrap's stylesheet the site uses, in static/css/:

    .venv/bin/python scripts/build_css.py           # write them (make css)
    .venv/bin/python scripts/build_css.py --check   # exit 1 if they are not what this builds

The public pages use a small part of Bootstrap (buttons, the breadcrumb, a few
utilities, and on the intake form the form controls crispy-forms draws) beside
their own CSS. From Bootstrap's stylesheet as the pinned django-js-lib-bootstrap5
package ships it, PurgeCSS (pinned in package-lock.json, installed by `npm ci`;
scripts/purge_css.cjs) keeps the rules whose classes and elements appear in:

- the templates, except the admin's (templates/admin/ and the pages extending an
  admin template: the admin has its own CSS and never loads these files);
- the site's scripts, static/js/*.js except the admin's (admin-*.js): the classes
  they add (a menu's is-open) are named there;
- the class="..." attributes Python code writes (cardinal/, education/, admissions/);
- the elements a guide's markdown may hold (education.markup.ALLOWED_TAGS), which
  no template names.

Two stylesheets, so that a guide does not carry the form controls:

- bootstrap.used.css, which templates/base.html links, from the templates of the
  pages without a form;
- bootstrap.forms.css, which a page drawing a form with crispy-forms (its template
  loads crispy_forms_tags) links instead (block bootstrap_css), from every template
  above and the crispy-forms bootstrap5 templates `as_crispy_field` renders
  (field.html and the templates it includes, from the installed crispy-bootstrap5).

Each keeps Bootstrap's order, so the cascade on a page is what it was with the whole
stylesheet. Run this again after a change to any of the inputs, or a new version of
Bootstrap, crispy-bootstrap5 or PurgeCSS, and commit the files:
tests/cardinal/test_css_build.py fails while a committed file differs from what this
builds, so they are never edited by hand. It needs Node.js and the npm packages
(`make node_modules/.installed`).
"""

import argparse
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import crispy_bootstrap5
import js_lib_bootstrap5

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from education.markup import ALLOWED_TAGS  # noqa: E402

CSS = ROOT / "static" / "css"
FORMLESS, WITH_FORMS = CSS / "bootstrap.used.css", CSS / "bootstrap.forms.css"
PURGE = ROOT / "scripts" / "purge_css.cjs"
PURGECSS_PACKAGE = ROOT / "node_modules" / "purgecss" / "package.json"
BOOTSTRAP_PACKAGE = "django-js-lib-bootstrap5"
BOOTSTRAP_CSS = (
    Path(js_lib_bootstrap5.__file__).parent / "static" / "js-lib-bootstrap5" / "css"
) / "bootstrap.min.css"
CRISPY_TEMPLATES = Path(crispy_bootstrap5.__file__).parent / "templates"
CRISPY_ENTRY = "bootstrap5/field.html"  # what the `as_crispy_field` filter renders
PYTHON_PACKAGES = ("cardinal", "education", "admissions")

ADMIN_EXTENDS = re.compile(r"""\{%\s*extends\s+["']admin/""")
LOADS_CRISPY = re.compile(r"\{%\s*load\s[^%]*\bcrispy_forms_tags\b")
INCLUDE = re.compile(r"""\{%\s*include\s+["']([^"']+)["']""")
# class="a b" in markup written by Python, and a widget's {"class": "a b"}.
CLASS_ATTRIBUTE = re.compile(r"""\bclass(?:=\\?["']|["']\s*:\s*["'])([^"'{}]*)""")


def site_templates() -> list[Path]:
    templates = ROOT / "templates"
    return [
        path
        for path in sorted(templates.rglob("*.html"))
        if path.relative_to(templates).parts[0] != "admin"
        and not ADMIN_EXTENDS.search(path.read_text())
    ]


def crispy_templates() -> list[Path]:
    """CRISPY_ENTRY and every template it includes, and so on."""
    found: list[Path] = []
    waiting = [CRISPY_ENTRY]
    while waiting:
        path = CRISPY_TEMPLATES / waiting.pop()
        if path in found or not path.is_file():
            continue
        found.append(path)
        waiting += INCLUDE.findall(path.read_text())
    return sorted(found)


def site_scripts() -> list[Path]:
    scripts = ROOT / "static" / "js"
    return [path for path in sorted(scripts.glob("*.js")) if not path.name.startswith("admin-")]


def python_classes() -> list[str]:
    names: set[str] = set()
    for package in PYTHON_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                for value in CLASS_ATTRIBUTE.findall(path.read_text()):
                    names.update(value.split())
    return sorted(names)


def content(*, forms: bool) -> list[Path]:
    """The files one stylesheet is built from: with or without the form pages."""
    templates = [
        path for path in site_templates() if forms or not LOADS_CRISPY.search(path.read_text())
    ]
    return templates + (crispy_templates() if forms else []) + site_scripts()


def header() -> str:
    purgecss = json.loads(PURGECSS_PACKAGE.read_text())["version"]
    bootstrap = importlib.metadata.version(BOOTSTRAP_PACKAGE)
    return (
        f"/* Built by scripts/build_css.py (make css) from {BOOTSTRAP_PACKAGE} {bootstrap}'s "
        f"bootstrap.min.css with PurgeCSS {purgecss}: the rules the site uses. Do not edit. */\n"
    )


def purge(files: list[Path]) -> str:
    options = {
        "css": str(BOOTSTRAP_CSS),
        "content": [str(path) for path in files],
        "tags": sorted(ALLOWED_TAGS),
        "classes": python_classes(),
    }
    node = shutil.which("node")
    if node is None:
        raise SystemExit("Node.js is not installed: `make browser-deps` installs it.")
    result = subprocess.run(  # noqa: S603 - our own script, its options as JSON on stdin
        [node, str(PURGE)],
        input=json.dumps(options),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"PurgeCSS failed:\n{result.stderr}")
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", result.stdout).rstrip() + "\n"
    charset, sep, rest = css.partition('@charset "UTF-8";')
    if sep and not charset:  # @charset must stay first
        return sep + "\n" + header() + rest.lstrip("\n")
    return header() + css


def build() -> dict[Path, str]:
    """Each stylesheet and its text, as this builds them from the inputs installed now."""
    if not PURGECSS_PACKAGE.exists():
        raise SystemExit(
            "PurgeCSS is not installed: run `make node_modules/.installed` (npm ci) first."
        )
    return {
        FORMLESS: purge(content(forms=False)),
        WITH_FORMS: purge(content(forms=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a file differs from what this builds"
    )
    args = parser.parse_args()
    built = build()
    stale = [path for path, css in built.items() if not path.exists() or path.read_text() != css]
    for path, css in built.items():
        relative = path.relative_to(ROOT)
        if args.check:
            print(f"{relative}: {'not what this builds' if path in stale else 'up to date'}")
        else:
            path.write_text(css)
            print(f"wrote {relative}: {len(css.encode()):,} bytes")
    if args.check and stale:
        sys.exit("Run `make css` and commit what it writes.")


if __name__ == "__main__":
    main()
