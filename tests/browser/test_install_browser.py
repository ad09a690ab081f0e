"""``crossorigin.install`` in Chromium: the app's own JSON 500 arrives, readable, with CORS headers.

The API (FastAPI with an ``Exception`` handler) is served on ``http://127.0.0.1:P`` by uvicorn;
the page on ``http://localhost:A``, a cross-site origin the API allows with credentials. The
page ``fetch``es a route that raises and reads the status and the JSON body: behind
``install`` the app's handler answers; behind ``add_middleware`` crossorigin's plain 500 does
(both readable, which is what a page needs to tell an error from a CORS failure).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import crossorigin
from crossorigin import CORSMiddleware
from tests.browser.test_protect_browser import ARGS, CHROMIUM, page_app
from tests.uvicorn_thread import serve

pytestmark = pytest.mark.browser


def api(origin: str, *, installed: bool) -> FastAPI:
    app = FastAPI()

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal", "kind": type(exc).__name__}, status_code=500)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    cors = {"allow_origins": [origin], "allow_credentials": True}
    if installed:
        crossorigin.install(app, **cors)
    else:
        app.add_middleware(CORSMiddleware, **cors)
    return app


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"!!! {CHROMIUM} is missing: browser test skipped (apt-get install chromium) !!!")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


FETCH = """async (url) => {
  const response = await fetch(url, {credentials: "include"});
  return {status: response.status, body: await response.text()};
}"""


@pytest.mark.parametrize(
    ("installed", "body"),
    [
        pytest.param(True, '{"error":"internal","kind":"RuntimeError"}', id="install: the app's JSON 500"),
        pytest.param(False, "Internal Server Error", id="add_middleware: crossorigin's plain 500"),
    ],
)
def test_500_body_readable_cross_origin(chromium: Any, installed: bool, body: str) -> None:
    with serve(page_app, both_families=True) as page_port:
        origin = f"http://localhost:{page_port}"
        with serve(api(origin, installed=installed)) as api_port:
            page = chromium.new_page()
            try:
                page.goto(f"{origin}/")
                result = page.evaluate(FETCH, f"http://127.0.0.1:{api_port}/boom")
            finally:
                page.close()
    assert result == {"status": 500, "body": body}
