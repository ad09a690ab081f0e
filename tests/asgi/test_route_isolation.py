"""Route policies apply to exactly the requests their route runs for, whatever the path's bytes.

The class of bug: a path that Starlette's router sends to a route while ``RoutePolicies`` files
it under another entry (or the default). ``/api/admin/secret%0A`` did that: Starlette anchors
routes with ``$``, which matches before a final newline, and servers decode ``%0A`` into
``scope["path"]``. Each row drives a real Starlette router, so the route that runs is the
router's choice, not a restatement of it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from crossorigin import CORSConfig, CORSMiddleware, RoutePolicies
from tests.asgi.raw import http, websocket

ADMIN = "https://admin.example"
PARTNER = "https://partner.example"

ran: list[str] = []


async def endpoint(request: Request) -> PlainTextResponse:
    ran.append(request.url.path)
    return PlainTextResponse("secret")


async def ws_endpoint(ws: WebSocket) -> None:
    ran.append("ws")
    await ws.accept()
    await ws.close()


def make_app() -> Any:
    app = Starlette(
        routes=[
            Route("/api/admin/secret", endpoint),
            Route("/api/transfer", endpoint, methods=["POST"]),
            Route("/items/{item:uuid}", endpoint),
            Route("/api/admin/{name}", endpoint),
            WebSocketRoute("/api/ws", ws_endpoint),
        ]
    )
    strict = CORSConfig(allow_origins=[ADMIN], allow_credentials=True)
    guarded = CORSConfig(allow_origins=[ADMIN], protect_writes=True, protect_websockets=True)
    table = RoutePolicies(
        [
            ("/api/admin/*", strict),
            ("/api/transfer", guarded),
            ("/api/ws", guarded),
            ("/items/{item:uuid}", strict),
        ],
        # The default trusts the partner: a path that falls through to it is the bypass.
        default=CORSConfig(allow_origins=[PARTNER], allow_credentials=True),
    )
    return CORSMiddleware(app, routes=table)


class Read(NamedTuple):
    path: str
    why: str


READS = [
    Read("/api/admin/secret", "the route itself"),
    Read("/api/admin/secret\n", "a trailing newline: Starlette's '$' still matches"),
    Read("/api/admin/a\nb", "a newline inside a segment under a prefix entry"),
    Read("/items/0F0E0D0C-0B0A-0908-0706-050403020100", "an upper-case UUID"),
    Read("/items/0f0e0d0c0b0a09080706050403020100", "a UUID without hyphens"),
    Read("/items/0f0e0d0c0b0a09080706050403020100\n", "both at once"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("row", READS, ids=[r.why for r in READS])
async def test_partner_cannot_read_admin_route(row: Read) -> None:
    """Where the admin route runs, only the admin policy answers: no ACAO for the partner."""
    ran.clear()
    response = await http(make_app(), "GET", row.path, [("origin", PARTNER)])
    assert ran, "the router ran no route: the row does not test the bypass"
    assert response.status == 200
    assert not any(name.startswith(b"access-control-") for name, _ in response.headers)


@pytest.mark.anyio
async def test_write_protection_holds_with_trailing_newline() -> None:
    """``POST /api/transfer%0A`` is refused before the route runs, like ``/api/transfer``."""
    for path in ("/api/transfer", "/api/transfer\n"):
        ran.clear()
        response = await http(make_app(), "POST", path, [("origin", PARTNER)])
        assert (response.status, ran) == (403, []), path


@pytest.mark.anyio
async def test_websocket_protection_holds_with_trailing_newline() -> None:
    """A handshake to ``/api/ws%0A`` from the partner is refused, like ``/api/ws``."""
    for path in ("/api/ws", "/api/ws\n"):
        ran.clear()
        sent = await websocket(make_app(), path, [("origin", PARTNER)])
        assert ran == [], path
        assert sent[0]["type"] in ("websocket.http.response.start", "websocket.close"), path
