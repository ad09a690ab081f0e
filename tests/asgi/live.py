"""The shared set-up of the framework integration tests (``test_starlette_fastapi.py``): the config,
the exact CORS headers it earns, a request counter, and the live server's URL and client.

The server is ``tests.uvicorn_thread.serve``, the tests' one uvicorn-in-a-thread helper.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossorigin._types import ASGIApp, Receive, Scope, Send
from tests import uvicorn_thread

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
    with uvicorn_thread.serve(app, lifespan=lifespan, ws="websockets-sansio") as port:
        yield f"http://127.0.0.1:{port}"


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
