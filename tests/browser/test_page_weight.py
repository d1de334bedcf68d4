"""Page weight of the baclofen guide: everything Chromium loads for it, as production sends it.

The test server sends every response uncompressed, so each body Chromium
received is compressed here the way production compresses it
(deploy/nginx/cardinal.conf): static files are WhiteNoise's precompressed .gz
files (gzip level 9, kept only when they save at least 5%, never for images
and fonts), served by nginx's gzip_static; pages from gunicorn are gzipped by
nginx on the fly at cardinal.conf's gzip_comp_level, from 1,024 bytes. Response headers
count as Chromium received them over HTTP/1.1 (HTTP/2 compresses them, so the
figure errs on the heavy side). The report lands in test-artifacts/page-weight.json.
"""

import gzip
import json
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from whitenoise.compress import Compressor

from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.visitor import new_tab
from tests.integration.nginx import SITE_CONF

pytestmark = pytest.mark.django_db(transaction=True)

GUIDE = "/medications/baclofen/"
PAGE_BUDGET = 40_000  # bytes: HTML, CSS, JS, fonts and images, compressed, with headers
HTML_BUDGET = 120_000  # bytes: the guide's HTML alone, before compression
NGINX_GZIP_LEVEL = int(re.search(r"gzip_comp_level (\d+);", SITE_CONF.read_text()).group(1))
NGINX_GZIP_MIN_LENGTH = 1024  # gzip_min_length in cardinal.conf


def production_body_size(path: str, body: bytes) -> int:
    """Bytes of the body as production sends it (see the module docstring)."""
    if path.startswith(settings.STATIC_URL):
        compressor = Compressor(use_brotli=False, quiet=True)
        if not compressor.should_compress(path):
            return len(body)
        packed = Compressor.compress_gzip(body)
        return (
            len(packed)
            if compressor.is_compressed_effectively("gzip", path, len(body), packed)
            else len(body)
        )
    if len(body) < NGINX_GZIP_MIN_LENGTH:
        return len(body)
    return len(gzip.compress(body, compresslevel=NGINX_GZIP_LEVEL, mtime=0))


def test_guide_page_weighs_under_40_kb_as_production_sends_it(
    browser, site_url, shipped_guides, capsys
):
    with new_tab(browser, viewport=PHONE) as tab:
        finished = []
        tab.on("requestfinished", lambda request: finished.append(request))
        response = tab.goto(site_url + GUIDE)
        assert response.status == 200
        tab.wait_for_load_state("networkidle")

        resources = []
        for request in finished:
            body = request.response().body()
            sizes = request.sizes()
            path = urlsplit(request.url).path
            resources.append(
                {
                    "path": path,
                    "type": request.resource_type,
                    "status": request.response().status,
                    "bytes": len(body),
                    "received_bytes": sizes["responseBodySize"],
                    "header_bytes": sizes["responseHeadersSize"],
                    "production_bytes": production_body_size(path, body),
                }
            )

    html = next(item for item in resources if item["path"] == GUIDE)
    total = sum(item["production_bytes"] + item["header_bytes"] for item in resources)
    report = {
        "page": GUIDE,
        "viewport": PHONE,
        "budget_bytes": PAGE_BUDGET,
        "total_bytes": total,
        "html_bytes": html["bytes"],
        "html_budget_bytes": HTML_BUDGET,
        "uncompressed_bytes": sum(item["bytes"] for item in resources),
        "resources": resources,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(report, indent=2) + "\n")
    with capsys.disabled():
        print(
            f"\n{GUIDE} weighs {total / 1000:.1f} kB as production sends it, headers included "
            f"({report['uncompressed_bytes'] / 1000:.1f} kB uncompressed, "
            f"{len(resources)} responses); its HTML is {html['bytes'] / 1000:.1f} kB. Bodies:"
        )
        for item in sorted(resources, key=lambda item: -item["production_bytes"]):
            print(f"  {item['production_bytes'] / 1000:7.1f} kB  {item['type']:<10} {item['path']}")

    # Everything arrived in full, and the page, its styles, script and images are counted.
    assert all(item["status"] == 200 for item in resources)
    assert all(item["received_bytes"] == item["bytes"] for item in resources), (
        "the test server now compresses: measure what it sends instead"
    )
    assert {"document", "stylesheet", "script", "image"} <= {item["type"] for item in resources}
    assert html["bytes"] < HTML_BUDGET, f"the guide's HTML is {html['bytes']} bytes"
    assert total < PAGE_BUDGET, f"the guide page weighs {total} bytes: {report['resources']}"
