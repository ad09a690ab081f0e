"""The contract every origin-store backend keeps: SQLite, and real Redis and PostgreSQL servers.

One table of behaviours for all backends: versions move on every write, a whole-store read is
consistent, the push channel announces committed writes, a broken connection surfaces as
:class:`StoreUnavailable` (which the watcher turns into "keep the last snapshot, reconnect,
reload"), and no message carries a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from crossorigin._store._backend import Backend, StoreUnavailable, Write, open_backend, redact
from crossorigin._store._entries import StoreEntry
from tests.services import PostgresServer, RedisServer, free_port

pytestmark = pytest.mark.anyio

T1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T2 = datetime(2036, 1, 1, tzinfo=timezone.utc)
A = StoreEntry("https://a.example", "tenant-a", "first", None, T1)
B = StoreEntry("https://b.example", "tenant-b", None, T2, T1)
C = StoreEntry("https://*.c.example", "tenant-b", None, None, T1)


def put(entry: StoreEntry) -> Write:
    return Write("put", entry=entry)


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/origins.db"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def backend(url: str) -> AsyncIterator[Backend]:
    b = open_backend(url)
    await b.write([], create=True)  # make the (empty) store
    yield b
    await b.close()


async def test_empty_store(backend: Backend) -> None:
    snapshot = await backend.load_snapshot()
    assert (snapshot.entries, snapshot.policy) == ([], None)
    assert snapshot.version == await backend.current_version()


async def test_every_write_moves_the_version(backend: Backend) -> None:
    v0 = await backend.current_version()
    v1, n1 = await backend.write([put(A)])
    v2, n2 = await backend.write([put(B), put(C)])
    v3, n3 = await backend.write([Write("policy", policy='{"allow_origins": []}')])
    v4, n4 = await backend.write([Write("delete", key=A.origin)])
    assert v0 < v1 < v2 < v3 < v4 == await backend.current_version()
    assert (n1, n2, n3, n4) == (1, 2, 1, 1)


async def test_load_returns_what_was_written(backend: Backend) -> None:
    await backend.write([put(A), put(B), put(C)])
    await backend.write([Write("policy", policy='{"allow_origins": ["https://x.example"]}')])
    snapshot = await backend.load_snapshot()
    assert snapshot.version == await backend.current_version()
    assert sorted(snapshot.entries) == sorted([A, B, C])
    assert snapshot.policy == '{"allow_origins": ["https://x.example"]}'


async def test_put_replaces_the_entry_of_the_same_origin(backend: Backend) -> None:
    await backend.write([put(A)])
    await backend.write([put(A._replace(tenant="other", note=None))])
    assert (await backend.load_snapshot()).entries == [A._replace(tenant="other", note=None)]


async def test_delete_tenant_and_clear(backend: Backend) -> None:
    await backend.write([put(A), put(B), put(C)])
    assert (await backend.write([Write("delete_tenant", key="tenant-b")]))[1] == 2
    assert (await backend.load_snapshot()).entries == [A]
    assert (await backend.write([Write("delete", key="https://nobody.example")]))[1] == 0
    assert (await backend.write([Write("clear")]))[1] == 1
    assert (await backend.load_snapshot()).entries == []


async def test_policy_document_can_be_removed(backend: Backend) -> None:
    await backend.write([Write("policy", policy="{}")])
    await backend.write([Write("policy", policy=None)])
    assert (await backend.load_snapshot()).policy is None


async def test_push_announces_each_write(url: str, backend: Backend) -> None:
    changes = backend.changes()
    if url.startswith("sqlite"):
        assert changes is None  # polled only: PRAGMA data_version and the version row
        return
    assert changes is not None
    stream = changes.__aiter__()
    writer = open_backend(url)  # a writer in another process has its own connection
    try:
        waiting = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.3)  # let the listener subscribe
        await writer.write([put(A)])
        await asyncio.wait_for(waiting, 5)
        waiting = asyncio.ensure_future(stream.__anext__())
        await writer.write([Write("delete", key=A.origin)])
        await asyncio.wait_for(waiting, 5)
    finally:
        await writer.close()
        await stream.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["redis", "postgres"])
async def test_outage_and_recovery(kind: str) -> None:
    """A private server killed under a listener: the stream and every call raise
    StoreUnavailable; after a restart the next call reconnects by itself."""
    server: Any = RedisServer() if kind == "redis" else PostgresServer()
    if isinstance(server, PostgresServer):
        server.init()
    server.start()
    try:
        backend = open_backend(server.url)
        await backend.write([put(A)], create=True)
        changes = backend.changes()
        assert changes is not None
        stream = changes.__aiter__()
        waiting = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.3)
        server.stop()
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(waiting, 15)
        with pytest.raises(StoreUnavailable):
            await backend.current_version()
        with pytest.raises(StoreUnavailable):
            await backend.write([put(B)])
        server.start()
        for _ in range(50):
            try:
                await backend.current_version()
                break
            except StoreUnavailable:
                await asyncio.sleep(0.1)
        entries = (await backend.load_snapshot()).entries
        # Redis runs without persistence here ('--save ""'): a restart empties it.
        assert entries == ([] if kind == "redis" else [A])
        await backend.close()
    finally:
        server.close()


@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
async def test_unreachable_server_fails_fast(scheme: str) -> None:
    """Nothing listens on the port: the first call raises within the connect timeout."""
    port = free_port()
    backend = open_backend(f"{scheme}://user:s3cret@127.0.0.1:{port}/0")
    with pytest.raises(StoreUnavailable) as caught:
        await asyncio.wait_for(backend.current_version(), 10)
    assert "s3cret" not in str(caught.value)
    assert "user:***@127.0.0.1" in str(caught.value)
    await backend.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://user:s3cret@cache:6380/1", "rediss://user:***@cache:6380/1"),
        ("postgresql://app:p%40ss@db/app?sslmode=verify-full",
         "postgresql://app:***@db/app?sslmode=verify-full"),
        ("postgresql://db/app?user=app&password=s3cret", "postgresql://db/app?user=app&password=***"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)  # fmt: skip
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert open_backend(url).url == shown


def test_tls_urls_reach_the_clients() -> None:
    """``rediss://`` makes redis-py use TLS; PostgreSQL options such as ``sslmode`` stay in the
    connection string libpq receives (nothing is connected here)."""
    from redis.asyncio.connection import SSLConnection

    from crossorigin._store._postgres import PostgresBackend
    from crossorigin._store._redis import RedisBackend

    tls = RedisBackend("rediss://:pw@cache.internal:6380/0?key_prefix=app:")
    assert tls.prefix == "app:"
    assert tls.client.connection_pool.connection_class is SSLConnection
    plain = RedisBackend("redis://cache.internal:6379/0")
    assert plain.client.connection_pool.connection_class is not SSLConnection
    pg = PostgresBackend("postgresql://app:pw@db.internal/app?sslmode=verify-full")
    assert "sslmode=verify-full" in pg._url
    assert pg.url == "postgresql://app:***@db.internal/app?sslmode=verify-full"


@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
async def test_unreachable_at_start_up(scheme: str) -> None:
    """The watcher's start (the ASGI lifespan start-up) fails with the reason, unless
    ``start_empty`` says to serve without stored origins and keep retrying."""
    from crossorigin import OriginStore

    url = f"{scheme}://user:s3cret@127.0.0.1:{free_port()}/0"
    store = OriginStore.open(url)
    with pytest.raises(StoreUnavailable, match=r"user:\*\*\*@127\.0\.0\.1"):
        await asyncio.wait_for(store.start(), 20)
    lenient = OriginStore.open(url, start_empty=True)
    await asyncio.wait_for(lenient.start(), 20)
    try:
        status = lenient.status()
        assert (status.size, status.running) == (0, True)
        assert status.outage is not None
        assert "s3cret" not in status.outage
    finally:
        await lenient.stop()
        await lenient.backend.close()
