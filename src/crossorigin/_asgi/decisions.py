"""Decision records, the ``on_decision`` hook and the shadow policy (issue 5).

The middleware creates an :class:`Observer` only when a hook or a shadow config is given; the
request path then costs one ``is not None`` check per decision point when neither is (house
rule 8). The observer is told each decision the active policy made, with its reason code,
emits a :class:`Decision` to the hook, evaluates the shadow policy on the same request, and
reports (log + hook, ``shadow=True``) every request where the shadow would decide otherwise.
The shadow never changes a response.

Readers: users wiring metrics or audit (docs/security.md, examples/prometheus_metrics.py) and
anyone moving the middleware's decision points.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crossorigin._config.config import CORSConfig
from crossorigin._policy import policy as p
from crossorigin._policy.policy import Policy
from crossorigin._policy.protect import DISABLED, Evaluate
from crossorigin._types import Scope

logger = logging.getLogger("crossorigin")
shadow_logger = logging.getLogger("crossorigin.shadow")

Kind = Literal["preflight", "actual", "write-protection", "websocket"]
_LOG_LIMIT = 200
_SHADOW_FAILED = "crossorigin: shadow policy evaluation failed; the request is unaffected"


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision of the middleware, given to ``on_decision``.

    Attributes:
        kind: ``"preflight"``, ``"actual"`` (a request carrying ``Origin``),
            ``"write-protection"`` or ``"websocket"``.
        allowed: whether the request (or, for ``actual``, reading the response) is allowed.
        reason: a reason code: ``"allowed"``, ``"origin_not_allowed"``,
            ``"method_not_allowed"``, ``"same_origin"``, ``"cross_site"``... (docs/security.md).
        origin: the ``Origin`` header as sent (latin-1 decoded), or ``None``.
        method: the request method; for a preflight, the requested method (ACRM).
        path: the request path (``scope["path"]``).
        shadow: ``True`` when this is the shadow policy's differing decision.

    .. versionadded:: 0.1
    """

    kind: Kind
    allowed: bool
    reason: str
    origin: str | None
    method: str
    path: str
    shadow: bool = False


#: ``on_decision`` receives every :class:`Decision`; its return value is ignored.
DecisionHook = Callable[[Decision], object]


def _is_async(hook: object) -> bool:
    """Whether calling *hook* returns a coroutine: an ``async def`` (or a partial of one), or an
    object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(type(hook).__call__)


def _origin_of(scope: Scope) -> tuple[bytes | None, int]:
    origin = None
    count = 0
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value
            count += 1
    return origin, count


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


class Observer:
    """Reports decisions to the hook and compares them with the shadow policy."""

    __slots__ = ("hook", "shadow")

    def __init__(self, shadow: Policy | None, hook: DecisionHook | None) -> None:
        self.shadow = shadow
        self.hook = hook

    @classmethod
    def build(cls, shadow: CORSConfig | None, hook: DecisionHook | None) -> Observer | None:
        """An observer, or ``None`` when there is nothing to observe (the zero-cost case)."""
        if shadow is not None and not isinstance(shadow, CORSConfig):
            raise TypeError(f"shadow must be a crossorigin.CORSConfig, not {type(shadow).__name__}")
        if hook is not None and not callable(hook):
            raise TypeError(f"on_decision must be callable, not {type(hook).__name__}")
        if hook is not None and _is_async(hook):
            # It would never be awaited: the hook runs inline, synchronously, in the request.
            raise TypeError(
                "on_decision must be a plain function, not an async one (it is called inline"
                " and never awaited); hand the decision to your async code yourself, e.g."
                " queue.put_nowait(decision)"
            )
        if shadow is None and hook is None:
            return None
        return cls(None if shadow is None else Policy(shadow), hook)

    def emit(self, decision: Decision) -> None:
        """Call the hook; its exceptions are logged, never raised into the request."""
        hook = self.hook
        if hook is None:
            return
        try:
            result = hook(decision)
        except Exception:
            logger.exception("crossorigin: on_decision hook raised; ignored")
            return
        if result is not None and inspect.isawaitable(result):
            # An async hook that construction could not recognise (a plain function returning
            # a coroutine): close it instead of leaving "never awaited" behind, and say so.
            close = getattr(result, "close", None)
            if close is not None:
                close()
            logger.error("crossorigin: on_decision returned an awaitable; it was not awaited")

    def _compare(self, active: Decision, allowed: bool, reason: str) -> None:
        if allowed == active.allowed:
            return
        shadow_logger.warning(
            "crossorigin: shadow policy would %s %s reason=%s origin=%r method=%r path=%r",
            "allow" if allowed else "deny",
            active.kind,
            reason,
            (active.origin or "")[:_LOG_LIMIT],
            active.method[:_LOG_LIMIT],
            active.path[:_LOG_LIMIT],
        )
        self.emit(
            Decision(active.kind, allowed, reason, active.origin, active.method, active.path, True)
        )

    async def actual(self, policy: Policy, scope: Scope, allowed: bool) -> None:
        """A request that runs the app; *allowed* says whether it got CORS headers."""
        origin, count = _origin_of(scope)
        if origin is None:
            return  # not a CORS request: no decision was made
        reason = policy.allowed_reason(origin) if allowed else p.why_denied(origin, count)
        active = Decision("actual", allowed, reason, _text(origin), scope["method"], scope["path"])
        self.emit(active)
        if self.shadow is not None:
            try:
                shadow_reason = await self.shadow.origin_reason(origin, count, scope)
                self._compare(active, shadow_reason == p.ALLOWED, shadow_reason)
            except Exception:
                logger.exception(_SHADOW_FAILED)

    async def preflight(
        self,
        scope: Scope,
        origin: bytes,
        count: int,
        method: bytes,
        acrh: list[bytes] | None,
        private_network: bool,
        reason: str,
        policy: Policy | None = None,
    ) -> None:
        """A preflight answered with *reason*; ``acrh=None`` when it was too large to read.

        *policy* (the one that answered) tells an origin the store allowed from a listed one.
        """
        allowed = reason == p.ALLOWED
        if allowed and policy is not None:
            reason = policy.allowed_reason(origin)
        active = Decision(
            "preflight",
            allowed,
            reason,
            _text(origin),
            method.decode("latin-1"),
            scope["path"],
        )
        self.emit(active)
        shadow = self.shadow
        if shadow is None or acrh is None:
            return  # the ACRH limits are global: every policy refuses an oversized list
        try:
            origin_reason = await shadow.origin_reason(origin, count, scope)
            result = shadow.preflight(
                origin, origin_reason == p.ALLOWED, origin_reason, method, acrh, private_network
            )
            self._compare(active, result.reason == p.ALLOWED, result.reason)
        except Exception:
            logger.exception(_SHADOW_FAILED)

    async def protection(
        self,
        kind: Kind,
        scope: Scope,
        allowed: bool,
        reason: str,
        evaluate: Evaluate,
        policy: Policy | None = None,
    ) -> None:
        """A write-protection or WebSocket verdict (``reason`` is ``disabled`` when off)."""
        origin, _ = _origin_of(scope)
        if reason == p.ALLOWED and origin is not None and policy is not None:
            reason = policy.allowed_reason(origin)
        active = Decision(
            kind, allowed, reason, _text(origin), scope.get("method", "GET"), scope["path"]
        )
        if reason != DISABLED:
            self.emit(active)
        if self.shadow is not None:
            try:
                shadow_allowed, shadow_reason = await evaluate(self.shadow, scope)
                self._compare(active, shadow_allowed, shadow_reason)
            except Exception:
                logger.exception(_SHADOW_FAILED)
