"""One probe set for every framework guide, through a real server on 127.0.0.1.

Every guide's recipe (the first ``python`` block of docs/frameworks/<name>.md) serves
``/items`` (JSON with ``"started"``: whether its start-up hook ran), ``/boom`` (raises) and, where
the framework has WebSockets, an echo at ``/ws``; it allows ``https://app.example.com`` with
credentials, methods GET/POST/PUT/DELETE and headers ``authorization``/``content-type``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import cors_headers

ORIGIN = "https://app.example.com"
DENIED = "https://evil.example"
GUIDES = Path(__file__).resolve().parents[2] / "docs" / "frameworks"
PREFLIGHT = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-methods": "PUT",
    "access-control-allow-headers": "authorization",
    "access-control-allow-credentials": "true",
    "access-control-max-age": "600",
    "vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
}
ACTUAL = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-credentials": "true",
    "vary": "Origin",
}


@dataclass(frozen=True)
class Framework:
    """A guide and what its framework answers on its own."""

    guide: str
    error_body: Callable[[httpx.Response], bool]
    """Whether a 500 body is the framework's own (or the app's handler's) error page."""
    target: str = "main:app"
    interface: str = "asgi"
    servers: tuple[str, ...] = ("uvicorn",)
    websocket: bool = True
    lifespan: bool = True
    error_vary: str = "Origin"
    """``Vary`` of the framework's own 500 and 404: its tokens, then ``Origin`` merged in."""
    env: dict[str, str] = field(default_factory=dict)

    def recipe(self) -> str:
        """The guide's copy-paste recipe: its first ``python`` block."""
        text = (GUIDES / f"{self.guide}.md").read_text()
        match = re.search(r"```python\n(.*?)```", text, re.S)
        assert match is not None, f"docs/frameworks/{self.guide}.md has no python block"
        return match.group(1)


def preflight_headers() -> dict[str, str]:
    return {
        "origin": ORIGIN,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization",
    }


def probe(base_url: str, framework: Framework) -> None:
    """Every check of the framework row; exact statuses and exact CORS header sets."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for path in ("/items", "/nowhere"):  # a routed and an unrouted path
            response = client.options(path, headers=preflight_headers())
            assert (path, response.status_code) == (path, 204), response.text
            assert cors_headers(response.headers) == PREFLIGHT, path
            assert response.content == b""

        response = client.get("/items", headers={"origin": ORIGIN, "cookie": "session=1"})
        assert response.status_code == 200, response.text
        assert cors_headers(response.headers) == ACTUAL
        assert response.json()["items"] == [1, 2]
        if framework.lifespan:
            assert response.json()["started"] is True, "the start-up hook did not run"

        response = client.get("/items", headers={"origin": DENIED})
        assert response.status_code == 200
        assert cors_headers(response.headers) == {"vary": "Origin"}

        # Servers close the connection after an unhandled exception (uvicorn does once the
        # response has started): this request must not leave it in the pool.
        response = client.get("/boom", headers={"origin": ORIGIN, "connection": "close"})
        assert response.status_code == 500
        assert framework.error_body(response), response.text[:500]
        assert cors_headers(response.headers) == {**ACTUAL, "vary": framework.error_vary}

        response = client.get("/nowhere", headers={"origin": ORIGIN})
        assert response.status_code == 404
        assert cors_headers(response.headers) == {**ACTUAL, "vary": framework.error_vary}

    if framework.websocket:
        from websockets.sync.client import connect

        url = base_url.replace("http://", "ws://") + "/ws"
        with connect(url, origin=ORIGIN, open_timeout=30) as ws:  # type: ignore[arg-type]
            ws.send("hello")
            assert ws.recv(timeout=30) == "hello"
