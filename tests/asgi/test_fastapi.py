"""FastAPI integration through a real uvicorn server on 127.0.0.1 (behaviour.md B3, B41).

The same set-ups as ``test_starlette.py``: ``app.add_middleware`` with ``config=``, with
Starlette's keyword arguments, and ``CORSMiddleware`` wrapping the whole application.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Header, HTTPException, Response, WebSocket
from fastapi.responses import PlainTextResponse
from starlette.middleware.gzip import GZipMiddleware
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
BIG = "y" * 2000


def require_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if authorization is None:
        raise HTTPException(status_code=401, detail="login first")
    return authorization


def make_app(
    mode: str, box: list[int], events: list[str] | None = None, gzip: str | None = None
) -> Any:
    """The FastAPI app with the middleware installed as *mode* says; *gzip* stacks GZip
    ``"inside"`` or ``"outside"`` the CORS middleware."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if events is not None:
            events.append("startup")
        yield
        if events is not None:
            events.append("shutdown")

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
        raise HTTPException(status_code=418, detail="teapot")

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


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/data", 200, id="ok"),
        pytest.param("GET", "/teapot", 418, id="HTTPException"),
        pytest.param("GET", "/items/abc", 422, id="validation error"),
        pytest.param("GET", "/nowhere", 404, id="404"),
        pytest.param("PUT", "/get-only", 405, id="405"),
        pytest.param("GET", "/auth", 401, id="401 from a dependency"),
        pytest.param("OPTIONS", "/data", 405, id="options without ACRM reaches the app"),
    ],
)
def test_error_responses_keep_cors_headers(
    live: tuple[str, list[int]], method: str, path: str, status: int
) -> None:
    """Responses FastAPI produces for errors carry exactly the CORS headers."""
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
    assert response.headers.get_list("vary") == ["Accept-Language, Origin"]
    assert cors_headers(response.headers) == {**ACTUAL, "vary": "Accept-Language, Origin"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/data", id="route"),
        pytest.param("/slash", id="app would redirect"),
        pytest.param("/auth", id="app would answer 401"),
        pytest.param("/nowhere", id="app would answer 404"),
        pytest.param("/get-only", id="app would answer 405"),
        pytest.param("/items/abc", id="app would answer 422"),
    ],
)
def test_preflight_never_reaches_the_app(live: tuple[str, list[int]], path: str) -> None:
    """A preflight is answered by the middleware: never a 3xx, 401, 404 or 405 from the app."""
    url, box = live
    before = box[0]
    with client(url) as http:
        response = http.options(path, headers=PREFLIGHT_HEADERS)
        denied = http.options(path, headers={**PREFLIGHT_HEADERS, "origin": DENIED})
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
    assert (response.status_code, response.headers["content-encoding"]) == (200, "gzip")
    assert response.text == BIG
    headers = cors_headers(response.headers)
    vary = sorted(token.strip().lower() for token in headers.pop("vary").split(","))
    assert vary == ["accept-encoding", "origin"]
    assert headers == {k: v for k, v in ACTUAL.items() if k != "vary"}
