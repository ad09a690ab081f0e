"""ASGI type aliases and the origin-predicate protocol.

Kept free of any framework import so that crossorigin works under every ASGI server and
framework (the same approach as ``starlette/types.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: ``(origin, scope) -> bool`` or ``(origin, scope) -> Awaitable[bool]``. Called with a
#: syntactically valid serialized origin only, and only when no static rule matched.
OriginPredicate = Callable[[str, Scope], bool | Awaitable[bool]]

LOG_LIMIT: Final = 200
"""Characters of a request (or stored) value shown in a log line; longer values are cut."""

#: Raw ASGI header list: ``[(lower-case name, value), ...]`` as bytes.
RawHeaders = list[tuple[bytes, bytes]]
