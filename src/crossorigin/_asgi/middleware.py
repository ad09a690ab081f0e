"""``CORSMiddleware``: the pure ASGI middleware that applies a compiled :class:`Policy`.

Per request it does only the unavoidable work (issue 4): one pass over the raw header list to
find ``Origin`` (and, for ``OPTIONS``, the preflight headers), one set lookup for exact
origins, and prebuilt header pairs appended at ``http.response.start``. Preflights are answered
without calling the app (conformance C1/C2); every other request runs the app.
"""

from __future__ import annotations

import logging
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from crossorigin._asgi.decisions import DecisionHook, Observer
from crossorigin._asgi.guards import guard_http, guard_websocket
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._errors import ConfigError
from crossorigin._grammar import headers as h
from crossorigin._grammar.origins import MAX_ORIGIN
from crossorigin._policy import policy as p
from crossorigin._policy.live import LivePolicy, resolve
from crossorigin._policy.policy import Header, Policy
from crossorigin._types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from crossorigin._policy.policy import StoredOrigins
    from crossorigin._store._store import OriginStore

logger = logging.getLogger("crossorigin")
_debug_enabled = logger.isEnabledFor  # bound once: checked on every denial
_DEBUG = logging.DEBUG

_ERROR_BODY = b"Internal Server Error"
_ERROR_HEADERS = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_ERROR_BODY)).encode("ascii")),
)
# Bound once: module attribute lookups on every request are measurable.
_ACAO = h.ACAO
_MAX_ACRM = h.MAX_ACRM_BYTES
_merge = h.merge_response_headers
_LOG_LIMIT = 200
"""Bytes of a request value shown in a log line; longer values are cut (hostile input)."""


class CORSMiddleware:
    """ASGI middleware applying a :class:`~crossorigin.CORSConfig`.

    Use ``CORSMiddleware(app, config=CORSConfig(...))``, or Starlette's keyword arguments
    (``CORSMiddleware(app, allow_origins=[...], ...)``) so that migrating from
    ``starlette.middleware.cors`` is an import change.

    Args:
        shadow: a candidate config evaluated on every request without affecting responses;
            each request it would decide differently is logged at WARNING on the
            ``crossorigin.shadow`` logger and given to *on_decision* with ``shadow=True``.
        on_decision: a plain (not async) function called with a :class:`~crossorigin.Decision`
            for every CORS, write-protection and WebSocket decision; its exceptions are
            logged, never raised.
        origin_store: an :class:`~crossorigin.OriginStore` whose origins the configs that set
            ``allow_stored_origins=True`` also allow, and whose policy document (when one was
            pushed) replaces the policy. Its watcher starts with the ASGI lifespan (or on the
            first request) and stops at shutdown.

    Raises:
        ConfigError: when the configuration (or the keyword arguments) is invalid. When
            Starlette or FastAPI build their middleware stack (lazily, on the first ASGI call),
            the error is reported by failing the ASGI lifespan start-up instead, so that the
            server refuses to start and prints it.
        TypeError: when both *config* and keyword arguments are given, or *on_decision* is
            an async function.

    The app may also be passed by keyword (``CORSMiddleware(app=api, ...)``), as Litestar's
    ``DefineMiddleware`` does.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        app: ASGIApp | None = None,
        /,
        config: CORSConfig | None = None,
        *,
        routes: RoutePolicies | None = None,
        live: LivePolicy | None = None,
        shadow: CORSConfig | None = None,
        on_decision: DecisionHook | None = None,
        origin_store: OriginStore | None = None,
        **kwargs: Any,
    ) -> None:
        if app is None:
            # Litestar's DefineMiddleware passes the app by keyword: CORSMiddleware(app=...).
            app = kwargs.pop("app", None)
            if app is None:
                raise TypeError("CORSMiddleware needs the ASGI app to wrap as its first argument")
        self.app = app
        try:
            live = resolve(config, routes, live, kwargs)
            self._observer = Observer.build(shadow, on_decision)
            _check_store(live.current, origin_store)
        except (ConfigError, TypeError) as exc:
            if not _built_lazily():
                raise
            # Starlette builds its middleware stack on the first ASGI call (the lifespan
            # startup), and an exception escaping there makes uvicorn's default lifespan mode
            # report "lifespan unsupported" and serve 500s. Refuse the start instead
            # (docs/frameworks/starlette.md, "Start-up errors").
            self.__class__ = _NotServing
            self.error = exc
            return
        self.live = live
        self.origin_store = origin_store
        if origin_store is not None:
            origin_store.follow(live)
            if shadow is not None and shadow.allow_stored_origins and self._observer is not None:
                origin_store.follow(_ShadowFollower(self._observer, shadow), documents=False)

    @property
    def config(self) -> CORSConfig | RoutePolicies:
        """The active configuration (a :class:`RoutePolicies` when policies are per path)."""
        return self.live.current

    def select(self, scope: Scope) -> Policy | None:
        """The compiled policy for a request (``None``: CORS is off for its path)."""
        state = self.live.state
        return state.policy if state.router is None else state.router.select(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # lifespan and websocket pass through untouched (WebSocket handshakes are not
            # subject to CORS: https://fetch.spec.whatwg.org/#websocket-protocol), unless
            # WebSocket protection is on (issue 5), or an origin store needs the lifespan.
            if scope["type"] == "lifespan" and self.origin_store is not None:
                await _lifespan(self.origin_store, self.app, scope, receive, send)
                return
            if scope["type"] == "websocket":
                policy = self.select(scope)
                if (
                    policy is not None
                    and (policy.protection is not None or self._observer is not None)
                    and not await guard_websocket(policy, scope, receive, send, self._observer)
                ):
                    return
            await self.app(scope, receive, send)
            return
        # One read of the live state per request: in-flight requests keep the policy they
        # started with when the application reconfigures (issue 6).
        state = self.live.state
        policy = state.policy if state.router is None else state.router.select(scope)
        if policy is None:
            await self.app(scope, receive, send)
            return
        if (policy.protection is not None or self._observer is not None) and not await guard_http(
            policy, scope, send, self._observer
        ):
            return
        cors: tuple[Header, ...]
        if scope["method"] == "OPTIONS":
            answered = await self._options(policy, scope, send)
            if answered is None:
                return
            cors = answered
        elif policy.public:
            # A static '*' answer needs no look at the request and no Vary
            # (https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches).
            cors = policy.public_headers
            if self._observer is not None:
                await self._observer.actual(policy, scope, True)
        else:
            origin = None
            count = 0
            for name, value in scope["headers"]:
                if name == b"origin":
                    origin = value
                    count += 1
            if origin is None:
                cors = ()
            elif count == 1 and len(origin) <= MAX_ORIGIN and origin in policy.matcher.exact:
                # The length test comes first so that a hostile 64 KiB Origin is never hashed.
                cors = ((_ACAO, origin), *policy.actual_headers)
            elif policy.exact_only:
                cors = ()
                if _debug_enabled(_DEBUG):  # spares a call per denied request
                    reason = p.ORIGIN_MULTIPLE if count > 1 else p.ORIGIN_NOT_ALLOWED
                    _log_denial("actual", reason, origin, scope)
            elif count == 1 and policy.matcher.matches(origin):
                # Wildcards and the regex: verdicts are memoised, so this is as cheap as the
                # exact lookup once an origin has been seen.
                cors = ((_ACAO, origin), *policy.actual_headers)
            else:
                cors = await self._actual_cors(policy, origin, count, scope)
            if self._observer is not None:
                await self._observer.actual(policy, scope, bool(cors))
        # Run the app, adding the headers at http.response.start. Inlined rather than a helper
        # coroutine: one coroutine less on every request (issue 4, ~7 % of the overhead).
        vary = policy.vary
        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # A new message: the app's own dict may be reused for later responses (a
                # prebuilt one), so writing into it would carry these headers along.
                headers = _merge(message.get("headers", ()), cors, vary)
                message = dict(message)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if not started:
                await _send_error(send, cors, vary)
            raise

    async def _actual_cors(
        self, policy: Policy, origin: bytes, count: int, scope: Scope
    ) -> tuple[Header, ...]:
        """CORS headers of an actual request whose origin is not an exact allowed one."""
        reason = await policy.origin_reason(origin, count, scope)
        if reason is p.ALLOWED:
            return ((_ACAO, origin), *policy.actual_headers)
        _log_denial("actual", reason, origin, scope)
        return ()

    async def _options(self, policy: Policy, scope: Scope, send: Send) -> tuple[Header, ...] | None:
        """Answer a preflight and return ``None``; for any other ``OPTIONS`` request, return
        the CORS headers it earns, for the app to answer (conformance C1)."""
        origin = method = None
        origins = methods = 0
        acrh: list[bytes] = []
        acrh_bytes = 0
        private_network = over_budget = False
        # Literal names (not module constants) keep this per-header loop free of lookups.
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
                origins += 1
            elif name == b"access-control-request-method":
                method = value
                methods += 1
            elif name == b"access-control-request-headers":
                acrh_bytes += len(value)
                if len(acrh) == h.MAX_ACRH_LINES or acrh_bytes > h.MAX_ACRH_BYTES:
                    # Hostile input (1,000 ACRH lines, 1 MiB of commas): stop collecting at
                    # once, no work proportional to its bytes (behaviour.md B21). It
                    # is refused only if the request turns out to be a preflight.
                    over_budget = True
                    break
                acrh.append(value)
            elif name == b"access-control-request-private-network":
                private_network = value == b"true"
        if over_budget:
            if origin is None or method is None:
                # Only whether Origin and ACRM are present still matters, found by a lighter
                # scan (a rare, hostile case: the hot path keeps one plain loop).
                origin = method = None
                origins = methods = 0
                for name, value in scope["headers"]:
                    if name == b"origin":
                        origin = value
                        origins += 1
                    elif name == b"access-control-request-method":
                        method = value
                        methods += 1
            if origin is not None and method is not None:
                # A preflight over the ACRH budget (behaviour.md B21).
                if methods > 1 or len(method) > _MAX_ACRM:
                    method = b""
                await _respond(send, 403, [policy.preflight_vary])
                _log_denial("preflight", p.ACRH_TOO_LARGE, origin, scope, method)
                if self._observer is not None:
                    await self._observer.preflight(
                        scope, origin, origins, method, None, False, p.ACRH_TOO_LARGE
                    )
                return None
        if origin is None or method is None:
            # Not a preflight (https://fetch.spec.whatwg.org/#cors-preflight-request): the app
            # answers it like any other request, whatever its ACRH (behaviour.md B1, B2).
            if policy.public:
                cors = policy.public_headers
            elif origin is None:
                cors = ()
            else:
                cors = await self._actual_cors(policy, origin, origins, scope)
            if self._observer is not None:
                await self._observer.actual(policy, scope, bool(cors))
            return cors
        if methods > 1 or len(method) > _MAX_ACRM:
            # Browsers send one ACRM line holding one method; anything else is not a method,
            # and an oversized one is never parsed, cached or echoed.
            method = b""
        if origins == 1 and policy.allows_statically(origin):
            result = policy.cached_preflight(origin, method, acrh, private_network)
        elif policy.exact_only and not policy.public:
            # Denied without a predicate to ask: no coroutine, no parsing (issue 4).
            result = p.Preflight(403, [policy.preflight_vary], p.ORIGIN_NOT_ALLOWED)
        else:
            reason = await policy.origin_reason(origin, origins, scope)
            result = policy.preflight(
                origin, reason is p.ALLOWED, reason, method, acrh, private_network
            )
        status, headers, reason = result
        if reason is not p.ALLOWED and (
            self._observer is not None or logger.isEnabledFor(logging.DEBUG)
        ):
            if reason is p.ORIGIN_NOT_ALLOWED:
                reason = p.why_denied(origin, origins)  # only logs and records need the detail
            _log_denial("preflight", reason, origin, scope, method)
        if self._observer is not None:
            await self._observer.preflight(
                scope, origin, origins, method, acrh, private_network, reason, policy
            )
        if status != 204:
            # RFC 9110 §8.6: a 204 has no content, every other status says its length.
            headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return None


class _ShadowFollower:
    """Recompiles the shadow policy with each snapshot of the origin store, so that a shadow
    config with ``allow_stored_origins=True`` sees the stored origins too."""

    def __init__(self, observer: Observer, config: CORSConfig) -> None:
        self.observer = observer
        self.current = config

    def _follow(
        self, stored: StoredOrigins | None, source: object = None, start: object = None
    ) -> None:
        self.observer.shadow = Policy(self.current, stored)


def _check_store(source: CORSConfig | RoutePolicies, store: OriginStore | None) -> None:
    configs = (
        [source]
        if isinstance(source, CORSConfig)
        else [c for _, c in source.routes if c is not None]
        + ([source.default] if source.default is not None else [])
    )
    opted = any(c.allow_stored_origins for c in configs)
    if opted and store is None:
        from crossorigin._errors import ConfigError, problem

        raise ConfigError(
            [
                problem(
                    "allow_stored_origins",
                    True,
                    "incompatible",
                    "the middleware has no origin store to take origins from",
                    "pass origin_store=OriginStore.open(url) to CORSMiddleware",
                )
            ]
        )
    if store is not None and not opted:
        logger.warning(
            "crossorigin: an origin_store is given but no policy sets allow_stored_origins=True:"
            " its origins are allowed nowhere (set it on the configs that should take them)"
        )


async def _lifespan(
    store: OriginStore, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Start *store*'s watcher before the app's own start-up and stop it after its shutdown.

    A store that cannot be read fails the start-up (``lifespan.startup.failed`` with the
    reason), so the server does not start serving a policy it cannot know.
    """
    message = await receive()
    if message["type"] == "lifespan.startup":
        try:
            await store.start()
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
    first: list[Message] = [message]

    async def receive_again() -> Message:
        return first.pop() if first else await receive()

    async def send_and_stop(message: Message) -> None:
        if message["type"] in {
            "lifespan.startup.failed",
            "lifespan.shutdown.complete",
            "lifespan.shutdown.failed",
        }:
            await store.stop()
        await send(message)

    await app(scope, receive_again, send_and_stop)


class _NotServing(CORSMiddleware):
    """A middleware whose configuration was invalid when a framework built it lazily.

    It answers the ASGI lifespan ``startup`` with ``lifespan.startup.failed`` carrying the
    :class:`ConfigError` text (https://asgi.readthedocs.io/en/latest/specs/lifespan.html), so
    the server refuses to start and prints it. Under a server that runs no lifespan, every
    request is answered 500 and logged at ERROR with the same text; the app never runs.
    """

    @property
    def config(self) -> CORSConfig | RoutePolicies:
        raise self.error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = f"crossorigin: refusing to serve: {self.error}"
        kind = scope["type"]
        if kind == "lifespan":
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": text})
            else:  # a shutdown without a startup: nothing was started
                await send({"type": "lifespan.shutdown.complete"})
            return
        logger.error("%s (%s %r not served)", text, kind, scope.get("path", ""))
        if kind == "http":
            await _send_error(send, (), b"")
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1011})


def _built_lazily() -> bool:
    """Whether a framework's lazy ``build_middleware_stack`` (Starlette, FastAPI) is
    constructing this middleware: there, an exception would escape the lifespan call instead
    of reaching the user at import time."""
    frame: FrameType | None = sys._getframe(2)  # 0: here, 1: __init__, 2: the caller
    for _ in range(4):  # a subclass's __init__ may sit in between
        if frame is None:
            return False
        if frame.f_code.co_name == "build_middleware_stack":
            return True
        frame = frame.f_back
    return False


async def _respond(send: Send, status: int, headers: list[Header]) -> None:
    if status != 204:
        # RFC 9110 §8.6: a 204 has no content, every other status says its length.
        headers.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _log_denial(
    kind: str, reason: str, origin: bytes, scope: Scope, method: bytes | None = None
) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    if reason == p.ORIGIN_NOT_ALLOWED:
        reason = p.why_denied(origin, 1)
    # %r of a str escapes CR, LF, NUL and other control characters, so a hostile header cannot
    # forge log lines; latin-1 maps every byte to one character, so nothing fails to decode.
    logger.debug(
        "crossorigin: %s denied reason=%s origin=%r method=%r path=%r",
        kind,
        reason,
        origin[:_LOG_LIMIT].decode("latin-1"),
        (method or b"")[:_LOG_LIMIT].decode("latin-1") or scope["method"],
        scope.get("path", "")[:_LOG_LIMIT],
    )


async def _send_error(send: Send, cors: tuple[Header, ...], vary: bytes) -> None:
    # Conformance C10: the page must see the 500, not a misleading CORS error. The caller
    # re-raises the exception so that the server still logs it.
    headers = h.merge_response_headers(_ERROR_HEADERS, cors, vary)
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _ERROR_BODY})
