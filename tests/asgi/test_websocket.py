"""WebSocket Origin enforcement (behaviour.md B38): ASGI table and a real uvicorn server."""

from __future__ import annotations

from typing import Any

import pytest
import websocket  # websocket-client

from crossorigin import CORSConfig, CORSMiddleware
from tests.asgi.raw import Effects
from tests.asgi.raw import websocket as ws_call
from tests.uvicorn_thread import serve

APP = "https://app.example"
EVIL = "https://evil.example"
BASE: dict[str, Any] = {
    "allow_origins": [APP],
    "protect_websockets": True,
    "protection_exempt_paths": ["/public-feed"],
}
ACCEPTED = [
    {"type": "websocket.accept"},
    {"type": "websocket.send", "text": "hello"},
    {"type": "websocket.close", "code": 1000},
]
DENIAL = [
    {
        "type": "websocket.http.response.start",
        "status": 403,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"31"),
        ],
    },
    {"type": "websocket.http.response.body", "body": b"Forbidden: cross-origin request"},
]
CLOSE = [{"type": "websocket.close", "code": 1008}]

ROWS = [
    pytest.param(BASE, "/ws", [], "api.test", True, id="no Origin passes"),
    pytest.param(
        BASE, "/ws", [("origin", "http://api.test")], "api.test", True, id="same origin passes"
    ),
    pytest.param(
        BASE,
        "/ws",
        [("origin", "https://api.test")],
        "api.test:443",
        True,
        id="same host, default port in Host",
    ),
    pytest.param(BASE, "/ws", [("origin", APP)], "api.test", True, id="allowed origin passes"),
    pytest.param(
        BASE, "/ws", [("origin", EVIL)], "api.test", False, id="disallowed origin is refused"
    ),
    pytest.param(BASE, "/ws", [("origin", "null")], "api.test", False, id="null origin is refused"),
    pytest.param(
        BASE,
        "/ws",
        [("origin", "http://api.test:9000")],
        "api.test",
        False,
        id="other port is refused",
    ),
    pytest.param(
        BASE,
        "/ws",
        [("origin", "http://evil@api.test")],
        "api.test",
        False,
        id="userinfo is refused",
    ),
    pytest.param(
        BASE,
        "/ws",
        [("origin", APP), ("origin", APP)],
        "api.test",
        False,
        id="two Origin lines are refused",
    ),
    pytest.param(
        BASE,
        "/ws",
        [("origin", EVIL), ("sec-fetch-site", "same-origin")],
        "api.test",
        False,
        id="Sec-Fetch-Site is not consulted",
    ),
    pytest.param(
        BASE, "/public-feed", [("origin", EVIL)], "api.test", True, id="exempt path passes"
    ),
    pytest.param(
        BASE, "/public-feed/", [("origin", EVIL)], "api.test", False, id="exempt path is exact"
    ),
    pytest.param(
        {"allow_origins": [APP]}, "/ws", [("origin", EVIL)], "api.test", True, id="off by default"
    ),
    pytest.param(
        {"allow_origins": [APP], "protect_writes": True},
        "/ws",
        [("origin", EVIL)],
        "api.test",
        True,
        id="write protection alone leaves WebSockets alone",
    ),
    pytest.param(
        {"allow_origins": ["*"], "protect_websockets": True},
        "/ws",
        [("origin", EVIL)],
        "api.test",
        False,
        id="'*' trusts no origin",
    ),
    pytest.param(
        {"allow_origins": ["*"], "protect_websockets": True},
        "/ws",
        [("origin", "http://api.test")],
        "api.test",
        True,
        id="'*' with same origin passes",
    ),
    pytest.param(
        {"protect_websockets": True, "public_origin": "https://chat.example"},
        "/ws",
        [("origin", "https://chat.example")],
        "backend:8000",
        True,
        id="public origin passes behind a proxy",
    ),
    pytest.param(
        {"protect_websockets": True, "public_origin": "https://chat.example"},
        "/ws",
        [("origin", "http://backend:8000")],
        "backend:8000",
        False,
        id="Host is not trusted with a public origin",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("config", "path", "headers", "host", "accepted"), ROWS)
async def test_websocket_origin(
    config: dict[str, Any],
    path: str,
    headers: list[tuple[str, str]],
    host: str,
    accepted: bool,
) -> None:
    """Refused handshakes get the HTTP 403 denial response and never reach the app."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**config))
    sent = await ws_call(app, path, headers, host=host)
    assert sent == (ACCEPTED if accepted else DENIAL)
    assert effects.calls == ([("WEBSOCKET", path)] if accepted else [])


@pytest.mark.anyio
async def test_close_before_accept_without_the_denial_extension() -> None:
    """Servers without websocket.http.response get websocket.close before accept (HTTP 403)."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**BASE))
    sent = await ws_call(app, "/ws", [("origin", EVIL)], denial_extension=False)
    assert (sent, effects.calls) == (CLOSE, [])


@pytest.mark.anyio
async def test_client_gone_before_connect() -> None:
    """A client that disconnects before the handshake gets nothing, and the app never runs."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**BASE))
    sent = await ws_call(app, "/ws", [("origin", EVIL)], first="websocket.disconnect")
    assert (sent, effects.calls) == ([], [])


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    """Lifespan scopes still reach the app untouched when protections are on."""
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = CORSMiddleware(app, config=CORSConfig(**BASE))
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


# -- a real server -------------------------------------------------------------------------


def _connect(port: int, origin: str | None) -> tuple[str, object]:
    """Open /ws: ``("open", first message)`` or ``("refused", (status, body))``."""
    url = f"ws://127.0.0.1:{port}/ws"
    try:
        if origin is None:
            conn = websocket.create_connection(url, timeout=5, suppress_origin=True)
        else:
            conn = websocket.create_connection(url, timeout=5, origin=origin)
    except websocket.WebSocketBadStatusException as exc:
        return "refused", (exc.status_code, exc.resp_body)
    try:
        return "open", conn.recv()
    finally:
        conn.close()


SERVER_ROWS = [
    pytest.param(None, ("open", "hello"), id="no Origin connects"),
    pytest.param("same", ("open", "hello"), id="same origin connects"),
    pytest.param(APP, ("open", "hello"), id="allowed origin connects"),
    pytest.param(
        EVIL,
        ("refused", (403, b"Forbidden: cross-origin request")),
        id="disallowed origin gets the HTTP 403 denial response",
    ),
]


@pytest.mark.parametrize("ws", ["websockets-sansio", "wsproto"])
@pytest.mark.parametrize(("origin", "outcome"), SERVER_ROWS)
def test_uvicorn_denial(ws: str, origin: str | None, outcome: tuple[str, object]) -> None:
    """Under uvicorn, a refused handshake is an HTTP 403 and the app's handler never runs."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**BASE))
    with serve(app, ws=ws) as port:
        if origin == "same":
            origin = f"http://127.0.0.1:{port}"
        assert _connect(port, origin) == outcome
    assert len(effects.calls) == (1 if outcome[0] == "open" else 0)
