"""Pins the public API's types: checked by ``mypy tests/typing`` (never executed by pytest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from typing_extensions import assert_type

import crossorigin
from crossorigin import ConfigError, ConfigProblem, CORSConfig, CORSMiddleware


async def app(scope: Any, receive: Any, send: Any) -> None: ...


config = CORSConfig(allow_origins=["https://app.example"], allow_credentials=True)
assert_type(config, CORSConfig)
assert_type(config.as_dict(), dict[str, Any])
assert_type(config.replace(max_age=0), CORSConfig)
middleware = CORSMiddleware(app, config=config)
assert_type(middleware.config, CORSConfig | crossorigin.RoutePolicies)
assert_type(CORSMiddleware(app, allow_origins=["*"]), CORSMiddleware)
error = ConfigError([])
assert_type(error.problems, tuple[ConfigProblem, ...])
assert_type(CORSMiddleware(app, config=config, shadow=config, on_decision=print), CORSMiddleware)
report: Callable[..., Awaitable[crossorigin.Report]] = crossorigin.check
live = crossorigin.LivePolicy(config)
assert_type(live.reconfigure(config), bool)
assert_type(CORSMiddleware(app, live=live), CORSMiddleware)
assert_type(CORSConfig.from_env(), CORSConfig)
routes = crossorigin.RoutePolicies([("/api/*", config)], default=None)
assert_type(routes.config_for("/api/x"), CORSConfig | None)
store = crossorigin.OriginStore.open("sqlite:///tmp/origins.db", poll_interval=0.5, max_age=5)
assert_type(CORSMiddleware(app, config=config, origin_store=store), CORSMiddleware)
assert_type(store.status(), crossorigin.StoreStatus)
assert_type(store.status().version, int | None)


async def store_api() -> None:
    assert_type(await store.add("https://a.example", tenant="t"), crossorigin.StoreEntry)
    assert_type(await store.remove("https://a.example"), bool)
    assert_type(await store.list(tenant="t"), list[crossorigin.StoreEntry])


async def typing_of_install_wsgi_and_async_helpers(framework_app: Any, client: Any) -> None:
    assert_type(crossorigin.install(framework_app, config=config), CORSMiddleware)
    assert_type(crossorigin.install(framework_app, allow_origins=["*"]), CORSMiddleware)

    from crossorigin.testing import Verdict, assert_cors_allows_async
    from crossorigin.wsgi import CORSMiddleware as WSGIMiddleware

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return [b""]

    assert_type(WSGIMiddleware(wsgi_app, config=config), WSGIMiddleware)
    assert_type(WSGIMiddleware(wsgi_app, routes=routes).config, CORSConfig | crossorigin.RoutePolicies)
    verdict = await assert_cors_allows_async(client, "/", origin="https://app.example")
    assert_type(verdict, Verdict)
