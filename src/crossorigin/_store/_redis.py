"""The Redis backend: a hash of entries, a version key, and a pub/sub channel that pushes changes.

Layout under a key prefix (``crossorigin:`` unless the URL says ``?key_prefix=…``):

- ``<prefix>origins``: a hash, origin → a JSON object (tenant, note, expires, added, flags);
- ``<prefix>version``: an integer, incremented by every write (started from the clock);
- ``<prefix>policy``: the policy document (JSON text), absent when none was pushed;
- ``<prefix>changes``: the channel every write publishes on (the payload carries no meaning).

Every write is one ``MULTI``/``EXEC`` transaction that changes the data, increments the version and
publishes, so a reader never sees a half-applied change and the push never precedes the data it
announces. Every read of the whole store is one transaction too, so the version always describes
the entries it came with. The push is only a hint: a lost message is caught by the version poll,
and after a reconnect the watcher reloads everything instead of trusting a stream it may have
missed part of.

Connections carry timeouts so that a slow or vanished server turns into :class:`StoreUnavailable`,
which the watcher handles by keeping the last good snapshot; a request never waits for Redis.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crossorigin._store._backend import Backend, RawSnapshot, StoreUnavailable, Write, redact
from crossorigin._store._entries import StoreEntry, stored_entry, to_epoch

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline

TIMEOUT = 2.0
"""Seconds a connect or a command may take before the store counts as unavailable."""
_UNREADABLE = "<unreadable row>"


def _split_prefix(url: str) -> tuple[str, str]:
    """The URL without our ``key_prefix`` parameter (redis-py would reject it), and the prefix."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == "key_prefix"), "crossorigin:")
    rest = urlencode([(key, value) for key, value in query if key != "key_prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix


def encode(entry: StoreEntry) -> str:
    fields = {
        "tenant": entry.tenant,
        "note": entry.note,
        "expires": to_epoch(entry.expires),
        "added": to_epoch(entry.added) or time.time(),
        "insecure": int(entry.dangerously_allow_insecure_origins),
        "public_suffix": int(entry.dangerously_allow_public_suffix_wildcards),
    }
    return json.dumps(fields, separators=(",", ":"))


def decode(origin: str, raw: str) -> StoreEntry:
    """A row as stored. What is not ours is kept as it is, so that validation rejects it."""
    try:
        fields = json.loads(raw)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        # Not written by this library: an entry whose 'added' no validator accepts.
        return StoreEntry(origin, added=_UNREADABLE)  # type: ignore[arg-type]
    return stored_entry(origin, fields.get("tenant"), fields.get("note"), fields.get("expires"),
                        fields.get("added"), fields.get("insecure", 0),
                        fields.get("public_suffix", 0))  # fmt: skip


class RedisBackend(Backend):
    """Origin-store rows in Redis (``redis://``, or ``rediss://`` for TLS)."""

    def __init__(self, url: str) -> None:
        self._url, self.prefix = _split_prefix(url)
        self.url = redact(url)
        self._client: Redis | None = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """redis-py's errors as :class:`StoreUnavailable` (its messages hold no password)."""
        from redis.exceptions import RedisError

        try:
            yield
        except (RedisError, OSError, TimeoutError) as error:
            reason = str(error) or type(error).__name__
            raise StoreUnavailable(f"origin store {self.url} is unavailable: {reason}") from None

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
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            health_check_interval=10,
        )

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = self._connect()
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def current_version(self) -> int:
        with self._errors():
            return int(await self.client.get(self._key("version")) or 0)

    async def load_snapshot(self) -> RawSnapshot:
        with self._errors():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(self._key("version"))
                pipe.hgetall(self._key("origins"))
                pipe.get(self._key("policy"))
                version, rows, policy = await pipe.execute()
        entries = [decode(origin, raw) for origin, raw in sorted(rows.items())]
        return RawSnapshot(int(version or 0), entries, policy)

    async def write(self, changes: Sequence[Write], *, create: bool = True) -> tuple[int, int]:
        # 'create' has no meaning here: a Redis store exists as soon as its server does.
        from redis.exceptions import WatchError

        with self._errors():
            while True:
                async with self.client.pipeline(transaction=True) as pipe:
                    try:
                        return await self._write(pipe, changes)
                    except WatchError:
                        continue  # a concurrent writer changed what we read: redo it

    async def _write(self, pipe: Pipeline, changes: Sequence[Write]) -> tuple[int, int]:
        origins = self._key("origins")
        # Read what the changes depend on under WATCH: EXEC fails if another writer touched it.
        await pipe.watch(origins)
        rows: dict[str, str] = {}
        if any(change.op in ("delete_tenant", "clear") for change in changes):
            rows = {str(k): str(v) for k, v in (await pipe.hgetall(origins)).items()}
        deletes = [c.key for c in changes if c.op == "delete" and c.key is not None]
        present = await pipe.hmget(origins, deletes) if deletes else []
        existing = {key for key, raw in zip(deletes, present, strict=True) if raw is not None}
        pipe.multi()  # type: ignore[no-untyped-call]
        affected = 0
        for change in changes:
            if change.op == "put" and change.entry is not None:
                pipe.hset(origins, change.entry.origin, encode(change.entry))
                affected += 1
            elif change.op == "delete" and change.key is not None:
                pipe.hdel(origins, change.key)
                affected += change.key in existing
            elif change.op == "delete_tenant":
                gone = [o for o, raw in rows.items() if decode(o, raw).tenant == change.key]
                if gone:
                    pipe.hdel(origins, *gone)
                affected += len(gone)
            elif change.op == "clear":
                pipe.delete(origins)
                affected += len(rows)
            elif change.op == "policy":
                if change.policy is None:
                    pipe.delete(self._key("policy"))
                else:
                    pipe.set(self._key("policy"), change.policy)
                affected += 1
            else:  # pragma: no cover - programming error
                raise ValueError(change.op)
        # A version key that vanished (a server without persistence restarted) starts again from
        # the clock, not from 1, so it never repeats a version a watcher already holds.
        pipe.set(self._key("version"), time.time_ns() // 1000, nx=True)
        pipe.incr(self._key("version"))
        # Inside MULTI: delivered when EXEC runs, after the data it announces is in place, and
        # never lost to a writer that dies between the two.
        pipe.publish(self._key("changes"), "changed")
        results = await pipe.execute()
        return int(results[-2]), affected

    def changes(self) -> AsyncIterator[None]:
        return self._listen()

    async def _listen(self) -> AsyncIterator[None]:
        """One item per published change; raises when the connection breaks (then: reload)."""
        client = self._connect()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            with self._errors():
                await pubsub.subscribe(self._key("changes"))
            while True:
                with self._errors():
                    message = await pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    yield None
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()
