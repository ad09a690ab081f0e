"""HTTP methods as the Fetch standard sees them (after jub0bs/cors ``internal/methods``).

Methods are case-sensitive: browsers upper-case only the six standard methods and send every
other method verbatim (https://fetch.spec.whatwg.org/#concept-method-normalize), so ``patch``
and ``PATCH`` are different methods and are compared byte for byte.
"""

from __future__ import annotations

# https://fetch.spec.whatwg.org/#cors-safelisted-method
SAFELISTED: frozenset[str] = frozenset({"GET", "HEAD", "POST"})

# https://fetch.spec.whatwg.org/#forbidden-method (compared case-insensitively)
FORBIDDEN: frozenset[str] = frozenset({"CONNECT", "TRACE", "TRACK"})

# https://fetch.spec.whatwg.org/#concept-method-normalize
_NORMALIZED: frozenset[str] = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

# RFC 9110 §5.6.2: token = 1*tchar
TCHARS: frozenset[int] = frozenset(
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def is_token(value: str | bytes) -> bool:
    """Whether *value* is a non-empty RFC 9110 token (methods and header names are tokens)."""
    data = value.encode("latin-1", "replace") if isinstance(value, str) else value
    return bool(data) and all(byte in TCHARS for byte in data)


def is_forbidden(method: str) -> bool:
    """Whether *method* is one a browser refuses to send (byte-case-insensitive)."""
    return method.upper() in FORBIDDEN


def normalize(method: str) -> str:
    """Fetch's method normalisation: upper-case the six standard methods, keep the rest."""
    upper = method.upper()
    return upper if upper in _NORMALIZED else method
