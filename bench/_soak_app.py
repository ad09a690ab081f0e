"""The Starlette app served by ``bench/soak.py``: crossorigin in front of four kinds of route.

``GET /`` answers ``ok``; ``PUT /data`` answers ``stored``; ``GET /boom`` raises (the
middleware's error path: a 500 that keeps its CORS headers); every other path is a 404.
The outermost layer swallows the deliberate exception once the 500 is sent: a server closes
the connection when an exception reaches it, and wrk would then count a socket error and
send the next request on a new connection.
Imported by the servers by name, e.g. ``granian --interface asgi bench._soak_app:app``.
"""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from crossorigin import CORSConfig, CORSMiddleware

ALLOWED = "https://app.example"
CONFIG = CORSConfig(
    allow_origins=[ALLOWED, "https://*.app.example"],
    allow_methods=["PUT"],
    allow_headers=["content-type", "authorization"],
    allow_credentials=True,
)


class Boom(Exception):
    """Raised on purpose by ``GET /boom``."""


async def index(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def data(request: Request) -> PlainTextResponse:
    await request.body()
    return PlainTextResponse("stored")


async def boom(request: Request) -> PlainTextResponse:
    raise Boom("on purpose")


starlette_app = Starlette(
    routes=[Route("/", index), Route("/data", data, methods=["PUT"]), Route("/boom", boom)],
    middleware=[Middleware(CORSMiddleware, config=CONFIG)],  # type: ignore[arg-type]
)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The Starlette app; the deliberate ``Boom`` stops here, after its 500 was sent."""
    with contextlib.suppress(Boom):
        await starlette_app(scope, receive, send)
