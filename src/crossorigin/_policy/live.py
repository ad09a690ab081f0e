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
from collections.abc import Mapping
from typing import Any

from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._policy.policy import Policy
from crossorigin._policy.router import Router

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


def compile_state(source: Source) -> State:
    """Compile *source* into a :class:`State`; configs shared by several routes compile once."""
    if isinstance(source, CORSConfig):
        return State(source, Policy(source), None)
    configs = [c for _, c in source.routes if c is not None]
    if source.default is not None:
        configs.append(source.default)
    policies = {config: Policy(config) for config in configs}
    return State(source, None, Router(source, policies))


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

    __slots__ = ("_lock", "state")

    state: State
    """The compiled state requests read (one attribute: read it once per request)."""

    def __init__(self, source: Source | Mapping[str, Any]) -> None:
        self._lock = threading.Lock()
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
            # Compiled before the swap: requests never wait for, or see, a half-built policy.
            self.state = compile_state(source)
            return True

    def __repr__(self) -> str:
        return f"LivePolicy({self.current!r})"
