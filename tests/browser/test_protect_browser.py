"""Issue 5 in a real browser: write protection, WebSocket Origin checks and the shadow policy.

Topology (shared/spec/browser-testing.md): the API and its own page on ``http://127.0.0.1:P``;
an allowed page origin ``http://localhost:A`` and a disallowed one ``http://localhost:D``, both
cross-site to the API. The API's route has a side effect (a list the test reads), so a test
proves the route did not run, not only that the page could not read the answer.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._asgi.decisions import Decision
from crossorigin._types import Receive, Scope, Send
from tests.uvicorn_thread import serve

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = b"<!doctype html><meta charset=utf-8><title>page</title><p>page</p>"


async def _send_text(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    while (await receive()).get("more_body"):
        pass


async def page_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The page servers: one empty HTML page (scripts are injected by the test)."""
    await _drain(receive)
    await _send_text(send, 200, PAGE, b"text/html; charset=utf-8")


@dataclass
class Api:
    """The API behind the middleware under test; the middleware is swapped per test."""

    effects: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, int]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    middleware: Any = None

    def configure(self, config: CORSConfig, shadow: CORSConfig | None = None) -> None:
        self.effects.clear()
        self.responses.clear()
        self.decisions.clear()
        self.middleware = CORSMiddleware(
            self.inner, config=config, shadow=shadow, on_decision=self.decisions.append
        )

    async def inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()
            self.effects.append("WEBSOCKET /ws")
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": "hello"})
            await receive()  # until the page closes it
            return
        await _drain(receive)
        if scope["method"] == "GET" and scope["path"] == "/":
            await _send_text(send, 200, PAGE, b"text/html; charset=utf-8")
            return
        if scope["path"] != "/transfer":  # e.g. /favicon.ico
            await _send_text(send, 404, b"", b"text/plain")
            return
        self.effects.append(f"{scope['method']} {scope['path']}")
        await _send_text(send, 200, b"done", b"text/plain; charset=utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        kind = scope["type"]
        method = scope.get("method", "WEBSOCKET")

        async def record(message: dict[str, Any]) -> None:
            if scope["path"] not in ("/transfer", "/ws"):
                pass
            elif message["type"] in ("http.response.start", "websocket.http.response.start"):
                self.responses.append((method, scope["path"], message["status"]))
            elif message["type"] == "websocket.accept":
                self.responses.append((method, scope["path"], 101))
            await send(message)

        assert kind in ("http", "websocket")
        await self.middleware(scope, receive, record)


@dataclass
class Topology:
    api: Api
    api_origin: str
    allowed: str
    disallowed: str

    def page(self, which: str) -> str:
        return {"allowed": self.allowed, "disallowed": self.disallowed, "same": self.api_origin}[
            which
        ]


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    api = Api()
    api.configure(CORSConfig(allow_origins=["http://localhost:1"]))
    with (
        serve(api) as api_port,
        serve(page_app, both_families=True) as allowed_port,
        serve(page_app, both_families=True) as disallowed_port,
    ):
        yield Topology(
            api,
            f"http://127.0.0.1:{api_port}",
            f"http://localhost:{allowed_port}",
            f"http://localhost:{disallowed_port}",
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = (
            f"!!! BROWSER TESTS NOT RUN: {CHROMIUM} is missing"
            " (apt-get install chromium; with CI set this fails instead) !!!"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


# -- what a page does ----------------------------------------------------------------------

FETCH = """async ([url, init]) => {
  try {
    const r = await fetch(url, {...init, signal: AbortSignal.timeout(5000)});
    return "ok " + r.status + " " + await r.text();
  } catch (e) { return "blocked"; }
}"""
WEBSOCKET = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => resolve("timeout"), 5000);
  ws.onmessage = (e) => { clearTimeout(timer); ws.close(); resolve("open " + e.data); };
  ws.onerror = () => { clearTimeout(timer); resolve("blocked"); };
})"""
FORM = """(url) => {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = url;
  const input = document.createElement("input");
  input.name = "amount";
  input.value = "100";
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
}"""


def act(page: Any, topo: Topology, which: str, action: str) -> str:
    """Open the page origin *which* and perform *action*; the browser-visible outcome."""
    page.goto(topo.page(which) + "/")
    api = topo.api_origin
    if action == "form POST":
        with page.expect_navigation() as navigation:
            page.evaluate(FORM, f"{api}/transfer")
        response = navigation.value
        return "ok 200 done" if response.status == 200 else f"status {response.status}"
    if action == "text/plain POST":
        init = {"method": "POST", "headers": {"content-type": "text/plain"}, "body": "x"}
        return str(page.evaluate(FETCH, [f"{api}/transfer", init]))
    if action == "JSON PUT":
        init = {"method": "PUT", "headers": {"content-type": "application/json"}, "body": "{}"}
        return str(page.evaluate(FETCH, [f"{api}/transfer", init]))
    if action == "GET":
        return str(page.evaluate(FETCH, [f"{api}/transfer", {}]))
    if action == "WebSocket":
        return str(page.evaluate(WEBSOCKET, api.replace("http://", "ws://") + "/ws"))
    raise AssertionError(action)


def protected(topo: Topology) -> CORSConfig:
    return CORSConfig(
        allow_origins=[topo.allowed],
        allow_methods=["PUT"],
        protect_writes=True,
        protect_websockets=True,
    )


WRITE_ROWS = [
    pytest.param(
        "disallowed", "form POST", "status 403", [], "cross_site", id="cross-site form POST refused"
    ),
    pytest.param(
        "disallowed", "text/plain POST", "blocked", [], "cross_site",
        id="cross-site text fetch refused",
    ),
    pytest.param(
        "allowed", "form POST", "ok 200 done", ["POST /transfer"], "allowed", id="allowed form POST"
    ),
    pytest.param(
        "allowed", "text/plain POST", "ok 200 done", ["POST /transfer"], "allowed",
        id="allowed text fetch",
    ),
    pytest.param(
        "same", "form POST", "ok 200 done", ["POST /transfer"], "same_origin",
        id="same-origin form",
    ),
    pytest.param(
        "same", "text/plain POST", "ok 200 done", ["POST /transfer"], "same_origin",
        id="same-origin text fetch",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("which", "action", "outcome", "effects", "reason"), WRITE_ROWS)
def test_write_protection_in_the_browser(
    page: Any,
    topology: Topology,
    which: str,
    action: str,
    outcome: str,
    effects: list[str],
    reason: str,
) -> None:
    """Cross-site writes from a disallowed page never run the route; others do.

    The reason codes show Chromium's Sec-Fetch-Site decided (cross_site, same_origin).
    """
    topology.api.configure(protected(topology))
    assert act(page, topology, which, action) == outcome
    assert topology.api.effects == effects
    status = 403 if outcome in ("status 403", "blocked") else 200
    assert topology.api.responses[-1] == ("POST", "/transfer", status)
    writes = [d for d in topology.api.decisions if d.kind == "write-protection"]
    assert [(d.allowed, d.reason) for d in writes] == [(status == 200, reason)]


def test_cors_alone_lets_the_write_run(page: Any, topology: Topology) -> None:
    """Control: without protection the page cannot read the answer, but the route ran."""
    topology.api.configure(CORSConfig(allow_origins=[topology.allowed]))
    assert act(page, topology, "disallowed", "text/plain POST") == "blocked"
    assert topology.api.effects == ["POST /transfer"]


WS_ROWS = [
    pytest.param("disallowed", "blocked", [], id="disallowed page cannot connect"),
    pytest.param("allowed", "open hello", ["WEBSOCKET /ws"], id="allowed page connects"),
    pytest.param("same", "open hello", ["WEBSOCKET /ws"], id="same-origin page connects"),
]


@pytest.mark.parametrize(("which", "outcome", "effects"), WS_ROWS)
def test_websocket_in_the_browser(
    page: Any, topology: Topology, which: str, outcome: str, effects: list[str]
) -> None:
    """A WebSocket from a disallowed page origin fails before the app sees it."""
    topology.api.configure(protected(topology))
    assert act(page, topology, which, "WebSocket") == outcome
    assert topology.api.effects == effects
    assert topology.api.responses[-1][2] == (403 if outcome == "blocked" else 101)


ACTIONS = [
    (which, action)
    for which in ("allowed", "disallowed", "same")
    for action in ("form POST", "text/plain POST", "JSON PUT", "GET", "WebSocket")
]


def test_shadow_reports_exactly_what_the_strict_config_denies(
    page: Any, topology: Topology
) -> None:
    """Each page action the shadow reports is one the stricter config, made active, breaks."""
    api = topology.api
    strict = protected(topology)
    api.configure(strict)
    denied_by_strict = set()
    for which, action in ACTIONS:
        outcome = act(page, topology, which, action)
        if not outcome.startswith(("ok", "open")):
            denied_by_strict.add((which, action))

    broad = CORSConfig(allow_origins=[topology.allowed, topology.disallowed], allow_methods=["PUT"])
    api.configure(broad, shadow=strict)
    reported = set()
    for which, action in ACTIONS:
        before = len(api.decisions)
        outcome = act(page, topology, which, action)
        assert outcome.startswith(("ok", "open")), (which, action, outcome)  # active is broad
        if any(d.shadow and not d.allowed for d in api.decisions[before:]):
            reported.add((which, action))

    assert reported == denied_by_strict
    assert denied_by_strict == {(w, a) for w, a in ACTIONS if w == "disallowed"}
