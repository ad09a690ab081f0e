"""Path-scoped policies and live reconfiguration, in process and through a real uvicorn server."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossorigin import ConfigError, CORSConfig, CORSMiddleware, LivePolicy, RoutePolicies
from tests.conftest import cors_headers
from tests.uvicorn_thread import serve

APP = "https://app.example"
CREDENTIALED = CORSConfig(
    allow_origins=[APP], allow_credentials=True, allow_methods=["PUT"], expose_headers=["x-a"]
)
OPEN = CORSConfig(allow_origins=["*"], allow_methods=["*"])


def fastapi_app(routes: RoutePolicies) -> FastAPI:
    """/api (router, GET only), /admin (mounted sub-app), /public and /health."""
    api = APIRouter(prefix="/api")

    @api.get("/items")
    def items() -> list[str]:
        return ["teapot"]

    admin = FastAPI()

    @admin.get("/users")
    def users() -> list[str]:
        return ["root"]

    app = FastAPI()
    app.include_router(api)
    app.mount("/admin", admin)

    @app.get("/public/info")
    def info() -> dict[str, str]:
        return {"open": "yes"}

    app.add_middleware(CORSMiddleware, routes=routes)
    return app


ROUTES = RoutePolicies([("/api/*", CREDENTIALED), ("/admin/*", None)], default=OPEN)
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "expected"),
    [
        pytest.param("OPTIONS", "/api/items", {"origin": APP, "access-control-request-method": "PUT"}, 204,
                     {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
                      "access-control-allow-methods": "PUT", "access-control-max-age": "600", "vary": PREFLIGHT_VARY},
                     id="router path: preflight for a method the route lacks is 204, never 405"),
        pytest.param("GET", "/api/items", {"origin": APP}, 200,
                     {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
                      "access-control-expose-headers": "x-a", "vary": "Origin"},
                     id="router path: credentialed policy"),
        pytest.param("GET", "/api/items", {"origin": "https://other.example"}, 200, {"vary": "Origin"},
                     id="router path: other origin denied"),
        pytest.param("GET", "/public/info", {"origin": "https://other.example"}, 200,
                     {"access-control-allow-origin": "*"}, id="default: open policy"),
        pytest.param("OPTIONS", "/public/info", {"origin": "https://other.example", "access-control-request-method": "PATCH"}, 204,
                     {"access-control-allow-origin": "*", "access-control-allow-methods": "*",
                      "access-control-max-age": "600", "vary": PREFLIGHT_VARY},
                     id="default: preflight answered by the open policy"),
        pytest.param("GET", "/admin/users", {"origin": APP}, 200, {}, id="mounted sub-app: no CORS at all"),
        pytest.param("OPTIONS", "/admin/users", {"origin": APP, "access-control-request-method": "PUT"}, 405, {},
                     id="mounted sub-app: preflight reaches the app untouched"),
    ],
)  # fmt: skip
def test_fastapi_router_and_mount_through_uvicorn(
    method: str, path: str, headers: dict[str, str], status: int, expected: dict[str, str]
) -> None:
    """Each path gets its own policy through a real server, without a second middleware."""
    with serve(fastapi_app(ROUTES)) as port:
        response = httpx.request(method, f"http://127.0.0.1:{port}{path}", headers=headers)
    assert response.status_code == status
    assert cors_headers(response.headers) == expected


def test_root_path_is_stripped_like_the_router() -> None:
    """Behind ``--root-path /v1`` (a proxy strips /v1; uvicorn puts it back into ``path``), the
    table matches the path the router sees, without /v1."""
    with serve(fastapi_app(ROUTES), root_path="/v1") as port:
        response = httpx.get(f"http://127.0.0.1:{port}/api/items", headers={"origin": APP})
    assert response.status_code == 200
    assert cors_headers(response.headers)["access-control-allow-credentials"] == "true"


async def _hello(request: Any) -> PlainTextResponse:
    await asyncio.sleep(0.002)
    return PlainTextResponse("hi")


def test_reconfigure_semantics() -> None:
    """Invalid replacements raise and change nothing; re-applying the current one is a no-op."""
    live = LivePolicy(CREDENTIALED)
    state = live.state
    with pytest.raises(ConfigError):
        live.reconfigure({"allow_origins": ["*"], "allow_credentials": True})
    with pytest.raises(TypeError):
        live.reconfigure(["*"])  # type: ignore[arg-type]
    assert live.state is state
    assert live.reconfigure(live.current) is False
    assert live.state is state
    assert live.reconfigure(CREDENTIALED.replace(max_age=5)) is True
    assert live.current == CREDENTIALED.replace(max_age=5)
    assert live.reconfigure(ROUTES) is True
    assert live.current is ROUTES


@pytest.mark.anyio
async def test_in_flight_request_keeps_its_policy() -> None:
    """A request that started before a reconfiguration finishes under the old policy."""
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    live = LivePolicy(CREDENTIALED)
    app = CORSMiddleware(slow, live=live)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        pending = asyncio.create_task(client.get("/", headers={"origin": APP}))
        await entered.wait()
        live.reconfigure(OPEN)
        release.set()
        old = await pending
        new = await client.get("/", headers={"origin": APP})
    assert cors_headers(old.headers) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-a",
        "vary": "Origin",
    }
    assert cors_headers(new.headers) == {"access-control-allow-origin": "*"}


def test_concurrent_reconfiguration_under_load() -> None:
    """Requests in flight while the config flips each see exactly one whole policy."""
    one = CORSConfig(
        allow_origins=[APP], expose_headers=["x-one"], allow_methods=["PUT"], max_age=1
    )
    two = CORSConfig(
        allow_origins=[APP],
        allow_credentials=True,
        expose_headers=["x-two"],
        allow_methods=["PUT"],
        max_age=2,
    )
    allowed = {
        "actual": [
            {"access-control-allow-origin": APP, "access-control-expose-headers": "x-one", "vary": "Origin"},
            {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
             "access-control-expose-headers": "x-two", "vary": "Origin"},
        ],
        "preflight": [
            {"access-control-allow-origin": APP, "access-control-allow-methods": "PUT",
             "access-control-max-age": "1", "vary": PREFLIGHT_VARY},
            {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
             "access-control-allow-methods": "PUT", "access-control-max-age": "2", "vary": PREFLIGHT_VARY},
        ],
    }  # fmt: skip
    live = LivePolicy(one)
    app = Starlette(routes=[Route("/x", _hello)])
    app.add_middleware(CORSMiddleware, live=live)
    stop = threading.Event()
    flips = 0

    def flipper() -> None:
        nonlocal flips
        while not stop.is_set():
            live.reconfigure(two if live.current == one else one)
            flips += 1
            stop.wait(0.001)

    seen: set[int] = set()

    async def load(port: int) -> None:
        limits = httpx.Limits(max_connections=32)
        # A generous pool timeout: 600 requests share 32 connections, and on a loaded machine a
        # request may queue for seconds; what this test checks is the headers, not the speed.
        timeout = httpx.Timeout(60.0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=timeout
        ) as client:

            async def one_request(i: int) -> None:
                if i % 2:
                    r = await client.options(
                        "/x", headers={"origin": APP, "access-control-request-method": "PUT"}
                    )
                    kind = "preflight"
                else:
                    r = await client.get("/x", headers={"origin": APP})
                    kind = "actual"
                got = cors_headers(r.headers)
                assert got in allowed[kind], got
                seen.add(allowed[kind].index(got))

            await asyncio.gather(*(one_request(i) for i in range(600)))

    with serve(app) as port:
        thread = threading.Thread(target=flipper)
        thread.start()
        try:
            asyncio.run(load(port))
        finally:
            stop.set()
            thread.join()
    assert flips > 10
    assert seen == {0, 1}, "both policies must have served requests while flipping"
