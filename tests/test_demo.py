"""``crossorigin demo``: its command line, its sockets, its page server and its recorder.

Every button of the page, in Chromium, Firefox and WebKit, is tested in
tests/browser/test_demo_page.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossorigin._cli.demo import Demo, bind, main
from tests.demo_server import running_demo

SRC = str(Path(__file__).resolve().parents[1] / "src")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


# --- the demo, started on free ports ---------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """The demo's two servers on free ports, in a thread of this process."""
    with running_demo() as running:
        yield running


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
        lines = [proc.stdout.readline() for _ in range(5)]
        page_url = lines[1].split()[1]
        api_url = lines[2].split()[1]
        assert lines[0] == "crossorigin demo is running (loopback only):\n"
        assert page_url.startswith("http://localhost:")
        assert api_url.startswith("http://127.0.0.1:")
        assert lines[3].split()[:2] == ["lab", page_url + "/lab"]
        assert lines[4] == "Press Ctrl-C to stop.\n"
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
        # TCP by number, so that asyncio sets TCP_NODELAY on each accepted connection (it
        # checks sock.proto): otherwise Nagle holds a response's body back ~40 ms.
        protocols = {sock.proto for sock in sockets}
    finally:
        for sock in sockets:
            sock.close()
    assert addresses <= want
    assert "127.0.0.1" in addresses
    assert len(ports) == 1
    assert protocols == {socket.IPPROTO_TCP}


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
        "lab": f"http://localhost:{demo.page_port}/lab",
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
