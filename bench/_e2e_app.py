"""The Starlette apps served by ``bench/e2e.py``: bare, with Starlette's CORS, with crossorigin's.

All three share one endpoint (``GET /`` answers ``ok``; any other method is routed there too,
so a preflight that reaches the app is visible as a 405). Imported by the servers by name,
e.g. ``uvicorn bench._e2e_app:crossorigin_cors``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ALLOWED = "https://app.example"
POLICY = {
    "allow_origins": [ALLOWED],
    "allow_methods": ["PUT"],
    "allow_headers": ["authorization"],
}


async def index(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _app(*middleware: Middleware) -> Starlette:
    return Starlette(routes=[Route("/", index)], middleware=list(middleware))


bare = _app()
starlette_cors = _app(Middleware(StarletteCORS, **POLICY))  # type: ignore[arg-type]

try:
    from crossorigin import CORSConfig
    from crossorigin import CORSMiddleware as CrossoriginCORS
except ImportError:  # the core is not merged yet
    crossorigin_cors = None
else:
    crossorigin_cors = _app(Middleware(CrossoriginCORS, config=CORSConfig(**POLICY)))  # type: ignore[arg-type]
