"""The origin store in Chromium: a page on an origin added at run time reads the API without a
server restart, and cannot once the origin is removed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware, OriginStore
from tests.apps import data
from tests.browser.conftest import Api, Topology, _start
from tests.browser.engines import Engine
from tests.browser.test_browser import allowed, fetch
from tests.conftest import cors_headers
from tests.store_workers import cli

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Engine]:
    yield from _start("chromium")


def until(check: Callable[[], Any], timeout: float = 15.0) -> None:
    """Wait until *check()* is true (a bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_an_origin_added_at_run_time_can_read_until_removed(
    chromium: Engine, topology: Topology, api: Api, token: str, tmp_path: Path
) -> None:
    url = f"sqlite://{tmp_path}/origins.db"
    assert cli("origins", "add", "https://unrelated.example", "--store", url).returncode == 0
    store = OriginStore.open(url)  # the default poll interval and max-age cap
    app = Starlette(routes=[Route("/data", data, methods=["GET", "PUT"])])
    config = CORSConfig(
        allow_origins=["http://localhost:1"],
        allow_methods=["PUT"],
        allow_headers=["x-token"],
        expose_headers=["x-total"],
        max_age=600,
        allow_stored_origins=True,
    )
    app.add_middleware(CORSMiddleware, config=config, origin_store=store)
    api.use_app(app)  # this server runs without lifespan: the first request starts the watcher
    page = topology.allowed
    endpoint = f"{topology.cross_site_api}/data?u={token}"
    put = {"method": "PUT", "headers": {"x-token": "1"}}
    try:
        with chromium.session(fresh=True) as session:
            (before,) = fetch(session, page, endpoint, **put)
            assert not allowed(before), before
            until(lambda: store.status().version is not None)

            # Added with the CLI, while the server runs: no restart.
            assert (
                cli("origins", "add", page, "--tenant", "browser", "--store", url).returncode == 0
            )
            until(lambda: store.status().size == 2)
            (after,) = fetch(session, page, endpoint, **put)
            assert allowed(after), after
            assert after["status"] == 200
            assert after["headers"]["x-total"] == "42"
            preflight = [e for e in api.seen(token) if e.method == "OPTIONS"][-1]
            assert cors_headers(preflight.response) == {
                "access-control-allow-origin": page,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-token",
                "access-control-max-age": "5",  # capped: the revocation promise
                "vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            }

            assert cli("origins", "remove", page, "--store", url).returncode == 0
            until(lambda: store.status().size == 1)
            (gone,) = fetch(session, page, endpoint)
            assert not allowed(gone), gone
            last = api.seen(token)[-1]
            assert (last.method, last.status) == ("GET", 200)
            assert "access-control-allow-origin" not in last.response
    finally:
        api.use_app(Api.build(CORSConfig(allow_origins=["http://localhost:1"])))
        task = store._task
        if task is not None:  # the watcher runs in the server thread's event loop
            store._stopping = True
            task.get_loop().call_soon_threadsafe(task.cancel)
