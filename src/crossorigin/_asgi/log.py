"""The denial log line: one rendering of request values for every refusal the edge logs.

Request values are hostile input. Each is cut to :data:`LOG_LIMIT` characters and rendered with
``%r`` of a ``str``: latin-1 maps every byte to one character (nothing fails to decode), and
``repr`` escapes CR, LF, NUL and every other control character, so a header cannot forge a log
line or flood the log.
"""

from __future__ import annotations

import logging

from crossorigin._policy.policy import denial_reason
from crossorigin._policy.reasons import ORIGIN_NOT_ALLOWED
from crossorigin._types import LOG_LIMIT, Scope

logger = logging.getLogger("crossorigin")


def shown(value: bytes | str | None) -> str:
    """*value* as a log line shows it (before ``%r``): decoded, at most :data:`LOG_LIMIT` long."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value[:LOG_LIMIT].decode("latin-1")
    return value[:LOG_LIMIT]


def log_denial(
    kind: str,
    reason: str,
    origin: bytes | None,
    scope: Scope,
    method: bytes | None = None,
) -> None:
    """Log a refused request at DEBUG on the ``crossorigin`` logger.

    *method* is the requested method of a preflight (ACRM); otherwise the request's own.
    """
    if not logger.isEnabledFor(logging.DEBUG):
        return
    if reason is ORIGIN_NOT_ALLOWED and origin is not None:
        reason = denial_reason(origin, 1)  # malformed, null or merely unlisted: only logs care
    logger.debug(
        "crossorigin: %s denied reason=%s origin=%r method=%r path=%r",
        kind,
        reason,
        shown(origin),
        shown(method) or scope.get("method", "GET"),
        shown(scope.get("path", "")),
    )
