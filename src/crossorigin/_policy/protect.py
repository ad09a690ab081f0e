"""Cross-origin write protection and WebSocket ``Origin`` enforcement (issue 5).

CORS only decides whether a page may *read* a response; it never stops a form ``POST`` or a
``text/plain`` ``fetch`` from running on the server, and browsers apply no CORS to WebSocket
handshakes (https://fetch.spec.whatwg.org/#websocket-protocol). This module refuses such
requests *before the app runs*, reusing the origins the CORS policy already trusts. The design
follows Go 1.25's ``net/http.CrossOriginProtection`` (``Sec-Fetch-Site`` first, ``Origin``
against ``Host`` for older browsers), with exempt paths matched exactly (Go's GO-2025-3955:
a bypass for ``/hello/`` also bypassed ``/hello``) and a strict origin parser (golang/go#78563:
``http://evil@victim.com`` must not pass for ``victim.com``).

Readers: the middleware calls :func:`guard_http` and :func:`guard_websocket`; the config calls
:func:`check_config`; docs/security.md explains the behaviour to users.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from crossorigin._errors import ConfigProblem, problem
from crossorigin._grammar.origins import DEFAULT_PORTS, PatternError, parse_origin, parse_pattern
from crossorigin._types import Receive, Scope, Send

if TYPE_CHECKING:
    from crossorigin._asgi.middleware import CORSMiddleware
    from crossorigin._config.config import CORSConfig
    from crossorigin._policy.policy import Policy

logger = logging.getLogger("crossorigin")

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods never checked: safe methods must not change state (RFC 9110 §9.2.1)."""

# Reason codes of write-protection and WebSocket decisions.
ALLOWED: Final = "allowed"  # the Origin is allowed by the CORS policy (same code as CORS's)
SAME_ORIGIN: Final = "same_origin"
USER_INITIATED: Final = "user_initiated"  # Sec-Fetch-Site: none (address bar, bookmark)
NO_ORIGIN: Final = "no_origin"  # not a browser: nothing a page could forge
EXEMPT_PATH: Final = "exempt_path"
CROSS_SITE: Final = "cross_site"  # Sec-Fetch-Site same-site/cross-site, origin not allowed
CROSS_ORIGIN: Final = "cross_origin"  # no Sec-Fetch-Site; Origin neither same-origin nor allowed
DISABLED: Final = "disabled"  # the protection is off (only seen in shadow comparisons)

DENIED_BODY: Final = b"Forbidden: cross-origin request"
DENIED_HEADERS: Final = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(DENIED_BODY)).encode("ascii")),
)
_WS_DENIAL_EXTENSION = "websocket.http.response"
_POLICY_VIOLATION = 1008
"""WebSocket close code 'policy violation' (RFC 6455 §7.4.1)."""
_LOG_LIMIT = 200

Verdict = tuple[bool, str]
Evaluate = Callable[["CORSMiddleware", "Policy", Scope], Awaitable[Verdict]]


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


# -- configuration -------------------------------------------------------------------------


def check_config(
    config: CORSConfig, paths: list[str], problems: list[ConfigProblem]
) -> dict[str, object]:
    """Validate the protection fields; return the normalised ones."""
    out: dict[str, object] = {}
    for path in paths:
        why = _path_problem(path)
        if why is not None:
            problems.append(problem("protection_exempt_paths", path, "invalid", *why, entry=True))
    out["protection_exempt_paths"] = tuple(sorted(set(paths)))
    public = config.public_origin
    if public is not None:
        out["public_origin"] = _check_public_origin(public, problems)
    enabled = config.protect_writes is True or config.protect_websockets is True
    for name, value in (("protection_exempt_paths", paths), ("public_origin", public)):
        if value and not enabled:
            problems.append(
                problem(
                    name,
                    tuple(value) if isinstance(value, list) else value,
                    "incompatible",
                    "has no effect while protect_writes and protect_websockets are False",
                    "set protect_writes=True (or protect_websockets=True), or remove it",
                )
            )
    return out


def _path_problem(path: str) -> tuple[str, str] | None:
    if not path.startswith("/"):
        return "a path starts with '/'", f"did you mean {'/' + path.strip()!r}?"
    if "*" in path or "{" in path:
        return "paths are matched exactly, without wildcards", "list every exempt path"
    if "?" in path or "#" in path:
        return "only the path is compared", f"did you mean {path.split('?')[0].split('#')[0]!r}?"
    if path != path.strip() or any(c in path for c in "\r\n\t"):
        return "paths contain no surrounding whitespace or control characters", "remove it"
    return None


def _check_public_origin(value: object, problems: list[ConfigProblem]) -> str | None:
    if not isinstance(value, str):
        problems.append(
            problem(
                "public_origin", value, "invalid", "must be a string such as 'https://app.example'"
            )
        )
        return None
    if value == "null":
        problems.append(
            problem(
                "public_origin",
                value,
                "invalid",
                "a server's own origin is never the opaque null origin",
                "give the exact origin, e.g. 'https://app.example.com'",
            )
        )
        return value
    try:
        pattern = parse_pattern(value)
    except PatternError as exc:
        problems.append(problem("public_origin", value, exc.reason, exc.what, exc.fix))
        return value
    if pattern.kind != "exact":
        problems.append(
            problem(
                "public_origin",
                value,
                "invalid",
                "is the one origin browsers see for this server, not a pattern",
                "give the exact origin, e.g. 'https://app.example.com'",
            )
        )
    return value


# -- request time --------------------------------------------------------------------------


def route_path(scope: Scope) -> str:
    """The path as the app's router sees it: ``path`` without the ``root_path`` prefix.

    Same rule as Starlette's ``get_route_path``, so an exempt path is written exactly as the
    route is declared. No other normalisation: no trailing-slash folding, no case folding, no
    dot segments (GO-2025-3955: a bypass must never cover a path the route does not serve).
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path


def _same_origin(origin: bytes, host: bytes | None, public: bytes | None) -> bool:
    """Whether *origin* is this server's own origin: ``public_origin``, else ``Host``.

    Without ``public_origin`` the host and port are compared and the scheme is not, as in Go:
    behind a TLS-terminating proxy the app sees ``http`` while the browser used ``https``.
    """
    if public is not None:
        return origin == public
    if host is None:
        return False
    parsed = parse_origin(origin)  # strict: no userinfo, no path (golang/go#78563)
    if parsed is None:
        return False
    text = host.decode("latin-1").lower()
    default = DEFAULT_PORTS.get(parsed.scheme)
    if default is not None and text.endswith(f":{default}"):
        text = text[: -len(f":{default}")]
    expected = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    return text == expected


async def _trusted(
    mw: CORSMiddleware, policy: Policy, origin: bytes, count: int, scope: Scope
) -> bool:
    # '*' lets any page read public responses without credentials; it vouches for no site, so
    # it never lets a cross-origin write or WebSocket through (docs/security.md).
    if policy.public:
        return False
    return await mw._check_origin(policy, origin, count, scope) == ALLOWED


def _scan(scope: Scope) -> tuple[bytes | None, int, bytes | None, int, bytes | None]:
    origin = site = host = None
    origins = sites = 0
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value
            origins += 1
        elif name == b"sec-fetch-site":
            site = value
            sites += 1
        elif name == b"host":
            host = value
    return origin, origins, site, sites, host


async def evaluate_write(mw: CORSMiddleware, policy: Policy, scope: Scope) -> Verdict:
    """Decide a non-safe request under *policy*'s write protection.

    Precondition: the method is not in :data:`SAFE_METHODS`.
    """
    protection = policy.protection
    if protection is None or not protection.writes:
        return True, DISABLED
    if route_path(scope) in protection.exempt:
        return True, EXEMPT_PATH
    origin, origins, site, sites, host = _scan(scope)
    if site is not None:
        # https://w3c.github.io/webappsec-fetch-metadata/#sec-fetch-site-header
        if sites == 1 and site == b"same-origin":
            return True, SAME_ORIGIN
        if sites == 1 and site == b"none":
            return True, USER_INITIATED
        # same-site, cross-site, several lines or a value no browser sends.
        if origin is not None and await _trusted(mw, policy, origin, origins, scope):
            return True, ALLOWED
        return False, CROSS_SITE
    # No Sec-Fetch-Site: an older browser or not a browser. Browsers send Origin with every
    # non-GET/HEAD request (https://fetch.spec.whatwg.org/#origin-header), so none means a
    # client that carries no victim's cookies.
    if origin is None:
        return True, NO_ORIGIN
    if origins == 1 and _same_origin(origin, host, protection.public_origin):
        return True, SAME_ORIGIN
    if await _trusted(mw, policy, origin, origins, scope):
        return True, ALLOWED
    return False, CROSS_ORIGIN


async def evaluate_websocket(mw: CORSMiddleware, policy: Policy, scope: Scope) -> Verdict:
    """Decide a WebSocket handshake under *policy*'s WebSocket protection.

    Browsers always send ``Origin`` on a handshake (RFC 6455 §4.1 step 8 and
    https://fetch.spec.whatwg.org/#websocket-opening-handshake); its absence means a
    non-browser client, which passes.
    """
    protection = policy.protection
    if protection is None or not protection.websockets:
        return True, DISABLED
    if route_path(scope) in protection.exempt:
        return True, EXEMPT_PATH
    origin, origins, _, _, host = _scan(scope)
    if origin is None:
        return True, NO_ORIGIN
    if origins == 1 and _same_origin(origin, host, protection.public_origin):
        return True, SAME_ORIGIN
    if await _trusted(mw, policy, origin, origins, scope):
        return True, ALLOWED
    return False, CROSS_ORIGIN


async def guard_http(mw: CORSMiddleware, policy: Policy, scope: Scope, send: Send) -> bool:
    """Apply write protection; ``False`` when the request was refused (403 sent, app not run)."""
    if scope["method"] in SAFE_METHODS:
        return True
    allowed, reason = await evaluate_write(mw, policy, scope)
    observer = mw._observer
    if observer is not None:
        await observer.protection(mw, "write-protection", scope, allowed, reason, evaluate_write)
    if allowed:
        return True
    _log_denial("write-protection", reason, scope)
    await send({"type": "http.response.start", "status": 403, "headers": list(DENIED_HEADERS)})
    await send({"type": "http.response.body", "body": DENIED_BODY})
    return False


async def guard_websocket(
    mw: CORSMiddleware, policy: Policy, scope: Scope, receive: Receive, send: Send
) -> bool:
    """Apply WebSocket protection; ``False`` when the handshake was refused before the app."""
    allowed, reason = await evaluate_websocket(mw, policy, scope)
    observer = mw._observer
    if observer is not None:
        await observer.protection(mw, "websocket", scope, allowed, reason, evaluate_websocket)
    if allowed:
        return True
    _log_denial("websocket", reason, scope)
    message = await receive()
    if message["type"] != "websocket.connect":
        return False  # the client left before the handshake completed
    if _WS_DENIAL_EXTENSION in (scope.get("extensions") or {}):
        # https://asgi.readthedocs.io/en/latest/extensions.html#websocket-denial-response
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": list(DENIED_HEADERS),
            }
        )
        await send({"type": "websocket.http.response.body", "body": DENIED_BODY})
    else:
        # Closing before accept makes the server refuse the handshake with HTTP 403
        # (https://asgi.readthedocs.io/en/latest/specs/www.html#close-send-event).
        await send({"type": "websocket.close", "code": _POLICY_VIOLATION})
    return False


def _log_denial(kind: str, reason: str, scope: Scope) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    origin = next((v for n, v in scope["headers"] if n == b"origin"), b"")
    # repr() of bytes escapes CR, LF and non-ASCII, so a hostile header cannot forge log lines.
    logger.debug(
        "crossorigin: %s denied reason=%s origin=%r method=%r path=%r",
        kind,
        reason,
        origin[:_LOG_LIMIT],
        scope.get("method", "GET"),
        scope.get("path", "")[:_LOG_LIMIT],
    )
