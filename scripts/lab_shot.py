"""Regenerate docs/lab.png, the screenshot of ``crossorigin lab`` in docs/demo.md.

Run it explicitly (the test suite never does): ``python scripts/lab_shot.py [OUT.png]``.
It starts the lab on ports 3000 and 8000 (free ones if those are taken) in this process, opens
it in Debian's Chromium through Playwright (``pip install playwright``; ``apt-get install
chromium``), sends one request that the policy refuses (a custom header from
``http://app.localhost``), and saves the page.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from crossorigin._cli.demo import Demo, PortTakenError, run

CHROMIUM = "/usr/bin/chromium"
OUT = Path(__file__).resolve().parents[1] / "docs" / "lab.png"

WAIT_AND_SEND = """async () => {
  for (let i = 0; i < 400 && document.body.dataset.ready !== "yes"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await window.lab.send();
}"""


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    out = Path(argv[0]) if argv else OUT
    started: list[Demo] = []
    ready = threading.Event()

    def on_ready(demo: Demo) -> None:
        started.append(demo)
        ready.set()

    def serve() -> None:
        try:
            run(8000, 3000, ready=on_ready)  # API and page ports, as docs/demo.md shows
        except PortTakenError as exc:
            print(f"{exc.strerror}: using free ports instead", file=sys.stderr)
            run(0, 0, ready=on_ready)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    if not ready.wait(30):
        print("the lab did not start", file=sys.stderr)
        return 1
    demo = started[0]
    page_origin = demo.page_url
    state = {
        "policy": {
            "allow_origins": [page_origin, f"http://app.localhost:{demo.page_port}"],
            "allow_methods": ["GET", "POST", "PUT"],
            "allow_headers": ["authorization"],
            "allow_credentials": True,
            "expose_headers": ["x-request-id"],
        },
        "request": {
            "origin": "app.localhost",
            "method": "PUT",
            "path": "/items/1",
            "headers": "X-Lab-Token: abc123",
            "body_kind": "json",
            "body": '{"name": "plum"}',
            "credentials": "include",
        },
    }
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(demo.lab_url + "#" + quote(json.dumps(state)))
            page.evaluate(WAIT_AND_SEND)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    finally:
        demo.stop()
        thread.join(10)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
