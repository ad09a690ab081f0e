"""``scan()``: probe a URL's CORS policy with attack origins derived from its trusted origins.

Read this for what ``crossorigin scan`` sends and how it rates what comes back. Each trusted
origin yields one attack origin per class of matching bug seen in the wild (PortSwigger,
"Exploiting CORS misconfigurations"; CORScanner; Corsy). Each attack origin gets a credentialed
simple ``GET`` and a preflight; a finding is reported only when the *browser* would let the
attacker read the response (judged by ``_fetch``), never merely because a header is present.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from crossorigin._browser.fetch import Request, browser_verdict, header_get
from crossorigin._cli.check import CREDENTIAL_COOKIE, SCHEMA_VERSION, Exchange, Unreachable, send
from crossorigin._grammar.origins import parse_origin

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
ATTACKER = "crossorigin-attacker.example"
MAX_LABEL = 63
"""Longest DNS label (RFC 1035 §2.3.4); a longer one cannot be looked up, so no page has it."""
MAX_NAME = 253
"""Longest host name in text form (RFC 1035 §2.3.4: 255 octets on the wire)."""
_PARSER_PROBES = frozenset({"special characters", "user-info confusion"})
"""Classes whose origins are deliberately not serialized origins: they probe whether the
server's parser stops at an odd character or at the user-info ``@``."""


@dataclass(frozen=True)
class Attack:
    """One attack origin: its class, the trusted origin it imitates, and the value sent."""

    kind: str
    trusted: str
    origin: str


@dataclass(frozen=True)
class Finding:
    """An attack origin the browser would let read responses, with evidence and a fix.

    .. versionadded:: 0.1
    """

    severity: Severity
    kind: str
    origin: str
    title: str
    evidence: Exchange
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "class": self.kind,
            "origin": self.origin,
            "title": self.title,
            "evidence": self.evidence.to_dict(),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class ScanReport:
    """Result of :func:`scan`: findings (worst first) and how much of the plan ran.

    ``errors`` counts probes that got no response (timeouts, resets) and ``server_errors``
    requests answered with a 5xx status and no finding (the application failed, so the policy
    it would apply is unknown); their attack origins are untested.
    """

    url: str
    trusted_origins: tuple[str, ...]
    findings: tuple[Finding, ...]
    requests_sent: int
    planned: int
    budget: int
    errors: int = 0
    server_errors: int = 0

    @property
    def complete(self) -> bool:
        """Whether every planned request was sent (``--budget`` did not cut the scan)."""
        return self.requests_sent >= self.planned

    @property
    def conclusive(self) -> bool:
        """Whether every planned request was sent and evaluated: only then does "no
        findings" mean the policy resisted every attack origin."""
        return self.complete and not self.errors and not self.server_errors

    @property
    def outcome(self) -> Literal["findings", "clean", "inconclusive"]:
        """``findings`` (any finding counts, complete or not), else ``clean`` when
        :attr:`conclusive`, else ``inconclusive``."""
        if self.findings:
            return "findings"
        return "clean" if self.conclusive else "inconclusive"

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document of ``crossorigin scan`` (schema in docs/cli.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "scan",
            "url": self.url,
            "trusted_origins": list(self.trusted_origins),
            "requests_sent": self.requests_sent,
            "requests_planned": self.planned,
            "budget": self.budget,
            "complete": self.complete,
            "errors": self.errors,
            "server_errors": self.server_errors,
            "conclusive": self.conclusive,
            "outcome": self.outcome,
            "findings": [f.to_dict() for f in self.findings],
        }


def attack_origins(trusted: str) -> list[Attack]:
    """Attack origins imitating *trusted* (``scheme://host[:port]``), most telling first."""
    parts = urlsplit(trusted)
    scheme, host, port = parts.scheme, parts.hostname or "", parts.port
    if ":" in host:  # IPv6 literal: urlsplit drops the brackets
        host = f"[{host}]"
    default_port = 443 if scheme == "https" else 80
    suffix = f":{port}" if port else ""
    labels = host.split(".")
    other_scheme = "http" if scheme == "https" else "https"
    out = [
        ("reflect-any", f"https://{ATTACKER}"),
        ("null", "null"),
        ("prefix", f"{scheme}://{host}.{ATTACKER}{suffix}"),
        ("suffix", f"{scheme}://attacker{_registrable(host)}{suffix}"),
        ("substring", f"{scheme}://{host[:-1]}{suffix}"),
        ("other scheme", f"{other_scheme}://{host}{suffix}"),
        ("other port", f"{scheme}://{host}:{(port or default_port) + 1}"),
        ("sibling subdomain", f"{scheme}://attacker.{'.'.join(labels[1:]) or host}{suffix}"),
        ("special characters", f"{scheme}://{host}_.{ATTACKER}{suffix}"),
        ("special characters", f"{scheme}://{host}`.{ATTACKER}{suffix}"),
        ("special characters", f"{scheme}://{host}}}.{ATTACKER}{suffix}"),
        ("user-info confusion", f"{scheme}://{host}{suffix}@{ATTACKER}"),
        ("very long", f"{scheme}://{_longest(host)}{suffix}"),
    ]
    if "." in host:
        dot = host.index(".")
        out.insert(5, ("unescaped dot", f"{scheme}://{host[:dot]}x{host[dot + 1 :]}{suffix}"))
    seen: set[str] = {trusted}
    attacks = []
    for kind, origin in out:
        if origin not in seen and _deliverable(kind, origin):
            seen.add(origin)
            attacks.append(Attack(kind, trusted, origin))
    return attacks


def _longest(host: str) -> str:
    """*host* as the first labels of the longest valid name under :data:`ATTACKER`.

    Catches length caps that fail open and comparisons cut at a fixed length. Under the
    attacker's domain, never the trusted host's: a subdomain of the trusted host is its own
    namespace, which a correct policy (``https://*.app.example.com``) may trust.
    """
    room = MAX_NAME - len(host) - len(ATTACKER) - 1  # each filler label takes its length + 1
    fill = []
    while room > 1:
        label = "a" * min(MAX_LABEL, room - 1)
        fill.append(label)
        room -= len(label) + 1
    return ".".join([host, *fill, ATTACKER])


def _deliverable(kind: str, origin: str) -> bool:
    """Whether a browser could send *origin*: ``null``; a valid serialized origin; or, for the
    classes that probe the server's own parser, a host whose labels and length DNS can hold
    (an attacker can only serve a page from a name that resolves)."""
    if origin == "null":
        return True
    if kind not in _PARSER_PROBES:
        return parse_origin(origin) is not None
    authority = origin.partition("://")[2].rsplit("@", 1)[-1]
    host, _, port = authority.rpartition(":")
    if not port.isdigit():
        host = authority
    if "[" in host or "]" in host:
        # Only a whole IPv6 literal ("[::1]", no DNS involved), never a name around one.
        return host.startswith("[") and host.endswith("]") and host.count("[") == 1
    labels = host.split(".")
    return len(host) <= MAX_NAME and all(0 < len(label) <= MAX_LABEL for label in labels)


def _registrable(host: str) -> str:
    # The last two labels, a cheap stand-in for the registrable domain: "attackerexample.com"
    # catches endswith("example.com") checks.
    return ".".join(host.split(".")[-2:])


def plan(trusted_origins: Sequence[str]) -> list[Attack]:
    """Every trusted origin's attacks, interleaved so a small budget still covers each class."""
    per_origin = [attack_origins(t) for t in trusted_origins]
    seen: set[str] = set(trusted_origins)
    out: list[Attack] = []
    for row in range(max((len(a) for a in per_origin), default=0)):
        for attacks in per_origin:
            if row < len(attacks) and attacks[row].origin not in seen:
                seen.add(attacks[row].origin)
                out.append(attacks[row])
    return out


def _judge(attack: Attack, exchange: Exchange, *, preflight: bool) -> Finding | None:
    credentialed = Request(attack.origin, "GET", credentials=True)
    anonymous = Request(attack.origin, "GET")
    response = exchange.response
    if preflight:
        # Judge the preflight's CORS check as the browser would (ok status + ACAO/ACAC).
        ok = 200 <= response.status <= 299
        if ok and browser_verdict(credentialed, None, response).allowed:
            return _finding("high", attack, exchange, "credentialed preflight allowed")
        return None
    if browser_verdict(credentialed, None, response).allowed:
        return _finding("critical", attack, exchange, "credentialed read")
    acao = header_get(response.headers, "access-control-allow-origin")
    if acao == attack.origin and browser_verdict(anonymous, None, response).allowed:
        return _finding("medium", attack, exchange, "anonymous read")
    return None


_TITLES = {
    "credentialed read": "{origin} can read responses with the user's cookies",
    "credentialed preflight allowed": "{origin} may send credentialed non-simple requests",
    "anonymous read": "{origin} is reflected and can read responses without credentials",
}


def _judge_vary(trusted: str, exchange: Exchange) -> Finding | None:
    # https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches: a response whose ACAO
    # depends on Origin must say Vary: Origin, or a cache may serve it to another origin.
    acao = header_get(exchange.response_headers, "access-control-allow-origin")
    vary = header_get(exchange.response_headers, "vary") or ""
    tokens = {token.strip().lower() for token in vary.split(",")}
    if acao != trusted or "origin" in tokens or "*" in tokens:
        return None
    return Finding(
        "low",
        "missing vary",
        trusted,
        f"Access-Control-Allow-Origin echoes {trusted} without Vary: Origin",
        exchange,
        "Append 'Origin' to the Vary header of every response whose CORS headers depend on "
        "the Origin header, so shared caches keep one copy per origin (crossorigin does).",
    )


def _finding(severity: Severity, attack: Attack, exchange: Exchange, what: str) -> Finding:
    title = _TITLES[what].format(origin=attack.origin)
    fix = (
        f'Allow exact origins only (e.g. CORSConfig(allow_origins=["{attack.trusted}"]'
        + (", allow_credentials=True" if severity != "medium" else "")
        + ")); never reflect the Origin header, and match patterns on the parsed origin, "
        "anchored (crossorigin's 'https://*.example.com' or a fullmatch regex)."
    )
    if attack.kind == "sibling subdomain":
        fix += " If every subdomain really is trusted, make sure none can be taken over."
    return Finding(severity, attack.kind, attack.origin, title, exchange, fix)


async def scan(
    url: str,
    *,
    trusted_origins: Sequence[str],
    budget: int = 200,
    concurrency: int = 4,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScanReport:
    """Probe *url* with attack origins; at most *budget* requests, *concurrency* at a time.

    Raises:
        Unreachable: the server could not be reached at all.

    .. versionadded:: 0.1
    """
    attacks = plan(trusted_origins)
    jobs = [(a, p) for a in attacks for p in (False, True)]
    limit = asyncio.Semaphore(max(1, concurrency))
    results: list[Finding | None] = []
    failures: list[Unreachable] = []
    server_errors: list[int] = []

    async def probe(client: httpx.AsyncClient, attack: Attack, preflight: bool) -> None:
        async with limit:
            try:
                exchange = await send(client, *_probe_request(url, attack.origin, preflight))
            except Unreachable as exc:
                failures.append(exc)
                return
            finally:
                if progress is not None:
                    progress(1)
            finding = _judge(attack, exchange, preflight=preflight)
            if finding is None and exchange.status >= 500:
                server_errors.append(exchange.status)
            results.append(finding)

    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        # Reachability first (exit 3 instead of "no findings"), with a trusted origin.
        baseline = await send(client, "GET", url, [("origin", trusted_origins[0])])
        results.append(_judge_vary(trusted_origins[0], baseline))
        if baseline.status >= 500:
            server_errors.append(baseline.status)
        if progress is not None:
            progress(1)
        await asyncio.gather(*(probe(client, a, p) for a, p in jobs[: max(0, budget - 1)]))
    sent = min(len(jobs), max(0, budget - 1)) + 1
    if failures and len(failures) == sent - 1:
        raise failures[0]
    findings = _dedupe(results)
    return ScanReport(
        url,
        tuple(trusted_origins),
        findings,
        sent,
        len(jobs) + 1,
        budget,
        len(failures),
        len(server_errors),
    )


def _probe_request(
    url: str, origin: str, preflight: bool
) -> tuple[str, str, list[tuple[str, str]]]:
    if preflight:
        return (
            "OPTIONS",
            url,
            [
                ("origin", origin),
                ("accept", "*/*"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type"),
            ],
        )
    return "GET", url, [("origin", origin), CREDENTIAL_COOKIE]


def _dedupe(results: Sequence[Finding | None]) -> tuple[Finding, ...]:
    # One finding per attack origin: its worst severity.
    best: dict[str, Finding] = {}
    for finding in results:
        if finding is None:
            continue
        current = best.get(finding.origin)
        if current is None or _rank(finding) < _rank(current):
            best[finding.origin] = finding
    return tuple(sorted(best.values(), key=lambda f: (_rank(f), f.kind, f.origin)))


def _rank(finding: Finding) -> int:
    return SEVERITIES.index(finding.severity)
