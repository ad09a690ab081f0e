"""The microbenchmark's scenarios (issue 4): one request shape and one policy per row.

Each row holds the crossorigin config and, when Starlette can express the same policy, the
equivalent ``starlette.middleware.cors.CORSMiddleware`` keyword arguments. Rows Starlette cannot
express (origin wildcards) name the Starlette row their ratio is computed against instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Header = tuple[bytes, bytes]

ALLOWED = b"https://app.example"
DENIED = b"https://evil.example"
SUBDOMAIN = b"https://app.example.com"
ACRM = b"access-control-request-method"
ACRH = b"access-control-request-headers"
NORMAL_ACRH = b"content-type,authorization"
MIB = 1 << 20
STORED = 100_000
"""Origins in the origin-store rows."""


def stored_origins(n: int) -> list[str]:
    """*n* origins for an origin store; the allowed origin is one of them."""
    return [f"https://tenant{i}.example.net" for i in range(n - 1)] + [ALLOWED.decode()]


@dataclass(frozen=True)
class Scenario:
    """One benchmark row: a request and the policy both middlewares are configured with."""

    id: str
    kind: str  # "actual" or "preflight": which ratio target applies
    method: str
    headers: tuple[Header, ...]
    config: dict[str, Any]
    starlette: dict[str, Any] | None  # None: Starlette cannot express this policy
    expect_status: int  # crossorigin's status
    expect_acao: bytes | None  # crossorigin's Access-Control-Allow-Origin, None = absent
    baseline: str | None = None  # Starlette row used for the ratio when ``starlette`` is None
    adversarial: bool = False
    input_bytes: int = 0  # size of the hostile part of the request (adversarial rows)
    quick_repeat: int = field(default=20, compare=False)
    stored: int = 0  # origins in an origin store (the allowed origin among them), 0: no store


def _origins(n: int) -> list[str]:
    # The allowed origin is last: the worst case for a list scan, irrelevant for a set.
    return [f"https://site{i}.example" for i in range(n - 1)] + [ALLOWED.decode()]


def _wildcards(n: int) -> list[str]:
    return [f"https://*.tenant{i}.example.net" for i in range(n - 1)] + ["https://*.example.com"]


def _get(origin: bytes | None) -> tuple[Header, ...]:
    base: tuple[Header, ...] = ((b"host", b"api.example"), (b"accept", b"*/*"))
    return base if origin is None else (*base, (b"origin", origin))


def _preflight(origin: bytes, *acrh: bytes) -> tuple[Header, ...]:
    return (*_get(origin), (ACRM, b"PUT"), *((ACRH, line) for line in acrh))


_ONE = {"allow_origins": [ALLOWED.decode()]}
_PREFLIGHT = {**_ONE, "allow_methods": ["PUT"], "allow_headers": ["authorization"]}
_REGEX = r"https://[a-z0-9-]+\.example\.com"


def scenarios() -> list[Scenario]:
    """All rows, in report order."""
    rows = [
        Scenario("no Origin", "actual", "GET", _get(None), _ONE, _ONE, 200, None),
        Scenario("GET allowed, 1 origin", "actual", "GET", _get(ALLOWED), _ONE, _ONE, 200, ALLOWED),
    ]
    for n in (1_000, 10_000):
        cfg = {"allow_origins": _origins(n)}
        rows.append(
            Scenario(
                f"GET allowed, {n:,} origins",
                "actual",
                "GET",
                _get(ALLOWED),
                cfg,
                cfg,
                200,
                ALLOWED,
            )
        )
    rows += [
        Scenario("GET denied origin", "actual", "GET", _get(DENIED), _ONE, _ONE, 200, None),
        Scenario(
            "preflight allowed",
            "preflight",
            "OPTIONS",
            _preflight(ALLOWED, NORMAL_ACRH),
            _PREFLIGHT,
            _PREFLIGHT,
            204,
            ALLOWED,
        ),
        Scenario(
            "preflight denied origin",
            "preflight",
            "OPTIONS",
            _preflight(DENIED, NORMAL_ACRH),
            _PREFLIGHT,
            _PREFLIGHT,
            403,
            None,
        ),
        Scenario(
            "GET allowed, allow_origin_regex",
            "actual",
            "GET",
            _get(SUBDOMAIN),
            {"allow_origin_regex": _REGEX},
            {"allow_origin_regex": _REGEX},
            200,
            SUBDOMAIN,
        ),
        Scenario(
            "GET allowed, 1 wildcard",
            "actual",
            "GET",
            _get(SUBDOMAIN),
            {"allow_origins": _wildcards(1)},
            None,
            200,
            SUBDOMAIN,
            baseline="GET allowed, 1 origin",
        ),
        Scenario(
            "GET allowed, 1,000 wildcards",
            "actual",
            "GET",
            _get(SUBDOMAIN),
            {"allow_origins": _wildcards(1_000)},
            None,
            200,
            SUBDOMAIN,
            baseline="GET allowed, 1 origin",
        ),
        Scenario(
            'GET, allow_origins=["*"]',
            "actual",
            "GET",
            _get(ALLOWED),
            {"allow_origins": ["*"]},
            {"allow_origins": ["*"]},
            200,
            b"*",
        ),
        Scenario(
            "GET allowed, credentials",
            "actual",
            "GET",
            _get(ALLOWED),
            {**_ONE, "allow_credentials": True},
            {**_ONE, "allow_credentials": True},
            200,
            ALLOWED,
        ),
    ]
    # The origin store: a compiled snapshot of 100,000 origins joined to one static origin.
    stored = {"allow_origins": ["https://static.example"], "allow_stored_origins": True}
    stored_preflight = {**stored, "allow_methods": ["PUT"], "allow_headers": ["authorization"]}
    n = STORED
    rows += [
        Scenario(f"GET allowed, {n:,} stored origins", "actual", "GET", _get(ALLOWED), stored,
                 None, 200, ALLOWED, baseline="GET allowed, 1 origin", stored=n),
        Scenario(f"GET denied origin, {n:,} stored origins", "actual", "GET", _get(DENIED),
                 stored, None, 200, None, baseline="GET denied origin", stored=n),
        Scenario(f"preflight allowed, {n:,} stored origins", "preflight", "OPTIONS",
                 _preflight(ALLOWED, NORMAL_ACRH), stored_preflight, None, 204, ALLOWED,
                 baseline="preflight allowed", stored=n),
        Scenario(f"preflight denied origin, {n:,} stored origins", "preflight", "OPTIONS",
                 _preflight(DENIED, NORMAL_ACRH), stored_preflight, None, 403, None,
                 baseline="preflight denied origin", stored=n),
    ]  # fmt: skip
    adversarial = [
        ("adversarial: 1 MiB ACRH of commas", _preflight(ALLOWED, b"," * MIB), MIB),
        ("adversarial: 1 MiB ACRH of spaces", _preflight(ALLOWED, b" " * MIB), MIB),
        (
            "adversarial: 64 KiB Origin",
            _preflight(b"https://" + b"a" * (64 * 1024 - 8), NORMAL_ACRH),
            64 * 1024,
        ),
        (
            "adversarial: 1,000 ACRH lines",
            _preflight(ALLOWED, *([b"content-type"] * 1_000)),
            1_000 * len(b"content-type"),
        ),
    ]
    for name, headers, size in adversarial:
        rows.append(
            Scenario(
                name,
                "preflight",
                "OPTIONS",
                headers,
                _PREFLIGHT,
                _PREFLIGHT,
                403,
                None,
                adversarial=True,
                input_bytes=size,
                quick_repeat=2,
            )
        )
    return rows
