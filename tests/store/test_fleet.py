"""A fleet of hosts follows one Redis or PostgreSQL origin store: push, poll, faults, hostile rows.

"Hosts" are separate uvicorn processes on their own ports (two of them with two workers each),
serving tests/store_app.py, whose responses name the worker's PID. Every test probes until each
worker has answered as expected, and a worker that has answered so must not flip back.

No assertion is about time: the push test sets the poll interval to 60 s, so a change that every
worker applies within the probe's patience can only have come through the push channel; the
lost-push test writes behind the store's back, so only the poll can deliver it. The measured
delays are in docs/deployment.md, from bench/propagation.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossorigin import CORSConfig, CORSMiddleware, OriginStore
from crossorigin._cli.origins import origins_main, policy_main
from tests.services import PostgresServer, RedisServer
from tests.store_workers import until_every_worker, worker_pids, workers

TENANT = "https://shop.customer-one.example"
LATE = "https://late.customer-two.example"


@pytest.fixture(params=["redis", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def run(main: Any, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def hosts(url: str, poll: float) -> Iterator[list[tuple[str, set[int]]]]:
    """Three hosts on one store: (base URL, worker PIDs) each, with 2, 2 and 1 workers."""
    with workers(url, 2, poll) as a, workers(url, 2, poll) as b, workers(url, 1, poll) as c:
        yield [(a, worker_pids(a, 2)), (b, worker_pids(b, 2)), (c, worker_pids(c, 1))]


def every_host(fleet: list[tuple[str, set[int]]], origin: str, allowed: bool, **kw: Any) -> None:
    for base, pids in fleet:
        until_every_worker(base, origin, allowed, pids, timeout=30, **kw)


def test_three_hosts_follow_the_push(store_url: str, tmp_path: Path) -> None:
    """With a 60 s poll, only the push can bring a change to all five workers this soon."""
    assert run(origins_main, "add", "https://first.example", "--store", store_url)[0] == 0
    with hosts(store_url, poll=60) as fleet:
        every_host(fleet, "https://first.example", True)
        assert run(origins_main, "add", TENANT, "--tenant", "one", "--store", store_url)[0] == 0
        every_host(fleet, TENANT, True)
        assert run(origins_main, "remove", TENANT, "--store", store_url)[0] == 0
        every_host(fleet, TENANT, False)

        policy = tmp_path / "policy.json"
        policy.write_text(json.dumps({"routes": [
            ["/admin/*", {"allow_origins": ["https://ops.example"]}], ["/api/*", None]]}))  # fmt: skip
        code, _, err = run(policy_main, "push", str(policy), "--store", store_url)
        assert (code, err) == (0, "")
        every_host(fleet, "https://ops.example", True, path="/admin/users")
        every_host(fleet, "https://first.example", False)


def _write_without_push(url: str, origin: str) -> None:
    """Add *origin* the way another tool would: data and version, but no publish or notify."""
    entry = {"tenant": None, "note": None, "expires": None, "added": 1.0, "insecure": 0,
             "public_suffix": 0}  # fmt: skip
    if url.startswith("redis"):
        import redis

        from crossorigin._store._redis import _split_prefix

        plain, prefix = _split_prefix(url)
        client = redis.Redis.from_url(plain)
        client.hset(f"{prefix}origins", origin, json.dumps(entry))
        client.incr(f"{prefix}version")
        client.close()
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("insert into crossorigin_origins (origin, added) values (%s, 1.0)", (origin,))
        conn.execute("update crossorigin_state set version = version + 1")


def test_lost_push_is_caught_by_the_poll(store_url: str) -> None:
    assert run(origins_main, "add", "https://first.example", "--store", store_url)[0] == 0
    with workers(store_url, 2, poll=0.5) as base:
        pids = worker_pids(base, 2)
        _write_without_push(store_url, LATE)
        until_every_worker(base, LATE, True, pids)


@pytest.mark.parametrize("kind", ["redis", "postgres"])
def test_server_killed_while_serving(kind: str) -> None:
    """200 requests in flight while the store's server dies: every one answered from the last
    good snapshot (none 500). After a restart, a change made while the listeners were down is
    picked up (a full reload after the reconnect)."""
    server: Any = RedisServer(persistent=True) if kind == "redis" else PostgresServer()
    if isinstance(server, PostgresServer):
        server.init()
    server.start()
    try:
        url = server.url
        assert run(origins_main, "add", TENANT, "--store", url)[0] == 0
        with workers(url, 2, poll=0.5) as base:
            pids = worker_pids(base, 2)
            until_every_worker(base, TENANT, True, pids)

            async def storm() -> list[httpx.Response]:
                limits = httpx.Limits(max_connections=20)
                async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                    sends = [client.get("/api/items", headers={"origin": TENANT})
                             for _ in range(200)]  # fmt: skip
                    killer = asyncio.get_running_loop().run_in_executor(None, server.stop)
                    responses = await asyncio.gather(*sends)
                    await killer
                    return responses

            responses = asyncio.run(storm())
            assert [r.status_code for r in responses] == [200] * 200
            assert all(r.headers["access-control-allow-origin"] == TENANT for r in responses)
            # Still down: the last good snapshot keeps answering, in every worker.
            until_every_worker(base, TENANT, True, pids)
            health = httpx.get(f"{base}/health", timeout=5).json()
            assert health["outage"] is not None

            server.start()
            assert run(origins_main, "add", LATE, "--store", url)[0] == 0
            until_every_worker(base, LATE, True, pids)
            until_every_worker(base, TENANT, True, pids)
    finally:
        server.close()


HOSTILE = [
    ("https://hostile.example/path", "a path"),
    ("null", "the null origin"),
    ("https://" + "a" * 65_536 + ".example", "64 KiB"),
]


def _insert_raw(url: str, origin: str) -> None:
    if url.startswith("redis"):
        import redis

        from crossorigin._store._redis import _split_prefix

        plain, prefix = _split_prefix(url)
        client = redis.Redis.from_url(plain)
        client.hset(f"{prefix}origins", origin, '{"added": 1.0}')
        client.close()
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("insert into crossorigin_origins (origin, added) values (%s, 1.0)", (origin,))


def test_hostile_rows_are_skipped_and_logged(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows written by another tool that break the rules never reach the matcher."""
    assert run(origins_main, "add", TENANT, "--store", store_url)[0] == 0
    for origin, _ in HOSTILE:
        _insert_raw(store_url, origin)
    store = OriginStore.open(store_url)

    async def check() -> None:
        await store.refresh()
        status = store.status()
        assert (status.size, status.rejected) == (1, len(HOSTILE))
        app = CORSMiddleware(_ok, config=CORSConfig(allow_stored_origins=True), origin_store=store)
        try:
            for origin in [TENANT, *(o for o, _ in HOSTILE)]:
                headers = await _get(app, origin)
                assert (b"access-control-allow-origin" in headers) is (origin == TENANT)
        finally:
            await store.stop()
            await store.backend.close()

    with caplog.at_level(logging.WARNING, logger="crossorigin.store"):
        asyncio.run(check())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "hostile.example/path" in logged
    assert "a" * 1000 not in logged  # bounded: a 64 KiB row is not logged whole


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _get(app: Any, origin: str) -> dict[bytes, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"api.test"), (b"origin", origin.encode())]}  # fmt: skip
    await app(scope, receive, send)
    return dict(sent[0]["headers"])


def test_cli_and_migrate_across_backends(redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    """The same commands against every backend; migrate moves everything, policy included."""
    sqlite = f"sqlite:///{tmp_path}/origins.db"
    assert run(origins_main, "add", TENANT, "--tenant", "one", "--store", sqlite)[0] == 0
    assert run(origins_main, "add", "https://*.two.example", "--store", sqlite)[0] == 0
    (tmp_path / "p.json").write_text('{"allow_origins": ["https://ops.example"]}')
    assert run(policy_main, "push", str(tmp_path / "p.json"), "--store", sqlite)[0] == 0

    code, out, err = run(origins_main, "migrate", "--from", sqlite, "--to", redis_url)
    assert (code, err) == (0, ""), err
    assert "copied 2 origins and the policy document" in out
    code, out, err = run(origins_main, "migrate", "--from", redis_url, "--to", postgres_url)
    assert (code, err) == (0, ""), err

    for url in (sqlite, redis_url, postgres_url):
        code, out, _ = run(origins_main, "list", "--json", "--store", url)
        assert code == 0
        assert [(e["origin"], e["tenant"]) for e in json.loads(out)] == [
            ("https://*.two.example", None), (TENANT, "one")]  # fmt: skip
        code, out, _ = run(policy_main, "show", "--store", url)
        assert json.loads(out)["allow_origins"] == ["https://ops.example"]

    # Into a store that already has entries: refused unless --replace.
    code, _, err = run(origins_main, "migrate", "--from", sqlite, "--to", postgres_url)
    assert code == 1
    assert "--replace" in err
    code, _, err = run(origins_main, "migrate", "--from", sqlite, "--to", postgres_url, "--replace")
    assert (code, err) == (0, "")


def test_writes_fail_loudly_when_the_store_is_down() -> None:
    """Exit 1 with the reason, the password redacted, and nothing half-written."""
    from tests.services import free_port

    for scheme in ("redis", "postgresql"):
        url = f"{scheme}://user:s3cret@127.0.0.1:{free_port()}/0"
        code, out, err = run(origins_main, "add", TENANT, "--store", url)
        assert code == 1, (scheme, out, err)
        assert err.startswith("Error: ")
        assert "unavailable" in err
        assert "s3cret" not in err
        assert "user:***@127.0.0.1" in err


def _make_slow(url: str, seconds: float) -> Any:
    """Make the store's server answer nothing for *seconds*; returns a handle to wait on."""
    import threading

    if url.startswith("redis"):
        import redis

        from crossorigin._store._redis import _split_prefix

        client = redis.Redis.from_url(_split_prefix(url)[0])
        client.execute_command("CLIENT", "PAUSE", int(seconds * 1000), "ALL")
        client.close()
        return threading.Thread(target=time_sleep, args=(seconds,))
    import psycopg

    def hold() -> None:
        with psycopg.connect(url) as conn, conn.transaction():
            conn.execute("lock table crossorigin_state in access exclusive mode")
            time_sleep(seconds)

    return threading.Thread(target=hold)


def time_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def test_slow_server_never_delays_requests(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """While the server takes seconds per query, requests are answered from the snapshot in
    memory (they never wait for the store); the outage is logged once, the recovery once."""
    assert run(origins_main, "add", TENANT, "--store", store_url)[0] == 0
    store = OriginStore.open(store_url, poll_interval=0.1)
    app = CORSMiddleware(_ok, config=CORSConfig(allow_stored_origins=True), origin_store=store)

    async def scenario() -> None:
        await store.start()
        try:
            slow = _make_slow(store_url, 5.0)
            slow.start()
            answered = 0
            while store.status().outage is None:  # the watcher's query timed out
                assert (await _get(app, TENANT))[b"access-control-allow-origin"] == TENANT.encode()
                answered += 1
                await asyncio.sleep(0.01)
            assert answered > 0
            while store.status().outage is not None:  # until the server answers again
                assert (await _get(app, TENANT))[b"access-control-allow-origin"] == TENANT.encode()
                await asyncio.sleep(0.05)
            await asyncio.get_running_loop().run_in_executor(None, slow.join)
        finally:
            await store.stop()
            await store.backend.close()

    with caplog.at_level(logging.INFO, logger="crossorigin.store"):
        asyncio.run(asyncio.wait_for(scenario(), 60))
    levels = [r.levelname for r in caplog.records if "origin store" in r.getMessage()]
    assert levels.count("WARNING") == 1, caplog.text
    assert levels.count("INFO") == 1, caplog.text
    assert "s3cret" not in caplog.text
