"""``crossorigin demo``: its command line, its servers, and every button of its page in a browser.

The browser part drives the page through a :class:`Session` (navigate, then await a JS function
that clicks and reads the page), the interface of tests/browser/engines.py, so the same table
runs in any engine. Today that is Chromium through Playwright; Firefox and WebKit plug in once
tests/browser/engines.py is on the branch.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from crossorigin._demo import Demo, bind, main, run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SRC = str(Path(__file__).resolve().parents[1] / "src")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


# --- the demo, started on free ports ---------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """The demo's two servers on free ports, in a thread of this process."""
    started: list[Demo] = []
    ready = threading.Event()

    def on_ready(running: Demo) -> None:
        started.append(running)
        ready.set()

    thread = threading.Thread(target=run, args=(0, 0), kwargs={"ready": on_ready}, daemon=True)
    thread.start()
    assert ready.wait(30), "the demo did not start"
    yield started[0]
    started[0].stop()
    thread.join(10)
    assert not thread.is_alive(), "the demo did not stop"


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else is listening on (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# --- command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag",
    [
        pytest.param("--api-port", id="api port taken"),
        pytest.param("--page-port", id="page port taken"),
    ],
)
def test_port_taken_is_a_clear_error(
    flag: str, busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port in use makes the demo exit 2 before serving, naming the port and the flag."""
    other = "--page-port" if flag == "--api-port" else "--api-port"
    code = main([flag, str(busy_port), other, "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"Error: port {busy_port} on 127.0.0.1 is already in use; stop what is using it or"
        f" choose another port with {flag} (e.g. {flag} {busy_port + 1}).\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--host", "0.0.0.0"], id="host not loopback"),
        pytest.param(["--api-port", "4000", "--page-port", "4000"], id="same port twice"),
        pytest.param(["--api-port", "70000"], id="port out of range"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad flags exit 2 with a message on stderr and start nothing."""
    assert main(argv) == 2
    assert capsys.readouterr().err


@pytest.mark.parametrize(
    "sig", [pytest.param(signal.SIGINT, id="Ctrl-C"), pytest.param(signal.SIGTERM, id="SIGTERM")]
)
def test_command_prints_urls_and_stops_cleanly(sig: signal.Signals) -> None:
    """`python -m crossorigin demo` prints both URLs, serves both, and exits 0 on a signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossorigin", "demo", "--api-port", "0", "--page-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        page_url = lines[1].split()[1]
        api_url = lines[2].split()[1]
        assert lines[0] == "crossorigin demo is running (loopback only):\n"
        assert page_url.startswith("http://localhost:")
        assert api_url.startswith("http://127.0.0.1:")
        assert lines[3] == "Press Ctrl-C to stop.\n"
        assert httpx.get(page_url).status_code == 200
        assert httpx.get(api_url + "/_demo/config").json()["allow_origins"] == [page_url]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out, err) == (0, "crossorigin demo stopped.\n", "")


@pytest.mark.parametrize(
    ("ipv6", "want"),
    [
        pytest.param(True, {"127.0.0.1", "::1"}, id="localhost"),
        pytest.param(False, {"127.0.0.1"}, id="IPv4 only"),
    ],
)
def test_listens_on_loopback_only(ipv6: bool, want: set[str]) -> None:
    """Each server listens on 127.0.0.1 (and [::1] when available), one port for both."""
    sockets = bind(0, ipv6, "--api-port")
    try:
        addresses = {sock.getsockname()[0] for sock in sockets}
        ports = {sock.getsockname()[1] for sock in sockets}
    finally:
        for sock in sockets:
            sock.close()
    assert addresses <= want
    assert "127.0.0.1" in addresses
    assert len(ports) == 1


@pytest.mark.parametrize(
    ("path", "status", "content_type"),
    [
        pytest.param("/", 200, "text/html; charset=utf-8", id="page"),
        pytest.param("/frame", 200, "text/html; charset=utf-8", id="frame"),
        pytest.param("/runner.js", 200, "text/javascript; charset=utf-8", id="script"),
        pytest.param("/favicon.ico", 404, "text/plain; charset=utf-8", id="anything else"),
    ],
)
def test_page_server_routes(demo: Demo, path: str, status: int, content_type: str) -> None:
    """The page server serves the page, its frame and its script, uncached; nothing else."""
    response = httpx.get(demo.page_url + path)
    assert (response.status_code, response.headers["content-type"]) == (status, content_type)
    assert response.headers["cache-control"] == "no-store"


def test_page_embeds_settings_as_json(demo: Demo) -> None:
    """The page gets the demo's origins in a JSON block, with '<' escaped."""
    html = httpx.get(demo.page_url + "/").text
    blob = html.split('<script type="application/json" id="settings">')[1].split("</script>")[0]
    assert json.loads(blob) == {
        "page": demo.page_url,
        "api": demo.api_url,
        "api_same_site": f"http://localhost:{demo.api_port}",
        "denied_origin": f"http://127.0.0.1:{demo.page_port}",
    }


def test_recorder_explains_a_denial(demo: Demo) -> None:
    """The API records a refused preflight with crossorigin's logged reason code."""
    response = httpx.options(
        demo.api_url + "/items/1?run=recorder-test",
        headers={"Origin": demo.page_url, "Access-Control-Request-Method": "PATCH"},
    )
    records = httpx.get(demo.api_url + "/_demo/decisions?run=recorder-test").json()
    assert response.status_code == 403
    assert [(r["kind"], r["status"], r["decision"], r["reason"]) for r in records] == [
        ("preflight", 403, "denied", "method_not_allowed")
    ]
    assert records[0]["cors_headers"] == {"vary": PREFLIGHT_VARY}


# --- the page in a browser -------------------------------------------------------------------


class Session(Protocol):
    """One isolated browsing context (own cookies and caches) of some engine.

    The shape of ``Session`` in tests/browser/engines.py: navigate to *page_url*, await the async
    JS function *js* called with *arg* there, and return its JSON result. Clicking is done in
    that function (``button.click()``), so every engine runs the same test code.
    """

    def run(self, page_url: str, js: str, arg: Any = None) -> Any: ...


class _ChromiumSession:
    """:class:`Session` over a Playwright page of Debian's Chromium."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def run(self, page_url: str, js: str, arg: Any = None) -> Any:
        self.page.goto(page_url)
        expression = f"(async () => JSON.stringify(await ({js})({json.dumps(arg)})))()"
        return json.loads(self.page.evaluate(expression))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched once per module; loud skip locally if absent, failure in CI."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: the demo's browser tests did NOT run"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure)")
        pytest.skip(message + " (install it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(params=["chromium"])
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """A fresh session of each engine (Firefox and WebKit join via tests/browser/engines.py)."""
    browser = request.getfixturevalue(request.param)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield _ChromiumSession(page)
    context.close()


_RUN_BUTTON = """async (scenario) => {
  const card = document.querySelector(`[data-scenario="${scenario}"]`);
  card.querySelector("button").click();
  for (let i = 0; i < 800 && card.dataset.state !== "done"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { card: { ...card.dataset }, ...window.demoResults[scenario] };
}"""


def run_button(session: Session, demo: Demo, scenario: str) -> dict[str, Any]:
    """Open the page, click a scenario's Run button, and return the card, report and records."""
    result: dict[str, Any] = session.run(demo.page_url, _RUN_BUTTON, scenario)
    assert result["card"]["state"] == "done", f"{scenario} did not finish"
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
        ("GET", 200, "origin_invalid", ACTUAL_DENIED)]), id="null origin from a sandboxed iframe"),
]  # fmt: skip


@pytest.mark.browser
@pytest.mark.parametrize(("scenario", "want"), BUTTONS)
def test_button(session: Session, demo: Demo, scenario: str, want: Button) -> None:
    """Each button shows the expected browser verdict and the server's exact decision."""
    result = run_button(session, demo, scenario)
    page, port = demo.page_url, demo.page_port
    origin = {"page": page, "denied": f"http://127.0.0.1:{port}", "null": "null"}[want.origin]
    last = result["report"]["results"][-1]
    card = result["card"]
    assert (card["verdict"], card["status"], card["origin"]) == (want.verdict, want.status, origin)
    if want.verdict == "blocked":
        assert last["error"].startswith("TypeError"), last
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


@pytest.mark.browser
def test_run_all_button(session: Session, demo: Demo) -> None:
    """'Run all' runs every scenario card on the page and shows each one's verdict."""
    js = """async () => {
      document.getElementById("run-all").click();
      const cards = [...document.querySelectorAll(".card")];
      for (let i = 0; i < 1200 && !cards.every((c) => c.dataset.state === "done"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return Object.fromEntries(cards.map((c) => [c.dataset.scenario, c.dataset.verdict]));
    }"""
    verdicts = session.run(demo.page_url, js)
    assert verdicts == {p.values[0]: p.values[1].verdict for p in BUTTONS}


@pytest.mark.browser
def test_page_shows_active_config(session: Session, demo: Demo) -> None:
    """The page shows the API's CORSConfig, read cross-origin from the API, and no warning."""
    js = """async () => {
      const pre = document.getElementById("config");
      for (let i = 0; i < 400 && !pre.textContent.startsWith("CORSConfig("); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return [pre.textContent, document.querySelector("header .warning") === null];
    }"""
    text, no_warning = session.run(demo.page_url, js)
    assert f"    allow_origins=['{demo.page_url}'],\n" in text
    assert "    allow_credentials=True,\n" in text
    assert "    allow_methods=['DELETE', 'GET', 'POST', 'PUT'],\n" in text
    assert no_warning


@pytest.mark.browser
def test_page_on_a_denied_origin_says_so(session: Session, demo: Demo) -> None:
    """Opened as http://127.0.0.1:PAGE_PORT, the page tells the user which URL to open."""
    js = "async () => document.querySelector('header .warning').textContent"
    warning = session.run(f"http://127.0.0.1:{demo.page_port}/", js)
    assert warning == (
        f"This copy of the page runs on http://127.0.0.1:{demo.page_port}, which the API does not"
        f" allow: open {demo.page_url} instead."
    )
