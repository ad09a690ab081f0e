"""The PostgreSQL backend: two tables, ``NOTIFY`` in the writing transaction, ``LISTEN`` to follow.

Tables (created when missing, in the URL's database and default schema)::

    crossorigin_origins (origin text primary key, tenant text, note text,
                         expires double precision, added double precision)
    crossorigin_state   (id int primary key check (id = 1), version bigint, policy text)

Every write is one transaction: the changes, ``version = version + 1`` and ``pg_notify``. PostgreSQL
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
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from crossorigin._store._backend import Backend, RawSnapshot, StoreUnavailable, Write, redact
from crossorigin._store._entries import stored_entry, to_epoch

if TYPE_CHECKING:
    from psycopg import AsyncConnection

CHANNEL = "crossorigin_changes"
TIMEOUT = 2
"""Seconds for a connect or a statement before the store counts as unavailable."""

_SCHEMA = """
create table if not exists crossorigin_origins (
    origin text primary key,
    tenant text,
    note text,
    expires double precision,
    added double precision,
    insecure smallint not null default 0,
    public_suffix smallint not null default 0
);
create table if not exists crossorigin_state (
    id int primary key check (id = 1),
    version bigint not null,
    policy text
);
insert into crossorigin_state (id, version) values (1, 0) on conflict (id) do nothing;
"""
_COLUMNS = "origin, tenant, note, expires, added, insecure, public_suffix"


class PostgresBackend(Backend):
    """Origin-store rows in PostgreSQL (``postgresql://`` or ``postgres://``), via psycopg 3."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.url = redact(url)
        self._conn: AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()
        self._schema_ready = False

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """psycopg's errors as :class:`StoreUnavailable` (libpq never prints a password)."""
        import psycopg

        try:
            yield
        except (psycopg.Error, OSError, TimeoutError) as error:
            text = str(error).strip()
            reason = text.splitlines()[0] if text else type(error).__name__
            raise StoreUnavailable(f"origin store {self.url} is unavailable: {reason}") from None

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
            connect_timeout=TIMEOUT,
            options=f"-c statement_timeout={TIMEOUT * 1000}",
            application_name="crossorigin",
        )

    async def _run(self, work: Any, *, create: bool = False) -> Any:
        """Run ``work(conn)`` in one transaction; a broken connection is dropped, never reused."""
        with self._errors():
            async with self._lock:
                conn = self._conn
                if conn is None or conn.closed or conn.broken:
                    self._conn = conn = await self._connect()
                try:
                    if create and not self._schema_ready:
                        async with conn.transaction():
                            # Several processes may start at once: the first creates the
                            # tables, the others wait for it instead of failing on a race.
                            await conn.execute("select pg_advisory_xact_lock(7263504)")
                            await conn.execute(_SCHEMA)
                        self._schema_ready = True
                    async with conn.transaction():
                        return await work(conn)
                except Exception:
                    self._conn = None
                    await conn.close()
                    raise

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()

    async def current_version(self) -> int:
        async def work(conn: AsyncConnection[Any]) -> int:
            cursor = await conn.execute("select version from crossorigin_state where id = 1")
            row = await cursor.fetchone()
            if row is None:
                raise StoreUnavailable(f"origin store {self.url} has no version row")
            return int(row[0])

        return int(await self._run(work))

    async def load_snapshot(self) -> RawSnapshot:
        async def work(conn: AsyncConnection[Any]) -> RawSnapshot:
            await conn.execute("set transaction isolation level repeatable read, read only")
            cursor = await conn.execute("select version, policy from crossorigin_state")
            state = await cursor.fetchone()
            if state is None:
                raise StoreUnavailable(f"origin store {self.url} has no version row")
            cursor = await conn.execute(f"select {_COLUMNS} from crossorigin_origins order by 1")
            rows = [stored_entry(*row) for row in await cursor.fetchall()]
            policy = state[1] if isinstance(state[1], str) else None
            return RawSnapshot(int(state[0]), rows, policy)

        snapshot: RawSnapshot = await self._run(work)
        return snapshot

    async def write(self, changes: Sequence[Write], *, create: bool = True) -> tuple[int, int]:
        async def work(conn: AsyncConnection[Any]) -> tuple[int, int]:
            affected = 0
            puts: list[tuple[Any, ...]] = []
            for change in [*changes, None]:
                if change is not None and change.op == "put":
                    puts.append(_statement(change)[1])
                    continue
                if puts:
                    # One pipelined batch: an import of 100,000 entries is one round trip
                    # per batch, not per row.
                    async with conn.cursor() as cursor:
                        await cursor.executemany(_PUT, puts)
                    affected, puts = affected + len(puts), []
                if change is not None:
                    cursor = await conn.execute(*_statement(change))
                    affected += max(cursor.rowcount, 0)
            cursor = await conn.execute(
                "update crossorigin_state set version = version + 1 where id = 1 returning version"
            )
            row = await cursor.fetchone()
            if row is None:
                raise StoreUnavailable(f"origin store {self.url} has no version row")
            # Delivered at COMMIT to every listening session, or not at all on rollback.
            await conn.execute("select pg_notify(%s, %s)", (CHANNEL, str(row[0])))
            return int(row[0]), affected

        result: tuple[int, int] = await self._run(work, create=create)
        return result

    def changes(self) -> AsyncIterator[None]:
        return self._listen()

    async def _listen(self) -> AsyncIterator[None]:
        """One item per committed change; raises when the connection breaks (then: reload)."""
        with self._errors():
            conn = await self._connect(autocommit=True)
        try:
            with self._errors():
                await conn.execute(f"listen {CHANNEL}")
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


_PUT = (
    f"insert into crossorigin_origins ({_COLUMNS}) values (%s, %s, %s, %s, %s, %s, %s)"
    " on conflict (origin) do update set tenant = excluded.tenant, note = excluded.note,"
    " expires = excluded.expires, added = excluded.added, insecure = excluded.insecure,"
    " public_suffix = excluded.public_suffix"
)


def _statement(change: Write) -> tuple[str, tuple[Any, ...]]:
    if change.op == "put" and change.entry is not None:
        e = change.entry
        return _PUT, (
            e.origin, e.tenant, e.note, to_epoch(e.expires), to_epoch(e.added),
            int(e.dangerously_allow_insecure_origins),
            int(e.dangerously_allow_public_suffix_wildcards),
        )  # fmt: skip
    if change.op == "delete":
        return "delete from crossorigin_origins where origin = %s", (change.key,)
    if change.op == "delete_tenant":
        return "delete from crossorigin_origins where tenant = %s", (change.key,)
    if change.op == "clear":
        return "delete from crossorigin_origins", ()
    if change.op == "policy":
        return "update crossorigin_state set policy = %s where id = 1", (change.policy,)
    raise ValueError(change.op)  # pragma: no cover - programming error
