"""A real uvicorn server on 127.0.0.1 for the Starlette and FastAPI integration tests.

The socket is bound to port 0 before the server starts (no pick-then-bind race), the server
runs in a thread and is shut down when the block exits. ``log_config=None`` leaves logging
alone, so ``uvicorn.error`` records reach pytest's ``caplog``. After httpx's
``tests/conftest.py`` ``serve_in_thread``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from crossorigin._types import ASGIApp, Receive, Scope, Send

ORIGIN = "https://a.example"
DENIED = "https://evil.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
CONFIG: dict[str, Any] = {
    "allow_origins": [ORIGIN],
    "allow_methods": ["PUT", "DELETE"],
    "allow_headers": ["x-foo"],
    "expose_headers": ["x-total"],
    "max_age": 600,
}
ACTUAL = {
    "access-control-allow-origin": ORIGIN,
    "access-control-expose-headers": "x-total",
    "vary": "Origin",
}
PREFLIGHT = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-methods": "PUT",
    "access-control-allow-headers": "x-foo",
    "access-control-max-age": "600",
    "vary": PREFLIGHT_VARY,
}
PREFLIGHT_HEADERS = {
    "origin": ORIGIN,
    "access-control-request-method": "PUT",
    "access-control-request-headers": "x-foo",
}


class Counting:
    """Counts the HTTP requests that get past the CORS middleware into the application."""

    def __init__(self, app: ASGIApp, box: list[int]) -> None:
        self.app = app
        self.box = box

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.box[0] += 1
        await self.app(scope, receive, send)


@contextlib.contextmanager
def serve(app: Any, *, lifespan: str = "off") -> Iterator[str]:
    """Run *app* under uvicorn on 127.0.0.1; yield its base URL; stop it on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan=lifespan, ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def client(base_url: str) -> httpx.Client:
    """An httpx client for the live server (no proxies from the environment)."""
    return httpx.Client(base_url=base_url, trust_env=False, timeout=10)


def server_errors(caplog: pytest.LogCaptureFixture) -> list[tuple[type, str]]:
    """Exceptions uvicorn logged on ``uvicorn.error``, waiting up to 5 s for the first one.

    uvicorn logs an application's exception after the response has been sent, so the
    client may see the response before the record exists.
    """
    deadline = time.monotonic() + 5
    while True:
        found = [
            (record.exc_info[0], str(record.exc_info[1]))
            for record in caplog.records
            if record.name == "uvicorn.error" and record.exc_info and record.exc_info[0]
        ]
        if found or time.monotonic() > deadline:
            return found  # type: ignore[return-value]
        time.sleep(0.02)
