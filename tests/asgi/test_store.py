"""The origin store behind the middleware, in process: headers, reasons, protection, routes,
lifespan start-up and shutdown, faults while serving, policy documents, expiry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossorigin import (
    ConfigError,
    CORSConfig,
    CORSMiddleware,
    Decision,
    LivePolicy,
    OriginStore,
    RoutePolicies,
)
from crossorigin._store._backend import StoreUnavailable
from crossorigin._store._sqlite import SQLiteBackend
from tests.conftest import cors_headers

pytestmark = pytest.mark.anyio

STATIC = "https://static.example"
TENANT = "https://shop.tenant.example"
OTHER = "https://evil.example"
POLL = 0.02


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/origins.db"


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait until *check()* is true (a bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


class Lifespan:
    """Drives an ASGI app's lifespan like a server does."""

    def __init__(self, asgi: Any) -> None:
        self.asgi = asgi
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> dict[str, Any]:
        self.task = asyncio.create_task(
            self.asgi(
                {"type": "lifespan", "asgi": {"version": "3.0"}}, self.inbox.get, self.outbox.put
            )
        )
        await self.inbox.put({"type": "lifespan.startup"})
        return await asyncio.wait_for(self.outbox.get(), 10)

    async def shutdown(self) -> dict[str, Any]:
        await self.inbox.put({"type": "lifespan.shutdown"})
        message = await asyncio.wait_for(self.outbox.get(), 10)
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)
        return message


@contextlib.asynccontextmanager
async def serving(
    url: str, config: CORSConfig | RoutePolicies, **kwargs: Any
) -> AsyncIterator[tuple[OriginStore, httpx.AsyncClient, list[Decision]]]:
    store = OriginStore.open(url, poll_interval=POLL)
    decisions: list[Decision] = []
    mw = CORSMiddleware(
        app,
        **({"config": config} if isinstance(config, CORSConfig) else {"routes": config}),
        origin_store=store,
        on_decision=decisions.append,
        **kwargs,
    )
    life = Lifespan(mw)
    assert (await life.startup())["type"] == "lifespan.startup.complete"
    transport = httpx.ASGITransport(app=mw)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.example") as client:
        yield store, client, decisions
    assert (await life.shutdown())["type"] == "lifespan.shutdown.complete"
    assert not store.status().running


async def prepared(url: str, *origins: str) -> None:
    writer = OriginStore.open(url)
    await writer.create()
    for origin in origins:
        await writer.add(origin, tenant="tenant")


CREDENTIALED = CORSConfig(
    allow_origins=[STATIC],
    allow_credentials=True,
    allow_methods=["PUT"],
    allow_headers=["x-token"],
    expose_headers=["x-total"],
    max_age=3,
    allow_stored_origins=True,
)


async def test_stored_origins_get_exactly_the_headers_of_static_ones(url: str) -> None:
    await prepared(url, TENANT)
    async with serving(url, CREDENTIALED) as (_, client, _d):
        for method, extra in (
            ("GET", {}),
            (
                "OPTIONS",
                {
                    "access-control-request-method": "PUT",
                    "access-control-request-headers": "x-token",
                },
            ),
        ):
            static = await client.request(method, "/", headers={"origin": STATIC, **extra})
            stored = await client.request(method, "/", headers={"origin": TENANT, **extra})
            denied = await client.request(method, "/", headers={"origin": OTHER, **extra})
            assert static.status_code == stored.status_code
            expected = {
                k: v.replace(STATIC, TENANT) for k, v in cors_headers(static.headers).items()
            }
            assert cors_headers(stored.headers) == expected
            assert "access-control-allow-origin" not in cors_headers(denied.headers)
        assert cors_headers(stored.headers) == {
            "access-control-allow-origin": TENANT,
            "access-control-allow-methods": "PUT",
            "access-control-allow-headers": "x-token",
            "access-control-allow-credentials": "true",
            "access-control-max-age": "3",
            "vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        }


async def test_max_age_is_capped_for_every_origin_of_a_policy_taking_stored_ones(url: str) -> None:
    await prepared(url, TENANT)
    config = CREDENTIALED.replace(max_age=7200)
    async with serving(url, config) as (_, client, _d):
        for origin in (STATIC, TENANT):
            response = await client.options(
                "/", headers={"origin": origin, "access-control-request-method": "PUT"}
            )
            assert response.headers["access-control-max-age"] == "5"


async def test_decisions_for_stored_origins_say_so(url: str) -> None:
    await prepared(url, TENANT)
    config = CREDENTIALED.replace(protect_writes=True)
    async with serving(url, config) as (_, client, decisions):
        await client.get("/", headers={"origin": TENANT})
        await client.get("/", headers={"origin": STATIC})
        await client.options(
            "/", headers={"origin": TENANT, "access-control-request-method": "PUT"}
        )
        await client.put("/", headers={"origin": TENANT, "sec-fetch-site": "cross-site"})
    assert [(d.kind, d.allowed, d.reason, d.origin) for d in decisions] == [
        ("actual", True, "allowed_by_store", TENANT),
        ("actual", True, "allowed", STATIC),
        ("preflight", True, "allowed_by_store", TENANT),
        ("write-protection", True, "allowed_by_store", TENANT),
        ("actual", True, "allowed_by_store", TENANT),
    ]


async def test_stored_origins_pass_write_protection(url: str) -> None:
    await prepared(url, TENANT)
    config = CREDENTIALED.replace(protect_writes=True)
    async with serving(url, config) as (store, client, _d):
        ok = await client.post("/", headers={"origin": TENANT, "sec-fetch-site": "cross-site"})
        refused = await client.post("/", headers={"origin": OTHER, "sec-fetch-site": "cross-site"})
        assert (ok.status_code, refused.status_code) == (200, 403)
        await store.remove(TENANT)
        await until(lambda: store.status().size == 0)
        gone = await client.post("/", headers={"origin": TENANT, "sec-fetch-site": "cross-site"})
        assert gone.status_code == 403


async def websocket(mw: Any, origin: str) -> list[str]:
    """A WebSocket handshake from *origin* straight through the middleware: the messages sent."""
    sent: list[str] = []
    received = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return received.pop() if received else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    async def ws_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    mw.app = ws_app
    scope = {"type": "websocket", "path": "/ws", "headers": [(b"origin", origin.encode()),
             (b"host", b"api.example")], "extensions": {}}  # fmt: skip
    await mw(scope, receive, send)
    return sent


async def test_stored_origins_pass_websocket_protection(url: str) -> None:
    await prepared(url, TENANT)
    store = OriginStore.open(url, poll_interval=POLL)
    mw = CORSMiddleware(
        app, config=CREDENTIALED.replace(protect_websockets=True), origin_store=store
    )
    await store.start()
    try:
        assert await websocket(mw, TENANT) == ["websocket.accept"]
        assert await websocket(mw, OTHER) == ["websocket.close"]
        await store.remove(TENANT)
        await until(lambda: store.status().size == 0)
        assert await websocket(mw, TENANT) == ["websocket.close"]
    finally:
        await store.stop()


async def test_only_policies_that_opt_in_take_stored_origins(url: str) -> None:
    await prepared(url, TENANT)
    routes = RoutePolicies(
        [
            ("/admin/*", CORSConfig(allow_origins=[STATIC])),
            ("/api/*", CORSConfig(allow_origins=[STATIC], allow_stored_origins=True)),
        ]
    )
    async with serving(url, routes) as (_, client, _d):
        api = await client.get("/api/items", headers={"origin": TENANT})
        admin = await client.get("/admin/users", headers={"origin": TENANT})
        admin_static = await client.get("/admin/users", headers={"origin": STATIC})
    assert api.headers.get("access-control-allow-origin") == TENANT
    assert "access-control-allow-origin" not in admin.headers
    assert admin_static.headers.get("access-control-allow-origin") == STATIC


async def test_add_and_remove_while_serving(url: str) -> None:
    await prepared(url)
    async with serving(url, CREDENTIALED) as (store, client, _d):
        assert (
            "access-control-allow-origin"
            not in (await client.get("/", headers={"origin": TENANT})).headers
        )
        await OriginStore.open(url).add(TENANT)  # another process's write, seen by polling
        await until(lambda: store.status().size == 1)
        assert (await client.get("/", headers={"origin": TENANT})).headers[
            "access-control-allow-origin"
        ] == TENANT
        await OriginStore.open(url).remove(TENANT)
        await until(lambda: store.status().size == 0)
        assert (
            "access-control-allow-origin"
            not in (await client.get("/", headers={"origin": TENANT})).headers
        )


async def test_expired_entries_stop_without_a_write(url: str) -> None:
    await prepared(url)
    await OriginStore.open(url).add(
        TENANT, expires=datetime.now(timezone.utc) + timedelta(seconds=0.5)
    )
    async with serving(url, CREDENTIALED) as (store, client, _d):
        version = store.status().version
        await until(lambda: store.status().size == 0)
        assert store.status().version == version
        assert (
            "access-control-allow-origin"
            not in (await client.get("/", headers={"origin": TENANT})).headers
        )


async def test_unreadable_store_fails_the_start_up(url: str) -> None:
    mw = CORSMiddleware(app, config=CREDENTIALED, origin_store=OriginStore.open(url))
    message = await Lifespan(mw).startup()
    assert message["type"] == "lifespan.startup.failed"
    assert message["message"].startswith(
        f"crossorigin: origin store {url} is unreadable: unable to open database file."
        " The server cannot start with this origin store;"
    )
    assert "start_empty=True" in message["message"]


async def test_start_empty_serves_static_origins_and_picks_the_store_up_later(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "crossorigin.store")
    store = OriginStore.open(url, poll_interval=POLL, start_empty=True)
    mw = CORSMiddleware(app, config=CREDENTIALED, origin_store=store)
    life = Lifespan(mw)
    assert (await life.startup())["type"] == "lifespan.startup.complete"
    assert store.status().outage is not None
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://t")
    assert (await client.get("/", headers={"origin": STATIC})).headers[
        "access-control-allow-origin"
    ] == STATIC
    await OriginStore.open(url).add(TENANT)
    await until(lambda: store.status().outage is None and store.status().size == 1)
    assert (await client.get("/", headers={"origin": TENANT})).headers[
        "access-control-allow-origin"
    ] == TENANT
    await life.shutdown()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unable to open database file" in m for m in messages) == 1
    assert sum("readable again after" in m for m in messages) == 1


async def test_configuration_mistakes_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="the middleware has no origin store"):
        CORSMiddleware(app, config=CREDENTIALED)
    with pytest.raises(ConfigError, match="allow_stored_origins"):
        CORSConfig(allow_origins=["*"], allow_stored_origins=True)
    # A store-only config needs no static origin.
    assert CORSConfig(allow_stored_origins=True).allow_origins == ()


FAULTS = ["garbage", "missing", "directory"]


@pytest.mark.parametrize("fault", FAULTS)
async def test_faults_keep_the_last_good_snapshot(
    url: str, tmp_path: Path, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    """While the file is garbage, gone or a directory: the last answer, no 500, one WARNING;
    after it is back: one INFO and changes flow again."""
    caplog.set_level(logging.INFO, "crossorigin.store")
    await prepared(url, TENANT)
    path = tmp_path / "origins.db"
    async with serving(url, CREDENTIALED) as (store, client, _d):
        saved = tmp_path / "saved.db"
        os.replace(path, saved)
        if fault == "garbage":
            path.write_bytes(os.urandom(8192))
        elif fault == "directory":
            path.mkdir()
        await until(lambda: store.status().outage is not None)
        for _ in range(20):
            response = await client.get("/", headers={"origin": TENANT})
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == TENANT
            await asyncio.sleep(POLL)
        if path.is_dir():
            path.rmdir()
        elif path.exists():
            path.unlink()
        os.replace(saved, path)
        await until(lambda: store.status().outage is None)
        await OriginStore.open(url).remove(TENANT)
        await until(lambda: store.status().size == 0)
        assert (
            "access-control-allow-origin"
            not in (await client.get("/", headers={"origin": TENANT})).headers
        )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if "readable again" in r.getMessage()]
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    assert "serving the last good snapshot (version 2, 1 origins)" in warnings[0].getMessage()
    assert len(infos) == 1


async def test_a_writer_killed_mid_transaction_leaves_nothing(url: str, tmp_path: Path) -> None:
    await prepared(url, TENANT)
    async with serving(url, CREDENTIALED) as (store, client, _d):
        version = store.status().version
        script = textwrap.dedent(
            f"""
            import os, signal, sqlite3
            conn = sqlite3.connect({str(tmp_path / "origins.db")!r}, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM crossorigin_origins")
            conn.execute("INSERT INTO crossorigin_origins (origin, added) VALUES ('https://half.example', 0)")
            conn.execute("UPDATE crossorigin_state SET version = version + 1")
            os.kill(os.getpid(), signal.SIGKILL)
            """
        )
        result = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
        assert result.returncode == -9
        await asyncio.sleep(POLL * 10)
        assert store.status().version == version
        assert (await client.get("/", headers={"origin": TENANT})).headers[
            "access-control-allow-origin"
        ] == TENANT
        # The lock died with the writer: the next write goes through and is seen.
        await OriginStore.open(url).add("https://next.example")
        await until(lambda: store.status().size == 2)
    assert [e.origin for e in await OriginStore.open(url).list()] == [
        "https://next.example",
        TENANT,
    ]


async def test_a_cancelled_watcher_is_restarted(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Cancelled (or crashed), the watcher leaves the last snapshot serving; the next request
    restarts it, which is reported once, and its first good read is logged as the recovery."""
    caplog.set_level(logging.INFO, "crossorigin.store")
    await prepared(url, TENANT)
    async with serving(url, CREDENTIALED) as (store, client, _d):
        assert store._task is not None
        store._task.cancel()
        await until(lambda: not store.status().running)
        assert (await client.get("/", headers={"origin": TENANT})).headers[
            "access-control-allow-origin"
        ] == TENANT
        await until(lambda: store.status().running and store.status().outage is None)
        await OriginStore.open(url).remove(TENANT)
        await until(lambda: store.status().size == 0)
    messages = [r.getMessage() for r in caplog.records]
    assert (
        sum("watcher task stopped unexpectedly (cancelled); restarted" in m for m in messages) == 1
    )
    assert sum("readable again" in m for m in messages) == 1


class Swallowing(SQLiteBackend):
    """A client library that turns cancellation into its own error (as some do on close)."""

    async def current_version(self) -> int:
        try:
            return await super().current_version()
        except asyncio.CancelledError:
            raise ConnectionError("connection closed") from None

    def changes(self) -> AsyncIterator[None]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[None]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ConnectionError("connection closed") from None
        yield None


@pytest.mark.timeout(60)
def test_a_lazily_started_watcher_never_keeps_a_closing_loop_alive(url: str) -> None:
    """asyncio.run returns although the watcher was started by a request and never stopped,
    and its backend turns cancellation into other errors."""
    asyncio.run(prepared(url, TENANT))
    store = OriginStore(Swallowing(url), poll_interval=0.01)
    mw = CORSMiddleware(app, config=CREDENTIALED, origin_store=store)

    async def serve_then_leave() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=mw), base_url="http://t"
        ) as c:
            await c.get("/", headers={"origin": STATIC})
            await until(lambda: store.status().size == 1)

    asyncio.run(serve_then_leave())  # a hang fails through the test timeout
    assert not store.status().running


async def test_bad_rows_are_skipped_and_logged_once(
    url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await prepared(url, TENANT)
    with contextlib.closing(sqlite3.connect(tmp_path / "origins.db", isolation_level=None)) as conn:
        conn.execute(
            "INSERT INTO crossorigin_origins (origin, added) VALUES ('https://bad.example/x', 0), ('null', 0)"
        )
    async with serving(url, CREDENTIALED) as (store, client, _d):
        await OriginStore.open(url).add("https://more.example")
        await until(lambda: store.status().size == 2)
        assert store.status().rejected == 2
        assert (
            "access-control-allow-origin"
            not in (await client.get("/", headers={"origin": "null"})).headers
        )
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2
    assert "row 'https://bad.example/x' skipped: crossorigin: invalid origin" in skipped[0]


async def test_pushed_policies_are_followed_and_invalid_ones_ignored(
    url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await prepared(url, TENANT)
    live = LivePolicy(CREDENTIALED)
    store = OriginStore.open(url, poll_interval=POLL)
    mw = CORSMiddleware(app, live=live, origin_store=store)
    life = Lifespan(mw)
    await life.startup()
    pushed = CORSConfig(allow_origins=["https://pushed.example"], allow_stored_origins=True)
    await OriginStore.open(url).push_policy(pushed)
    await until(lambda: live.current == pushed)
    assert store.status().policy_version == store.status().version
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://t")
    for origin, allowed in ((TENANT, True), ("https://pushed.example", True), (STATIC, False)):
        response = await client.get("/", headers={"origin": origin})
        assert ("access-control-allow-origin" in response.headers) is allowed, origin
    with contextlib.closing(sqlite3.connect(tmp_path / "origins.db", isolation_level=None)) as conn:
        conn.execute(
            "UPDATE crossorigin_state SET policy = '{\"max_age\": -1}', version = version + 1"
        )
    await until(lambda: any("is invalid" in r.getMessage() for r in caplog.records))
    assert live.current == pushed
    await OriginStore.open(url).push_policy(None)
    await until(lambda: live.current == CREDENTIALED)
    await life.shutdown()


async def test_without_lifespan_the_first_request_starts_the_watcher(url: str) -> None:
    await prepared(url, TENANT)
    store = OriginStore.open(url, poll_interval=POLL)
    mw = CORSMiddleware(app, config=CREDENTIALED, origin_store=store)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mw), base_url="http://t"
    ) as client:
        await client.get("/", headers={"origin": STATIC})
        await until(lambda: store.status().version == 2)
        assert (await client.get("/", headers={"origin": TENANT})).headers[
            "access-control-allow-origin"
        ] == TENANT
        await store.stop()


async def test_writes_fail_loudly_when_the_store_is_unwritable(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreUnavailable, match="cannot be opened"):
        await OriginStore.open(f"sqlite://{tmp_path}/dir.db").add(TENANT)


class Announcing(SQLiteBackend):
    """SQLite with a push channel fed by the test (as Redis pub/sub or LISTEN would be)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.opened = 0

    def changes(self) -> AsyncIterator[None]:
        self.opened += 1
        return self._stream()

    async def _stream(self) -> AsyncIterator[None]:
        while True:
            item = await self.queue.get()
            if isinstance(item, Exception):
                raise item
            yield None


async def test_a_push_channel_wakes_the_watcher_and_a_broken_one_reloads(url: str) -> None:
    await prepared(url)
    backend = Announcing(url)
    store = OriginStore(backend, poll_interval=60)  # the poll would take a minute
    mw = CORSMiddleware(app, config=CREDENTIALED, origin_store=store)
    life = Lifespan(mw)
    await life.startup()
    await OriginStore.open(url).add(TENANT)
    await backend.queue.put(None)
    await until(lambda: store.status().size == 1)
    await OriginStore.open(url).remove(TENANT)  # announced on a channel that then breaks
    await backend.queue.put(ConnectionError("gone"))
    await until(lambda: store.status().size == 0)
    await until(lambda: backend.opened == 2)
    await life.shutdown()


async def test_a_shadow_taking_stored_origins_sees_them(url: str) -> None:
    """Trying the store out: the shadow takes stored origins, the active policy does not."""
    await prepared(url, TENANT)
    active = CORSConfig(allow_origins=[STATIC], allow_credentials=True)
    async with serving(url, active, shadow=CREDENTIALED) as (store, client, decisions):
        await client.get("/", headers={"origin": STATIC})
        await client.get("/", headers={"origin": TENANT})
        await OriginStore.open(url).remove(TENANT)
        await until(lambda: store.status().size == 0)
        await client.get("/", headers={"origin": TENANT})
    assert [(d.allowed, d.reason, d.origin, d.shadow) for d in decisions] == [
        (True, "allowed", STATIC, False),
        (False, "origin_not_allowed", TENANT, False),
        (True, "allowed", TENANT, True),  # the shadow would have allowed it, from the store
        (False, "origin_not_allowed", TENANT, False),  # removed: both agree, no shadow record
    ]


async def test_a_flood_of_bad_rows_is_logged_in_bounded_lines(
    url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await prepared(url, TENANT)
    with contextlib.closing(sqlite3.connect(tmp_path / "origins.db", isolation_level=None)) as conn:
        conn.executemany(
            "INSERT INTO crossorigin_origins (origin, added) VALUES (?, 0)",
            [(f"https://bad{i}.example/{'x' * 70000}",) for i in range(500)],
        )
    async with serving(url, CREDENTIALED) as (store, client, _d):
        assert store.status().rejected == 500
        assert store.status().size == 1
        assert (await client.get("/", headers={"origin": TENANT})).headers[
            "access-control-allow-origin"
        ] == TENANT
    lines = [r.getMessage() for r in caplog.records if r.name == "crossorigin.store"]
    assert len(lines) == 21
    assert all(len(line) < 1000 for line in lines)
    assert lines[-1].endswith("480 more rows skipped (status().rejected counts them)")
