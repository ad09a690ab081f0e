"""Small ASGI apps the tests put behind the middleware."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "PURGE", "patch", "OPTIONS"]


async def data(request: Request) -> Response:
    body = {"method": request.method, "cookie": request.headers.get("cookie")}
    return JSONResponse(body, headers={"x-total": "42", "x-secret": "s"})


async def boom(request: Request) -> Response:
    raise RuntimeError("boom: the route failed")


async def teapot(request: Request) -> Response:
    return PlainTextResponse("short and stout", status_code=418)


async def get_only(request: Request) -> Response:
    return PlainTextResponse("only GET here")


def routes() -> list[Route]:
    return [
        Route("/data", data, methods=METHODS),
        Route("/boom", boom, methods=METHODS),
        Route("/teapot", teapot, methods=METHODS),
        Route("/get-only", get_only, methods=["GET"]),
    ]


def scenario_app(config: CORSConfig | dict[str, Any]) -> Starlette:
    """The app behind every scenario row: Starlette routes with the middleware added."""
    app = Starlette(routes=routes())
    if isinstance(config, dict):
        config = CORSConfig(**config)
    app.add_middleware(CORSMiddleware, config=config)
    return app
