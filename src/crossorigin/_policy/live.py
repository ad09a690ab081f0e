"""``LivePolicy``: the active CORS policy of a middleware, replaceable atomically while serving.

The whole compiled state (a :class:`Policy`, or a :class:`Router` of them) is one immutable
object held in one attribute. A request reads that attribute once, at its start, and keeps what
it read, so in-flight requests finish under the policy they started with and no request ever
sees half of a change. Replacing it is a single attribute assignment (atomic in CPython, and
for free-threaded builds a reference store is atomic too): the request path takes no lock. A
lock serialises writers only, so two concurrent ``reconfigure`` calls cannot interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._policy.policy import Policy, StoredOrigins
from crossorigin._policy.router import Router
from crossorigin._types import Scope

Source = CORSConfig | RoutePolicies


class State:
    """What one request reads: a single policy, or a router (then ``policy`` is ``None``).

    Never mutated after construction. A slotted class rather than a NamedTuple: its attribute
    reads are the cheapest, and every request makes two.
    """

    __slots__ = ("policy", "router", "source")

    def __init__(self, source: Source, policy: Policy | None, router: Router | None) -> None:
        self.source = source
        self.policy = policy
        self.router = router


def compile_state(source: Source, stored: StoredOrigins | None = None) -> State:
    """Compile *source* into a :class:`State`; configs shared by several routes compile once.

    *stored* (the origin store's current entries) joins the policies that set
    ``allow_stored_origins``.
    """
    if isinstance(source, CORSConfig):
        return State(source, Policy(source, stored), None)
    configs = [c for _, c in source.routes if c is not None]
    if source.default is not None:
        configs.append(source.default)
    policies = {config: Policy(config, stored) for config in configs}
    return State(source, None, Router(source, policies))


class _Starting(Router):
    """Stands in for the router until a background start hook has run once.

    Servers without ASGI lifespan never tell the middleware that they started; the first
    request that reads this state calls *start* (which must not block) and is then decided by
    the real state. Only states that carry a start hook pay for it.
    """

    __slots__ = ("_inner", "_start")

    def __init__(self, inner: State, start: Callable[[], None]) -> None:
        self._inner = inner
        self._start = start

    def select(self, scope: Scope) -> Policy | None:
        self._start()
        inner = self._inner
        return inner.policy if inner.router is None else inner.router.select(scope)


def _coerce(new: Source | Mapping[str, Any]) -> Source:
    if isinstance(new, (CORSConfig, RoutePolicies)):
        return new
    if isinstance(new, Mapping):
        return CORSConfig(**new)  # raises ConfigError listing every problem
    raise TypeError(
        "reconfigure() takes a CORSConfig, a RoutePolicies or a mapping of CORSConfig fields,"
        f" not {type(new).__name__}"
    )


class LivePolicy:
    """A handle on the active policy that the application can replace while serving.

    Create it, hand it to the middleware, keep it::

        live = LivePolicy(CORSConfig(allow_origins=["https://app.example"]))
        app.add_middleware(CORSMiddleware, live=live)
        ...
        live.reconfigure(live.current.replace(allow_origins=[...]))

    .. versionadded:: 0.1
    """

    __slots__ = ("_lock", "_start", "_stored", "state")

    state: State
    """The compiled state requests read (one attribute: read it once per request)."""

    def __init__(self, source: Source | Mapping[str, Any]) -> None:
        self._lock = threading.Lock()
        self._stored: StoredOrigins | None = None
        self._start: Callable[[], None] | None = None
        self.state = compile_state(_coerce(source))

    @property
    def current(self) -> Source:
        """The active :class:`CORSConfig` or :class:`RoutePolicies`."""
        return self.state.source

    def reconfigure(self, new: Source | Mapping[str, Any]) -> bool:
        """Make *new* the active policy for every request that starts from now on.

        A mapping is turned into a :class:`CORSConfig`. An invalid replacement raises
        :class:`~crossorigin.ConfigError` and leaves the active policy in place. Re-applying
        the active policy (``live.reconfigure(live.current)``) changes nothing.

        Returns:
            Whether the active policy changed.
        """
        source = _coerce(new)
        with self._lock:
            if source == self.state.source:
                return False
            self._install(source)
            return True

    def _install(self, source: Source) -> None:
        # Compiled before the swap: requests never wait for, or see, a half-built policy.
        # Callers hold the lock.
        state = compile_state(source, self._stored)
        if self._start is not None:
            state = State(source, None, _Starting(state, self._start))
        self.state = state

    def _follow(
        self,
        stored: StoredOrigins | None,
        source: Source | None = None,
        start: Callable[[], None] | None = None,
    ) -> None:
        """Install the origin store's entries (and a policy it distributes, when given).

        *start* is kept (and the state wrapped so that the next request calls it) until a
        later call omits it. Used by the origin store only.
        """
        with self._lock:
            self._stored = stored
            self._start = start
            self._install(self.state.source if source is None else source)

    def __repr__(self) -> str:
        return f"LivePolicy({self.current!r})"


def resolve(
    config: CORSConfig | None,
    routes: RoutePolicies | None,
    live: LivePolicy | None,
    kwargs: Mapping[str, Any],
    name: str = "CORSMiddleware",
) -> LivePolicy:
    """The middleware's :class:`LivePolicy` from its arguments (ASGI and WSGI alike): one of
    ``config``, ``routes``, ``live`` or Starlette's keyword arguments.

    Raises:
        TypeError: when several are given, or *config* is not a :class:`CORSConfig`.
        ConfigError: when the configuration is invalid.
    """
    chosen = (("config", config), ("routes", routes), ("live", live))
    given = [field for field, value in chosen if value is not None]
    if (kwargs and given) or len(given) > 1:
        raise TypeError(
            f"{name} takes one of config=CORSConfig(...), routes=RoutePolicies(...),"
            " live=LivePolicy(...) or Starlette's keyword arguments"
            f" (got {', '.join(given + sorted(kwargs))})"
        )
    if config is not None and not isinstance(config, CORSConfig):
        raise TypeError(f"config must be a crossorigin.CORSConfig, not {type(config).__name__}")
    if live is not None:
        return live
    source = routes if routes is not None else config
    return LivePolicy(source if source is not None else CORSConfig(**kwargs))
