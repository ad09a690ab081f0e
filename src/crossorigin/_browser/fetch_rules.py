"""Fetch's request-side tables for the browser oracle (``_fetch``): methods and header safelists.

Read this to see exactly which requests a browser preflights. Written from the Fetch standard
alone (not shared with the server side on purpose), each rule with its section link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SPEC = "https://fetch.spec.whatwg.org/"
CORS_CHECK_SPEC = SPEC + "#concept-cors-check"
CREDENTIALS_SPEC = SPEC + "#cors-protocol-and-credentials"
PREFLIGHT_SPEC = SPEC + "#cors-preflight-fetch-0"
OK_STATUS_SPEC = SPEC + "#ok-status"
NON_WILDCARD_SPEC = SPEC + "#cors-non-wildcard-request-header-name"
EXPOSE_SPEC = SPEC + "#concept-response-cors-exposed-header-name-list"
UNSAFE_NAMES_SPEC = SPEC + "#cors-unsafe-request-header-names"
FORBIDDEN_METHOD_SPEC = SPEC + "#forbidden-method"

DEFAULT_MAX_AGE = 5
"""Seconds a preflight is cached without a valid Access-Control-Max-Age (step 7.9)."""

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

# https://fetch.spec.whatwg.org/#forbidden-request-header
FORBIDDEN_REQUEST = frozenset(
    {
        "accept-charset", "accept-encoding", "access-control-request-headers",
        "access-control-request-method", "connection", "content-length", "cookie", "cookie2",
        "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te",
        "trailer", "transfer-encoding", "upgrade", "via",
    }
)  # fmt: skip
_METHOD_OVERRIDES = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})

# https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name
SAFELISTED_RESPONSE = frozenset(
    {"cache-control", "content-language", "content-length", "content-type", "expires",
     "last-modified", "pragma"}
)  # fmt: skip
# https://fetch.spec.whatwg.org/#forbidden-response-header-name
FORBIDDEN_RESPONSE = frozenset({"set-cookie", "set-cookie2"})

SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
MAX_SAFELISTED_VALUE = 128
"""Bytes; a longer value is never safelisted (#cors-safelisted-request-header step 1)."""
MAX_SAFELISTED_TOTAL = 1024
"""Bytes of all safelisted values together; beyond it they all become unsafe."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
_UNSAFE_BYTE = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.IGNORECASE)
_HTTP_WHITESPACE = " \t\r\n"


def is_token(value: str) -> bool:
    """RFC 9110 ``token``: the syntax of methods and header names."""
    return _TOKEN.fullmatch(value) is not None


def is_forbidden_method(method: str) -> bool:
    """https://fetch.spec.whatwg.org/#forbidden-method (byte-case-insensitive)."""
    return method.upper() in FORBIDDEN_METHODS


def normalize_method(method: str) -> str:
    """https://fetch.spec.whatwg.org/#concept-method-normalize: only six methods upper-cased.

    So ``patch`` stays ``patch`` (and meets ``PATCH`` in ACAM as a different method).
    """
    upper = method.upper()
    return upper if upper in _NORMALIZED_METHODS else method


def forbidden_request_header(name: str, value: str) -> bool:
    """https://fetch.spec.whatwg.org/#forbidden-request-header, value-dependent rows included."""
    lower = name.lower()
    if lower in FORBIDDEN_REQUEST or lower.startswith(("proxy-", "sec-")):
        return True
    if lower in _METHOD_OVERRIDES:
        return any(is_forbidden_method(part.strip(" \t")) for part in value.split(","))
    return False


def _byte_length(value: str) -> int:
    return len(value.encode("utf-8", "surrogateescape"))


def mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lower-case) from *parse a MIME type*, or ``None``.

    https://mimesniff.spec.whatwg.org/#parse-a-mime-type: parameters never make it fail, a
    missing or non-token type or subtype does.
    """
    value = value.strip(_HTTP_WHITESPACE)
    kind, slash, rest = value.partition("/")
    if not slash or not is_token(kind):
        return None
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not is_token(subtype):
        return None
    return f"{kind}/{subtype}".lower()


def _safelisted_range(value: str) -> bool:
    # https://fetch.spec.whatwg.org/#simple-range-header-value without whitespace; the start
    # must be present (bytes=-500 is a suffix range: not safelisted).
    match = _RANGE.fullmatch(value)
    if match is None or not match.group(1):
        return False
    start, end = match.group(1), match.group(2)
    return not end or int(start) <= int(end)


def is_safelisted_request_header(name: str, value: str) -> bool:
    """https://fetch.spec.whatwg.org/#cors-safelisted-request-header for one (name, value)."""
    if _byte_length(value) > MAX_SAFELISTED_VALUE:
        return False
    lower = name.lower()
    if lower == "accept":
        return _UNSAFE_BYTE.search(value) is None
    if lower in {"accept-language", "content-language"}:
        return _LANGUAGE.fullmatch(value) is not None
    if lower == "content-type":
        if _UNSAFE_BYTE.search(value) is not None:
            return False
        return mime_essence(value) in SAFELISTED_CONTENT_TYPES
    if lower == "range":
        return _safelisted_range(value)
    return False


def combine(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """One entry per lower-case name, repeated values joined with ", " (Fetch's *combine*)."""
    merged: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        merged[lower] = f"{merged[lower]}, {value}" if lower in merged else value
    return list(merged.items())


def cors_unsafe_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    """https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names, sorted lower-case set.

    Repeated names are judged on their combined value, as Chromium 156 does (checked against
    it: eight ``Headers.append("accept", <128 bytes>)`` are preflighted). The standard's
    algorithm walks header-list entries one by one, which would let each pass the 128-byte
    rule and leave only the 1024-byte total; once combined, five names of at most 128 bytes
    never reach that total, so Chromium never applies it. Precondition: forbidden headers are
    already removed.
    """
    unsafe: set[str] = set()
    safelisted_total = 0
    safelisted: set[str] = set()
    for name, value in combine(headers):
        if is_safelisted_request_header(name, value):
            safelisted_total += _byte_length(value)
            safelisted.add(name)
        else:
            unsafe.add(name)
    if safelisted_total > MAX_SAFELISTED_TOTAL:
        unsafe |= safelisted
    return sorted(unsafe)
