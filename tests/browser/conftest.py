"""Fixtures of the real-browser suite: engines, the two-origin topology, the verdict matrix.

Topology (shared/spec/browser-testing.md), all on loopback, each server bound to 127.0.0.1 and
[::1] on one port 0 socket pair:

- page servers ``http://localhost:F`` (the "allowed" origin) and ``http://localhost:G`` (the
  "denied" one, or a second allowed origin); ``http://app.localhost:F`` reaches the first too;
- the API ``http://127.0.0.1:P`` (cross-site to the pages), also reached as
  ``http://localhost:P`` (cross-origin but same-site) for credentialed cases, so cookies travel.

The API is the tests' Starlette app behind crossorigin's ``CORSMiddleware``; :meth:`Api.configure`
rebuilds it per test. :class:`Api` records every exchange (request line and headers, response
status and headers) so a test asserts the server's side as well as the browser's verdict.
"""

from __future__ import annotations

import difflib
import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._types import ASGIApp, Message, Receive, Scope, Send
from tests.apps import routes
from tests.browser import engines
from tests.uvicorn_thread import serve

ENGINES = ["chromium", "firefox", "webkit"]
MATRIX = Path(__file__).resolve().parents[2] / "docs" / "browser-matrix.md"
NOBODY = CORSConfig(allow_origins=["http://localhost:1"])
"""Between tests the API allows no origin of the topology."""
PAGE = b"<!doctype html><meta charset=utf-8><title>page</title><body><p>page</p></body>"


# -- the API and what it records -----------------------------------------------------------


@dataclass
class Exchange:
    """One request the API received and the response it sent."""

    method: str
    path: str
    query: str
    request: httpx.Headers
    status: int = 0
    response: httpx.Headers = field(default_factory=httpx.Headers)

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS" and "access-control-request-method" in self.request


async def cacheable(request: Request) -> Response:
    """A GET the HTTP cache may keep for ten minutes (the Vary test)."""
    body = {"origin": request.headers.get("origin")}
    return JSONResponse(body, headers={"cache-control": "public, max-age=600"})


async def redirect(request: Request) -> Response:
    """307 to the URL in ``?to=`` (the redirect tests)."""
    return RedirectResponse(request.query_params["to"], status_code=307)


def api_routes() -> list[Route]:
    return [*routes(), Route("/cacheable", cacheable), Route("/redirect", redirect)]


class Api:
    """The API server's app: records every exchange, then runs the configured middleware."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.app: ASGIApp = self.build(NOBODY)

    @staticmethod
    def build(config: CORSConfig) -> ASGIApp:
        app = Starlette(routes=api_routes())
        app.add_middleware(CORSMiddleware, config=config)
        return app

    def configure(self, config: CORSConfig | dict[str, Any]) -> None:
        """Serve *config* from now on (a dict is passed to ``CORSConfig``)."""
        if isinstance(config, dict):
            config = CORSConfig(**config)
        self.app = self.build(config)

    def use_app(self, app: ASGIApp) -> None:
        """Serve a raw app instead of crossorigin (control experiments)."""
        self.app = app

    def seen(self, token: str) -> list[Exchange]:
        """The exchanges of the URLs that carry ``u=<token>``."""
        return [e for e in self.exchanges if f"u={token}" in e.query]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            httpx.Headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
            ),
        )
        self.exchanges.append(exchange)

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response = httpx.Headers(
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
                )
            await send(message)

        await self.app(scope, receive, record)


async def page_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The page servers: the same empty HTML page at every path; scripts come from the test."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": PAGE})


@dataclass
class Topology:
    api: Api
    api_port: int
    page_port: int
    other_port: int

    @property
    def allowed(self) -> str:
        return f"http://localhost:{self.page_port}"

    @property
    def denied(self) -> str:
        return f"http://localhost:{self.other_port}"

    @property
    def cross_site_api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def same_site_api(self) -> str:
        return f"http://localhost:{self.api_port}"

    def subdomain(self, label: str) -> str:
        return f"http://{label}.localhost:{self.page_port}"


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    api = Api()
    with (
        # No uvicorn-added date/server headers: the record is then exactly what went on the wire.
        serve(api, both_families=True, server_header=False, date_header=False) as api_port,
        serve(page_app, both_families=True) as page_port,
        serve(page_app, both_families=True) as other_port,
    ):
        yield Topology(api, api_port, page_port, other_port)


@pytest.fixture
def api(topology: Topology) -> Iterator[Api]:
    """The API, with a clean record; reset to a deny-all config after the test."""
    topology.api.exchanges.clear()
    yield topology.api
    topology.api.configure(NOBODY)


@pytest.fixture
def token() -> str:
    """A unique query value: isolates each test's URLs in every cache and in the records."""
    return uuid.uuid4().hex[:12]


# -- engines -------------------------------------------------------------------------------


def _start(name: str) -> Iterator[engines.Engine]:
    engine = engines.make(name)
    if not engine.available():
        message = (
            f"!!! BROWSER TESTS NOT RUN in {name}: {engine.binary} is missing (apt-get install"
            " chromium firefox-esr webkit2gtk-driver xvfb; with CI set this is a failure) !!!"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    engine.start()  # a present engine that fails to start is always a failure
    VERSIONS[name] = engine.version
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[engines.Engine]:
    """Each engine, started once per session (tests are grouped by engine)."""
    yield from _start(request.param)


@pytest.fixture(scope="session")
def strict_firefox() -> Iterator[engines.Engine]:
    """Firefox enforcing that ``*`` in Access-Control-Allow-Headers never covers Authorization."""
    yield from _start("firefox-strict")


# -- the verdict matrix --------------------------------------------------------------------

VERSIONS: dict[str, str] = {}
VERDICTS: dict[tuple[str, str], str] = {}
ROW_ORDER: list[str] = []
RUN: dict[str, Any] = {"expected": 0, "passed": 0}


@pytest.fixture
def verdict() -> Any:
    """``verdict(row, engine_name, allowed, note="")`` records one cell of the matrix page."""

    def record(row: str, engine_name: str, allowed: bool, note: str = "") -> None:
        if row not in ROW_ORDER:
            ROW_ORDER.append(row)
        cell = "allowed" if allowed else "blocked"
        VERDICTS[row, engine_name] = f"{cell} ({note})" if note else cell

    return record


def _is_matrix_test(item: pytest.Item) -> bool:
    return item.nodeid.startswith("tests/browser/test_browser.py::")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    RUN["expected"] = sum(1 for item in items if _is_matrix_test(item))
    # A -k/-m filter or a node id (test_browser.py::x) selects part of the suite only.
    RUN["filtered"] = bool(
        config.getoption("keyword")
        or config.getoption("markexpr")
        or any("test_browser.py::" in arg for arg in config.args)
        or config.getoption("lf", False)
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith("tests/browser/test_browser.py::") and report.when == "call":
        RUN["passed"] += report.passed


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a complete, green run, check docs/browser-matrix.md (write it with --write-docs).

    Tests never write tracked files: a run compares the verdicts it saw with the page and fails
    the session when they differ (``scripts/regen-docs`` rewrites it). The ``Engines:`` line is
    not compared, so a newer browser build that behaves the same does not fail CI.
    """
    complete = RUN["expected"] > 0 and RUN["passed"] == RUN["expected"] and not RUN["filtered"]
    if not (complete and VERDICTS):
        return
    rendered = render_matrix()
    if session.config.getoption("write_docs"):
        MATRIX.write_text(rendered, encoding="utf-8")
        return
    current = MATRIX.read_text(encoding="utf-8") if MATRIX.exists() else ""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
    if _without_versions(current) == _without_versions(rendered):
        if reporter is not None:
            reporter.write_line(f"docs/browser-matrix.md is current ({len(ROW_ORDER)} rows)")
    else:
        diff = difflib.unified_diff(
            current.splitlines(), rendered.splitlines(), "docs/browser-matrix.md", "this run"
        )
        message = "docs/browser-matrix.md is stale; run scripts/regen-docs\n" + "\n".join(diff)
        if reporter is not None:
            reporter.write_line(message, red=True)
        else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _without_versions(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("Engines: ")]


def render_matrix() -> str:
    columns = [name for name in [*ENGINES, "firefox-strict"] if name in VERSIONS]
    lines = [
        "# Browser verdict matrix",
        "",
        "Generated by `scripts/regen-docs` (the browser suite with `--write-docs`) after a",
        "complete, green run; do not edit by hand: every run of the suite checks it is current.",
        "Each row is a scenario of the real-browser suite, each cell what the engine did with the",
        "page's `fetch()`: **allowed** (the page read the response) or **blocked**",
        "(the fetch rejected). Every test also asserts the exact `access-control-*` headers the",
        "server sent, and for the rows of `tests/scenarios.py` that `crossorigin._browser.fetch` (the",
        "browser side of Fetch, from the standard) predicts the engine's verdict from those",
        "headers. `firefox-strict` is Firefox with",
        f"`{engines.STRICT_AUTHORIZATION_PREF}=false` (the Fetch rule that `*` never",
        "covers `Authorization`), run for the Authorization scenarios only.",
        "",
        "Engines: " + "; ".join(f"{name}: {VERSIONS[name]}" for name in columns) + ".",
        "",
        "| scenario | " + " | ".join(columns) + " |",
        "| --- | " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in ROW_ORDER:
        cells = [VERDICTS.get((row, name), "-") for name in columns]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
