"""The request-time protection guards: refuse a cross-origin write or WebSocket handshake.

The decisions are the policy's (``crossorigin._policy.protect``); these guards report them to
the observer, log denials and send the refusal (403, or a WebSocket close before accept), so
the application never runs for a refused request.
"""

from __future__ import annotations

import logging
from typing import Final

from crossorigin._asgi.decisions import Observer
from crossorigin._policy.policy import Policy
from crossorigin._policy.protect import SAFE_METHODS, evaluate_websocket, evaluate_write
from crossorigin._types import Receive, Scope, Send

logger = logging.getLogger("crossorigin")

DENIED_BODY: Final = b"Forbidden: cross-origin request"
DENIED_HEADERS: Final = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(DENIED_BODY)).encode("ascii")),
)
_WS_DENIAL_EXTENSION = "websocket.http.response"
_POLICY_VIOLATION = 1008
"""WebSocket close code 'policy violation' (RFC 6455 §7.4.1)."""
_LOG_LIMIT = 200


async def guard_http(policy: Policy, scope: Scope, send: Send, observer: Observer | None) -> bool:
    """Apply write protection; ``False`` when the request was refused (403 sent, app not run)."""
    if scope["method"] in SAFE_METHODS:
        return True
    allowed, reason = await evaluate_write(policy, scope)
    if observer is not None:
        await observer.protection(
            "write-protection", scope, allowed, reason, evaluate_write, policy
        )
    if allowed:
        return True
    _log_denial("write-protection", reason, scope)
    await send({"type": "http.response.start", "status": 403, "headers": list(DENIED_HEADERS)})
    await send({"type": "http.response.body", "body": DENIED_BODY})
    return False


async def guard_websocket(
    policy: Policy, scope: Scope, receive: Receive, send: Send, observer: Observer | None
) -> bool:
    """Apply WebSocket protection; ``False`` when the handshake was refused before the app."""
    allowed, reason = await evaluate_websocket(policy, scope)
    if observer is not None:
        await observer.protection("websocket", scope, allowed, reason, evaluate_websocket, policy)
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
