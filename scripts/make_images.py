"""Draw the site's raster images from its logo, static/img/logo.svg, in Chromium.

    .venv/bin/python scripts/make_images.py

writes, in static/img/:

- favicon.ico: 16, 32 and 48 pixel icons (PNG inside the ICO file), for
  /favicon.ico and browsers without SVG icons;
- logo.png: 512 x 512, the organisation's logo in its JSON-LD (search engines
  want a raster image of at least 112 pixels);
- share.png: 1200 x 630, the picture of a shared link (og:image), the logo and
  the name on a plain background.

Run it again after changing the logo and commit the files it writes. It needs the
browser the tests use (`make browser-deps`: Debian's chromium).
"""

import struct
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "static" / "img"
CHROMIUM = "/usr/bin/chromium"
ICON_SIZES = (16, 32, 48)
LOGO_SIZE = 512
SHARE_WIDTH, SHARE_HEIGHT = 1200, 630
NAME = "Cardinal Recovery"
TAGLINE = "Addiction treatment and a free, confidential assessment"

SHARE_PAGE = """<!doctype html>
<html><head><style>
  html, body {{ margin: 0; width: {width}px; height: {height}px; }}
  body {{
    display: flex; align-items: center; justify-content: center; gap: 48px;
    background: #f7f5f2; color: #1f2328;
    font-family: "DejaVu Sans", "Liberation Sans", sans-serif;
  }}
  svg {{ width: 240px; height: 240px; flex: none; }}
  h1 {{ margin: 0 0 16px; font-size: 72px; line-height: 1.1; }}
  p {{ margin: 0; font-size: 34px; line-height: 1.3; max-width: 640px; }}
</style></head>
<body>{logo}<div><h1>{name}</h1><p>{tagline}</p></div></body></html>
"""

SQUARE_PAGE = """<!doctype html>
<html><head><style>
  html, body {{ margin: 0; width: {size}px; height: {size}px; background: transparent; }}
  svg {{ display: block; width: {size}px; height: {size}px; }}
</style></head><body>{logo}</body></html>
"""


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG image per size (square, under 256 pixels)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def main() -> int:
    logo = (IMAGES / "logo.svg").read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:

            def square(size: int) -> bytes:
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(SQUARE_PAGE.format(size=size, logo=logo))
                png = page.screenshot(omit_background=True)
                page.close()
                return png

            (IMAGES / "favicon.ico").write_bytes(ico({size: square(size) for size in ICON_SIZES}))
            (IMAGES / "logo.png").write_bytes(square(LOGO_SIZE))
            page = browser.new_page(viewport={"width": SHARE_WIDTH, "height": SHARE_HEIGHT})
            page.set_content(
                SHARE_PAGE.format(
                    width=SHARE_WIDTH, height=SHARE_HEIGHT, logo=logo, name=NAME, tagline=TAGLINE
                )
            )
            (IMAGES / "share.png").write_bytes(page.screenshot())
        finally:
            browser.close()
    for name in ("favicon.ico", "logo.png", "share.png"):
        print(f"wrote static/img/{name} ({(IMAGES / name).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
