"""The PostgreSQL backend: two tables, ``NOTIFY`` in the writing transaction, ``LISTEN`` to follow.

Tables (created when missing, in the URL's database and default schema)::

    crossorigin_origins (origin text primary key, tenant text, note text,
                         expires double precision, added double precision)
    crossorigin_state   (id int primary key check (id = 1), version bigint, policy text)

Every write is one transaction: the change, ``version = version + 1`` and ``pg_notify``. PostgreSQL
delivers a notification only when its transaction commits, so listeners never hear of a change
they cannot read yet, and a rolled-back write announces nothing. Whole-store reads run in one
``REPEATABLE READ`` transaction, so the version describes exactly the rows read with it.

A read replica cannot ``LISTEN`` to writes made on the primary; there the version poll alone
keeps the promise (its bound is the poll interval). TLS and every other connection option pass
through the URL (``?sslmode=verify-full``); credentials come from the URL or libpq's environment
(``PGPASSWORD``, ``~/.pgpass``) and are never logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crossorigin._store._backend import StoreBackend, StoredOrigin, StoreUnavailableError, redact

if TYPE_CHECKING:
    from psycopg import AsyncConnection

_CHANNEL = "crossorigin_changes"
_TIMEOUT = 2
"""Seconds for a connect or a statement before it counts as an outage."""

_SCHEMA = """
create table if not exists crossorigin_origins (
    origin text primary key,
    tenant text,
    note text,
    expires double precision,
    added double precision not null
);
create table if not exists crossorigin_state (
    id int primary key check (id = 1),
    version bigint not null,
    policy text
);
insert into crossorigin_state (id, version) values (1, 0) on conflict (id) do nothing;
"""


class PostgresBackend(StoreBackend):
    """An origin store kept in PostgreSQL (``postgresql://`` or ``postgres://``), via psycopg 3."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.redacted_url = redact(url)
        self._conn: AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """psycopg's errors as :class:`StoreUnavailableError` (libpq never prints a password)."""
        import psycopg

        try:
            yield
        except (psycopg.Error, OSError, TimeoutError) as error:
            reason = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise StoreUnavailableError(self.redacted_url, reason) from error

    async def _connect(self, *, autocommit: bool = False) -> AsyncConnection[Any]:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - depends on the extra being installed
            raise ImportError(
                "the postgresql:// origin store needs psycopg 3:"
                " pip install 'crossorigin[postgres]'"
            ) from None
        return await psycopg.AsyncConnection.connect(
            self._url,
            autocommit=autocommit,
            connect_timeout=_TIMEOUT,
            options=f"-c statement_timeout={_TIMEOUT * 1000}",
            application_name="crossorigin",
        )

    async def _connection(self) -> AsyncConnection[Any]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            self._conn = conn = await self._connect()
        return conn

    async def open(self) -> None:
        with self._errors():
            await self._open()

    async def _open(self) -> None:
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.transaction():
                    # Several processes may start at once; the lock makes the first one create
                    # the tables and the others wait for it instead of failing on a race.
                    await conn.execute("select pg_advisory_xact_lock(7263504)")
                    await conn.execute(_SCHEMA)
            except Exception:
                await self._discard()
                raise

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def close(self) -> None:
        async with self._lock:
            await self._discard()

    async def _run(self, work: Any) -> Any:
        """Run ``work(conn)`` in one transaction; a broken connection is dropped, never reused."""
        with self._errors():
            return await self._run_locked(work)

    async def _run_locked(self, work: Any) -> Any:
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.transaction():
                    return await work(conn)
            except Exception:
                if conn.closed or conn.broken:
                    await self._discard()
                else:
                    await conn.rollback()
                raise

    async def version(self) -> int:
        async def work(conn: AsyncConnection[Any]) -> int:
            row = await (await conn.execute("select version from crossorigin_state")).fetchone()
            return int(row[0]) if row else 0

        return int(await self._run(work))

    async def load(self) -> tuple[int, list[StoredOrigin], str | None]:
        async def work(conn: AsyncConnection[Any]) -> tuple[int, list[StoredOrigin], str | None]:
            await conn.execute("set transaction isolation level repeatable read, read only")
            cursor = await conn.execute("select version, policy from crossorigin_state")
            state = await cursor.fetchone()
            cursor = await conn.execute(
                "select origin, tenant, note, expires, added from crossorigin_origins"
            )
            rows = [StoredOrigin(*row) for row in await cursor.fetchall()]
            version, policy = state if state else (0, None)
            return int(version), rows, policy

        result: tuple[int, list[StoredOrigin], str | None] = await self._run(work)
        return result

    async def _write(self, statement: str, params: tuple[Any, ...]) -> int:
        async def work(conn: AsyncConnection[Any]) -> int:
            await conn.execute(statement, params)
            cursor = await conn.execute(
                "update crossorigin_state set version = version + 1 returning version"
            )
            row = await cursor.fetchone()
            assert row is not None  # the state row is created with the schema
            # Delivered at COMMIT, to every session listening, or not at all on rollback.
            await conn.execute("select pg_notify(%s, %s)", (_CHANNEL, str(row[0])))
            return int(row[0])

        return int(await self._run(work))

    async def add(self, entry: StoredOrigin) -> int:
        return await self._write(
            "insert into crossorigin_origins (origin, tenant, note, expires, added)"
            " values (%s, %s, %s, %s, %s) on conflict (origin) do update set"
            " tenant = excluded.tenant, note = excluded.note, expires = excluded.expires,"
            " added = excluded.added",
            (entry.origin, entry.tenant, entry.note, entry.expires, entry.added or time.time()),
        )

    async def remove(self, origin: str, tenant: str | None = None) -> int:
        if tenant is None:
            return await self._write("delete from crossorigin_origins where origin = %s", (origin,))
        return await self._write(
            "delete from crossorigin_origins where origin = %s and tenant = %s", (origin, tenant)
        )

    async def put_policy(self, document: str) -> int:
        return await self._write("update crossorigin_state set policy = %s", (document,))

    def changes(self) -> AsyncIterator[None]:
        return self._listen()

    async def _listen(self) -> AsyncIterator[None]:
        """One item per committed change; raises when the connection breaks (then: reload)."""
        with self._errors():
            conn = await self._connect(autocommit=True)
        try:
            with self._errors():
                await conn.execute(f"listen {_CHANNEL}")
            yield None  # listening: anything earlier is covered by the reload that follows
            while True:
                heard = False
                with self._errors():
                    # A bounded wait, so a dead server is noticed even when nothing is written.
                    async for _ in conn.notifies(timeout=5.0, stop_after=1):
                        heard = True
                    if not heard:
                        await conn.execute("select 1")
                if heard:
                    yield None
        finally:
            await conn.close()
