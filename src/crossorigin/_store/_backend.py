"""The interface every origin-store backend implements, and URL dispatch.

A backend stores rows and a version number; it knows nothing of policies. The watcher asks
:meth:`Backend.current_version` on every poll (it must be cheap) and :meth:`Backend.load_snapshot`
only when the version changed; writes are whole transactions that bump the version, so a reader
sees either all of a change or none of it. A backend with a way to announce changes (Redis
pub/sub, PostgreSQL ``LISTEN``) returns it from :meth:`Backend.changes`; the poll stays as the
safety net, and after any reconnect the watcher reloads the whole snapshot.
"""

from __future__ import annotations

import abc
import importlib
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import NamedTuple

from crossorigin._store._entries import StoreEntry


class StoreUnavailable(Exception):
    """The origin store cannot be read or written now (a write raised it: nothing of it was
    applied). The message names the store by its URL without a password.

    .. versionadded:: 0.2
    """


class RawSnapshot(NamedTuple):
    """Everything a backend holds, read in one transaction."""

    version: int
    entries: list[StoreEntry]
    policy: str | None
    """The distributed policy document (JSON text), or ``None``."""


class Write(NamedTuple):
    """One change within a write transaction."""

    op: str  # "put" (insert or replace), "delete", "delete_tenant", "clear", "policy"
    entry: StoreEntry | None = None
    key: str | None = None  # origin for "delete", tenant for "delete_tenant"
    policy: str | None = None  # JSON text for "policy" (None removes the document)


class Backend(abc.ABC):
    """A place where origin-store rows live. One instance per :class:`OriginStore`.

    Implementations raise :class:`StoreUnavailable` (with a message safe to log) for every
    failure to reach or read the store.
    """

    url: str
    """The store's URL with any password removed: safe to log."""

    @abc.abstractmethod
    async def load_snapshot(self) -> RawSnapshot:
        """Read the version, every entry and the policy document in one consistent read."""

    @abc.abstractmethod
    async def current_version(self) -> int:
        """The version number, bumped by every committed write. Called on every poll."""

    @abc.abstractmethod
    async def write(self, changes: Sequence[Write], *, create: bool = True) -> tuple[int, int]:
        """Apply *changes* in one transaction that also bumps the version.

        Returns ``(new version, rows affected)``. *create* lets the backend create an empty
        store (schema included) when there is none.
        """

    def changes(self) -> AsyncIterator[None] | None:
        """An iterator yielding once per announced change, or ``None`` (poll only).

        Iteration ends or raises when the channel breaks; the watcher then polls, reloads the
        whole snapshot, and asks for a new iterator later.
        """
        return None

    async def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections."""


_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")
_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&]*")


def redact(url: str) -> str:
    """*url* without its password (``redis://user:***@host``, ``?password=***``)."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD.sub(r"\1***@", url))


BACKENDS: dict[str, str] = {
    "sqlite": "crossorigin._store._sqlite:SQLiteBackend",
    "redis": "crossorigin._store._redis:RedisBackend",
    "rediss": "crossorigin._store._redis:RedisBackend",
    "postgresql": "crossorigin._store._postgres:PostgresBackend",
    "postgres": "crossorigin._store._postgres:PostgresBackend",
}
"""URL scheme -> ``module:class`` of its backend, imported only when a URL uses it (so that the
core never imports a client library, nor ``sqlite3``, it does not need)."""


def open_backend(url: str) -> Backend:
    """The backend for *url*'s scheme. No I/O: connections are made when first used."""
    if not isinstance(url, str):
        raise TypeError(f"a store URL is a string, not {type(url).__name__}")
    scheme = url.split(":", 1)[0].lower()
    target = BACKENDS.get(scheme)
    if target is None:
        raise ValueError(
            f"crossorigin: unsupported origin store URL {redact(url)!r}; use"
            " 'sqlite:///absolute/path.db', 'sqlite:relative/path.db', 'redis://host:6379/0'"
            " ('rediss://' for TLS) or 'postgresql://user@host/db'"
        )
    module_name, _, class_name = target.partition(":")
    factory: Callable[[str], Backend] = getattr(importlib.import_module(module_name), class_name)
    return factory(url)
