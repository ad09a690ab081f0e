"""The ``crossorigin demo`` page in Chromium, Firefox ESR and WebKitGTK: every button clicked.

Each test opens the demo page (started on free ports), clicks a button from inside the page
(``button.click()`` in the engine's own JS, so all three engines run the same code), waits for
the card, and asserts what the browser allowed or blocked (verdict, status, readable headers,
body, the Origin it sent) and what the server decided: the requests it received, their status,
crossorigin's reason code and the exact ``access-control-*`` and ``vary`` headers. The three
engines agree on every button; only the wording of the ``TypeError`` differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from crossorigin._cli.demo import Demo
from tests.browser.engines import Engine
from tests.demo_server import running_demo

pytestmark = pytest.mark.browser

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """The demo's two servers on free ports, in a thread of this process."""
    with running_demo() as running:
        yield running


_RUN_BUTTON = """async (scenario) => {
  const card = document.querySelector(`[data-scenario="${scenario}"]`);
  card.querySelector("button").click();
  for (let i = 0; i < 800 && card.dataset.state !== "done"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { card: { ...card.dataset }, ...window.demoResults[scenario] };
}"""


def run_button(engine: Engine, demo: Demo, scenario: str) -> dict[str, Any]:
    """Open the page, click a scenario's Run button, and return the card, report and records."""
    # Every click uses new URLs (?run=<id>), so only the cookie scenario needs an empty jar.
    with engine.session(fresh=scenario == "credentials") as session:
        result: dict[str, Any] = session.run(demo.page_url, _RUN_BUTTON, scenario)
    assert result["card"]["state"] == "done", f"{scenario} did not finish in {engine.name}"
    return result


# Exact CORS headers (access-control-* and vary) the API sends; "{page}" is the page's origin.
ACTUAL_ALLOWED = {
    "access-control-allow-origin": "{page}",
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "x-request-id",
    "vary": "Origin",
}
ACTUAL_DENIED = {"vary": "Origin"}
PREFLIGHT_DENIED = {"vary": PREFLIGHT_VARY}


def preflight_allowed(**extra: str) -> dict[str, str]:
    """The headers of a successful preflight, plus ACAM/ACAH as given."""
    return {
        "access-control-allow-origin": "{page}",
        "access-control-allow-credentials": "true",
        "access-control-max-age": "600",
        "vary": PREFLIGHT_VARY,
        **{f"access-control-allow-{k}": v for k, v in extra.items()},
    }


@dataclass(frozen=True)
class Button:
    """What one button must show: the browser's verdict and the server's decisions."""

    verdict: str  # "allowed" or "blocked"
    status: str  # status the script saw; "" when blocked
    origin: str  # "page", "denied" or "null": the Origin the browser sent
    server: list[tuple[str, int, str, dict[str, str]]]  # method, status, reason, CORS headers
    read: dict[str, str | None] = field(default_factory=dict)  # response.headers.get(name)
    body: str | None = None  # the last response's body


BUTTONS = [
    pytest.param("simple-get", Button("allowed", "200", "page", [
        ("GET", 200, "allowed", ACTUAL_ALLOWED)]), id="simple GET"),
    pytest.param("json-post", Button("allowed", "201", "page", [
        ("OPTIONS", 204, "allowed", preflight_allowed(headers="content-type")),
        ("POST", 201, "allowed", ACTUAL_ALLOWED)]), id="JSON POST with preflight"),
    pytest.param("put", Button("allowed", "200", "page", [
        ("OPTIONS", 204, "allowed", preflight_allowed(methods="PUT")),
        ("PUT", 200, "allowed", ACTUAL_ALLOWED)]), id="PUT"),
    pytest.param("delete", Button("allowed", "204", "page", [
        ("OPTIONS", 204, "allowed", preflight_allowed(methods="DELETE")),
        ("DELETE", 204, "allowed", ACTUAL_ALLOWED)]), id="DELETE"),
    pytest.param("custom-header", Button("allowed", "200", "page", [
        ("OPTIONS", 204, "allowed", preflight_allowed(headers="x-demo-token")),
        ("GET", 200, "allowed", ACTUAL_ALLOWED)]), id="custom header"),
    pytest.param("authorization", Button("allowed", "200", "page", [
        ("OPTIONS", 204, "allowed", preflight_allowed(headers="authorization")),
        ("GET", 200, "allowed", ACTUAL_ALLOWED)]), id="Authorization"),
    pytest.param("credentials", Button("allowed", "200", "page", [
        ("GET", 200, "allowed", ACTUAL_ALLOWED),
        ("GET", 200, "allowed", ACTUAL_ALLOWED)], body='{"cookie_received":true}'),
        id="credentials with a cookie"),
    pytest.param("exposed-header", Button("allowed", "200", "page", [
        ("GET", 200, "allowed", ACTUAL_ALLOWED)],
        read={"x-request-id": "req-?", "x-internal-trace": None}), id="exposed header"),
    pytest.param("header-not-allowed", Button("blocked", "", "page", [
        ("OPTIONS", 403, "header_not_allowed", PREFLIGHT_DENIED)]), id="header not allowed"),
    pytest.param("method-not-allowed", Button("blocked", "", "page", [
        ("OPTIONS", 403, "method_not_allowed", PREFLIGHT_DENIED)]), id="PATCH not allowed"),
    pytest.param("denied-origin", Button("blocked", "", "denied", [
        ("GET", 200, "origin_not_allowed", ACTUAL_DENIED)]), id="disallowed origin"),
    pytest.param("raises", Button("allowed", "500", "page", [
        ("GET", 500, "allowed", ACTUAL_ALLOWED)], body="Internal Server Error"),
        id="route that raises"),
    pytest.param("not-found", Button("allowed", "404", "page", [
        ("GET", 404, "allowed", ACTUAL_ALLOWED)]), id="404"),
    pytest.param("null-origin", Button("blocked", "", "null", [
        ("GET", 200, "origin_null", ACTUAL_DENIED)]), id="null origin from a sandboxed iframe"),
]  # fmt: skip


@pytest.mark.parametrize(("scenario", "want"), BUTTONS)
def test_button(engine: Engine, demo: Demo, scenario: str, want: Button) -> None:
    """Each button shows the expected browser verdict and the server's exact decision."""
    result = run_button(engine, demo, scenario)
    page, port = demo.page_url, demo.page_port
    origin = {"page": page, "denied": f"http://127.0.0.1:{port}", "null": "null"}[want.origin]
    last = result["report"]["results"][-1]
    card = result["card"]
    assert (card["verdict"], card["status"], card["origin"]) == (want.verdict, want.status, origin)
    if want.verdict == "blocked":
        # Only the wording differs: "Failed to fetch" (Chromium), "NetworkError when attempting
        # to fetch resource." (Firefox), "Load failed" (WebKit).
        assert last["error"].startswith("TypeError: "), last
    for name, value in want.read.items():
        got = last["read"][name]
        assert got == value or (value == "req-?" and got.startswith("req-")), (name, got)
    if want.body is not None:
        assert last["body"] == want.body
    records = result["decisions"]
    actual = [(r["method"], r["status"], r["reason"], r["cors_headers"]) for r in records]
    expected = [
        (method, status, reason, {k: v.format(page=page) for k, v in headers.items()})
        for method, status, reason, headers in want.server
    ]
    assert actual == expected
    assert {r["origin"] for r in records} == {origin}
    if scenario == "raises":
        assert records[0]["error"] == "RuntimeError: this demo route always raises"
    if scenario == "credentials":
        assert [r["cookie"] for r in records] == [False, True]
    # The page shows the server's decisions, reason codes included.
    signature = "; ".join(
        f"{m} {s} " + ("allowed" if reason == "allowed" else f"denied:{reason}")
        for m, s, reason, _ in want.server
    )
    assert card["server"] == signature


def test_run_all_button(engine: Engine, demo: Demo) -> None:
    """'Run all' runs every scenario card on the page and shows each one's verdict."""
    js = """async () => {
      document.getElementById("run-all").click();
      const cards = [...document.querySelectorAll(".card")];
      for (let i = 0; i < 1200 && !cards.every((c) => c.dataset.state === "done"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return Object.fromEntries(cards.map((c) => [c.dataset.scenario, c.dataset.verdict]));
    }"""
    with engine.session() as session:
        verdicts = session.run(demo.page_url, js)
    assert verdicts == {p.values[0]: p.values[1].verdict for p in BUTTONS}


def test_page_shows_active_config(engine: Engine, demo: Demo) -> None:
    """The page shows the API's CORSConfig, read cross-origin from the API, and no warning."""
    js = """async () => {
      const pre = document.getElementById("config");
      for (let i = 0; i < 400 && !pre.textContent.startsWith("CORSConfig("); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return [pre.textContent, document.querySelector("header .warning") === null];
    }"""
    with engine.session(fresh=False) as session:
        text, no_warning = session.run(demo.page_url, js)
    assert f"    allow_origins=['{demo.page_url}'],\n" in text
    assert "    allow_credentials=True,\n" in text
    assert "    allow_methods=['DELETE', 'GET', 'POST', 'PUT'],\n" in text
    assert no_warning


def test_page_on_a_denied_origin_says_so(engine: Engine, demo: Demo) -> None:
    """Opened as http://127.0.0.1:PAGE_PORT, the page tells the user which URL to open."""
    js = "async () => document.querySelector('header .warning').textContent"
    with engine.session(fresh=False) as session:
        warning = session.run(f"http://127.0.0.1:{demo.page_port}/", js)
    assert warning == (
        f"This copy of the page runs on http://127.0.0.1:{demo.page_port}, which the API does not"
        f" allow: open {demo.page_url} instead."
    )
