"""``OriginMatcher``: is a request's ``Origin`` allowed by the static rules of a config?

Lookups cost the same whatever the number of allowed origins or patterns (issue 2 item 3):
exact origins are one ``frozenset`` probe on the raw header bytes; ``:*`` ports are one probe on
(scheme, host); ``*.`` wildcards are one probe per label of the request's host (at most 127) in a
table keyed by (scheme, parent domain). The optional regex runs last, on a parsed, length-capped
origin only, so it never sees hostile input longer than :data:`~crossorigin._origins.MAX_ORIGIN`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crossorigin._origins import ANY_PORT, OriginPattern, parse_origin


class OriginMatcher:
    """Matches serialized origins against validated patterns. Immutable after construction."""

    __slots__ = ("_any_port", "_regex", "_subdomains", "exact", "needs_parse")

    exact: frozenset[bytes]
    """Exact allowed origins, as the bytes a browser sends."""
    needs_parse: bool
    """Whether origins outside :attr:`exact` can still match (wildcards, ports or a regex)."""

    def __init__(self, patterns: Iterable[OriginPattern], regex: re.Pattern[str] | None) -> None:
        exact: set[bytes] = set()
        any_port: set[tuple[str, str]] = set()
        subdomains: dict[tuple[str, str], set[int | None]] = {}
        for pattern in patterns:
            if pattern.kind == "exact":
                port = "" if pattern.port is None else f":{pattern.port}"
                exact.add(f"{pattern.scheme}://{pattern.host}{port}".encode("ascii"))
            elif pattern.kind == "any-port":
                any_port.add((pattern.scheme, pattern.host))
            elif pattern.kind == "subdomains":
                subdomains.setdefault((pattern.scheme, pattern.host), set()).add(pattern.port)
        self.exact = frozenset(exact)
        self._any_port = frozenset(any_port)
        self._subdomains = {key: frozenset(ports) for key, ports in subdomains.items()}
        self._regex = regex
        self.needs_parse = bool(any_port or subdomains or regex is not None)

    def matches(self, origin: bytes) -> bool:
        """Whether *origin* (raw ``Origin`` header bytes) is allowed by the static rules."""
        if origin in self.exact:
            return True
        if not self.needs_parse:
            return False
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        scheme, host = parsed.scheme, parsed.host
        if (scheme, host) in self._any_port:
            return True
        if self._subdomains and not parsed.is_ip:
            dot = host.find(".")
            while dot >= 0:
                ports = self._subdomains.get((scheme, host[dot + 1 :]))
                if ports is not None and (parsed.port in ports or ANY_PORT in ports):
                    return True
                dot = host.find(".", dot + 1)
        # fullmatch: Starlette's allow_origin_regex also anchors both ends since 0.13.
        return self._regex is not None and self._regex.fullmatch(origin.decode("ascii")) is not None
