"""``crossorigin.wsgi.CORSMiddleware``: the compiled CORS policy in front of a WSGI app.

Every decision is the ASGI middleware's: the same :class:`~crossorigin._policy.Policy`
(prebuilt headers, preflight answers and their cache), the same router for route tables, the
same write protection, ``on_decision`` records and shadow comparison. Those are written as
coroutines because an async ``allow_origin_predicate`` may await; under WSGI they are driven to
completion synchronously (:func:`_run`), which works because nothing in them waits unless the
predicate does. A predicate that really waits (on I/O) cannot run in a WSGI worker: the origin
is denied and the error logged.

The request facts come from the environ: WSGI servers join repeated header lines with ``", "``
(PEP 3333 / CGI), so several ``Origin`` lines arrive as one value that is not an origin, and are
denied like the ASGI edge denies several lines.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Coroutine, Iterable, Iterator
from http import HTTPStatus
from types import TracebackType
from typing import Any, TypeVar

from crossorigin._asgi.decisions import DecisionHook, Observer
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._grammar import headers as h
from crossorigin._grammar.origins import MAX_ORIGIN
from crossorigin._policy import policy as p
from crossorigin._policy.live import LivePolicy, resolve
from crossorigin._policy.policy import Header, Policy
from crossorigin._policy.protect import CROSS_ORIGIN, SAFE_METHODS, evaluate_write
from crossorigin._types import Scope

logger = logging.getLogger("crossorigin")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIEnviron = dict[str, Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]
StrHeaders = list[tuple[str, str]]

_T = TypeVar("_T")
_ERROR_BODY = b"Internal Server Error"
_ERROR_HEADERS = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_ERROR_BODY)).encode("ascii")),
)
# Request headers the policy and its guards read, as the environ names them (PEP 3333).
_FACTS = (
    ("HTTP_ORIGIN", b"origin"),
    ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"access-control-request-method"),
    ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", b"access-control-request-headers"),
    ("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", b"access-control-request-private-network"),
    ("HTTP_SEC_FETCH_SITE", b"sec-fetch-site"),
    ("HTTP_HOST", b"host"),
)
_LOG_LIMIT = 200
_DEBUG = logging.DEBUG
# The write protection's refusal, as the ASGI guard sends it (crossorigin._asgi.guards).
_DENIED_BODY = b"Forbidden: cross-origin request"
_DENIED_HEADERS = [
    ("content-type", "text/plain; charset=utf-8"),
    ("content-length", str(len(_DENIED_BODY))),
]


class _Suspended(Exception):
    """A coroutine really waited: only possible for an async origin predicate doing I/O."""


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Drive a coroutine that never waits to its result, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise _Suspended


def _suspended() -> None:
    logger.error(
        "crossorigin: allow_origin_predicate awaited I/O, which a WSGI worker cannot do;"
        " origin denied"
    )


def _observe(coroutine: Coroutine[Any, Any, None]) -> None:
    """Report to the observer; a shadow predicate that waits is logged, never raised."""
    try:
        _run(coroutine)
    except _Suspended:
        _suspended()


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _text(headers: Iterable[Header]) -> StrHeaders:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def merge_headers(app_headers: StrHeaders, cors: tuple[Header, ...], vary: bytes) -> StrHeaders:
    """The app's headers without ``Access-Control-*``, *vary* merged into its first ``Vary``
    line, plus *cors*: the ASGI edge's rule (``_headers.merge_response_headers``), with the
    app's own names and their case left as they are."""
    out: StrHeaders = []
    vary_lines: list[int] = []
    for name, value in app_headers:
        lower = name.lower()
        if lower.startswith("access-control-"):
            continue
        if lower == "vary":
            vary_lines.append(len(out))
        out.append((name, value))
    if vary:
        if not vary_lines:
            out.append(("Vary", vary.decode("latin-1")))
        else:
            raw = [(h.VARY, out[i][1].encode("latin-1")) for i in vary_lines]
            merged = h.merge_response_headers(raw, (), vary)
            first = vary_lines[0]
            out[first] = (out[first][0], bytes(merged[0][1]).decode("latin-1"))
    out.extend(_text(cors))
    return out


def scope_of(environ: WSGIEnviron) -> Scope:
    """An ASGI-style HTTP scope with the facts the policy reads; the environ rides along as
    ``scope["wsgi.environ"]`` (an ``allow_origin_predicate`` receives this scope)."""
    root = environ.get("SCRIPT_NAME", "")
    path = root + environ.get("PATH_INFO", "")
    # PEP 3333 carries the path's bytes as latin-1 text; ASGI carries UTF-8-decoded text.
    path = path.encode("latin-1").decode("utf-8", "replace")
    root = root.encode("latin-1").decode("utf-8", "replace")
    headers = []
    for key, name in _FACTS:
        value = environ.get(key)
        if value is not None:
            headers.append((name, value.encode("latin-1")))
    return {
        "type": "http",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "path": path,
        "root_path": root,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "wsgi.environ": environ,
    }


def _check_predicates(source: CORSConfig | RoutePolicies) -> None:
    if isinstance(source, RoutePolicies):
        configs = [c for _, c in source.routes] + [source.default]
    else:
        configs = [source]
    for config in configs:
        if config is not None and inspect.iscoroutinefunction(config.allow_origin_predicate):
            raise TypeError(
                "crossorigin.wsgi.CORSMiddleware: allow_origin_predicate is an async function;"
                " a WSGI worker has no event loop to await it. Give a plain function."
            )


class CORSMiddleware:
    """WSGI middleware applying a :class:`~crossorigin.CORSConfig` (PEP 3333).

    Takes the same arguments as the ASGI :class:`crossorigin.CORSMiddleware`: ``config=``,
    ``routes=``, ``live=`` or Starlette's keyword arguments, plus ``shadow=`` and
    ``on_decision=``. Wrap the WSGI callable the server runs::

        app.wsgi_app = CORSMiddleware(app.wsgi_app, config=CORSConfig(...))   # Flask
        application = CORSMiddleware(get_wsgi_application(), config=...)       # Django

    ``allow_origin_predicate`` must be a plain function here; its second argument is an
    ASGI-style scope whose ``"wsgi.environ"`` is the request's environ.

    Raises:
        ConfigError: when the configuration is invalid.
        TypeError: for conflicting arguments or an async ``allow_origin_predicate``.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        app: WSGIApp,
        config: CORSConfig | None = None,
        *,
        routes: RoutePolicies | None = None,
        live: LivePolicy | None = None,
        shadow: CORSConfig | None = None,
        on_decision: DecisionHook | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        self.live = resolve(config, routes, live, kwargs, "crossorigin.wsgi.CORSMiddleware")
        _check_predicates(self.live.current)
        self._observer = Observer.build(shadow, on_decision)

    @property
    def config(self) -> CORSConfig | RoutePolicies:
        """The active configuration (a :class:`RoutePolicies` when policies are per path)."""
        return self.live.current

    def check_origin(self, policy: Policy, origin: bytes, count: int, scope: Scope) -> str:
        """Reason code for *origin* under *policy*, synchronously."""
        try:
            return _run(policy.origin_reason(origin, count, scope))
        except _Suspended:
            _suspended()
            return p.ORIGIN_NOT_ALLOWED

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        # One read of the live state per request, as in the ASGI edge. The scope is built only
        # when something reads it (router, guards, observer, predicate, denial log).
        state = self.live.state
        scope: Scope | None = None
        if state.router is None:
            policy = state.policy
        else:
            scope = scope_of(environ)
            policy = state.router.select(scope)
        if policy is None:
            return self.app(environ, start_response)
        observer = self._observer
        method = environ.get("REQUEST_METHOD", "GET")
        if (policy.protection is not None or observer is not None) and method not in SAFE_METHODS:
            scope = scope or scope_of(environ)
            try:
                allowed, reason = _run(evaluate_write(policy, scope))
            except _Suspended:
                _suspended()
                allowed, reason = False, CROSS_ORIGIN
            if observer is not None:
                _observe(
                    observer.protection("write-protection", scope, allowed, reason, evaluate_write)
                )
            if not allowed:
                _log_denial("write-protection", reason, scope)
                start_response("403 Forbidden", list(_DENIED_HEADERS))
                return [_DENIED_BODY]
        origin_text = environ.get("HTTP_ORIGIN")
        origin = None if origin_text is None else origin_text.encode("latin-1")
        cors: tuple[Header, ...]
        if (
            method == "OPTIONS"
            and origin is not None
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            return self._preflight(policy, environ, origin, scope, start_response)
        if policy.public:
            cors = policy.public_headers
        elif origin is None:
            cors = ()
        elif len(origin) <= MAX_ORIGIN and origin in policy.matcher.exact:
            cors = ((h.ACAO, origin), *policy.actual_headers)
        else:
            scope = scope or scope_of(environ)
            reason = self.check_origin(policy, origin, 1, scope)
            if reason is p.ALLOWED:
                cors = ((h.ACAO, origin), *policy.actual_headers)
            else:
                cors = ()
                _log_denial("actual", reason, scope)
        if observer is not None and origin is not None:
            _observe(observer.actual(policy, scope or scope_of(environ), bool(cors)))
        return self._call_app(environ, start_response, cors, policy.vary)

    def _preflight(
        self,
        policy: Policy,
        environ: WSGIEnviron,
        origin: bytes,
        scope: Scope | None,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Answer a preflight (https://fetch.spec.whatwg.org/#cors-preflight-fetch-0)."""
        method = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"].encode("latin-1")
        if len(method) > h.MAX_ACRM_BYTES:
            # Not a method a browser sends: never parsed, cached or echoed (behaviour.md B19).
            method = b""
        acrh_text = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        acrh = [] if acrh_text is None else [acrh_text.encode("latin-1")]
        private_network = environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true"
        if acrh and len(acrh[0]) > h.MAX_ACRH_BYTES:
            # Refused before any parsing: no work proportional to hostile input.
            result = p.Preflight(403, [policy.preflight_vary], p.ACRH_TOO_LARGE)
            checked: list[bytes] | None = None
        else:
            checked = acrh
            if policy.allows_statically(origin):
                result = policy.cached_preflight(origin, method, acrh, private_network)
            elif policy.exact_only and not policy.public:
                result = p.Preflight(403, [policy.preflight_vary], p.ORIGIN_NOT_ALLOWED)
            else:
                scope = scope or scope_of(environ)
                reason = self.check_origin(policy, origin, 1, scope)
                result = policy.preflight(
                    origin, reason is p.ALLOWED, reason, method, acrh, private_network
                )
        status, headers, reason = result
        observer = self._observer
        if reason is not p.ALLOWED and (observer is not None or logger.isEnabledFor(_DEBUG)):
            if reason is p.ORIGIN_NOT_ALLOWED:
                reason = p.why_denied(origin, 1)  # only logs and records need the detail
            scope = scope or scope_of(environ)
            _log_denial("preflight", reason, scope, method)
        if observer is not None:
            scope = scope or scope_of(environ)
            _observe(observer.preflight(scope, origin, 1, method, checked, private_network, reason))
        if status != 204:
            # RFC 9110 §8.6: a 204 has no content, every other status says its length.
            headers.append((b"content-length", b"0"))
        start_response(_status_line(status), _text(headers))
        return []

    def _call_app(
        self,
        environ: WSGIEnviron,
        start_response: StartResponse,
        cors: tuple[Header, ...],
        vary: bytes,
    ) -> Iterable[bytes]:
        started = False

        def start_with_cors(
            status: str, headers: StrHeaders, exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            # exc_info (an error after start_response) is passed on: the server re-raises it
            # if the headers are already sent, else replaces them with these (PEP 3333).
            nonlocal started
            started = True
            return start_response(status, merge_headers(headers, cors, vary), exc_info)

        try:
            result = self.app(environ, start_with_cors)
        except Exception:
            # The server would answer 500 without CORS headers and the page would report a
            # CORS error instead of the 500 (docs/behaviour.md): answer it here, with them.
            logger.exception("crossorigin: the WSGI application raised; answered 500")
            # exc_info only when the app had called start_response: a second call needs it
            # (PEP 3333), a first one must not carry it (servers re-raise it).
            return _error(start_response, cors, vary, sys.exc_info() if started else None)
        if started and isinstance(result, (list, tuple)):
            return result  # complete: nothing can fail later, no close() to call
        wrapper = environ.get("wsgi.file_wrapper")
        if started and isinstance(wrapper, type) and isinstance(result, wrapper):
            return result  # keep the server's sendfile path; it calls close()
        return _Body(result, start_response, cors, vary, lambda: started)


def _error(
    start_response: StartResponse,
    cors: tuple[Header, ...],
    vary: bytes,
    exc_info: Any,
) -> list[bytes]:
    start_response(
        "500 Internal Server Error", merge_headers(_text(_ERROR_HEADERS), cors, vary), exc_info
    )
    return [_ERROR_BODY]


class _Body:
    """The app's response iterable, streamed chunk by chunk; ``close()`` is always passed on.

    An exception before the first non-empty chunk (a generator app calls ``start_response``
    lazily) becomes a 500 with the CORS headers, as in the ASGI edge; after it, the headers
    are sent and the exception goes to the server. Past the first chunk the app's iterator is
    delegated to with ``yield from``: no Python frame per chunk.
    """

    __slots__ = ("_cors", "_iterable", "_start_response", "_started", "_vary")

    def __init__(
        self,
        iterable: Iterable[bytes],
        start_response: StartResponse,
        cors: tuple[Header, ...],
        vary: bytes,
        started: Callable[[], bool],
    ) -> None:
        self._iterable = iterable
        self._start_response = start_response
        self._cors = cors
        self._vary = vary
        self._started = started

    def __iter__(self) -> Iterator[bytes]:
        return self._stream()

    def _stream(self) -> Iterator[bytes]:
        try:
            iterator = iter(self._iterable)
            while True:
                chunk = next(iterator, None)
                if chunk is None:
                    return
                if chunk:
                    break
                yield chunk
        except Exception:
            logger.exception("crossorigin: the WSGI application raised; answered 500")
            exc_info = sys.exc_info() if self._started() else None
            yield from _error(self._start_response, self._cors, self._vary, exc_info)
            return
        yield chunk
        yield from iterator

    def close(self) -> None:
        close = getattr(self._iterable, "close", None)
        if close is not None:
            close()


def _log_denial(kind: str, reason: str, scope: Scope, method: bytes | None = None) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    origin = next((v for n, v in scope["headers"] if n == b"origin"), b"")
    logger.debug(
        "crossorigin: %s denied reason=%s origin=%r method=%r path=%r",
        kind,
        reason,
        origin[:_LOG_LIMIT].decode("latin-1"),
        (method or b"")[:_LOG_LIMIT].decode("latin-1") or scope["method"],
        scope["path"][:_LOG_LIMIT],
    )
