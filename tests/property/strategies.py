"""Hypothesis strategies for origins, origin patterns, configs and ACRH values.

Also holds the brute-force references the properties compare the core against: a character
by character origin parser and a pattern-by-pattern matcher, written without the core's
regexes, hash tables or label walk (attrs' ``tests/strategies.py`` pattern).
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SCHEMES = ["http", "https", "ws", "wss", "chrome-extension", "a+b.c-d"]
# A tiny alphabet makes hosts collide often, so near misses (prefix, suffix, substring of an
# allowed host) come up in almost every example.
LABEL_CHARS = "ab1-"
PORTS = [None, 1, 80, 443, 3000, 8080, 65535]


# ------------------------------------------------------------------ reference implementations


@dataclass(frozen=True)
class RefOrigin:
    scheme: str
    host: str
    port: int | None

    def serialize(self) -> str:
        return f"{self.scheme}://{self.host}" + ("" if self.port is None else f":{self.port}")


def _ref_ipv4(host: str) -> bool:
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part or any(c not in string.digits for c in part):
            return False
        if (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return False
    return True


def _ref_numeric(label: str) -> bool:
    if label.startswith("0x"):
        return all(c in "0123456789abcdef" for c in label[2:])
    return label != "" and all(c in string.digits for c in label)


def _ref_ipv6(value: int) -> str:
    """The URL standard's IPv6 serializer by brute force: of every run of two or more zero
    pieces, the longest (the leftmost on a tie) is written '::'; never a dotted IPv4 tail."""
    pieces = [f"{(value >> (16 * (7 - i))) & 0xFFFF:x}" for i in range(8)]
    runs = [
        (end - start, -start, start, end)
        for start in range(8)
        for end in range(start + 2, 9)
        if all(p == "0" for p in pieces[start:end])
    ]
    if not runs:
        return ":".join(pieces)
    *_, start, end = max(runs)
    return ":".join(pieces[:start]) + "::" + ":".join(pieces[end:])


def _ref_host(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    if host[0] == "[":
        if host[-1] != "]" or any(c not in "0123456789abcdef:." for c in host[1:-1]):
            return False
        try:
            return f"[{_ref_ipv6(int(ipaddress.IPv6Address(host[1:-1])))}]" == host
        except ValueError:
            return False
    labels = host.split(".")
    if _ref_numeric(labels[-1]):
        return _ref_ipv4(host)
    allowed = set(string.ascii_lowercase + string.digits + "_-")
    return all(0 < len(label) <= 63 and set(label) <= allowed for label in labels)


def ref_parse_origin(text: str) -> RefOrigin | None:
    """Reference parser for a serialized origin (https://fetch.spec.whatwg.org/#origin-header)."""
    if len(text) > 326 or "://" not in text:
        return None
    scheme, rest = text.split("://", 1)
    if not scheme or len(scheme) > 64 or scheme[0] not in string.ascii_lowercase:
        return None
    if any(c not in string.ascii_lowercase + string.digits + "+-." for c in scheme):
        return None
    port: int | None = None
    host = rest
    colon = rest.rfind(":")
    if colon > rest.rfind("]"):
        host, digits = rest[:colon], rest[colon + 1 :]
        if not 1 <= len(digits) <= 5 or any(c not in string.digits for c in digits):
            return None
        if digits[0] == "0" or int(digits) > 65535 or DEFAULT_PORTS.get(scheme) == int(digits):
            return None
        port = int(digits)
    if not _ref_host(host):
        return None
    return RefOrigin(scheme, host, port)


def _is_ip(host: str) -> bool:
    return host.startswith("[") or _ref_numeric(host.split(".")[-1])


def ref_matches(patterns: list[str], regex: str | None, origin: str) -> bool:
    """Reference matcher: try every pattern in turn, by plain string comparisons."""
    parsed = ref_parse_origin(origin)
    if parsed is None:
        return False
    for pattern in patterns:
        if pattern == origin:
            return True
        scheme, rest = pattern.split("://", 1)
        if scheme != parsed.scheme:
            continue
        any_port = rest.endswith(":*")
        if any_port:
            rest = rest[:-2]
        wildcard = rest.startswith("*.")
        if wildcard:
            rest = rest[2:]
        port: int | None = None
        if ":" in rest and not rest.endswith("]"):
            rest, port_text = rest.rsplit(":", 1)
            port = int(port_text)
        if not any_port and port != parsed.port:
            continue
        if wildcard:
            if not _is_ip(parsed.host) and parsed.host.endswith("." + rest):
                return True
        elif parsed.host == rest and any_port:
            return True
    return regex is not None and re.fullmatch(regex, origin) is not None


# ------------------------------------------------------------------ strategies

labels = st.text(LABEL_CHARS, min_size=1, max_size=4).filter(lambda s: not s.isdigit())
domains = st.lists(labels, min_size=1, max_size=4).map(".".join)
ipv4s = st.ip_addresses(v=4).map(str)
ipv6s = st.ip_addresses(v=6).map(lambda a: f"[{_ref_ipv6(int(a))}]")
hosts = st.one_of(domains, domains, domains, ipv4s, ipv6s, st.just("localhost"))
schemes = st.sampled_from(SCHEMES)
ports = st.sampled_from(PORTS)


@st.composite
def origins(draw: st.DrawFn) -> str:
    """A serialized origin (default ports elided), valid by construction."""
    scheme, host, port = draw(schemes), draw(hosts), draw(ports)
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    return RefOrigin(scheme, host, port).serialize()


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """An ``allow_origins`` entry: exact, any-port, subdomain wildcard, or wildcard any-port."""
    scheme, port = draw(schemes), draw(ports)
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    kind = draw(st.sampled_from(["exact", "any-port", "subdomains", "subdomains-any-port"]))
    host = draw(domains) if kind.startswith("subdomains") else draw(hosts)
    if kind.startswith("subdomains"):
        host = "*." + host
    suffix = ":*" if kind.endswith("any-port") else ("" if port is None else f":{port}")
    return f"{scheme}://{host}{suffix}"


def _mutations(text: str) -> st.SearchStrategy[str]:
    """Single-character edits of *text*: the cheapest near misses."""
    positions = st.integers(0, max(len(text) - 1, 0))
    chars = st.sampled_from("ab1.:-/*[]A_ \x00")
    return st.one_of(
        st.builds(lambda i, c: text[:i] + c + text[i:], positions, chars),
        st.builds(lambda i: text[:i] + text[i + 1 :], positions),
        st.builds(lambda i, c: text[:i] + c + text[i + 1 :], positions, chars),
    )


@st.composite
def near_misses(draw: st.DrawFn, pattern: str) -> str:
    """An origin close to *pattern*: subdomain, apex, prefix/suffix/substring host, other
    scheme or port, or an edited character."""
    scheme, rest = pattern.split("://", 1)
    rest = rest.removesuffix(":*")
    host, _, port_text = rest.rpartition(":") if not rest.endswith("]") else (rest, "", "")
    if not host:
        host = rest
    host = host.removeprefix("*.")
    label = draw(labels)
    candidates = [
        f"{scheme}://{label}.{host}",
        f"{scheme}://{label}{host}",
        f"{scheme}://{host}{label}",
        f"{scheme}://{host}.{label}",
        f"{scheme}://{host}",
        f"{scheme}://{host[1:]}" if len(host) > 1 else f"{scheme}://{label}",
        f"{scheme}://{host[:-1]}" if len(host) > 1 else f"{scheme}://{label}",
        f"{draw(schemes)}://{label}.{host}",
        f"{scheme}://{label}.{host}:{draw(st.sampled_from([1, 80, 443, 3000, 8080]))}",
        f"{scheme}://{host}:{draw(st.sampled_from([1, 80, 443, 3000, 8080]))}",
    ]
    if port_text:
        candidates.append(f"{scheme}://{label}.{host}:{port_text}")
        candidates.append(f"{scheme}://{host}:{port_text}")
    choice = draw(st.sampled_from(candidates))
    if draw(st.booleans()) and draw(st.booleans()):
        choice = draw(_mutations(choice))
    return choice


header_names = st.text("abcxyz-_0AZ", min_size=1, max_size=8)
method_pool = st.sampled_from(["GET", "get", "PUT", "put", "PATCH", "patch", "DELETE", "PURGE"])


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of a valid CORSConfig (without credentials, so no opt-ins needed)."""
    public = draw(st.booleans()) and draw(st.booleans())
    kwargs: dict[str, Any] = {
        "allow_origins": ["*"] if public else draw(st.lists(patterns(), min_size=1, max_size=5)),
        "allow_methods": draw(st.one_of(st.just(["*"]), st.lists(method_pool, max_size=5))),
        "allow_headers": draw(st.one_of(st.just(["*"]), st.lists(header_names, max_size=5))),
        "expose_headers": draw(st.lists(header_names, max_size=5)),
        "max_age": draw(st.one_of(st.none(), st.integers(0, 86400))),
        "preflight_status": draw(st.sampled_from([200, 204])),
        "debug": draw(st.booleans()),
    }
    if not public:
        kwargs["allow_private_network"] = draw(st.booleans())
        if draw(st.booleans()):
            kwargs["allow_origin_regex"] = r"https://[a-z]+\.regex\.example"
    # Collections of any kind are accepted: tuples, sets and lists.
    wrap = draw(st.sampled_from([list, tuple, lambda v: list(reversed(v))]))
    return {k: wrap(v) if isinstance(v, list) else v for k, v in kwargs.items()}
