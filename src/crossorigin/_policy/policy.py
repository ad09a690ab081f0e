"""``Policy``: a ``CORSConfig`` compiled into precomputed header values and pure decisions.

Everything that does not depend on the request is computed once here (house rule 8); the
decision functions only look up sets and pick prebuilt ``(name, value)`` pairs. They do no I/O,
so the same policy can be selected per request by path or swapped atomically at run time.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from typing import Final, NamedTuple

from crossorigin._config.config import CORSConfig
from crossorigin._grammar import headers as h
from crossorigin._grammar.matcher import OriginMatcher
from crossorigin._grammar.methods import SAFELISTED
from crossorigin._grammar.origins import parse_origin, parse_pattern
from crossorigin._types import OriginPredicate, Scope

logger = logging.getLogger("crossorigin")

Header = tuple[bytes, bytes]

# Reason codes, shared by logs, debug responses and decision records.
ALLOWED: Final = "allowed"
ALLOWED_BY_STORE: Final = "allowed_by_store"
"""Allowed because the origin store holds the origin (decision records only: the middleware
itself compares with :data:`ALLOWED`)."""
NO_ORIGIN: Final = "no_origin"
ORIGIN_NOT_ALLOWED: Final = "origin_not_allowed"
ORIGIN_INVALID: Final = "origin_invalid"
ORIGIN_NULL: Final = "origin_null"
ORIGIN_MULTIPLE: Final = "origin_multiple"
METHOD_INVALID: Final = "method_invalid"
METHOD_NOT_ALLOWED: Final = "method_not_allowed"
HEADER_NOT_ALLOWED: Final = "header_not_allowed"
ACRH_INVALID: Final = "acrh_invalid"
ACRH_TOO_LARGE: Final = "acrh_too_large"

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_TRUE = b"true"


def why_denied(origin: bytes, count: int) -> str:
    """Reason code for an origin that no rule allowed: several lines, ``null``, malformed, or
    merely not listed. Only logs and decision records need the distinction."""
    if count > 1:
        return ORIGIN_MULTIPLE
    if origin == b"null":
        return ORIGIN_NULL
    return ORIGIN_INVALID if parse_origin(origin) is None else ORIGIN_NOT_ALLOWED


BROWSER_DEFAULT_MAX_AGE = 5
"""Seconds browsers cache a preflight answered without ``Access-Control-Max-Age``
(https://fetch.spec.whatwg.org/#http-access-control-max-age)."""


class StoredOrigins:
    """The origin store's entries of one snapshot, compiled once and shared by every policy
    that sets ``allow_stored_origins``. Immutable."""

    __slots__ = ("matcher", "max_age", "version")

    def __init__(self, matcher: OriginMatcher, max_age: int, version: int) -> None:
        self.matcher = matcher
        #: Cap on ``Access-Control-Max-Age`` for policies that take stored origins.
        self.max_age = max_age
        self.version = version


def capped_max_age(max_age: int | None, cap: int) -> int | None:
    """``max_age`` limited to *cap*; ``None`` (the browsers' 5 s) stays only if within it."""
    if max_age is None:
        return None if cap >= BROWSER_DEFAULT_MAX_AGE else cap
    return min(max_age, cap)


class Protection:
    """The compiled protection settings of one config. Immutable."""

    __slots__ = ("exempt", "public_origin", "websockets", "writes")

    def __init__(self, config: CORSConfig) -> None:
        self.writes: bool = config.protect_writes
        self.websockets: bool = config.protect_websockets
        self.exempt = frozenset(config.protection_exempt_paths)
        public = config.public_origin
        self.public_origin = None if public is None else public.encode("ascii")


def compile_protection(config: CORSConfig) -> Protection | None:
    """The config's :class:`Protection`, or ``None`` when both protections are off."""
    if config.protect_writes or config.protect_websockets:
        return Protection(config)
    return None


class Preflight(NamedTuple):
    """The outcome of a preflight: status, the response headers and the reason code."""

    status: int
    headers: list[Header]
    reason: str


PREFLIGHT_CACHE_SIZE = 256
"""Successful preflight answers kept per policy. Browsers repeat the same few preflights
(one per page origin, method and header set), so a small table spares their parsing; its size
bounds the memory it holds, and only answers from static rules are kept (never a predicate's)."""


class Policy:
    """A compiled :class:`CORSConfig`. Immutable; safe to share between requests and threads."""

    __slots__ = (
        "_acac",
        "_allowed_methods",
        "_allowed_names",
        "_any_header",
        "_any_method",
        "_cache",
        "_debug",
        "_debug_methods",
        "_max_age",
        "_method_values",
        "_preflight_tail",
        "_private_network",
        "_star_method",
        "_status",
        "actual_headers",
        "allows_statically",
        "config",
        "exact_only",
        "matcher",
        "predicate",
        "preflight_vary",
        "protection",
        "public",
        "public_headers",
        "static_matcher",
        "vary",
    )  # fmt: skip

    def __init__(self, config: CORSConfig, stored: StoredOrigins | None = None) -> None:
        self.config = config
        regex = config.allow_origin_regex
        self.public = "*" in config.allow_origins
        self.matcher = OriginMatcher(
            (parse_pattern(o) for o in config.allow_origins if o != "*"),
            regex if isinstance(regex, re.Pattern) else None,
        )
        #: The config's own rules when stored origins are joined to them, else ``None``.
        self.static_matcher: OriginMatcher | None = None
        max_age = config.max_age
        if stored is not None and config.allow_stored_origins:
            self.static_matcher = self.matcher
            self.matcher = self.matcher.union(stored.matcher)
            max_age = capped_max_age(max_age, stored.max_age)
        self.predicate: OriginPredicate | None = config.allow_origin_predicate
        #: Write/WebSocket protection (issue 5), ``None`` when both are off.
        self.protection = compile_protection(config)
        #: Only exact origins can be allowed: a miss in ``matcher.exact`` is a denial.
        self.exact_only = not self.matcher.needs_parse and self.predicate is None
        credentials = config.allow_credentials
        exposed = [n for n in config.expose_headers if n not in h.SAFELISTED_RESPONSE]

        # Actual responses (https://fetch.spec.whatwg.org/#http-responses). The allowed origin is
        # echoed, so responses vary by Origin unless the policy is the static '*' one
        # (https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches).
        tail: list[Header] = []
        if credentials:
            tail.append((h.ACAC, _TRUE))
        if exposed:
            tail.append((h.ACEH, ", ".join(exposed).encode("ascii")))
        self.actual_headers: tuple[Header, ...] = tuple(tail)
        self.public_headers: tuple[Header, ...] = ((h.ACAO, b"*"), *tail)
        self.vary = b"" if self.public else b"Origin"

        # Preflights (https://fetch.spec.whatwg.org/#cors-preflight-fetch-0 step 7).
        self._status = config.preflight_status
        self._debug = config.debug
        self._private_network = config.allow_private_network
        self._any_method = "*" in config.allow_methods
        # '*' is a wildcard only for requests without credentials (step 7.5), so with
        # credentials the validated method is echoed instead.
        self._star_method = self._any_method and not credentials
        self._allowed_methods = frozenset(
            m.encode("ascii") for m in config.allow_methods if m not in SAFELISTED
        )
        self._method_values = {m: (h.ACAM, m) for m in self._allowed_methods}
        # Debug answers to a refused method list the configured methods: with no ACAM at all,
        # Fetch's CORS-preflight fetch (step 7.4) would take the request's own method as
        # allowed when the use-CORS-preflight flag is set (upload listeners, streamed bodies).
        listed = [m for m in config.allow_methods if m != "*"] or sorted(SAFELISTED)
        self._debug_methods: Header = (h.ACAM, ", ".join(listed).encode("ascii"))
        self._any_header = "*" in config.allow_headers
        self._allowed_names = frozenset(
            n.encode("ascii") for n in (*config.allow_headers, *h.SAFELISTED_REQUEST) if n != "*"
        )
        self._acac: tuple[Header, ...] = ((h.ACAC, _TRUE),) if credentials else ()
        self._max_age: tuple[Header, ...] = (
            () if max_age is None else ((h.ACMA, str(max_age).encode("ascii")),)
        )
        self._preflight_tail = self._acac + self._max_age
        vary = _PREFLIGHT_VARY
        if self._private_network:
            vary += b", Access-Control-Request-Private-Network"
        # Every preflight answer, refusals included, depends on these request headers.
        self.preflight_vary = (h.VARY, vary)
        self._cache: dict[tuple[object, ...], Preflight] = {}
        #: Whether an origin is allowed by the static rules alone (no predicate): bound once
        #: here, so the request path makes one call.
        self.allows_statically: Callable[[bytes], bool] = (
            self._public_allows if self.public else self.matcher.matches
        )

    def allowed_reason(self, origin: bytes) -> str:
        """The reason code of an allowed *origin*: whether the origin store allowed it."""
        static = self.static_matcher
        if static is None or self.public or static.matches(origin):
            return ALLOWED
        return ALLOWED_BY_STORE

    def _public_allows(self, origin: bytes) -> bool:
        return origin == b"null" or parse_origin(origin) is not None

    async def origin_reason(self, origin: bytes, count: int, scope: Scope) -> str:
        """Reason code for *origin* (sent on *count* lines): :data:`ALLOWED` or why not.

        The origin decision: the static rules (``*``, exact origins, patterns, the regex), then
        the predicate, asked only about a well-formed origin that no static rule allowed.
        """
        if count > 1:
            # Browsers send at most one Origin (https://fetch.spec.whatwg.org/#http-network-or-cache-fetch
            # step 12); several lines are never joined or echoed (conformance C7).
            return ORIGIN_MULTIPLE
        if self.public:
            return ALLOWED if origin == b"null" or parse_origin(origin) else ORIGIN_INVALID
        if self.matcher.matches(origin):
            return ALLOWED
        predicate = self.predicate
        if predicate is None:
            # Whether it was malformed or merely unlisted only matters to the log line.
            return ORIGIN_NOT_ALLOWED
        if parse_origin(origin) is None:
            return why_denied(origin, count)
        try:
            verdict = predicate(origin.decode("ascii"), scope)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except Exception:
            logger.exception("crossorigin: allow_origin_predicate raised; origin denied")
            return ORIGIN_NOT_ALLOWED
        return ALLOWED if verdict is True else ORIGIN_NOT_ALLOWED

    def cached_preflight(
        self, origin: bytes, method: bytes, acrh: list[bytes], private_network: bool
    ) -> Preflight:
        """:meth:`preflight` for an origin allowed by static rules, memoised when it succeeds.

        Precondition: the ACRH lines are within :data:`~crossorigin._grammar.headers.MAX_ACRH_BYTES`
        (the middleware checks it while scanning), so keys are small.
        """
        key = (origin, method, private_network, *acrh)
        hit = self._cache.get(key)
        if hit is None:
            hit = self.preflight(origin, True, ALLOWED, method, acrh, private_network)
            if hit.reason is not ALLOWED or len(method) > _CACHEABLE_METHOD:
                return hit
            if len(self._cache) >= PREFLIGHT_CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = hit
        # Each response gets its own list: servers and outer middleware may mutate it.
        # (tuple.__new__ skips NamedTuple's Python-level __new__ on this hot path.)
        return tuple.__new__(Preflight, (hit[0], [*hit[1]], hit[2]))

    def preflight(
        self,
        origin: bytes,
        allowed: bool,
        origin_reason: str,
        method: bytes,
        acrh: list[bytes],
        private_network: bool,
    ) -> Preflight:
        """Decide a preflight from an origin (already matched) and its request headers.

        Failure is 403 with no CORS headers (conformance C2; https://fetch.spec.whatwg.org/#http-responses:
        "the 403 status can be used, coupled with omitting the relevant headers").
        """
        if not allowed:
            return Preflight(403, [self.preflight_vary], origin_reason)
        acao = (h.ACAO, b"*" if self.public else origin)
        method_header = self._check_method(method)
        if method_header is None:
            reason = METHOD_INVALID if _TOKEN.fullmatch(method) is None else METHOD_NOT_ALLOWED
            return self._fail(reason, [acao, self._debug_methods, *self._acac])
        headers = [acao]
        if method_header:
            headers.append(method_header)
        if acrh:
            names_header, reason = self._check_names(acrh)
            if reason != ALLOWED:
                debug_headers = [*headers, *self._acac]
                if reason == HEADER_NOT_ALLOWED:
                    debug_headers.append(self._configured_names())
                    debug_headers.extend(self._max_age)
                return self._fail(reason, debug_headers)
            if names_header is not None:
                headers.append(names_header)
        headers.extend(self._preflight_tail)
        if private_network and self._private_network:
            headers.append((h.ACAPN, _TRUE))
        headers.append(self.preflight_vary)
        return Preflight(self._status, headers, ALLOWED)

    def _fail(self, reason: str, debug_headers: list[Header]) -> Preflight:
        # Debug mode (conformance item 46): answer 2xx with the headers that *are* allowed, so
        # the browser's console names the missing method or header.
        if self._debug:
            return Preflight(self._status, [*debug_headers, self.preflight_vary], reason)
        return Preflight(403, [self.preflight_vary], reason)

    def _check_method(self, method: bytes) -> Header | tuple[()] | None:
        """The ACAM header for *method*, ``()`` when none is needed, ``None`` when denied."""
        value = self._method_values.get(method)
        if value is not None:
            return value
        if method in _SAFELISTED_BYTES:
            # Safelisted methods always pass the browser's method check (step 7.5).
            return ()
        if self._any_method and _TOKEN.fullmatch(method) and method.upper() not in _FORBIDDEN:
            return (h.ACAM, b"*" if self._star_method else method)
        return None

    def _check_names(self, lines: list[bytes]) -> tuple[Header | None, str]:
        """The ACAH header (``None`` when the list is empty) and a reason code."""
        names = h.split_acrh(lines)
        if names is None:
            return None, ACRH_TOO_LARGE if sum(map(len, lines)) > h.MAX_ACRH_BYTES else ACRH_INVALID
        if not names:
            # An empty ACRH means no headers (WebKit sent one: web-platform-tests/wpt#5192).
            return None, ALLOWED
        if not self._any_header:
            allowed = self._allowed_names
            for name in names:
                if name not in allowed:
                    return None, HEADER_NOT_ALLOWED
        # Echo the names rather than '*': a literal '*' never covers Authorization
        # (https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name), conformance C3.
        return (h.ACAH, b",".join(names)), ALLOWED

    def _configured_names(self) -> Header:
        names = [n for n in self.config.allow_headers if n != "*"]
        return (h.ACAH, ",".join(names).encode("ascii"))


_CACHEABLE_METHOD = 64
_SAFELISTED_BYTES = frozenset(m.encode("ascii") for m in SAFELISTED)
_FORBIDDEN = frozenset({b"CONNECT", b"TRACE", b"TRACK"})
