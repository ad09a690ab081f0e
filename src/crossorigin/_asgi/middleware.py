"""``CORSMiddleware``: the pure ASGI middleware that applies a compiled :class:`Policy`.

Per request it does only the unavoidable work (issue 4): one pass over the raw header list to
find ``Origin`` (and, for ``OPTIONS``, the preflight headers), one set lookup for exact
origins, and prebuilt header pairs appended at ``http.response.start``. Preflights are answered
without calling the app (conformance C1/C2); every other request runs the app.
"""

from __future__ import annotations

import logging
from typing import Any

from crossorigin._asgi.decisions import DecisionHook, Observer
from crossorigin._asgi.guards import guard_http, guard_websocket
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._grammar import headers as h
from crossorigin._grammar.origins import MAX_ORIGIN
from crossorigin._policy import policy as p
from crossorigin._policy.live import LivePolicy
from crossorigin._policy.policy import Header, Policy
from crossorigin._types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("crossorigin")
_debug_enabled = logger.isEnabledFor  # bound once: checked on every denial
_DEBUG = logging.DEBUG

_ERROR_BODY = b"Internal Server Error"
_ERROR_HEADERS = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_ERROR_BODY)).encode("ascii")),
)
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
        on_decision: called with a :class:`~crossorigin.Decision` for every CORS,
            write-protection and WebSocket decision; its exceptions are logged, never raised.

    Raises:
        ConfigError: when the configuration (or the keyword arguments) is invalid.
        TypeError: when both *config* and keyword arguments are given.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        config: CORSConfig | None = None,
        *,
        routes: RoutePolicies | None = None,
        live: LivePolicy | None = None,
        shadow: CORSConfig | None = None,
        on_decision: DecisionHook | None = None,
        **kwargs: Any,
    ) -> None:
        chosen = (("config", config), ("routes", routes), ("live", live))
        given = [name for name, value in chosen if value is not None]
        if (kwargs and given) or len(given) > 1:
            raise TypeError(
                "CORSMiddleware takes one of config=CORSConfig(...), routes=RoutePolicies(...),"
                " live=LivePolicy(...) or Starlette's keyword arguments"
                f" (got {', '.join(given + sorted(kwargs))})"
            )
        if config is not None and not isinstance(config, CORSConfig):
            raise TypeError(f"config must be a crossorigin.CORSConfig, not {type(config).__name__}")
        if live is None:
            source = routes if routes is not None else config
            live = LivePolicy(source if source is not None else CORSConfig(**kwargs))
        self.app = app
        self.live = live
        self._observer = Observer.build(shadow, on_decision)

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
            # WebSocket protection is on (issue 5).
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
                cors = ((h.ACAO, origin), *policy.actual_headers)
            elif policy.exact_only:
                cors = ()
                if _debug_enabled(_DEBUG):  # spares a call per denied request
                    reason = p.ORIGIN_MULTIPLE if count > 1 else p.ORIGIN_NOT_ALLOWED
                    _log_denial("actual", reason, origin, scope)
            elif count == 1 and policy.matcher.matches(origin):
                # Wildcards and the regex: verdicts are memoised, so this is as cheap as the
                # exact lookup once an origin has been seen.
                cors = ((h.ACAO, origin), *policy.actual_headers)
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
                message["headers"] = h.merge_response_headers(
                    message.get("headers", ()), cors, vary
                )
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
            return ((h.ACAO, origin), *policy.actual_headers)
        _log_denial("actual", reason, origin, scope)
        return ()

    async def _options(self, policy: Policy, scope: Scope, send: Send) -> tuple[Header, ...] | None:
        """Answer a preflight and return ``None``; for any other ``OPTIONS`` request, return
        the CORS headers it earns, for the app to answer (conformance C1)."""
        origin = method = None
        origins = methods = 0
        acrh: list[bytes] = []
        acrh_bytes = 0
        private_network = False
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
                    # Stop at once on hostile input (1,000 ACRH lines, 1 MiB of commas):
                    # no work proportional to it (conformance C5, item 43).
                    await _respond(send, 403, [policy.preflight_vary])
                    _log_denial("preflight", p.ACRH_TOO_LARGE, origin or b"", scope)
                    if self._observer is not None and origin is not None:
                        await self._observer.preflight(
                            scope,
                            origin,
                            origins,
                            method or b"",
                            None,
                            False,
                            p.ACRH_TOO_LARGE,
                        )
                    return None
                acrh.append(value)
            elif name == b"access-control-request-private-network":
                private_network = value == b"true"
        if origin is None or method is None:
            # Not a preflight (https://fetch.spec.whatwg.org/#cors-preflight-request): the app
            # answers it like any other request (conformance C1).
            if policy.public:
                cors = policy.public_headers
            elif origin is None:
                cors = ()
            else:
                cors = await self._actual_cors(policy, origin, origins, scope)
            if self._observer is not None:
                await self._observer.actual(policy, scope, bool(cors))
            return cors
        if methods > 1:
            method = b""  # browsers send one ACRM line; several is not a method
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
                scope, origin, origins, method, acrh, private_network, reason
            )
        if status != 204:
            # RFC 9110 §8.6: a 204 has no content, every other status says its length.
            headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return None


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
