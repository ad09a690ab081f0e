"""Header names, Fetch's header-name sets, the bounded ACRH tokenizer and ``Vary`` merging.

Names are lower-case ``bytes`` because ASGI carries raw, lower-cased header names
(https://asgi.readthedocs.io/en/latest/specs/www.html#http-connection-scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

ORIGIN = b"origin"
ACRM = b"access-control-request-method"
ACRH = b"access-control-request-headers"
ACRPN = b"access-control-request-private-network"
ACAO = b"access-control-allow-origin"
ACAC = b"access-control-allow-credentials"
ACAM = b"access-control-allow-methods"
ACAH = b"access-control-allow-headers"
ACMA = b"access-control-max-age"
ACEH = b"access-control-expose-headers"
ACAPN = b"access-control-allow-private-network"
VARY = b"vary"
_OWNED_PREFIX = b"access-control-"
_OWNED_OR_VARY_FIRST = frozenset({b"a", b"A", b"v", b"V"})

# Bounds on request-time work (house rule 8). Browsers send ACRH as one line of sorted,
# lower-case, comma-separated names (https://fetch.spec.whatwg.org/#cors-preflight-fetch-0
# steps 4-5), so legitimate values are far below these; anything above is answered 403
# at once instead of being parsed (https://github.com/rs/cors/issues/170).
MAX_ACRH_BYTES = 4096
"""Total bytes of all ACRH lines: room for ~200 header names of 20 bytes."""
MAX_ACRH_LINES = 16
"""ACRH field lines; browsers send one (jub0bs/cors tolerates up to 16 empty lines)."""
MAX_ACRH_NAMES = 128
"""Names listed in ACRH."""
MAX_ACRH_EMPTY = 16
MAX_ACRM_BYTES = 64
"""Bytes of an ``Access-Control-Request-Method`` value; longer ones fail the preflight unread.
The longest registered method (``UPDATEREDIRECTREF``, RFC 3253 via the IANA registry) has 17."""
"""Empty list elements (``a,,b``), tolerated per RFC 9110 §5.6.1.2, but bounded."""

# https://fetch.spec.whatwg.org/#cors-safelisted-request-header: names a browser may list in
# ACRH when the value is not safelisted (e.g. content-type: application/json). Always accepted
# (conformance C4, as Starlette does), so a JSON POST needs no extra configuration.
SAFELISTED_REQUEST = frozenset({"accept", "accept-language", "content-language", "content-type"})

# https://fetch.spec.whatwg.org/#forbidden-request-header: scripts cannot set these, so
# allowing them is always a configuration mistake.
FORBIDDEN_REQUEST = frozenset(
    {
        "accept-charset", "accept-encoding", "access-control-request-headers",
        "access-control-request-method", "access-control-request-private-network",
        "connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host",
        "keep-alive", "origin", "referer", "set-cookie", "te", "trailer",
        "transfer-encoding", "upgrade", "via",
    }
)  # fmt: skip
FORBIDDEN_REQUEST_PREFIXES = ("proxy-", "sec-")

# https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name: always exposed.
SAFELISTED_RESPONSE = frozenset(
    {"cache-control", "content-language", "content-length", "content-type", "expires",
     "last-modified", "pragma"}
)  # fmt: skip

# https://fetch.spec.whatwg.org/#forbidden-response-header-name: never exposed to scripts.
FORBIDDEN_RESPONSE = frozenset({"set-cookie", "set-cookie2"})

# Names that only make sense in the other direction, so listing them is a mistake.
REQUEST_ONLY_CORS = frozenset(
    {"origin", "access-control-request-method", "access-control-request-headers",
     "access-control-request-private-network"}
)  # fmt: skip
RESPONSE_ONLY_CORS = frozenset(
    {"access-control-allow-origin", "access-control-allow-credentials",
     "access-control-allow-methods", "access-control-allow-headers", "access-control-max-age",
     "access-control-expose-headers", "access-control-allow-private-network"}
)  # fmt: skip

# A browser-shaped ACRH value: lower-case tokens joined by "," (no spaces). Checked with one
# C-level match so the common case costs no per-name Python work.
_CANONICAL_ACRH = re.compile(rb"[!#$%&'*+\-.^_`|~0-9a-z]+(?:,[!#$%&'*+\-.^_`|~0-9a-z]+)*")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OWS = b" \t"


def is_forbidden_request(name: str) -> bool:
    """Whether *name* (lower-case) is a forbidden request-header name."""
    return name in FORBIDDEN_REQUEST or name.startswith(FORBIDDEN_REQUEST_PREFIXES)


def split_acrh(lines: Sequence[bytes]) -> list[bytes] | None:
    """Split ACRH field lines into lower-case names, or ``None`` if over budget or malformed.

    Tolerant (any case, any order, duplicates, optional whitespace, empty elements, several
    lines; conformance C5) but bounded: the caller has already checked :data:`MAX_ACRH_LINES`,
    and every step here is capped, so hostile input costs no more than a 4 KiB scan.
    """
    total = 0
    for line in lines:
        total += len(line)
    if total > MAX_ACRH_BYTES:
        return None
    if len(lines) == 1 and _CANONICAL_ACRH.fullmatch(lines[0]):
        listed = lines[0].split(b",")
        return listed if len(listed) <= MAX_ACRH_NAMES else None
    names: list[bytes] = []
    empty = 0
    for line in lines:
        for part in line.split(b",", MAX_ACRH_NAMES):
            name = part.strip(_OWS)
            if not name:
                empty += 1
                if empty > MAX_ACRH_EMPTY:
                    return None
            elif len(names) == MAX_ACRH_NAMES or not _TOKEN.fullmatch(name):
                return None
            else:
                names.append(name.lower())
    return names


def vary_has(values: Iterable[bytes], token: bytes) -> bool:
    """Whether any ``Vary`` value already lists *token* (lower-case) or ``*``."""
    for value in values:
        for part in value.split(b","):
            item = part.strip(_OWS).lower()
            if item == token or item == b"*":
                return True
    return False


def merge_response_headers(
    raw: Iterable[Sequence[bytes]], cors: Sequence[tuple[bytes, bytes]], vary: bytes
) -> list[Sequence[bytes]]:
    """Return a new header list: *raw* without ``Access-Control-*`` lines, plus *cors*.

    The middleware owns the ``Access-Control-*`` response headers (conformance C8), so any the
    app set are dropped and the policy's are added, once each. *vary* (e.g. ``b"Origin"``, or
    empty for none) is merged into the app's first ``Vary`` line rather than added as a second
    line: outer middleware such as Starlette's ``MutableHeaders.add_vary_header`` only reads
    the first line, and an app's ``Vary`` must never be clobbered (jub0bs/cors middleware.go,
    "we must add (rather than set) a Vary header").
    """
    # ASGI asks for lower-case response header names
    # (https://asgi.readthedocs.io/en/latest/specs/www.html#response-start-send-event), but
    # Django's ASGI handler and others pass the application's spelling through, and servers
    # send it as is. Ownership must not depend on case, or an app's 'Access-Control-Allow-Origin'
    # would leak to a denied origin. One set probe on the first byte sends every other header
    # straight to the output; the case-folding comparisons run only for names that are not
    # already lower case.
    out: list[Sequence[bytes]] = []
    vary_at = -1
    for pair in raw:
        name = pair[0]
        first = name[:1]
        if first in _OWNED_OR_VARY_FIRST:
            if first == b"a" or first == b"A":
                if name.startswith(_OWNED_PREFIX) or (
                    not name.islower() and name[:15].lower() == _OWNED_PREFIX
                ):
                    continue
            elif vary_at < 0 and (name == VARY or (len(name) == 4 and name.lower() == VARY)):
                vary_at = len(out)
        out.append(pair)  # the app's own pair object: no copy
    if vary:
        if vary_at < 0:
            out.append((VARY, vary))
        else:
            _merge_vary(out, vary_at, vary)
    out.extend(cors)
    return out


def _merge_vary(out: list[Sequence[bytes]], at: int, vary: bytes) -> None:
    """Append each token of *vary* to the ``Vary`` line at *at* unless already listed."""
    existing = [value for name, value in out[at:] if len(name) == 4 and name.lower() == VARY]
    for token in vary.split(b", "):
        if not vary_has(existing, token.lower()):
            name, value = out[at]
            value = value + b", " + token if value.strip(_OWS) else token
            out[at] = (name, value)
            existing[0] = value
