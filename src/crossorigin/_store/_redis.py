"""The Redis backend: a hash of entries, a version key, and a pub/sub channel that pushes changes.

Layout under a key prefix (``crossorigin:`` unless the URL says ``?key_prefix=…``):

- ``<prefix>origins``: a hash, origin → JSON ``{"tenant", "note", "expires", "added"}``;
- ``<prefix>version``: an integer, incremented by every write (started from the clock);
- ``<prefix>policy``: the policy document (JSON text), absent when none was pushed;
- ``<prefix>changes``: the channel every write publishes on (the payload carries no meaning).

Every write is one ``MULTI``/``EXEC`` transaction that changes the data, increments the version and
publishes, so a reader never sees a half-applied change and the push never precedes the data it
announces. Every read of the whole store is one transaction too, so the version always describes
the entries it came with. The push is only a hint: a lost message is caught by the version poll,
and after a reconnect the watcher reloads everything instead of trusting a stream it may have
missed part of.

Connections carry timeouts so that a slow or vanished server turns into an error the watcher
handles (it keeps the last good snapshot), never into a request that waits.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crossorigin._store._backend import StoreBackend, StoredOrigin, StoreUnavailableError, redact

if TYPE_CHECKING:
    from redis.asyncio import Redis

_TIMEOUT = 2.0
"""Seconds a connect or a command may take before it counts as an outage."""


def _split_prefix(url: str) -> tuple[str, str]:
    """The URL without our ``key_prefix`` parameter (redis-py would reject it), and the prefix."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == "key_prefix"), "crossorigin:")
    rest = urlencode([(key, value) for key, value in query if key != "key_prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def _encode(entry: StoredOrigin) -> str:
    fields = {"tenant": entry.tenant, "note": entry.note, "expires": entry.expires,
              "added": entry.added or time.time()}  # fmt: skip
    return json.dumps(fields, separators=(",", ":"))


def _decode(origin: str, raw: str) -> StoredOrigin:
    """One row as stored; a row that is not ours raises ValueError and is skipped by the loader."""
    fields = json.loads(raw)
    if not isinstance(fields, dict):
        raise ValueError("entry is not a JSON object")

    def text(name: str) -> str | None:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} is not a string")
        return value

    def number(name: str) -> float | None:
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{name} is not a number")
        return None if value is None else float(value)

    return StoredOrigin(origin, text("tenant"), text("note"), number("expires"),
                        number("added") or 0.0)  # fmt: skip


class RedisBackend(StoreBackend):
    """An origin store kept in Redis (``redis://`` or, with TLS, ``rediss://``)."""

    def __init__(self, url: str) -> None:
        self._url, self.prefix = _split_prefix(url)
        self.redacted_url = redact(url)
        self._client: Redis | None = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """redis-py's errors as :class:`StoreUnavailableError` (its messages hold no password)."""
        from redis.exceptions import RedisError

        try:
            yield
        except (RedisError, OSError, TimeoutError) as error:
            raise StoreUnavailableError(
                self.redacted_url, str(error) or type(error).__name__
            ) from error

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _connect(self) -> Redis:
        try:
            from redis.asyncio import Redis
        except ImportError:  # pragma: no cover - depends on the extra being installed
            raise ImportError(
                "the redis:// origin store needs redis-py: pip install 'crossorigin[redis]'"
            ) from None
        return Redis.from_url(
            self._url,
            decode_responses=True,
            socket_timeout=_TIMEOUT,
            socket_connect_timeout=_TIMEOUT,
            health_check_interval=10,
        )

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = self._connect()
        return self._client

    async def open(self) -> None:
        with self._errors():
            await self.client.ping()

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def version(self) -> int:
        with self._errors():
            value = await self.client.get(self._key("version"))
            return int(value or 0)

    async def load(self) -> tuple[int, list[StoredOrigin], str | None]:
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(self._key("version"))
                pipe.hgetall(self._key("origins"))
                pipe.get(self._key("policy"))
                version, rows, policy = await pipe.execute()
            entries: list[StoredOrigin] = []
            for origin, raw in rows.items():
                try:
                    entries.append(_decode(origin, raw))
                except (ValueError, TypeError):
                    # Not a row this library wrote; the snapshot compiler logs what it skips, so
                    # hand it over in a form that fails validation there with the origin shown.
                    entries.append(StoredOrigin(origin, note="<unreadable row>", expires=0.0))
            return int(version or 0), entries, policy

    async def _write(self, change: Any) -> int:
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                change(pipe)
                # A version key that vanished (a server without persistence restarted) starts again
                # from the clock, not from 1, so it never repeats a version a watcher already holds.
                pipe.set(self._key("version"), time.time_ns() // 1000, nx=True)
                pipe.incr(self._key("version"))
                # Inside MULTI: delivered when EXEC runs, after the data it announces is in place,
                # and never lost to a writer that dies between the two.
                pipe.publish(self._key("changes"), "changed")
                results = await pipe.execute()
            return int(results[-2])

    async def add(self, entry: StoredOrigin) -> int:
        row = _encode(entry)
        return await self._write(lambda p: p.hset(self._key("origins"), entry.origin, row))

    async def remove(self, origin: str, tenant: str | None = None) -> int:
        with self._errors():
            if tenant is not None:
                raw = await self.client.hget(self._key("origins"), origin)
                if raw is None or _decode(origin, str(raw)).tenant != tenant:
                    return await self.version()
            return await self._write(lambda p: p.hdel(self._key("origins"), origin))

    async def put_policy(self, document: str) -> int:
        return await self._write(lambda p: p.set(self._key("policy"), document))

    def changes(self) -> AsyncIterator[None]:
        return self._listen()

    async def _listen(self) -> AsyncIterator[None]:
        """One item per published change; raises when the connection breaks (then: reload)."""
        client = self._connect()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            with self._errors():
                await pubsub.subscribe(self._key("changes"))
            # Subscribed: whatever changed before now is covered by the reload that follows.
            yield None
            while True:
                with self._errors():
                    message = await pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    yield None
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()
