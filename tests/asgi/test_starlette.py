"""Starlette integration through a real uvicorn server on 127.0.0.1 (behaviour.md B3, B41).

Every behaviour is checked in three set-ups: ``app.add_middleware(CORSMiddleware,
config=...)``, the same with Starlette's keyword arguments, and ``CORSMiddleware`` wrapping
the whole application (outside Starlette's ``ServerErrorMiddleware``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from crossorigin import CORSConfig, CORSMiddleware
from tests.asgi.live import (
    ACTUAL,
    CONFIG,
    DENIED,
    ORIGIN,
    PREFLIGHT,
    PREFLIGHT_HEADERS,
    PREFLIGHT_VARY,
    Counting,
    client,
    serve,
    server_errors,
)
from tests.conftest import cors_headers

MODES = ["add_middleware", "kwargs", "wrap"]
BIG = "x" * 2000


async def data(request: Request) -> Response:
    return PlainTextResponse("ok", headers={"x-total": "42"})


async def boom(request: Request) -> Response:
    raise RuntimeError("boom: the route failed")


async def teapot(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="teapot")


async def own_vary(request: Request) -> Response:
    return PlainTextResponse("ok", headers={"vary": "Accept-Language"})


async def big(request: Request) -> Response:
    return PlainTextResponse(BIG)


async def auth(request: Request) -> Response:
    if "authorization" not in request.headers:
        return PlainTextResponse("login first", status_code=401)
    return PlainTextResponse("secret")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo: {text}")
    await websocket.close()


def make_app(
    mode: str, box: list[int], events: list[str] | None = None, gzip: str | None = None
) -> Any:
    """The Starlette app with the middleware installed as *mode* says; *gzip* stacks GZip
    ``"inside"`` or ``"outside"`` the CORS middleware."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if events is not None:
            events.append("startup")
        yield
        if events is not None:
            events.append("shutdown")

    app = Starlette(
        routes=[
            Route("/data", data, methods=["GET", "PUT", "DELETE"]),
            Route("/boom", boom, methods=["GET", "PUT"]),
            Route("/teapot", teapot),
            Route("/vary", own_vary),
            Route("/big", big),
            Route("/get-only", data, methods=["GET"]),
            Route("/items/", data),
            Route("/auth", auth, methods=["GET", "PUT"]),
            WebSocketRoute("/ws", echo),
            Mount("/api", routes=[Route("/data", data, methods=["GET", "PUT"])]),
        ],
        lifespan=lifespan,
    )
    if mode == "wrap":
        inner: Any = Counting(app, box)
        if gzip == "inside":
            inner = GZipMiddleware(inner)
        outer: Any = CORSMiddleware(inner, config=CORSConfig(**CONFIG))
        return GZipMiddleware(outer) if gzip == "outside" else outer
    app.add_middleware(Counting, box=box)
    if gzip == "inside":
        app.add_middleware(GZipMiddleware)
    if mode == "kwargs":
        app.add_middleware(CORSMiddleware, **CONFIG)
    else:
        app.add_middleware(CORSMiddleware, config=CORSConfig(**CONFIG))
    if gzip == "outside":
        app.add_middleware(GZipMiddleware)
    return app


@pytest.fixture(scope="module", params=MODES)
def live(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[int]]]:
    """A running server per set-up, with the counter of requests that reached the app."""
    box = [0]
    with serve(make_app(request.param, box)) as url:
        yield url, box


def test_error_500_keeps_cors_headers_and_is_logged(
    live: tuple[str, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    """An unhandled exception gives a 500 with the CORS headers, and uvicorn logs it."""
    caplog.set_level(logging.ERROR, logger="uvicorn.error")
    url, _ = live
    with client(url) as http:
        response = http.get("/boom", headers={"origin": ORIGIN})
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert cors_headers(response.headers) == ACTUAL
    assert server_errors(caplog) == [(RuntimeError, "boom: the route failed")]


def test_error_500_denied_origin(
    live: tuple[str, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 for a denied origin carries only Vary: Origin."""
    caplog.set_level(logging.CRITICAL, logger="uvicorn.error")
    url, _ = live
    with client(url) as http:
        response = http.get("/boom", headers={"origin": DENIED})
    assert response.status_code == 500
    assert cors_headers(response.headers) == {"vary": "Origin"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/data", 200, id="ok"),
        pytest.param("GET", "/teapot", 418, id="HTTPException"),
        pytest.param("GET", "/nowhere", 404, id="404"),
        pytest.param("PUT", "/get-only", 405, id="405"),
        pytest.param("GET", "/auth", 401, id="401"),
        pytest.param("OPTIONS", "/data", 405, id="options without ACRM reaches the app"),
    ],
)
def test_error_responses_keep_cors_headers(
    live: tuple[str, list[int]], method: str, path: str, status: int
) -> None:
    """Responses the framework produces for errors carry exactly the CORS headers."""
    url, box = live
    before = box[0]
    with client(url) as http:
        response = http.request(method, path, headers={"origin": ORIGIN})
    assert response.status_code == status
    assert cors_headers(response.headers) == ACTUAL
    assert box[0] == before + 1


def test_route_vary_is_merged(live: tuple[str, list[int]]) -> None:
    """A route's own Vary is kept and Origin is appended to it, once."""
    url, _ = live
    with client(url) as http:
        response = http.get("/vary", headers={"origin": ORIGIN})
    assert response.status_code == 200
    assert cors_headers(response.headers) == {**ACTUAL, "vary": "Accept-Language, Origin"}
    assert response.headers.get_list("vary") == ["Accept-Language, Origin"]


def test_no_origin_gets_vary(live: tuple[str, list[int]]) -> None:
    """A request without Origin gets Vary: Origin and no access-control-* headers."""
    url, _ = live
    with client(url) as http:
        response = http.get("/data")
    assert (response.status_code, cors_headers(response.headers)) == (200, {"vary": "Origin"})


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        pytest.param("/data", PREFLIGHT_HEADERS, id="route"),
        pytest.param("/items", PREFLIGHT_HEADERS, id="app would redirect"),
        pytest.param("/auth", PREFLIGHT_HEADERS, id="app would answer 401"),
        pytest.param("/nowhere", PREFLIGHT_HEADERS, id="app would answer 404"),
        pytest.param("/get-only", PREFLIGHT_HEADERS, id="app would answer 405"),
        pytest.param("/boom", PREFLIGHT_HEADERS, id="app would raise"),
    ],
)
def test_preflight_never_reaches_the_app(
    live: tuple[str, list[int]], path: str, headers: dict[str, str]
) -> None:
    """A preflight is answered 204 by the middleware, whatever the app would have done."""
    url, box = live
    before = box[0]
    with client(url) as http:
        response = http.options(path, headers=headers)
        denied = http.options(path, headers={**headers, "origin": DENIED})
    assert (response.status_code, response.content) == (204, b"")
    assert cors_headers(response.headers) == PREFLIGHT
    assert (denied.status_code, denied.content) == (403, b"")
    assert cors_headers(denied.headers) == {"vary": PREFLIGHT_VARY}
    assert box[0] == before


def test_websocket_passes_through(live: tuple[str, list[int]]) -> None:
    """A WebSocket echo works through the middleware, from any origin."""
    url, _ = live
    ws_url = url.replace("http://", "ws://") + "/ws"
    for origin in (ORIGIN, DENIED):
        with connect(ws_url, origin=origin, proxy=None) as websocket:  # type: ignore[arg-type]
            websocket.send("hi")
            assert websocket.recv(timeout=10) == "echo: hi"


@pytest.mark.parametrize("mode", MODES)
def test_lifespan_passes_through(mode: str) -> None:
    """Startup and shutdown events run through the middleware."""
    events: list[str] = []
    with serve(make_app(mode, [0], events), lifespan="on") as url:
        assert events == ["startup"]
        with client(url) as http:
            assert http.get("/data", headers={"origin": ORIGIN}).status_code == 200
    assert events == ["startup", "shutdown"]


@pytest.mark.parametrize("gzip", ["inside", "outside"])
@pytest.mark.parametrize("mode", ["add_middleware", "wrap"])
def test_gzip_stacked(mode: str, gzip: str) -> None:
    """With GZipMiddleware on either side, Vary lists Accept-Encoding and Origin once each."""
    with serve(make_app(mode, [0], gzip=gzip)) as url, client(url) as http:
        response = http.get("/big", headers={"origin": ORIGIN, "accept-encoding": "gzip"})
        plain = http.get("/big", headers={"origin": ORIGIN, "accept-encoding": "identity"})
    assert (response.status_code, response.headers["content-encoding"]) == (200, "gzip")
    assert response.text == BIG
    headers = cors_headers(response.headers)
    vary = sorted(token.strip().lower() for token in headers.pop("vary").split(","))
    assert vary == ["accept-encoding", "origin"]
    assert headers == {k: v for k, v in ACTUAL.items() if k != "vary"}
    assert plain.text == BIG
    assert "origin" in plain.headers["vary"].lower()


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_mounted_routes(live: tuple[str, list[int]], method: str) -> None:
    """Routes under a Mount get the same CORS headers; their preflights never reach the app."""
    url, box = live
    with client(url) as http:
        response = http.request(method, "/api/data", headers={"origin": ORIGIN})
        before = box[0]
        preflight = http.options("/api/data", headers=PREFLIGHT_HEADERS)
    assert (response.status_code, cors_headers(response.headers)) == (200, ACTUAL)
    assert (preflight.status_code, cors_headers(preflight.headers)) == (204, PREFLIGHT)
    assert box[0] == before


def test_middleware_on_a_mounted_sub_app() -> None:
    """CORSMiddleware wrapping a mounted sub-application applies to that mount only."""
    sub = CORSMiddleware(Starlette(routes=[Route("/data", data)]), config=CORSConfig(**CONFIG))
    app = Starlette(routes=[Mount("/sub", app=sub), Route("/other", data)])
    with serve(app) as url, client(url) as http:
        inside = http.get("/sub/data", headers={"origin": ORIGIN})
        preflight = http.options("/sub/data", headers=PREFLIGHT_HEADERS)
        outside = http.get("/other", headers={"origin": ORIGIN})
    assert (inside.status_code, cors_headers(inside.headers)) == (200, ACTUAL)
    assert (preflight.status_code, cors_headers(preflight.headers)) == (204, PREFLIGHT)
    assert (outside.status_code, cors_headers(outside.headers)) == (200, {})
