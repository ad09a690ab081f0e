"""Starlette and FastAPI through a real uvicorn server on 127.0.0.1 (behaviour.md B3, B31, B41).

One framework-parametrised fixture: every behaviour is checked for both frameworks, each in
three set-ups: ``app.add_middleware(CORSMiddleware, config=...)``, the same with Starlette's
keyword arguments, and ``CORSMiddleware`` wrapping the whole application (outside Starlette's
``ServerErrorMiddleware``). Both apps serve the same paths with the framework's own endpoints;
FastAPI adds a validated path parameter (its 422 answer).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, NamedTuple

import pytest
from fastapi import Depends, FastAPI, Header, Response
from fastapi import HTTPException as FastAPIHTTPException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.responses import Response as StarletteResponse
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

FRAMEWORKS = ("starlette", "fastapi")
MODES = ("add_middleware", "kwargs", "wrap")
BIG = "x" * 2000

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


# Starlette endpoints (also mounted under /api in both apps).


async def data(request: Request) -> StarletteResponse:
    return PlainTextResponse("ok", headers={"x-total": "42"})


async def boom(request: Request) -> StarletteResponse:
    raise RuntimeError("boom: the route failed")


async def teapot(request: Request) -> StarletteResponse:
    raise HTTPException(status_code=418, detail="teapot")


async def own_vary(request: Request) -> StarletteResponse:
    return PlainTextResponse("ok", headers={"vary": "Accept-Language"})


async def big(request: Request) -> StarletteResponse:
    return PlainTextResponse(BIG)


async def auth(request: Request) -> StarletteResponse:
    if "authorization" not in request.headers:
        return PlainTextResponse("login first", status_code=401)
    return PlainTextResponse("secret")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo: {text}")
    await websocket.close()


def api_mount() -> Starlette:
    return Starlette(routes=[Route("/data", data, methods=["GET", "PUT"])])


def starlette_app(lifespan: Lifespan) -> Starlette:
    return Starlette(
        routes=[
            Route("/data", data, methods=["GET", "PUT", "DELETE"]),
            Route("/boom", boom, methods=["GET", "PUT"]),
            Route("/teapot", teapot),
            Route("/vary", own_vary),
            Route("/big", big),
            Route("/get-only", data, methods=["GET"]),
            Route("/slash/", data),
            Route("/auth", auth, methods=["GET", "PUT"]),
            WebSocketRoute("/ws", echo),
            Mount("/api", app=api_mount()),
        ],
        lifespan=lifespan,
    )


def require_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if authorization is None:
        raise FastAPIHTTPException(status_code=401, detail="login first")
    return authorization


def fastapi_app(lifespan: Lifespan) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/data")
    @app.put("/data")
    async def data(response: Response) -> dict[str, str]:
        response.headers["x-total"] = "42"
        return {"ok": "yes"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom: the route failed")

    @app.get("/teapot")
    async def teapot() -> None:
        raise FastAPIHTTPException(status_code=418, detail="teapot")

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/vary")
    async def own_vary(response: Response) -> dict[str, str]:
        response.headers["vary"] = "Accept-Language"
        return {"ok": "yes"}

    @app.get("/big", response_class=PlainTextResponse)
    async def big() -> str:
        return BIG

    @app.get("/get-only")
    async def get_only() -> dict[str, str]:
        return {"ok": "yes"}

    @app.put("/auth")
    @app.get("/auth")
    async def auth(token: Annotated[str, Depends(require_token)]) -> dict[str, str]:
        return {"token": token}

    @app.get("/slash/")
    async def slash() -> dict[str, str]:
        return {"ok": "yes"}

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text(f"echo: {text}")
        await websocket.close()

    app.mount("/api", api_mount())
    return app


def make_app(
    framework: str,
    mode: str,
    box: list[int],
    events: list[str] | None = None,
    gzip: str | None = None,
) -> Any:
    """The *framework*'s app with the middleware installed as *mode* says; *gzip* stacks GZip
    ``"inside"`` or ``"outside"`` the CORS middleware."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if events is not None:
            events.append("startup")
        yield
        if events is not None:
            events.append("shutdown")

    app = starlette_app(lifespan) if framework == "starlette" else fastapi_app(lifespan)
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


class Live(NamedTuple):
    """A running server: its URL, the count of requests that reached the app, its framework."""

    url: str
    box: list[int]
    framework: str


SETUPS = [
    pytest.param((framework, mode), id=f"{framework}-{mode}")
    for framework in FRAMEWORKS
    for mode in MODES
]
FASTAPI_SETUPS = [p for p in SETUPS if p.values[0][0] == "fastapi"]  # type: ignore[index]


@pytest.fixture(scope="module", params=SETUPS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    """A running server per framework and set-up."""
    framework, mode = request.param
    box = [0]
    with serve(make_app(framework, mode, box)) as url:
        yield Live(url, box, framework)


def test_error_500_keeps_cors_headers_and_is_logged(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """An unhandled exception gives a 500 with the CORS headers, and uvicorn logs it."""
    caplog.set_level(logging.ERROR, logger="uvicorn.error")
    with client(live.url) as http:
        response = http.get("/boom", headers={"origin": ORIGIN})
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert cors_headers(response.headers) == ACTUAL
    assert server_errors(caplog) == [(RuntimeError, "boom: the route failed")]


def test_error_500_denied_origin(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    """A 500 for a denied origin carries only Vary: Origin."""
    caplog.set_level(logging.CRITICAL, logger="uvicorn.error")
    with client(live.url) as http:
        response = http.get("/boom", headers={"origin": DENIED})
    assert response.status_code == 500
    assert cors_headers(response.headers) == {"vary": "Origin"}


ERRORS = [
    pytest.param("GET", "/data", 200, id="ok"),
    pytest.param("GET", "/teapot", 418, id="HTTPException"),
    pytest.param("GET", "/nowhere", 404, id="404"),
    pytest.param("PUT", "/get-only", 405, id="405"),
    pytest.param("GET", "/auth", 401, id="401"),
    pytest.param("OPTIONS", "/data", 405, id="options without ACRM reaches the app"),
]


def assert_error_keeps_cors_headers(live: Live, method: str, path: str, status: int) -> None:
    before = live.box[0]
    with client(live.url) as http:
        response = http.request(method, path, headers={"origin": ORIGIN})
    assert response.status_code == status
    assert cors_headers(response.headers) == ACTUAL
    assert live.box[0] == before + 1


@pytest.mark.parametrize(("method", "path", "status"), ERRORS)
def test_error_responses_keep_cors_headers(live: Live, method: str, path: str, status: int) -> None:
    """Responses the framework produces for errors carry exactly the CORS headers."""
    assert_error_keeps_cors_headers(live, method, path, status)


@pytest.mark.parametrize("live", FASTAPI_SETUPS, indirect=True)
def test_fastapi_validation_error_keeps_cors_headers(live: Live) -> None:
    """FastAPI's 422 for an invalid path parameter carries exactly the CORS headers."""
    assert_error_keeps_cors_headers(live, "GET", "/items/abc", 422)


def test_route_vary_is_merged(live: Live) -> None:
    """A route's own Vary is kept and Origin is appended to it, once."""
    with client(live.url) as http:
        response = http.get("/vary", headers={"origin": ORIGIN})
    assert response.status_code == 200
    assert cors_headers(response.headers) == {**ACTUAL, "vary": "Accept-Language, Origin"}
    assert response.headers.get_list("vary") == ["Accept-Language, Origin"]


def test_no_origin_gets_vary(live: Live) -> None:
    """A request without Origin gets Vary: Origin and no access-control-* headers."""
    with client(live.url) as http:
        response = http.get("/data")
    assert (response.status_code, cors_headers(response.headers)) == (200, {"vary": "Origin"})


PREFLIGHT_PATHS = [
    pytest.param("/data", id="route"),
    pytest.param("/slash", id="app would redirect"),
    pytest.param("/auth", id="app would answer 401"),
    pytest.param("/nowhere", id="app would answer 404"),
    pytest.param("/get-only", id="app would answer 405"),
    pytest.param("/boom", id="app would raise"),
]


def assert_preflight_never_reaches_the_app(live: Live, path: str) -> None:
    before = live.box[0]
    with client(live.url) as http:
        response = http.options(path, headers=PREFLIGHT_HEADERS)
        denied = http.options(path, headers={**PREFLIGHT_HEADERS, "origin": DENIED})
    assert (response.status_code, response.content) == (204, b"")
    assert cors_headers(response.headers) == PREFLIGHT
    assert (denied.status_code, denied.content) == (403, b"")
    assert cors_headers(denied.headers) == {"vary": PREFLIGHT_VARY}
    assert live.box[0] == before


@pytest.mark.parametrize("path", PREFLIGHT_PATHS)
def test_preflight_never_reaches_the_app(live: Live, path: str) -> None:
    """A preflight is answered by the middleware: never a 3xx, 401, 404, 405 or 500."""
    assert_preflight_never_reaches_the_app(live, path)


@pytest.mark.parametrize("live", FASTAPI_SETUPS, indirect=True)
def test_fastapi_preflight_skips_validation(live: Live) -> None:
    """A preflight to a path FastAPI would answer 422 is answered by the middleware."""
    assert_preflight_never_reaches_the_app(live, "/items/abc")


def test_websocket_passes_through(live: Live) -> None:
    """A WebSocket echo works through the middleware, from any origin."""
    ws_url = live.url.replace("http://", "ws://") + "/ws"
    for origin in (ORIGIN, DENIED):
        with connect(ws_url, origin=origin, proxy=None) as websocket:  # type: ignore[arg-type]
            websocket.send("hi")
            assert websocket.recv(timeout=10) == "echo: hi"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_mounted_routes(live: Live, method: str) -> None:
    """Routes under a Mount get the same CORS headers; their preflights never reach the app."""
    with client(live.url) as http:
        response = http.request(method, "/api/data", headers={"origin": ORIGIN})
        before = live.box[0]
        preflight = http.options("/api/data", headers=PREFLIGHT_HEADERS)
    assert (response.status_code, cors_headers(response.headers)) == (200, ACTUAL)
    assert (preflight.status_code, cors_headers(preflight.headers)) == (204, PREFLIGHT)
    assert live.box[0] == before


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_lifespan_passes_through(framework: str, mode: str) -> None:
    """Startup and shutdown events run through the middleware."""
    events: list[str] = []
    with serve(make_app(framework, mode, [0], events), lifespan="on") as url:
        assert events == ["startup"]
        with client(url) as http:
            assert http.get("/data", headers={"origin": ORIGIN}).status_code == 200
    assert events == ["startup", "shutdown"]


@pytest.mark.parametrize("gzip", ["inside", "outside"])
@pytest.mark.parametrize("mode", ["add_middleware", "wrap"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_gzip_stacked(framework: str, mode: str, gzip: str) -> None:
    """With GZipMiddleware on either side, Vary lists Accept-Encoding and Origin once each."""
    with serve(make_app(framework, mode, [0], gzip=gzip)) as url, client(url) as http:
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
