"""Reason codes: why a request was allowed or refused, one set for CORS and protection.

Logs, debug answers and :class:`~crossorigin.Decision` records name them (docs/security.md
lists them for users). Each constant is the one interned string for its code, so the request
path may compare with ``is``.
"""

from __future__ import annotations

from typing import Final, Literal

ReasonCode = Literal[
    "allowed",
    "allowed_by_store",
    "no_origin",
    "origin_not_allowed",
    "origin_invalid",
    "origin_null",
    "origin_multiple",
    "method_invalid",
    "method_not_allowed",
    "header_not_allowed",
    "acrh_invalid",
    "acrh_too_large",
    "same_origin",
    "user_initiated",
    "exempt_path",
    "cross_site",
    "cross_origin",
    "disabled",
]

# Shared by every decision.
ALLOWED: Final = "allowed"  # CORS: the origin (and method, headers) is allowed by the policy
ALLOWED_BY_STORE: Final = "allowed_by_store"
"""Allowed because the origin store holds the origin (decision records only: the middleware
itself compares with :data:`ALLOWED`)."""
NO_ORIGIN: Final = "no_origin"  # no Origin: not a CORS request; for writes, not a browser

# CORS: the origin.
ORIGIN_NOT_ALLOWED: Final = "origin_not_allowed"
ORIGIN_INVALID: Final = "origin_invalid"
ORIGIN_NULL: Final = "origin_null"
ORIGIN_MULTIPLE: Final = "origin_multiple"
# CORS: the rest of a preflight.
METHOD_INVALID: Final = "method_invalid"
METHOD_NOT_ALLOWED: Final = "method_not_allowed"
HEADER_NOT_ALLOWED: Final = "header_not_allowed"
ACRH_INVALID: Final = "acrh_invalid"
ACRH_TOO_LARGE: Final = "acrh_too_large"

# Write and WebSocket protection.
SAME_ORIGIN: Final = "same_origin"
USER_INITIATED: Final = "user_initiated"  # Sec-Fetch-Site: none (address bar, bookmark)
EXEMPT_PATH: Final = "exempt_path"
CROSS_SITE: Final = "cross_site"  # Sec-Fetch-Site same-site/cross-site, origin not allowed
CROSS_ORIGIN: Final = "cross_origin"  # no Sec-Fetch-Site; Origin neither same-origin nor allowed
DISABLED: Final = "disabled"  # the protection is off (only seen in shadow comparisons)
