"""The embedded default backend: one SQLite file (standard library ``sqlite3``, WAL mode).

Safe for the worker processes of one host: SQLite's file locks serialise writers, WAL lets
readers run during a write, and a write is one ``BEGIN IMMEDIATE`` transaction that also bumps
the version row, so a change is visible whole or not at all (a writer killed mid-transaction
leaves nothing behind). Readers open the file afresh on every poll with ``mode=rw`` (never
creating it): a file that was deleted, replaced or corrupted is noticed at the next poll
instead of being read through a stale descriptor. Every call runs in a worker thread so that a
locked or slow disk never blocks the event loop.

URLs: ``sqlite:///var/lib/app/origins.db`` (absolute, as a URL's path) or
``sqlite:origins.db`` (relative to the working directory).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from crossorigin._store._backend import Backend, RawSnapshot, StoreUnavailable, Write, redact
from crossorigin._store._entries import StoreEntry, stored_entry, to_epoch

if TYPE_CHECKING:
    import sqlite3

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS crossorigin_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    policy TEXT,
    schema INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crossorigin_origins (
    origin TEXT PRIMARY KEY,
    tenant TEXT,
    note TEXT,
    expires REAL,
    added REAL NOT NULL,
    insecure INTEGER NOT NULL DEFAULT 0,
    public_suffix INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS crossorigin_origins_tenant ON crossorigin_origins (tenant);
INSERT OR IGNORE INTO crossorigin_state (id, version, policy, schema) VALUES (1, 0, NULL, 1);
"""
BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another writer's lock before failing."""
READ_BUSY_TIMEOUT_MS = 1000


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:`` URL."""
    rest = url.split(":", 1)[1]
    if rest.startswith("//"):
        # sqlite:///abs/path -> /abs/path (empty host); sqlite:////abs/path is accepted too.
        path = rest[2:]
        if not path.startswith("/"):
            raise ValueError(
                f"crossorigin: invalid origin store URL {redact(url)!r}: a host is not allowed;"
                " write 'sqlite:///absolute/path.db' or 'sqlite:relative/path.db'"
            )
        while path.startswith("//"):
            path = path[1:]
        return path
    if not rest or rest.startswith("?"):
        raise ValueError(
            f"crossorigin: invalid origin store URL {redact(url)!r}: no file;"
            " write 'sqlite:///absolute/path.db' or 'sqlite:relative/path.db'"
        )
    return rest


class SQLiteBackend(Backend):
    """Origin-store rows in one SQLite file."""

    def __init__(self, url: str) -> None:
        self.url = redact(url)
        self.path = sqlite_path(url)
        # Rows of the last read -> their entries: an unchanged row yields the same entry object,
        # which the snapshot compile recognises without checking it again.
        self._entries: dict[tuple[Any, ...], StoreEntry] = {}

    # -- connections (run in worker threads) -------------------------------------------------

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        import sqlite3  # lazily: ~2 ms that 'import crossorigin' does not need to pay
        from urllib.parse import quote

        mode = "rwc" if create else "rw"
        uri = f"file:{quote(os.path.abspath(self.path))}?mode={mode}"
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=(BUSY_TIMEOUT_MS if create else READ_BUSY_TIMEOUT_MS) / 1000,
            isolation_level=None,  # explicit BEGIN/COMMIT only
            check_same_thread=False,
        )
        return conn

    def _fail(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"origin store {self.url} is unreadable: {exc}")

    def _read_version(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT version FROM crossorigin_state WHERE id = 1").fetchone()
        if row is None or not isinstance(row[0], int):
            raise StoreUnavailable(f"origin store {self.url} has no version row")
        return row[0]

    def _version_sync(self) -> int:
        import sqlite3

        try:
            conn = self._connect(create=False)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            return self._read_version(conn)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        finally:
            conn.close()

    def _load_sync(self) -> RawSnapshot:
        import sqlite3

        try:
            conn = self._connect(create=False)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            conn.execute("BEGIN")  # one read transaction: version and rows agree
            version = self._read_version(conn)
            policy = conn.execute("SELECT policy FROM crossorigin_state WHERE id = 1").fetchone()
            rows = conn.execute(
                "SELECT origin, tenant, note, expires, added, insecure, public_suffix"
                " FROM crossorigin_origins ORDER BY origin"
            ).fetchall()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        finally:
            conn.close()
        text = policy[0] if policy is not None else None
        return RawSnapshot(version, self._reuse(rows), text if isinstance(text, str) else None)

    def _write_sync(self, changes: Sequence[Write], create: bool) -> tuple[int, int]:
        import sqlite3

        try:
            conn = self._connect(create=create)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"origin store {self.url} cannot be opened: {exc}") from None
        try:
            if create:
                if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
                    raise StoreUnavailable(f"origin store {self.url}: WAL mode is unavailable")
                conn.executescript(_SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            try:
                affected = sum(_apply(conn, change) for change in changes)
                conn.execute("UPDATE crossorigin_state SET version = version + 1 WHERE id = 1")
                version = self._read_version(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return version, affected
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"origin store {self.url}: write failed: {exc}") from None
        finally:
            conn.close()

    def _reuse(self, rows: list[tuple[Any, ...]]) -> list[StoreEntry]:
        known = self._entries
        fresh: dict[tuple[Any, ...], StoreEntry] = {}
        out = []
        for row in rows:
            entry = known.get(row)
            if entry is None:
                entry = _entry(row)
            fresh[row] = entry
            out.append(entry)
        self._entries = fresh  # one assignment: a concurrent read keeps using the old table
        return out

    # -- the Backend interface --------------------------------------------------------------

    async def current_version(self) -> int:
        return await asyncio.to_thread(self._version_sync)

    async def load_snapshot(self) -> RawSnapshot:
        return await asyncio.to_thread(self._load_sync)

    async def write(self, changes: Sequence[Write], *, create: bool = True) -> tuple[int, int]:
        return await asyncio.to_thread(self._write_sync, changes, create)


def _apply(conn: sqlite3.Connection, change: Write) -> int:
    if change.op == "put":
        e = change.entry
        assert e is not None
        cursor = conn.execute(
            "INSERT OR REPLACE INTO crossorigin_origins"
            " (origin, tenant, note, expires, added, insecure, public_suffix)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                e.origin,
                e.tenant,
                e.note,
                to_epoch(e.expires),
                to_epoch(e.added),
                int(e.dangerously_allow_insecure_origins),
                int(e.dangerously_allow_public_suffix_wildcards),
            ),
        )
    elif change.op == "delete":
        cursor = conn.execute("DELETE FROM crossorigin_origins WHERE origin = ?", (change.key,))
    elif change.op == "delete_tenant":
        cursor = conn.execute("DELETE FROM crossorigin_origins WHERE tenant = ?", (change.key,))
    elif change.op == "clear":
        cursor = conn.execute("DELETE FROM crossorigin_origins")
    elif change.op == "policy":
        cursor = conn.execute(
            "UPDATE crossorigin_state SET policy = ? WHERE id = 1", (change.policy,)
        )
    else:  # pragma: no cover - programming error
        raise ValueError(change.op)
    return max(cursor.rowcount, 0)


def _entry(row: tuple[Any, ...]) -> StoreEntry:
    return stored_entry(*row)
