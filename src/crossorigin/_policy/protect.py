"""Cross-origin write protection and WebSocket ``Origin`` enforcement: the pure decisions.

CORS only decides whether a page may *read* a response; it never stops a form ``POST`` or a
``text/plain`` ``fetch`` from running on the server, and browsers apply no CORS to WebSocket
handshakes (https://fetch.spec.whatwg.org/#websocket-protocol). These decisions let the edge
refuse such requests *before the app runs*, reusing the origins the CORS policy already trusts.
The design follows Go 1.25's ``net/http.CrossOriginProtection`` (``Sec-Fetch-Site`` first,
``Origin`` against ``Host`` for older browsers), with exempt paths matched exactly (Go's
GO-2025-3955: a bypass for ``/hello/`` also bypassed ``/hello``) and a strict origin parser
(golang/go#78563: ``http://evil@victim.com`` must not pass for ``victim.com``).

Readers: the ASGI guards (``crossorigin._asgi.guards``) call :func:`evaluate_write` and
:func:`evaluate_websocket` and send the refusal; the settings are compiled with the policy
(:class:`~crossorigin._policy.policy.Protection`); the options are validated with the config
(``crossorigin._config.protection``); docs/security.md explains the behaviour to users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from crossorigin._grammar.origins import DEFAULT_PORTS, parse_origin
from crossorigin._grammar.paths import route_path
from crossorigin._policy.policy import Policy
from crossorigin._types import Scope

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

Verdict = tuple[bool, str]
Evaluate = Callable[[Policy, Scope], Awaitable[Verdict]]


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


async def _trusted(policy: Policy, origin: bytes, count: int, scope: Scope) -> bool:
    # '*' lets any page read public responses without credentials; it vouches for no site, so
    # it never lets a cross-origin write or WebSocket through (docs/security.md).
    if policy.public:
        return False
    return await policy.origin_reason(origin, count, scope) == ALLOWED


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


async def evaluate_write(policy: Policy, scope: Scope) -> Verdict:
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
        if origin is not None and await _trusted(policy, origin, origins, scope):
            return True, ALLOWED
        return False, CROSS_SITE
    # No Sec-Fetch-Site: an older browser or not a browser. Browsers send Origin with every
    # non-GET/HEAD request (https://fetch.spec.whatwg.org/#origin-header), so none means a
    # client that carries no victim's cookies.
    if origin is None:
        return True, NO_ORIGIN
    if origins == 1 and _same_origin(origin, host, protection.public_origin):
        return True, SAME_ORIGIN
    if await _trusted(policy, origin, origins, scope):
        return True, ALLOWED
    return False, CROSS_ORIGIN


async def evaluate_websocket(policy: Policy, scope: Scope) -> Verdict:
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
    if await _trusted(policy, origin, origins, scope):
        return True, ALLOWED
    return False, CROSS_ORIGIN
