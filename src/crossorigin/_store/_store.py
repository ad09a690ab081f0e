"""``OriginStore``: allowed origins kept in a store that every worker process follows.

Each process holds one immutable :class:`~crossorigin._store._entries.Snapshot`, compiled
like static ``allow_origins``; requests read it through the middleware's live state and never
touch the store. A background task (the watcher) asks the backend for its version every
``poll_interval`` seconds, and only when the version moved reads and validates the rows, in a
worker thread, and swaps the new compiled state in with one attribute assignment. When the
store cannot be read the last good snapshot keeps serving: one WARNING per outage, one INFO on
recovery, retries with capped exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._errors import ConfigError, ConfigProblem
from crossorigin._store._backend import Backend, StoreUnavailable, Write, open_backend
from crossorigin._store._document import dump_document, parse_document
from crossorigin._store._entries import (
    Snapshot,
    StoreEntry,
    compile_snapshot,
    from_epoch,
    new_entry,
)
from crossorigin._types import LOG_LIMIT

if TYPE_CHECKING:
    from crossorigin._policy.policy import StoredOrigins

logger = logging.getLogger("crossorigin.store")

Source = CORSConfig | RoutePolicies

POLL_INTERVAL = 0.5
"""Default seconds between two version checks."""
MAX_BACKOFF = 5.0
"""Longest wait between two attempts while the store is unreadable."""
MAX_AGE = 5
"""Default cap, in seconds, on ``Access-Control-Max-Age`` for policies taking stored origins."""
STOP_TIMEOUT = 5.0
"""Longest wait for the watcher to end at shutdown."""
_MAX_LOGGED_ROWS = 10_000
_MAX_ROW_WARNINGS = 20
"""Skipped rows named one by one per snapshot; the rest are counted in one line."""


class Follower(Protocol):
    """What the store keeps current: a ``LivePolicy``, or anything holding a compiled policy."""

    @property
    def current(self) -> Source: ...

    def _follow(
        self,
        stored: StoredOrigins | None,
        source: Source | None = None,
        start: Callable[[], None] | None = None,
    ) -> None: ...


class StoreStatus(NamedTuple):
    """What one process knows about its origin store (for a health endpoint).

    Attributes:
        url: the store's URL, password removed.
        version: the version of the snapshot in use, ``None`` before the first one.
        size: origins and patterns the snapshot allows now.
        rejected: rows skipped because they break the rules (each logged once).
        last_refresh: when the store was last read successfully (version check or load).
        last_change: when the snapshot in use was installed.
        outage: why the store cannot be read now, or ``None``.
        outage_since: when the current outage began.
        policy_version: the store version whose policy document is in force, or ``None``.
        running: whether the watcher task is running in this process.

    .. versionadded:: 0.2
    """

    url: str
    version: int | None
    size: int
    rejected: int
    last_refresh: datetime | None
    last_change: datetime | None
    outage: str | None
    outage_since: datetime | None
    policy_version: int | None
    running: bool


class OriginStore:
    """Allowed origins (and optionally a whole policy) shared by every worker process.

    Open one per process, hand it to the middleware, and mark the configs it extends::

        store = OriginStore.open("sqlite:///var/lib/myapp/origins.db")
        app.add_middleware(
            CORSMiddleware,
            config=CORSConfig(allow_origins=["https://app.example.com"],
                              allow_stored_origins=True),
            origin_store=store,
        )

    Change it from anywhere: ``await store.add(origin, tenant=...)``, ``await
    store.remove(origin)``, or the ``crossorigin origins`` command. Every worker applies a change
    within ``poll_interval`` plus the time to read the store (docs/origin-store.md).

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        backend: Backend,
        *,
        poll_interval: float = POLL_INTERVAL,
        max_age: int = MAX_AGE,
        start_empty: bool = False,
    ) -> None:
        if isinstance(poll_interval, bool) or not 0.01 <= poll_interval <= 60:
            raise ValueError("crossorigin: poll_interval must be from 0.01 to 60 seconds")
        if isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age <= 600:
            raise ValueError("crossorigin: max_age must be a whole number from 0 to 600 seconds")
        self.backend = backend
        self.poll_interval = float(poll_interval)
        self.max_age = max_age
        self.start_empty = start_empty
        self._snapshot: Snapshot | None = None
        self._followers: list[tuple[Follower, Source, bool]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._users = 0
        self._stopping = False
        self._last_refresh: float | None = None
        self._last_change: float | None = None
        self._outage: str | None = None
        self._outage_since: float | None = None
        self._failures = 0
        self._logged_rows: set[tuple[str, str]] = set()
        self._policy_text: str | None = None
        self._policy_version: int | None = None
        self._bad_policy: str | None = None
        self._reload = False
        self._died: str | None = None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        poll_interval: float = POLL_INTERVAL,
        max_age: int = MAX_AGE,
        start_empty: bool = False,
    ) -> OriginStore:
        """The store at *url* (``sqlite:///absolute/path.db``). Nothing is read yet.

        Args:
            poll_interval: seconds between two version checks (0.01 to 60).
            max_age: cap on ``Access-Control-Max-Age`` (0 to 600) for the policies that take
                stored origins, so that browsers forget a removed origin's preflights in time.
            start_empty: when the store cannot be read at start-up, serve with no stored
                origins (and keep retrying) instead of failing the start-up.
        """
        return cls(
            open_backend(url),
            poll_interval=poll_interval,
            max_age=max_age,
            start_empty=start_empty,
        )

    def __repr__(self) -> str:
        return f"OriginStore({self.backend.url!r})"

    # -- writes --------------------------------------------------------------------------

    async def add(
        self,
        origin: str,
        *,
        tenant: str | None = None,
        note: str | None = None,
        expires: datetime | None = None,
        dangerously_allow_insecure_origins: bool = False,
        dangerously_allow_public_suffix_wildcards: bool = False,
    ) -> StoreEntry:
        """Allow *origin* (an exact origin or an ``allow_origins`` pattern); replace its entry
        if it is already there.

        Raises:
            ConfigError: the entry breaks a rule (same messages as ``CORSConfig``).
            StoreUnavailable: the store cannot be written; nothing was changed.
        """
        entry = new_entry(
            origin,
            tenant=tenant,
            note=note,
            expires=expires,
            dangerously_allow_insecure_origins=dangerously_allow_insecure_origins,
            dangerously_allow_public_suffix_wildcards=dangerously_allow_public_suffix_wildcards,
        )
        await self._write([Write("put", entry)])
        return entry

    async def add_many(self, entries: Iterable[StoreEntry], *, replace: bool = False) -> int:
        """Write many entries in one transaction (all or none); *replace* removes the others.

        Every entry is validated first: :class:`ConfigError` lists the problems of all of them,
        each prefixed with its position, and nothing is written.
        """
        checked: list[StoreEntry] = []
        problems: list[ConfigProblem] = []
        for index, entry in enumerate(entries):
            try:
                checked.append(
                    new_entry(
                        entry.origin,
                        tenant=entry.tenant,
                        note=entry.note,
                        expires=entry.expires,
                        dangerously_allow_insecure_origins=entry.dangerously_allow_insecure_origins,
                        dangerously_allow_public_suffix_wildcards=(
                            entry.dangerously_allow_public_suffix_wildcards
                        ),
                    )
                )
            except ConfigError as exc:
                from dataclasses import replace as _replace

                problems.extend(
                    _replace(p, message=f"entry {index + 1}: {p.message}") for p in exc.problems
                )
        if problems:
            raise ConfigError(problems)
        changes = [Write("clear")] if replace else []
        changes += [Write("put", e) for e in checked]
        await self._write(changes)
        return len(checked)

    async def create(self) -> int:
        """Create the store if it does not exist (writes create it too); returns its version."""
        version, _ = await self._write([])
        return version

    async def remove(self, origin: str) -> bool:
        """Stop allowing *origin*; ``False`` when the store did not hold it."""
        _, affected = await self._write([Write("delete", key=origin)])
        return affected > 0

    async def remove_tenant(self, tenant: str) -> int:
        """Remove every entry of *tenant*; returns how many there were."""
        _, affected = await self._write([Write("delete_tenant", key=tenant)])
        return affected

    async def push_policy(self, policy: Source | str | None) -> int:
        """Distribute *policy* (a config, a route table, or its JSON document) to every worker;
        ``None`` withdraws the document (workers return to the policy their code gives).

        Returns the new store version. Raises :class:`ConfigError` listing every problem of an
        invalid document; nothing is written then.
        """
        text = None
        if policy is not None:
            source = parse_document(policy) if isinstance(policy, str) else policy
            text = dump_document(source)
        version, _ = await self._write([Write("policy", policy=text)])
        return version

    async def _write(self, changes: list[Write]) -> tuple[int, int]:
        result = await self.backend.write(changes)
        if self._wake is not None:
            self._wake.set()  # this process sees its own write at once
        return result

    # -- reads of the store itself (not of the snapshot) -----------------------------------

    async def list(self, *, tenant: str | None = None) -> list[StoreEntry]:
        """The entries in the store now (valid or not), optionally of one tenant."""
        raw = await self.backend.load_snapshot()
        return [e for e in raw.entries if tenant is None or e.tenant == tenant]

    async def policy(self) -> Source | None:
        """The policy document in the store now, parsed, or ``None``."""
        raw = await self.backend.load_snapshot()
        return None if raw.policy is None else parse_document(raw.policy)

    # -- this process's view ------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot requests use now (``None`` before the first one)."""
        return self._snapshot

    def status(self) -> StoreStatus:
        """Version, size, freshness and outage state of this process's snapshot."""
        snap = self._snapshot
        return StoreStatus(
            url=self.backend.url,
            version=None if snap is None else snap.version,
            size=0 if snap is None else snap.size,
            rejected=0 if snap is None else len(snap.rejected),
            last_refresh=from_epoch(self._last_refresh),
            last_change=from_epoch(self._last_change),
            outage=self._outage,
            outage_since=from_epoch(self._outage_since),
            policy_version=self._policy_version,
            running=self._task is not None and not self._task.done(),
        )

    def stored(self) -> StoredOrigins | None:
        """The compiled entries for policies (``None`` before the first snapshot)."""
        return None if self._snapshot is None else self._snapshot.stored

    # -- followers (the middleware) ----------------------------------------------------

    def follow(self, live: Follower, *, documents: bool = True) -> None:
        """Keep *live* (a ``LivePolicy``) in step with this store: its entries, and its policy
        document if any (unless *documents* is false).

        Until the watcher runs in this process, the first request that reads *live* starts
        it (for servers without ASGI lifespan).
        """
        self._followers.append((live, live.current, documents))
        live._follow(self.stored() or self._empty(), None, self._kick)

    def _empty(self) -> StoredOrigins:
        from crossorigin._grammar.matcher import OriginMatcher
        from crossorigin._policy.policy import StoredOrigins

        return StoredOrigins(OriginMatcher((), None), self.max_age, 0)

    def _kick(self) -> None:
        """Start the watcher from a request (no lifespan, or after it died); never blocks,
        never raises."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is None or self._task.done():
            died, self._died = self._died, None
            if died is None:
                logger.info("crossorigin: origin store %s: starting on the first request"
                            " (no lifespan)", self.backend.url)  # fmt: skip
            else:
                self._fault(
                    StoreUnavailable(
                        f"origin store {self.backend.url}: the watcher task stopped"
                        f" unexpectedly ({died}); restarted"
                    )
                )
            self._stopping = False
            self._spawn(loop, initial=self._snapshot is None)
        for live, _, _ in self._followers:
            live._follow(self.stored() or self._empty(), None, None)

    def _apply(self, snap: Snapshot) -> None:
        """Install *snap* in every follower (and its policy document, when it changed)."""
        source: Source | None = None
        revert = False
        if snap.policy != self._policy_text:
            if snap.policy is None:
                revert = self._policy_text is not None
                self._policy_text = None
                self._policy_version = None
            elif snap.policy != self._bad_policy:
                try:
                    source = parse_document(snap.policy)
                except ConfigError as exc:
                    self._bad_policy = snap.policy
                    logger.error(
                        "crossorigin: origin store %s: the policy document of version %d is"
                        " invalid; the current policy stays in force.\n%s",
                        self.backend.url, snap.version, exc,
                    )  # fmt: skip
                else:
                    self._policy_text = snap.policy
                    self._policy_version = snap.version
                    logger.info("crossorigin: origin store %s: policy document of version %d"
                                " in force", self.backend.url, snap.version)  # fmt: skip
        self._snapshot = snap
        self._last_change = time.time()
        for live, base, documents in self._followers:
            live._follow(snap.stored, (base if revert else source) if documents else None, None)
        self._log_rejected(snap)

    def _log_rejected(self, snap: Snapshot) -> None:
        new = 0
        for entry, why in snap.rejected:
            key = (repr(entry.origin)[:LOG_LIMIT], why[:LOG_LIMIT])
            if key in self._logged_rows:
                continue
            if len(self._logged_rows) >= _MAX_LOGGED_ROWS:
                self._logged_rows.clear()
            self._logged_rows.add(key)
            new += 1
            if new <= _MAX_ROW_WARNINGS:
                logger.warning("crossorigin: origin store %s: row %s skipped: %s",
                               self.backend.url, key[0], key[1])  # fmt: skip
        if new > _MAX_ROW_WARNINGS:
            logger.warning("crossorigin: origin store %s: %d more rows skipped (status().rejected"
                           " counts them)", self.backend.url, new - _MAX_ROW_WARNINGS)  # fmt: skip

    # -- the watcher --------------------------------------------------------------------

    async def refresh(self) -> bool:
        """Check the store now and install a new snapshot if it changed; ``True`` if it did.

        Raises :class:`StoreUnavailable` when the store cannot be read (the snapshot stays).
        """
        version = await self.backend.current_version()
        self._last_refresh = time.time()
        snap = self._snapshot
        now = time.time()
        if snap is not None and version == snap.version and not self._reload:
            if now < snap.next_expiry:
                return False
            new = await asyncio.to_thread(snap.recompiled, self.max_age, now)
        else:
            raw = await self.backend.load_snapshot()
            self._reload = False
            new = await asyncio.to_thread(
                compile_snapshot, raw.version, raw.entries, raw.policy, self.max_age, snap
            )
            self._last_refresh = time.time()
        self._apply(new)
        return True

    async def start(self) -> None:
        """Load the first snapshot and start the watcher in the running event loop.

        Called by the middleware at ASGI lifespan start-up. Several middlewares may share a
        store: each ``start`` needs a ``stop``.

        Raises:
            StoreUnavailable: the store cannot be read and ``start_empty`` is false.
        """
        self._users += 1
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        try:
            await self._first_load()
        except BaseException:
            self._users -= 1
            raise
        self._spawn(asyncio.get_running_loop(), initial=False)

    async def _first_load(self) -> None:
        try:
            await self.refresh()
        except StoreUnavailable as exc:
            if not self.start_empty:
                raise StoreUnavailable(
                    f"crossorigin: {exc}. The server cannot start with this origin store; fix"
                    " the URL or the file (create it with 'crossorigin origins add ... --store"
                    " URL'), or pass start_empty=True to start without stored origins."
                ) from None
            self._fault(exc)
            if self._snapshot is None:
                self._apply(compile_snapshot(0, (), None, self.max_age))

    def _spawn(self, loop: asyncio.AbstractEventLoop, *, initial: bool) -> None:
        self._wake = asyncio.Event()
        self._task = _WatcherTask(self._watch(initial), loop=loop, name="crossorigin-origin-store")
        self._task.add_done_callback(self._watcher_done)

    def _watcher_done(self, task: asyncio.Task[None]) -> None:
        if self._stopping:
            return
        # Not restarted from here: the loop may be shutting down (asyncio.run cancels every
        # task), and a new task would keep it busy. The next request restarts it (_kick) and
        # reports the outage; until then the last snapshot keeps serving.
        self._died = "cancelled" if task.cancelled() else repr(task.exception())
        for live, _, _ in self._followers:
            live._follow(self.stored() or self._empty(), None, self._kick)

    async def stop(self) -> None:
        """Stop the watcher (at lifespan shutdown). The last snapshot stays in use."""
        self._users = max(self._users - 1, 0)
        if self._users:
            return
        self._stopping = True
        self._died = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            # Bounded: a shutdown never hangs on the store.
            await asyncio.wait({task}, timeout=STOP_TIMEOUT)
        await self.backend.close()

    def _backoff(self) -> float:
        base: float = min(self.poll_interval * 2.0 ** min(self._failures, 10), MAX_BACKOFF)
        return base * random.uniform(0.8, 1.2)

    def _fault(self, exc: BaseException) -> None:
        self._failures += 1
        self._reload = True  # after an outage, read everything again
        reason = str(exc)[:LOG_LIMIT] or type(exc).__name__
        if self._outage is not None:
            return
        self._outage = reason
        self._outage_since = time.time()
        snap = self._snapshot
        kept = (
            "no snapshot yet: no stored origins are allowed"
            if snap is None
            else f"serving the last good snapshot (version {snap.version}, {snap.size} origins)"
        )
        if not isinstance(exc, StoreUnavailable):
            reason = f"origin store {self.backend.url}: {reason}"
        logger.warning("crossorigin: %s; %s, retrying with backoff", reason, kept)

    def _recovered(self) -> None:
        self._failures = 0
        if self._outage is None:
            return
        since = self._outage_since or time.time()
        snap = self._snapshot
        logger.info("crossorigin: origin store %s: readable again after %.1f s (version %s)",
                    self.backend.url, time.time() - since,
                    None if snap is None else snap.version)  # fmt: skip
        self._outage = None
        self._outage_since = None

    async def _watch(self, initial: bool) -> None:
        if initial:
            try:
                await self._first_load()
            except StoreUnavailable as exc:
                logger.error("%s", exc)
                self._fault(exc)
        wake = self._wake
        assert wake is not None
        listener = _WatcherTask(self._listen(wake), loop=asyncio.get_running_loop())
        try:
            await self._poll_forever(wake)
        finally:
            listener.cancel()
            # Bounded, and without awaiting it directly: a listener that swallowed its
            # cancellation must not keep this task (and a closing loop) alive.
            await asyncio.wait({listener}, timeout=1.0)

    async def _listen(self, wake: asyncio.Event) -> None:
        """Wake the watcher on every change the backend announces (when it can). After the
        channel breaks, the next poll compares versions, so a change announced while nobody
        listened is still seen, and reconnecting waits a backoff."""
        while True:
            stream = self.backend.changes()
            if stream is None:
                return
            try:
                async for _ in stream:
                    wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _raise_if_cancelling()
                logger.debug("crossorigin: origin store %s: push channel broke: %r",
                             self.backend.url, exc)  # fmt: skip
            self._reload = True  # never trust a possibly missed stream: read everything
            wake.set()
            await asyncio.sleep(self._backoff())

    async def _poll_forever(self, wake: asyncio.Event) -> None:
        while not self._stopping:
            delay = self.poll_interval if self._outage is None else self._backoff()
            snap = self._snapshot
            if snap is not None:
                delay = max(0.0, min(delay, snap.next_expiry - time.time()))
            # asyncio.wait, not wait_for: Python < 3.12's wait_for can swallow a cancellation
            # that arrives as the event is set, and shutdown would then wait forever.
            waiter = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=delay)
            finally:
                waiter.cancel()
            wake.clear()
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A client library may turn our cancellation into its own error (a closed
                # connection): never swallow a cancellation that was asked for.
                _raise_if_cancelling()
                self._fault(exc)
            else:
                self._recovered()


class _WatcherTask(asyncio.Task):  # type: ignore[type-arg]
    """A task that remembers it was asked to stop, on every Python.

    ``Task.cancelling()`` exists only since 3.11; on 3.10 a client library that turns the
    cancellation into its own error would otherwise make the watcher forget it and keep a
    closing event loop alive (asyncio.run would never return).
    """

    cancel_requested = False

    def cancel(self, msg: object = None) -> bool:
        self.cancel_requested = True
        return super().cancel(msg)


def _raise_if_cancelling() -> None:
    """Raise ``CancelledError`` if the current task has a cancellation pending."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    if getattr(task, "cancel_requested", False) or (cancelling is not None and cancelling()):
        raise asyncio.CancelledError
