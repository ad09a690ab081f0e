"""The request-time protection guards: refuse a cross-origin write or WebSocket handshake.

The decisions are the policy's (``crossorigin._policy.protect``); these guards report them to
the observer, log denials and send the refusal (403, or a WebSocket close before accept), so
the application never runs for a refused request.
"""

from __future__ import annotations

from typing import Final

from crossorigin._asgi.decisions import Observer
from crossorigin._asgi.log import log_denial
from crossorigin._grammar.headers import origin_lines
from crossorigin._policy.policy import Policy
from crossorigin._policy.protect import SAFE_METHODS, websocket_admission, write_admission
from crossorigin._types import Receive, Scope, Send

DENIED_BODY: Final = b"Forbidden: cross-origin request"
DENIED_HEADERS: Final = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(DENIED_BODY)).encode("ascii")),
)
_WS_DENIAL_EXTENSION = "websocket.http.response"
_POLICY_VIOLATION = 1008
"""WebSocket close code 'policy violation' (RFC 6455 §7.4.1)."""


async def guard_http(policy: Policy, scope: Scope, send: Send, observer: Observer | None) -> bool:
    """Apply write protection; ``False`` when the request was refused (403 sent, app not run)."""
    if scope["method"] in SAFE_METHODS:
        return True
    allowed, reason = await write_admission(policy, scope)
    if observer is not None:
        await observer.protection(
            "write-protection", scope, allowed, reason, write_admission, policy
        )
    if allowed:
        return True
    log_denial("write-protection", reason, origin_lines(scope["headers"])[0], scope)
    await send({"type": "http.response.start", "status": 403, "headers": list(DENIED_HEADERS)})
    await send({"type": "http.response.body", "body": DENIED_BODY})
    return False


async def guard_websocket(
    policy: Policy, scope: Scope, receive: Receive, send: Send, observer: Observer | None
) -> bool:
    """Apply WebSocket protection; ``False`` when the handshake was refused before the app."""
    allowed, reason = await websocket_admission(policy, scope)
    if observer is not None:
        await observer.protection("websocket", scope, allowed, reason, websocket_admission, policy)
    if allowed:
        return True
    log_denial("websocket", reason, origin_lines(scope["headers"])[0], scope)
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
