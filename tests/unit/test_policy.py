"""Policy: compiled header values and the preflight decision (behaviour.md B18-B26)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from crossorigin import CORSConfig
from crossorigin._policy import reasons as r
from crossorigin._policy.policy import PREFLIGHT_CACHE_SIZE, Policy

VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
VARY_PNA = VARY + ", Access-Control-Request-Private-Network"
ORIGIN = "https://a.example"
SAFELISTED_ACRH = "accept,accept-language,content-language,content-type"

CONFIG_A: dict[str, Any] = {
    "allow_origins": ["https://a.example", "https://*.b.example", "http://localhost:*"],
    "allow_methods": ["PUT", "DELETE"],
    "allow_headers": ["x-foo", "content-type"],
    "expose_headers": ["x-total"],
    "max_age": None,
}
CONFIG_C: dict[str, Any] = {
    "allow_origins": ["https://a.example"],
    "allow_credentials": True,
    "allow_methods": ["PUT"],
    "allow_headers": ["authorization", "x-foo"],
    "expose_headers": ["x-total"],
    "max_age": 600,
}
CONFIG_P: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_methods": ["*"],
    "allow_headers": ["*"],
    "expose_headers": ["*"],
}
DENIED = (403, {"vary": VARY})


class Row(NamedTuple):
    """One preflight: the config, the request, and the exact answer expected."""

    name: str
    """The test id: the behaviour.md rule it checks, then what the row shows."""
    config: dict[str, Any]
    method: str
    expected: tuple[int, dict[str, str]]
    """Status and the exact response header set."""
    reason: str
    origin: str = ORIGIN
    acrh: list[str] | None = None
    private_network: bool = False


def decide(
    config: dict[str, Any],
    origin: str = ORIGIN,
    method: str = "PUT",
    acrh: list[str] | None = None,
    private_network: bool = False,
) -> tuple[int, dict[str, str], str]:
    """Run a preflight through a fresh Policy; headers as a name -> value dict."""
    policy = Policy(CORSConfig(**config))
    raw_origin = origin.encode("latin-1")
    lines = [line.encode("latin-1") for line in acrh or []]
    if policy.allows_statically(raw_origin):
        result = policy.cached_preflight_answer(
            raw_origin, method.encode("latin-1"), lines, private_network
        )
    else:
        result = policy.preflight_answer(
            raw_origin,
            False,
            r.ORIGIN_NOT_ALLOWED,
            method.encode("latin-1"),
            lines,
            private_network,
        )
    names = [name for name, _ in result.headers]
    assert len(names) == len(set(names)), f"duplicate header lines: {names}"
    headers = {name.decode(): value.decode("latin-1") for name, value in result.headers}
    return result.status, headers, result.reason


ROWS = [
    Row(
        "B18 allowed put",
        CONFIG_A,
        method="PUT",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B19 safelisted get needs no acam",
        CONFIG_A,
        method="GET",
        expected=(204, {"access-control-allow-origin": ORIGIN, "vary": VARY}),
        reason=r.ALLOWED,
    ),
    Row(
        "B20 delete with headers",
        CONFIG_A,
        method="DELETE",
        acrh=["content-type,x-foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "DELETE",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B19 public purge",
        CONFIG_P,
        method="PURGE",
        acrh=["content-type"],
        expected=(
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-allow-headers": "content-type",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B20 star headers echo authorization",
        CONFIG_P,
        method="PUT",
        acrh=["authorization,x-any"],
        expected=(
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-allow-headers": "authorization,x-any",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "public serves null",
        CONFIG_P,
        method="PUT",
        origin="null",
        expected=(
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "public denies malformed origin",
        CONFIG_P,
        method="PUT",
        origin="https://A.example",
        expected=DENIED,
        reason=r.ORIGIN_NOT_ALLOWED,
    ),
    Row(
        "B18 credentialed",
        CONFIG_C,
        method="PUT",
        acrh=["authorization,x-foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "authorization,x-foo",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B19 credentialed stars never literal",
        {**CONFIG_C, "allow_methods": ["*"], "allow_headers": ["*"]},
        method="PATCH",
        acrh=["x-a,x-b"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "PATCH",
                "access-control-allow-headers": "x-a,x-b",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B22 max age 0",
        {**CONFIG_A, "max_age": 0},
        method="PUT",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-max-age": "0",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B21 acrh on two lines",
        CONFIG_A,
        method="PUT",
        acrh=["content-type", "x-foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B21 one space",
        CONFIG_A,
        method="PUT",
        acrh=["content-type, x-foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B21 empty elements",
        CONFIG_A,
        method="PUT",
        acrh=[",,x-foo,,"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B21 empty acrh",
        CONFIG_A,
        method="PUT",
        acrh=[""],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B24 denied origin",
        CONFIG_A,
        method="PUT",
        origin="https://evil.example",
        expected=DENIED,
        reason=r.ORIGIN_NOT_ALLOWED,
    ),
    Row(
        "B24 method not allowed",
        CONFIG_A,
        method="PATCH",
        expected=DENIED,
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "B19 method case-sensitive",
        {**CONFIG_A, "allow_methods": ["PATCH"]},
        method="patch",
        expected=DENIED,
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "lower-case method listed",
        {**CONFIG_A, "allow_methods": ["patch"]},
        method="patch",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "patch",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "put normalised in config",
        {**CONFIG_A, "allow_methods": ["put"]},
        method="PUT",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "lower-case put is not put",
        CONFIG_A,
        method="put",
        expected=DENIED,
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "B24 header not allowed",
        CONFIG_A,
        method="PUT",
        acrh=["x-foo,x-not-allowed"],
        expected=DENIED,
        reason=r.HEADER_NOT_ALLOWED,
    ),
    Row(
        "B20 safelisted names always accepted",
        {**CONFIG_A, "allow_headers": ["x-foo"]},
        method="PUT",
        acrh=["content-type"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B20 all four safelisted names",
        {**CONFIG_A, "allow_headers": []},
        method="PUT",
        acrh=[SAFELISTED_ACRH],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": SAFELISTED_ACRH,
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "range is not always accepted",
        CONFIG_A,
        method="PUT",
        acrh=["range"],
        expected=DENIED,
        reason=r.HEADER_NOT_ALLOWED,
    ),
    Row("B19 connect", CONFIG_A, method="CONNECT", expected=DENIED, reason=r.METHOD_NOT_ALLOWED),
    Row("B19 trace", CONFIG_A, method="TRACE", expected=DENIED, reason=r.METHOD_NOT_ALLOWED),
    Row(
        "B19 track with star methods",
        CONFIG_P,
        method="track",
        expected=DENIED,
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "B21 unsorted tolerated",
        CONFIG_A,
        method="PUT",
        acrh=["x-foo,content-type"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo,content-type",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B21 upper case tolerated",
        CONFIG_A,
        method="PUT",
        acrh=["X-Foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "acrh invalid",
        CONFIG_A,
        method="PUT",
        acrh=["x foo"],
        expected=DENIED,
        reason=r.ACRH_INVALID,
    ),
    Row(
        "acrh too large",
        CONFIG_A,
        method="PUT",
        acrh=["x" * 4097],
        expected=DENIED,
        reason=r.ACRH_TOO_LARGE,
    ),
    Row("method invalid", CONFIG_A, method="P UT", expected=DENIED, reason=r.METHOD_INVALID),
    Row("method empty", CONFIG_A, method="", expected=DENIED, reason=r.METHOD_INVALID),
    Row(
        "B10 null origin",
        CONFIG_A,
        method="PUT",
        origin="null",
        expected=DENIED,
        reason=r.ORIGIN_NOT_ALLOWED,
    ),
    Row(
        "B25 safelisted post no acrh",
        CONFIG_A,
        method="POST",
        expected=(204, {"access-control-allow-origin": ORIGIN, "vary": VARY}),
        reason=r.ALLOWED,
    ),
    Row(
        "wildcard origin echoed",
        CONFIG_A,
        method="DELETE",
        origin="https://x.y.b.example",
        expected=(
            204,
            {
                "access-control-allow-origin": "https://x.y.b.example",
                "access-control-allow-methods": "DELETE",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "preflight status 200",
        {**CONFIG_A, "preflight_status": 200},
        method="PUT",
        expected=(
            200,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
    # debug (behaviour.md B26)
    Row(
        "B26 debug method",
        {**CONFIG_C, "debug": True},
        method="DELETE",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-credentials": "true",
                "vary": VARY,
            },
        ),
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "B26 debug header",
        {**CONFIG_C, "debug": True},
        method="PUT",
        acrh=["bar,baz,foo"],
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "authorization,x-foo",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        reason=r.HEADER_NOT_ALLOWED,
    ),
    Row(
        "B26 debug denied origin",
        {**CONFIG_C, "debug": True},
        method="PUT",
        origin="https://evil.example",
        expected=DENIED,
        reason=r.ORIGIN_NOT_ALLOWED,
    ),
    Row(
        "B26 no debug method",
        CONFIG_C,
        method="DELETE",
        expected=DENIED,
        reason=r.METHOD_NOT_ALLOWED,
    ),
    Row(
        "B26 no debug header",
        CONFIG_C,
        method="PUT",
        acrh=["bar,baz,foo"],
        expected=DENIED,
        reason=r.HEADER_NOT_ALLOWED,
    ),
    # private network access (behaviour.md B23)
    Row(
        "B23 pna allowed",
        {**CONFIG_A, "allow_private_network": True},
        method="PUT",
        private_network=True,
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-private-network": "true",
                "vary": VARY_PNA,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B23 pna not requested",
        {**CONFIG_A, "allow_private_network": True},
        method="PUT",
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY_PNA,
            },
        ),
        reason=r.ALLOWED,
    ),
    Row(
        "B23 pna denied origin",
        {**CONFIG_A, "allow_private_network": True},
        method="PUT",
        origin="https://evil.example",
        private_network=True,
        expected=(403, {"vary": VARY_PNA}),
        reason=r.ORIGIN_NOT_ALLOWED,
    ),
    Row(
        "B23 pna disabled",
        CONFIG_A,
        method="PUT",
        private_network=True,
        expected=(
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        reason=r.ALLOWED,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_preflight(row: Row) -> None:
    """A preflight gets exactly the expected status, header set and reason code."""
    status, headers, why = decide(row.config, row.origin, row.method, row.acrh, row.private_network)
    assert (status, headers, why) == (*row.expected, row.reason)


@pytest.mark.parametrize(
    ("config", "actual", "public", "vary"),
    [
        pytest.param(
            CONFIG_A,
            [(b"access-control-expose-headers", b"x-total")],
            [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", b"x-total"),
            ],
            b"Origin",
            id="config A",
        ),
        pytest.param(
            CONFIG_C,
            [
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", b"x-total"),
            ],
            [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", b"x-total"),
            ],
            b"Origin",
            id="config C",
        ),
        pytest.param(
            CONFIG_P,
            [(b"access-control-expose-headers", b"*")],
            [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"*")],
            b"",
            id="config P no vary",
        ),
        pytest.param(
            {"allow_origins": [ORIGIN], "expose_headers": ["content-type", "cache-control"]},
            [],
            [(b"access-control-allow-origin", b"*")],
            b"Origin",
            id="safelisted exposed names dropped",
        ),
        pytest.param(
            {"allow_origins": [ORIGIN], "expose_headers": ["x-b", "X-A"]},
            [(b"access-control-expose-headers", b"x-a, x-b")],
            [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", b"x-a, x-b"),
            ],
            b"Origin",
            id="exposed names sorted",
        ),
    ],
)
def test_actual_headers(
    config: dict[str, Any],
    actual: list[tuple[bytes, bytes]],
    public: list[tuple[bytes, bytes]],
    vary: bytes,
) -> None:
    """Actual-response header values are precomputed once, with Vary only when origin-dependent."""
    policy = Policy(CORSConfig(**config))
    assert (list(policy.actual_headers), list(policy.public_headers), policy.vary) == (
        actual,
        public,
        vary,
    )


@pytest.mark.parametrize(
    ("config", "origin", "expected"),
    [
        pytest.param(CONFIG_A, "https://a.example", True, id="exact"),
        pytest.param(CONFIG_A, "https://x.b.example", True, id="wildcard"),
        pytest.param(CONFIG_A, "https://evil.example", False, id="unlisted"),
        pytest.param(CONFIG_P, "https://evil.example", True, id="public any valid origin"),
        pytest.param(CONFIG_P, "null", True, id="public null"),
        pytest.param(CONFIG_P, "https://a.example/", False, id="public malformed"),
        pytest.param(
            {"allow_origin_predicate": lambda o, s: True},
            "https://a.example",
            False,
            id="predicate is not static",
        ),
    ],
)
def test_allows_statically(config: dict[str, Any], origin: str, expected: bool) -> None:
    """allows_statically answers from the static rules only."""
    assert Policy(CORSConfig(**config)).allows_statically(origin.encode()) is expected


def test_cached_preflight_gives_each_response_its_own_list() -> None:
    """Mutating one preflight's header list never affects the next answer."""
    policy = Policy(CORSConfig(**CONFIG_A))
    first = policy.cached_preflight_answer(b"https://a.example", b"PUT", [], False)
    first.headers.append((b"x-injected", b"1"))
    first.headers[0] = (b"access-control-allow-origin", b"https://evil.example")
    second = policy.cached_preflight_answer(b"https://a.example", b"PUT", [], False)
    assert second.headers == [
        (b"access-control-allow-origin", b"https://a.example"),
        (b"access-control-allow-methods", b"PUT"),
        (b"vary", VARY.encode()),
    ]


def test_cached_preflight_is_keyed_by_origin() -> None:
    """A cached answer for one allowed origin is never served to another."""
    policy = Policy(CORSConfig(**CONFIG_A))
    policy.cached_preflight_answer(b"https://x.b.example", b"PUT", [b"x-foo"], False)
    other = policy.cached_preflight_answer(b"https://y.b.example", b"PUT", [b"x-foo"], False)
    assert other.headers[0] == (b"access-control-allow-origin", b"https://y.b.example")


def test_preflight_cache_is_bounded() -> None:
    """The preflight cache never holds more than PREFLIGHT_CACHE_SIZE answers."""
    policy = Policy(CORSConfig(**CONFIG_A))
    for i in range(PREFLIGHT_CACHE_SIZE * 3):
        result = policy.cached_preflight_answer(
            f"https://h{i}.b.example".encode(), b"PUT", [], False
        )
        assert result.status == 204
        assert len(policy._cache) <= PREFLIGHT_CACHE_SIZE


def test_failed_preflights_are_not_cached() -> None:
    """Only successful answers are memoised."""
    policy = Policy(CORSConfig(**CONFIG_A))
    policy.cached_preflight_answer(b"https://a.example", b"PATCH", [], False)
    policy.cached_preflight_answer(b"https://a.example", b"PUT", [b"x-bad"], False)
    assert policy._cache == {}
