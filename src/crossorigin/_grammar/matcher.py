"""``OriginMatcher``: is a request's ``Origin`` allowed by the static rules of a config?

Lookups cost the same whatever the number of allowed origins or patterns (issue 2 item 3):
exact origins are one ``frozenset`` probe on the raw header bytes; ``:*`` ports are one probe on
(scheme, host); ``*.`` wildcards are one probe per label of the request's host (at most 127) in a
table keyed by (scheme, parent domain). The optional regex runs last, on a parsed, length-capped
origin only, so it never sees hostile input longer than
:data:`~crossorigin._grammar.origins.MAX_ORIGIN`.
Origins longer than that are refused before they are hashed, and the verdicts on origins outside
the exact set are memoised (parsing one costs several times the whole exact-origin path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crossorigin._grammar.origins import ANY_PORT, MAX_ORIGIN, OriginPattern, parse_origin

MEMO_SIZE = 256
"""Verdicts on non-exact origins kept per matcher. Browsers send the same few origins over and
over, so a small table spares their parsing; the table is emptied when full, which bounds its
memory (at most 256 origins of at most MAX_ORIGIN bytes) whatever origins an attacker sends."""


class OriginMatcher:
    """Matches serialized origins against validated patterns.

    The rules are immutable after construction; the only state that changes is the memo of
    verdicts, a pure function of the origin, so sharing a matcher between threads is safe.
    """

    __slots__ = ("_any_port", "_memo", "_regex", "_subdomains", "exact", "needs_parse")

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
        self._memo: dict[bytes, bool] = {}

    def union(self, other: OriginMatcher) -> OriginMatcher:
        """A matcher allowing what either allows (``other`` has no regex): the origin store's
        entries joined to a policy's static rules without parsing either again."""
        merged = OriginMatcher((), self._regex)
        merged.exact = self.exact | other.exact
        merged._any_port = self._any_port | other._any_port
        subdomains = dict(self._subdomains)
        for key, ports in other._subdomains.items():
            subdomains[key] = subdomains.get(key, frozenset()) | ports
        merged._subdomains = subdomains
        merged.needs_parse = self.needs_parse or other.needs_parse
        return merged

    def matches(self, origin: bytes) -> bool:
        """Whether *origin* (raw ``Origin`` header bytes) is allowed by the static rules."""
        if len(origin) > MAX_ORIGIN:
            # Before any hashing: a 64 KiB hostile Origin must not cost a 64 KiB hash.
            return False
        if origin in self.exact:
            return True
        if not self.needs_parse:
            return False
        verdict = self._memo.get(origin)
        if verdict is None:
            verdict = self._matches_parsed(origin)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[origin] = verdict
        return verdict

    def _matches_parsed(self, origin: bytes) -> bool:
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
