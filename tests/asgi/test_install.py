"""``crossorigin.install``: crossorigin outside ServerErrorMiddleware and every user middleware.

In-process through ``httpx.ASGITransport``; the same guarantees through real servers are in
tests/frameworks/. Exact statuses, bodies and CORS header sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import crossorigin
from crossorigin import ConfigError, CORSMiddleware
from tests.conftest import cors_headers

ORIGIN = "https://app.example"
CONFIG: dict[str, Any] = {
    "allow_origins": [ORIGIN],
    "allow_credentials": True,
    "allow_headers": ["authorization"],
}
ACTUAL = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-credentials": "true",
    "vary": "Origin",
}
PREFLIGHT = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-credentials": "true",
    "access-control-allow-headers": "authorization",
    "access-control-max-age": "600",
    "vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
}


class RequireAuth(BaseHTTPMiddleware):
    """An authentication middleware added *after* CORS: it refuses requests without a token."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if "authorization" not in request.headers:
            return JSONResponse({"detail": "unauthenticated"}, status_code=401)
        return await call_next(request)


async def json_500(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": type(exc).__name__}, status_code=500)


def boom(request: Request) -> Response:
    raise RuntimeError("kaput")


def ok(request: Request) -> Response:
    return PlainTextResponse("ok")


def starlette_app(*, debug: bool = False, handler: bool = True) -> Starlette:
    app = Starlette(
        debug=debug,
        routes=[Route("/ok", ok), Route("/boom", boom)],
        exception_handlers={Exception: json_500} if handler else {},
    )
    app.add_middleware(RequireAuth)
    return app


def fastapi_app() -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(Exception, json_500)

    @app.get("/ok")
    def get_ok() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/boom")
    def get_boom() -> dict[str, str]:
        raise RuntimeError("kaput")

    app.add_middleware(RequireAuth)
    return app


async def request(app: Any, method: str, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.request(method, path, headers=headers)


PREFLIGHT_HEADERS = {
    "origin": ORIGIN,
    "access-control-request-method": "GET",
    "access-control-request-headers": "authorization",
}


@pytest.fixture(params=["starlette", "fastapi"])
def installed(request: pytest.FixtureRequest) -> Any:
    app = starlette_app() if request.param == "starlette" else fastapi_app()
    crossorigin.install(app, **CONFIG)
    return app


@pytest.mark.anyio
async def test_app_500_handler_body_carries_cors_headers(installed: Any) -> None:
    response = await request(installed, "GET", "/boom", origin=ORIGIN, authorization="t")
    assert response.status_code == 500
    assert response.json() == {"error": "RuntimeError"}
    assert cors_headers(response.headers) == ACTUAL


@pytest.mark.anyio
async def test_preflight_answered_before_later_middleware(installed: Any) -> None:
    """The auth middleware, added after install, never sees the preflight (it carries no token)."""
    response = await request(installed, "OPTIONS", "/ok", **PREFLIGHT_HEADERS)
    assert response.status_code == 204
    assert cors_headers(response.headers) == PREFLIGHT


@pytest.mark.anyio
async def test_unrouted_preflight_answered(installed: Any) -> None:
    response = await request(installed, "OPTIONS", "/nowhere", **PREFLIGHT_HEADERS)
    assert response.status_code == 204
    assert cors_headers(response.headers) == PREFLIGHT


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nowhere", 404), ("POST", "/ok", 405)])
async def test_404_and_405_carry_cors_headers(installed: Any, method: str, path: str, status: int) -> None:
    response = await request(installed, method, path, origin=ORIGIN, authorization="t")
    assert response.status_code == status
    assert cors_headers(response.headers) == ACTUAL


@pytest.mark.anyio
async def test_middleware_refusal_carries_cors_headers(installed: Any) -> None:
    """The page can read the auth middleware's 401 (and so can tell it apart from a CORS error)."""
    response = await request(installed, "GET", "/ok", origin=ORIGIN)
    assert response.status_code == 401
    assert cors_headers(response.headers) == ACTUAL


@pytest.mark.anyio
async def test_debug_traceback_page_carries_cors_headers() -> None:
    app = starlette_app(debug=True, handler=False)
    crossorigin.install(app, **CONFIG)
    response = await request(app, "GET", "/boom", origin=ORIGIN, authorization="t", accept="text/html")
    assert response.status_code == 500
    assert "RuntimeError" in response.text
    assert "<html>" in response.text
    assert cors_headers(response.headers) == ACTUAL


@pytest.mark.anyio
async def test_add_middleware_path_replaces_the_500_handler() -> None:
    """The documented difference: inside ServerErrorMiddleware, crossorigin answers an unhandled
    error itself (a plain 500 with CORS headers) before the app's 500 handler can run."""
    app = starlette_app()
    app.add_middleware(CORSMiddleware, **CONFIG)
    response = await request(app, "GET", "/boom", origin=ORIGIN, authorization="t")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert cors_headers(response.headers) == ACTUAL


@asynccontextmanager
async def lifespan_manager(app: Any) -> AsyncIterator[None]:
    """Drive the ASGI lifespan protocol around a block (startup, then shutdown)."""
    import anyio

    to_app, app_inbox = anyio.create_memory_object_stream[dict[str, Any]](4)
    app_outbox, from_app = anyio.create_memory_object_stream[dict[str, Any]](4)

    async def run() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, app_inbox.receive, app_outbox.send)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await to_app.send({"type": "lifespan.startup"})
        assert (await from_app.receive())["type"] == "lifespan.startup.complete"
        yield
        await to_app.send({"type": "lifespan.shutdown"})
        assert (await from_app.receive())["type"] == "lifespan.shutdown.complete"


@pytest.mark.anyio
async def test_lifespan_and_scope_app_still_delivered() -> None:
    events: list[str] = []

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(type(request.app).__name__)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = Starlette(routes=[Route("/", endpoint)], lifespan=lifespan)
    crossorigin.install(app, **CONFIG)
    async with lifespan_manager(app):
        response = await request(app, "GET", "/", origin=ORIGIN)
    assert events == ["startup", "shutdown"]
    assert response.text == "Starlette"
    assert cors_headers(response.headers) == ACTUAL


def test_install_validates_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        crossorigin.install(Starlette(), allow_origins=["*"], allow_credentials=True)
    [problem] = caught.value.problems
    assert (problem.field, problem.reason) == ("allow_origins", "incompatible")


def test_install_returns_the_middleware_with_its_live_handle() -> None:
    app = Starlette()
    mw = crossorigin.install(app, **CONFIG)
    assert isinstance(mw, CORSMiddleware)
    assert mw.live.reconfigure(mw.live.current.replace(allow_origins=["https://b.example"]))  # type: ignore[union-attr]


def test_install_twice_is_refused() -> None:
    app = Starlette()
    crossorigin.install(app, **CONFIG)
    with pytest.raises(RuntimeError, match="already installed"):
        crossorigin.install(app, **CONFIG)


@pytest.mark.anyio
async def test_install_after_start_is_refused() -> None:
    app = Starlette(routes=[Route("/ok", ok)])
    await request(app, "GET", "/ok")
    with pytest.raises(RuntimeError, match="before the application starts serving"):
        crossorigin.install(app, **CONFIG)


def test_install_on_unknown_app_says_how_to_wrap() -> None:
    async def bare(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError

    with pytest.raises(TypeError, match=r"wrap the app instead: app = CORSMiddleware\(app, config=\.\.\.\)"):
        crossorigin.install(bare, **CONFIG)


def litestar_app(**options: Any) -> Any:
    from litestar import Litestar, get

    @get("/ok")
    async def get_ok() -> dict[str, str]:
        return {"ok": "yes"}

    # logging_config=None: Litestar would otherwise reconfigure the root logger for the session.
    return Litestar([get_ok], logging_config=None, **options)


@pytest.mark.anyio
async def test_litestar_define_middleware_takes_app_by_keyword() -> None:
    """``DefineMiddleware(CORSMiddleware, config=...)`` works; it runs after Litestar's routing,
    so only routed paths are covered (docs/frameworks/litestar.md)."""
    from litestar.middleware import DefineMiddleware

    config = crossorigin.CORSConfig(**CONFIG)
    app = litestar_app(middleware=[DefineMiddleware(CORSMiddleware, config=config)])
    routed = await request(app, "OPTIONS", "/ok", **PREFLIGHT_HEADERS)
    assert routed.status_code == 204
    assert cors_headers(routed.headers) == PREFLIGHT
    unrouted = await request(app, "GET", "/nowhere", origin=ORIGIN)
    assert unrouted.status_code == 404
    assert cors_headers(unrouted.headers) == {}


@pytest.mark.anyio
async def test_litestar_install_covers_unrouted_paths() -> None:
    app = litestar_app()
    crossorigin.install(app, **CONFIG)
    preflight = await request(app, "OPTIONS", "/nowhere", **PREFLIGHT_HEADERS)
    assert preflight.status_code == 204
    assert cors_headers(preflight.headers) == PREFLIGHT
    missing = await request(app, "GET", "/nowhere", origin=ORIGIN)
    assert missing.status_code == 404
    assert cors_headers(missing.headers) == ACTUAL
    with pytest.raises(RuntimeError, match="already installed"):
        crossorigin.install(app, **CONFIG)


def test_cors_middleware_requires_an_app() -> None:
    with pytest.raises(TypeError, match="needs the ASGI app to wrap"):
        CORSMiddleware(config=crossorigin.CORSConfig(**CONFIG))


# --- a config invalid when Starlette builds the stack lazily ---------------------------------


def lazily_invalid() -> Starlette:
    app = Starlette(routes=[Route("/ok", ok)])
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    return app


@pytest.mark.anyio
async def test_lazily_invalid_config_answers_500_and_logs_every_request(caplog: pytest.LogCaptureFixture) -> None:
    """Without a lifespan (the server never ran one), the app never runs and every request's
    log line carries the ConfigError text."""
    app = lazily_invalid()
    for _ in range(2):
        response = await request(app, "GET", "/ok", origin=ORIGIN)
        assert (response.status_code, response.text) == (500, "Internal Server Error")
        assert cors_headers(response.headers) == {}
    records = [r for r in caplog.records if r.name == "crossorigin"]
    assert len(records) == 2
    assert all(r.levelname == "ERROR" for r in records)
    assert records[0].getMessage().startswith(
        "crossorigin: refusing to serve: 1 problem in the CORS configuration:\n"
        "  - crossorigin: incompatible allow_origins '*'"
    )
    assert records[0].getMessage().endswith("(http '/ok' not served)")


@pytest.mark.anyio
async def test_lazily_invalid_config_closes_websockets_and_refuses_config_reads() -> None:
    app = lazily_invalid()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
    await app(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1011}]
    middleware = app.middleware_stack
    while not isinstance(middleware, CORSMiddleware):
        middleware = middleware.app  # type: ignore[union-attr]
    with pytest.raises(ConfigError):
        middleware.config  # noqa: B018


def test_direct_construction_still_raises() -> None:
    """Outside a framework's lazy build, the error is raised at once, as documented."""
    with pytest.raises(ConfigError):
        CORSMiddleware(Starlette(), allow_origins=["*"], allow_credentials=True)
