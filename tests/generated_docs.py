"""The generated files under docs/ that are not the browser matrix: the demo screenshot.

``python -m tests.generated_docs`` (run by ``scripts/regen-docs``) starts the demo on its
default ports (8000 and 3000, so the picture shows the URLs a user sees), opens it in headless
Chromium at 1280x900, clicks *Simple GET*, and writes docs/demo.png and docs/demo.png.sha256:
the digest of what the picture shows (the page, its runner and the list of config fields).
tests/test_generated_docs.py fails when that digest no longer matches the sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

from crossorigin import CORSConfig
from crossorigin._cli.demo_page import _resource

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "demo.png"
DIGEST = ROOT / "docs" / "demo.png.sha256"


def demo_sources_digest() -> str:
    """SHA-256 of everything the screenshot depends on."""
    digest = hashlib.sha256()
    for name in ("demo_page.html", "demo_runner.js"):
        digest.update(_resource(name))
    digest.update(" ".join(f.name for f in dataclasses.fields(CORSConfig)).encode())
    return digest.hexdigest()


def capture_demo(path: Path = SCREENSHOT) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.engines import CHROMIUM, CHROMIUM_ARGS
    from tests.demo_server import running_demo

    card = '[data-scenario="simple-get"]'
    with running_demo(8000, 3000) as demo, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(demo.page_url)
            page.wait_for_function(
                "document.getElementById('config').textContent.startsWith('CORSConfig(')"
            )
            page.click(f"{card} button")
            page.wait_for_function(f"document.querySelector('{card}').dataset.state === 'done'")
            page.mouse.move(0, 0)  # no hover highlight in the picture
            page.screenshot(path=str(path))
        finally:
            browser.close()
    DIGEST.write_text(f"{demo_sources_digest()}  sources of {path.name}\n", encoding="utf-8")


if __name__ == "__main__":
    capture_demo()
    print(f"wrote {SCREENSHOT.relative_to(ROOT)} and {DIGEST.relative_to(ROOT)}", file=sys.stderr)
