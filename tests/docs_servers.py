"""The servers the shell and Python examples of the docs run against (tests/test_docs_examples.py).

Each factory returns an ASGI app; the collector serves it on a free loopback port and points the
example's URL at it. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware


async def items(request: Request) -> Response:
    return JSONResponse({"items": []}, headers={"x-total-count": "0"})


def _routes() -> list[Route]:
    methods = ["GET", "POST", "PUT", "DELETE"]
    return [Route(path, items, methods=methods) for path in ("/items", "/items/1", "/data", "/me")]


def local_api() -> Starlette:
    """crossorigin allowing the README's local front end (http://localhost:3000) to PUT JSON."""
    app = Starlette(routes=_routes())
    config = CORSConfig(
        allow_origins=["http://localhost:3000"],
        allow_methods=["PUT"],
        allow_headers=["content-type"],
    )
    app.add_middleware(CORSMiddleware, config=config)
    return app


def other_origin_api() -> Starlette:
    """crossorigin allowing an origin other than https://app.example: its preflights get a 403."""
    app = Starlette(routes=_routes())
    app.add_middleware(CORSMiddleware, config=CORSConfig(allow_origins=["https://other.example"]))
    return app


def starlette_reflecting_any() -> Starlette:
    """Starlette's own middleware with ``["*"]`` and credentials: reflects any origin with a cookie."""
    app = Starlette(routes=_routes())
    app.add_middleware(
        StarletteCORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"]
    )
    return app
