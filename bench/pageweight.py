"""The guide's weight as a phone's browser receives it: every response of the page
load, compressed as sent, headers included.

Debian's Chromium (driven by Playwright, never a downloaded browser) loads the page
through the bench's nginx, as a phone with an empty cache. Without Chromium, the
figure falls back to the compressed bytes the server sends for the HTML and every
stylesheet, script and image it links (and says so).
"""

import gzip
import os
import re
import shutil
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 375, "height": 812}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# HTTP Archive, Web Almanac 2025, "Page Weight" chapter (HTTPArchive/almanac.httparchive.org,
# src/content/en/2025/page-weight.md), figure "Page weight distribution by device":
# the median mobile page (home and inner pages) of the 2025 crawl (July 2025).
# The same chapter gives 1,769 KB for the median mobile inner page (July 2025), the
# closer match for an article such as a guide. KB there are 1,024 bytes.
HTTP_ARCHIVE = {
    "median_mobile_page_kb": 2164,
    "median_mobile_inner_page_kb": 1769,
    "source": "HTTP Archive Web Almanac 2025, Page Weight chapter (July 2025 crawl)",
}


def measure(url: str) -> dict:
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if chromium:
        try:
            return _with_chromium(url, chromium)
        except ImportError:
            pass
    return _from_server(url)


def _with_chromium(url: str, chromium: str) -> dict:
    from playwright.sync_api import sync_playwright

    origin = url.split("/medications/")[0]
    responses = []
    items = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = context.new_page()
            page.on("requestfinished", lambda request: responses.append(request))
            page.goto(url, wait_until="networkidle")
            for request in responses:
                sizes = request.sizes()
                response = request.response()
                encoding = response.header_value("content-encoding") if response else None
                items.append(
                    {
                        "url": request.url.removeprefix(origin),
                        "type": request.resource_type,
                        "encoding": encoding or "identity",
                        "body_bytes": sizes["responseBodySize"],
                        "header_bytes": sizes["responseHeadersSize"],
                    }
                )
            context.close()
        finally:
            browser.close()
    return _totals("Chromium (Playwright), phone viewport, empty cache", items)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = attrs.get("rel") or ""
        if tag == "link" and attrs.get("href") and re.search(r"stylesheet|icon", rel):
            self.links.append(("stylesheet" if "stylesheet" in rel else "image", attrs["href"]))
        elif tag == "script" and attrs.get("src"):
            self.links.append(("script", attrs["src"]))
        elif tag == "img" and attrs.get("src"):
            self.links.append(("image", attrs["src"]))


def _fetch(url: str) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers.get("Content-Encoding", "identity")


def _from_server(url: str) -> dict:
    body, encoding = _fetch(url)
    html = gzip.decompress(body).decode() if encoding == "gzip" else body.decode()
    items = [{"url": url, "type": "document", "encoding": encoding, "body_bytes": len(body)}]
    parser = _Links()
    parser.feed(html)
    for kind, link in dict.fromkeys(parser.links):
        data, link_encoding = _fetch(urljoin(url, link))
        items.append(
            {"url": link, "type": kind, "encoding": link_encoding, "body_bytes": len(data)}
        )
    for item in items:
        item["header_bytes"] = 0
    return _totals("compressed bytes from the server (no browser found)", items)


def _totals(method: str, items: list[dict]) -> dict:
    total = sum(item["body_bytes"] + max(item["header_bytes"], 0) for item in items)
    by_type: dict[str, int] = {}
    for item in items:
        by_type[item["type"]] = by_type.get(item["type"], 0) + item["body_bytes"]
    return {
        "method": method,
        "requests": len(items),
        "total_bytes": total,
        "total_kb": round(total / 1024, 1),
        "body_bytes_by_type": by_type,
        "responses": items,
        "http_archive": HTTP_ARCHIVE,
    }
