"""Origins and origin patterns: strict parsing for configuration, cheap parsing for requests.

A browser's ``Origin`` header is a serialized origin (https://fetch.spec.whatwg.org/#origin-header):
lower-case scheme and host, punycode for IDNs, canonical IP literals, no default port, no path and
no trailing slash. Configuration must use exactly that form, because the CORS check compares bytes
(https://fetch.spec.whatwg.org/#concept-cors-check); every near miss gets a "did you mean" hint.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Literal, NamedTuple

from crossorigin._errors import Reason

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
ANY_PORT = -1
"""Port value of a ``:*`` pattern."""

MAX_SCHEME = 64
"""Longest scheme we accept; registered schemes are far shorter (``chrome-extension`` is 16)."""
MAX_HOST = 253
"""Longest domain name (RFC 1035 §2.3.4), which dominates the longest IPv6 literal (41)."""
MAX_ORIGIN = MAX_SCHEME + len("://") + MAX_HOST + len(":65535")
"""Longest possible serialized origin; longer ``Origin`` values are rejected unparsed."""

# Serialized origin, https://fetch.spec.whatwg.org/#origin-header. Underscores are accepted in
# labels because the URL standard's host parser keeps them and browsers send them.
_ORIGIN = re.compile(
    r"([a-z][a-z0-9+.\-]*)://(\[[0-9a-f:.]+\]|[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*)(?::([0-9]{1,5}))?"
)
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

Kind = Literal["any", "exact", "any-port", "subdomains"]


class Origin(NamedTuple):
    """A parsed serialized origin. ``port`` is ``None`` when absent (the scheme's default)."""

    scheme: str
    host: str
    port: int | None

    @property
    def is_ip(self) -> bool:
        return (
            self.host.startswith("[")
            or _NUMERIC_LABEL.fullmatch(self.host.rsplit(".", 1)[-1]) is not None
        )


class OriginPattern(NamedTuple):
    """A validated ``allow_origins`` entry.

    ``kind`` is ``any`` (``*``), ``exact``, ``any-port`` (``http://localhost:*``) or
    ``subdomains`` (``https://*.example.com``: one or more labels before ``host``, never
    ``host`` itself). ``port`` is ``None`` (none/default), a number, or :data:`ANY_PORT`.
    """

    kind: Kind
    scheme: str = ""
    host: str = ""
    port: int | None = None

    @property
    def is_loopback(self) -> bool:
        """Whether every origin this pattern matches is on the local machine."""
        host = self.host
        if host == "localhost" or host.endswith(".localhost"):
            return True
        if host.startswith("["):
            return host == "[::1]"
        return self.kind != "subdomains" and host.startswith("127.") and _is_ipv4(host)


class PatternError(ValueError):
    """An invalid pattern; ``fix`` is a corrected value or an instruction, ``reason`` a code."""

    def __init__(self, what: str, fix: str = "", reason: Reason = "invalid") -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix
        self.reason = reason


def _ipv6(text: str) -> str:
    """The form a browser serializes IPv6 address *text* in; raises ``ValueError`` if invalid.

    This is the URL standard's IPv6 serializer (https://url.spec.whatwg.org/#concept-ipv6-serializer):
    eight lowercase hex pieces without leading zeros, the first longest run of two or more zero
    pieces written ``::``, and never a dotted IPv4 tail, so ``::ffff:1.2.3.4`` is
    ``::ffff:102:304``. ``ipaddress`` only parses: how it formats addresses differs between Python
    versions (3.13 writes IPv4-mapped addresses dotted).
    """
    # Imported here: ipaddress costs milliseconds at import time and only IP hosts need it.
    import ipaddress

    address = ipaddress.IPv6Address(text)
    if address.scope_id is not None:
        raise ValueError("a URL's IPv6 host has no zone identifier")
    value = int(address)
    pieces = [(value >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    start, length = -1, 1  # only runs of two or more zero pieces are compressed
    i = 0
    while i < 8:
        j = i
        while j < 8 and pieces[j] == 0:
            j += 1
        if j - i > length:
            start, length = i, j - i
        i = j + 1 if j == i else j
    if start < 0:
        return ":".join(f"{p:x}" for p in pieces)
    head = ":".join(f"{p:x}" for p in pieces[:start])
    tail = ":".join(f"{p:x}" for p in pieces[start + length :])
    return f"{head}::{tail}"


def _ascii_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts '²' (``int`` refuses it) and '٣'."""
    return text.isascii() and text.isdigit()


def _is_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(
        _ascii_digits(p) and str(int(p)) == p and int(p) < 256 for p in parts
    )


def _check_host(host: str) -> str | None:
    """Return why *host* is not a serialized host, or ``None`` when it is."""
    if len(host) > MAX_HOST:
        return f"host is longer than {MAX_HOST} characters"
    if host.startswith("["):
        try:
            canonical = f"[{_ipv6(host[1:-1])}]"
        except ValueError:
            return "host is not a valid IPv6 address"
        return None if canonical == host else f"IPv6 address is not canonical: use {canonical}"
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # The URL standard parses such hosts as IPv4 and serializes them dotted-decimal.
        return None if _is_ipv4(host) else "IPv4 address is not in canonical dotted-decimal form"
    if any(len(label) > 63 or not label for label in host.split(".")):
        return "host has an empty label or one longer than 63 characters"
    return None


def parse_origin(value: bytes | str) -> Origin | None:
    """Parse a request's ``Origin`` value; ``None`` unless it is a valid serialized origin.

    Length is checked before any other work (conformance item 17), so hostile values cost O(1).
    """
    if len(value) > MAX_ORIGIN:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    match = _ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host, port_text = match.groups()
    if len(scheme) > MAX_SCHEME or _check_host(host) is not None:
        return None
    port = None
    if port_text is not None:
        port = int(port_text)
        if port_text[0] == "0" or port > 65535 or DEFAULT_PORTS.get(scheme) == port:
            return None
    return Origin(scheme, host, port)


def _suggest(text: str) -> str:
    """Best-effort serialized form of a near-miss origin, for "did you mean" hints."""
    fixed = text.strip()
    if "://" not in fixed:
        fixed = "https://" + fixed
    scheme, _, rest = fixed.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    authority = authority.rsplit("@", 1)[-1]
    host, sep, port = (
        authority.rpartition(":") if not authority.endswith("]") else (authority, "", "")
    )
    if not sep:
        host, port = authority, ""
    scheme = scheme.lower()
    host = host.lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if host.startswith("[") and host.endswith("]"):
        with contextlib.suppress(ValueError):
            host = f"[{_ipv6(host[1:-1])}]"
    elif _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        host = _url_ipv4(host) or host
    if port and port != "*" and _ascii_digits(port) and DEFAULT_PORTS.get(scheme) == int(port):
        port = ""
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def _url_ipv4(host: str) -> str | None:
    """The dotted-decimal form the URL standard's IPv4 parser gives *host*, if any.

    Parts may be hex (``0x``), octal (leading ``0``) or decimal, and the last part fills the
    remaining bytes (https://url.spec.whatwg.org/#concept-ipv4-parser): ``0xFF000000`` is
    ``255.0.0.0`` and ``127.0.0.01`` is ``127.0.0.1``.
    """
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        base = 16 if part[:2] in ("0x", "0X") else 8 if len(part) > 1 and part[0] == "0" else 10
        digits = part[2:] if base == 16 else part
        try:
            numbers.append(int(digits or "0", base))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = sum(n << (8 * (3 - i)) for i, n in enumerate(head)) + last
    import ipaddress  # lazily: see _ipv6

    return str(ipaddress.IPv4Address(value))


def parse_pattern(text: str) -> OriginPattern:
    """Parse one ``allow_origins`` entry strictly; raise :class:`PatternError` with a fix."""
    return _parse_pattern(text, hints=True)


def _parse_pattern(text: str, *, hints: bool) -> OriginPattern:
    # hints=False when checking a suggestion: its own hints are never shown (no recursion).
    mean = _did_you_mean if hints else _no_hint
    if text == "*":
        return OriginPattern("any")
    if text == "null":
        raise PatternError(
            "the null origin is sent by sandboxed iframes, file: pages and redirects, so any site"
            " can forge it",
            "remove it; allow_origins=['*'] is the only way to serve null origins",
            "prohibited",
        )
    if text.startswith("file:"):
        raise PatternError(
            "file: URLs have an opaque origin that browsers send as null", "remove it", "prohibited"
        )
    if text != text.strip():
        raise PatternError("origins contain no whitespace", mean(text.strip(), text))
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise PatternError("an origin starts with a scheme", mean(_suggest(text), text))
    if "/" in rest or "?" in rest or "#" in rest:
        raise PatternError(
            "an origin has no path, query or trailing slash", mean(_suggest(text), text)
        )
    if "@" in rest:
        raise PatternError("an origin has no user info", mean(_suggest(text), text))
    if text != text.lower() or not text.isascii():
        raise PatternError(
            "browsers send origins in lower case, with IDN hosts in punycode",
            mean(_suggest(text), text),
        )
    kind: Kind = "exact"
    if rest.startswith("*."):
        kind, rest = "subdomains", rest[2:]
    if rest.endswith(":*"):
        if kind == "exact":
            kind = "any-port"
        rest, port = rest[:-2] + ":1", ANY_PORT
    else:
        port = 0
    origin = parse_origin(f"{scheme}://{rest}")
    if origin is None or "*" in rest:
        return _explain_invalid(text, scheme, rest, mean)
    if port != ANY_PORT:
        port = origin.port  # type: ignore[assignment]
    if kind == "subdomains" and origin.is_ip:
        raise PatternError("a wildcard needs a domain after '*.'", "use an exact origin instead")
    return OriginPattern(kind, scheme, origin.host, port)


def _no_hint(suggestion: str, text: str) -> str:
    return ""


def _explain_invalid(
    text: str, scheme: str, rest: str, mean: Callable[[str, str], str]
) -> OriginPattern:
    if "*" in rest:
        raise PatternError(
            "'*' is allowed only as a whole leading label ('https://*.example.com') or as the"
            " port ('http://localhost:*')",
            "use allow_origin_regex for anything else",
        )
    if not re.fullmatch(r"[a-z][a-z0-9+.\-]*", scheme):
        raise PatternError("the scheme is not valid")
    host, _, port = (
        rest.rpartition(":") if ":" in rest and not rest.endswith("]") else (rest, "", "")
    )
    if port and _ascii_digits(port):
        number = int(port)
        if DEFAULT_PORTS.get(scheme) == number:
            raise PatternError(
                f"browsers omit the default port {number} of {scheme}",
                mean(_suggest(text), text),
            )
        if number == 0 or number > 65535 or port[0] == "0":
            raise PatternError("the port must be a number from 1 to 65535 without leading zeros")
    else:
        host = rest
    why = _check_host(host) or "the host is not valid"
    raise PatternError(why, mean(_suggest(text), text))


def _did_you_mean(suggestion: str, text: str) -> str:
    """A "did you mean" hint, only when *suggestion* is itself a valid pattern."""
    if suggestion == text:
        return ""
    try:
        _parse_pattern(suggestion, hints=False)
    except PatternError:
        return ""
    return f"did you mean {suggestion!r}?"
