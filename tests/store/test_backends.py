"""The contract every origin-store backend keeps, run against real Redis and PostgreSQL servers.

One table of behaviours for all backends: versions move on every write, a whole-store read is
consistent, the push channel announces committed writes only, and a broken connection surfaces
as an exception (which the watcher turns into "keep the last snapshot, reconnect, reload").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crossorigin._store._backend import StoreBackend, StoredOrigin, StoreUnavailableError, redact

pytestmark = pytest.mark.anyio

A = StoredOrigin("https://a.example", "tenant-a", "first", None, 1.0)
B = StoredOrigin("https://b.example", "tenant-b", None, 2_000_000_000.0, 2.0)


@pytest.fixture(params=["redis", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def make(url: str) -> StoreBackend:
    if url.startswith("redis"):
        from crossorigin._store._redis import RedisBackend

        return RedisBackend(url)
    from crossorigin._store._postgres import PostgresBackend

    return PostgresBackend(url)


@pytest.fixture
async def backend(url: str) -> AsyncIterator[StoreBackend]:
    b = make(url)
    await b.open()
    yield b
    await b.close()


async def test_empty_store(backend: StoreBackend) -> None:
    assert await backend.load() == (await backend.version(), [], None)


async def test_every_write_moves_the_version(backend: StoreBackend) -> None:
    v0 = await backend.version()
    v1 = await backend.add(A)
    v2 = await backend.add(B)
    v3 = await backend.put_policy('{"allow_origins": []}')
    v4 = await backend.remove(A.origin)
    assert v0 < v1 < v2 < v3 < v4 == await backend.version()


async def test_load_returns_what_was_written(backend: StoreBackend) -> None:
    await backend.add(A)
    await backend.add(B)
    await backend.put_policy('{"allow_origins": ["https://x.example"]}')
    version, rows, policy = await backend.load()
    assert version == await backend.version()
    assert sorted(rows) == [A, B]
    assert policy == '{"allow_origins": ["https://x.example"]}'


async def test_add_replaces_the_entry_of_the_same_origin(backend: StoreBackend) -> None:
    await backend.add(A)
    await backend.add(A._replace(tenant="other", note=None))
    assert (await backend.load())[1] == [A._replace(tenant="other", note=None)]


async def test_remove_with_another_tenant_keeps_the_entry(backend: StoreBackend) -> None:
    await backend.add(A)
    await backend.remove(A.origin, tenant="tenant-b")
    assert (await backend.load())[1] == [A]
    await backend.remove(A.origin, tenant="tenant-a")
    assert (await backend.load())[1] == []


async def test_push_announces_each_write(url: str, backend: StoreBackend) -> None:
    changes = backend.changes()
    assert changes is not None
    stream = changes.__aiter__()
    await asyncio.wait_for(stream.__anext__(), 5)  # subscribed
    other = make(url)  # a writer in another process would use its own connection
    await other.open()
    try:
        await other.add(A)
        await asyncio.wait_for(stream.__anext__(), 5)
        await other.remove(A.origin)
        await asyncio.wait_for(stream.__anext__(), 5)
    finally:
        await other.close()
        await stream.aclose()  # type: ignore[attr-defined]


async def test_listener_raises_when_the_server_goes_away(
    url: str, request: pytest.FixtureRequest
) -> None:
    """A private server, killed under a subscribed listener: the stream ends in an exception."""
    from tests.services import PostgresServer, RedisServer

    server: Any = RedisServer() if url.startswith("redis") else PostgresServer()
    if isinstance(server, PostgresServer):
        server.init()
    server.start()
    try:
        backend = make(server.url)
        await backend.open()
        changes = backend.changes()
        assert changes is not None
        stream = changes.__aiter__()
        await asyncio.wait_for(stream.__anext__(), 5)
        server.stop()
        with pytest.raises(StoreUnavailableError):
            await asyncio.wait_for(stream.__anext__(), 15)
        with pytest.raises(StoreUnavailableError):
            await backend.version()
        server.start()
        # The next call reconnects by itself; nothing written before the outage was lost.
        for _ in range(20):
            try:
                await backend.version()
                break
            except StoreUnavailableError:
                await asyncio.sleep(0.1)
        assert await backend.version() >= 0
        await backend.close()
    finally:
        server.close()


async def test_unreachable_server_fails_fast(url: str) -> None:
    """Nothing listens on the port: open() raises within the connect timeout, it never hangs."""
    from tests.services import free_port

    port = free_port()
    scheme, rest = url.split("://", 1)
    user = rest.split("@", 1)[0] + "@" if "@" in rest else ""
    backend = make(f"{scheme}://{user}127.0.0.1:{port}/0")
    with pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{port}"):
        await asyncio.wait_for(backend.open(), 10)
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
    assert make(url).redacted_url == shown
