"""Policy: compiled header values and the preflight decision (conformance items 26-47, 52)."""

from __future__ import annotations

from typing import Any

import pytest

from crossorigin import CORSConfig
from crossorigin._policy import policy as p
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
        result = policy.cached_preflight(
            raw_origin, method.encode("latin-1"), lines, private_network
        )
    else:
        result = policy.preflight(
            raw_origin,
            False,
            p.ORIGIN_NOT_ALLOWED,
            method.encode("latin-1"),
            lines,
            private_network,
        )
    names = [name for name, _ in result.headers]
    assert len(names) == len(set(names)), f"duplicate header lines: {names}"
    headers = {name.decode(): value.decode("latin-1") for name, value in result.headers}
    return result.status, headers, result.reason


ROWS = [
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="26 allowed put",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "GET",
        None,
        False,
        (204, {"access-control-allow-origin": ORIGIN, "vary": VARY}),
        p.ALLOWED,
        id="27 safelisted get needs no acam",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "DELETE",
        ["content-type,x-foo"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "DELETE",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="28 delete with headers",
    ),
    pytest.param(
        CONFIG_P,
        ORIGIN,
        "PURGE",
        ["content-type"],
        False,
        (
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-allow-headers": "content-type",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="29 public purge",
    ),
    pytest.param(
        CONFIG_P,
        ORIGIN,
        "PUT",
        ["authorization,x-any"],
        False,
        (
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-allow-headers": "authorization,x-any",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="30 star headers echo authorization",
    ),
    pytest.param(
        CONFIG_P,
        "null",
        "PUT",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "*",
                "access-control-max-age": "600",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="public serves null",
    ),
    pytest.param(
        CONFIG_P,
        "https://A.example",
        "PUT",
        None,
        False,
        DENIED,
        p.ORIGIN_NOT_ALLOWED,
        id="public denies malformed origin",
    ),
    pytest.param(
        CONFIG_C,
        ORIGIN,
        "PUT",
        ["authorization,x-foo"],
        False,
        (
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
        p.ALLOWED,
        id="31 credentialed",
    ),
    pytest.param(
        {**CONFIG_C, "allow_methods": ["*"], "allow_headers": ["*"]},
        ORIGIN,
        "PATCH",
        ["x-a,x-b"],
        False,
        (
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
        p.ALLOWED,
        id="32 credentialed stars never literal",
    ),
    pytest.param(
        {**CONFIG_A, "max_age": 0},
        ORIGIN,
        "PUT",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-max-age": "0",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="33 max age 0",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["content-type", "x-foo"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="34 acrh on two lines",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["content-type, x-foo"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type,x-foo",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="35 one space",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        [",,x-foo,,"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="35 empty elements",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        [""],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="36 empty acrh",
    ),
    pytest.param(
        CONFIG_A,
        "https://evil.example",
        "PUT",
        None,
        False,
        DENIED,
        p.ORIGIN_NOT_ALLOWED,
        id="37 denied origin",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PATCH",
        None,
        False,
        DENIED,
        p.METHOD_NOT_ALLOWED,
        id="38 method not allowed",
    ),
    pytest.param(
        {**CONFIG_A, "allow_methods": ["PATCH"]},
        ORIGIN,
        "patch",
        None,
        False,
        DENIED,
        p.METHOD_NOT_ALLOWED,
        id="39 method case-sensitive",
    ),
    pytest.param(
        {**CONFIG_A, "allow_methods": ["patch"]},
        ORIGIN,
        "patch",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "patch",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="lower-case method listed",
    ),
    pytest.param(
        {**CONFIG_A, "allow_methods": ["put"]},
        ORIGIN,
        "PUT",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="put normalised in config",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "put",
        None,
        False,
        DENIED,
        p.METHOD_NOT_ALLOWED,
        id="lower-case put is not put",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["x-foo,x-not-allowed"],
        False,
        DENIED,
        p.HEADER_NOT_ALLOWED,
        id="40 header not allowed",
    ),
    pytest.param(
        {**CONFIG_A, "allow_headers": ["x-foo"]},
        ORIGIN,
        "PUT",
        ["content-type"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "content-type",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="41 safelisted names always accepted (C4)",
    ),
    pytest.param(
        {**CONFIG_A, "allow_headers": []},
        ORIGIN,
        "PUT",
        [SAFELISTED_ACRH],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": SAFELISTED_ACRH,
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="41 all four safelisted names",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["range"],
        False,
        DENIED,
        p.HEADER_NOT_ALLOWED,
        id="range is not always accepted",
    ),
    pytest.param(
        CONFIG_A, ORIGIN, "CONNECT", None, False, DENIED, p.METHOD_NOT_ALLOWED, id="42 connect"
    ),
    pytest.param(
        CONFIG_A, ORIGIN, "TRACE", None, False, DENIED, p.METHOD_NOT_ALLOWED, id="42 trace"
    ),
    pytest.param(
        CONFIG_P,
        ORIGIN,
        "track",
        None,
        False,
        DENIED,
        p.METHOD_NOT_ALLOWED,
        id="42 track with star methods",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["x-foo,content-type"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo,content-type",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="44 unsorted tolerated",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        ["X-Foo"],
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="44 upper case tolerated",
    ),
    pytest.param(
        CONFIG_A, ORIGIN, "PUT", ["x foo"], False, DENIED, p.ACRH_INVALID, id="acrh invalid"
    ),
    pytest.param(
        CONFIG_A, ORIGIN, "PUT", ["x" * 4097], False, DENIED, p.ACRH_TOO_LARGE, id="acrh too large"
    ),
    pytest.param(
        CONFIG_A, ORIGIN, "P UT", None, False, DENIED, p.METHOD_INVALID, id="method invalid"
    ),
    pytest.param(CONFIG_A, ORIGIN, "", None, False, DENIED, p.METHOD_INVALID, id="method empty"),
    pytest.param(
        CONFIG_A, "null", "PUT", None, False, DENIED, p.ORIGIN_NOT_ALLOWED, id="45 null origin"
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "POST",
        None,
        False,
        (204, {"access-control-allow-origin": ORIGIN, "vary": VARY}),
        p.ALLOWED,
        id="52 safelisted post no acrh",
    ),
    pytest.param(
        CONFIG_A,
        "https://x.y.b.example",
        "DELETE",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": "https://x.y.b.example",
                "access-control-allow-methods": "DELETE",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="wildcard origin echoed",
    ),
    pytest.param(
        {**CONFIG_A, "preflight_status": 200},
        ORIGIN,
        "PUT",
        None,
        False,
        (
            200,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="preflight status 200",
    ),
    # debug (item 46)
    pytest.param(
        {**CONFIG_C, "debug": True},
        ORIGIN,
        "DELETE",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-credentials": "true",
                "vary": VARY,
            },
        ),
        p.METHOD_NOT_ALLOWED,
        id="46 debug method",
    ),
    pytest.param(
        {**CONFIG_C, "debug": True},
        ORIGIN,
        "PUT",
        ["bar,baz,foo"],
        False,
        (
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
        p.HEADER_NOT_ALLOWED,
        id="46 debug header",
    ),
    pytest.param(
        {**CONFIG_C, "debug": True},
        "https://evil.example",
        "PUT",
        None,
        False,
        DENIED,
        p.ORIGIN_NOT_ALLOWED,
        id="46 debug denied origin",
    ),
    pytest.param(
        CONFIG_C,
        ORIGIN,
        "DELETE",
        None,
        False,
        DENIED,
        p.METHOD_NOT_ALLOWED,
        id="46 no debug method",
    ),
    pytest.param(
        CONFIG_C,
        ORIGIN,
        "PUT",
        ["bar,baz,foo"],
        False,
        DENIED,
        p.HEADER_NOT_ALLOWED,
        id="46 no debug header",
    ),
    # private network access (item 47)
    pytest.param(
        {**CONFIG_A, "allow_private_network": True},
        ORIGIN,
        "PUT",
        None,
        True,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "access-control-allow-private-network": "true",
                "vary": VARY_PNA,
            },
        ),
        p.ALLOWED,
        id="47 pna allowed",
    ),
    pytest.param(
        {**CONFIG_A, "allow_private_network": True},
        ORIGIN,
        "PUT",
        None,
        False,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY_PNA,
            },
        ),
        p.ALLOWED,
        id="47 pna not requested",
    ),
    pytest.param(
        {**CONFIG_A, "allow_private_network": True},
        "https://evil.example",
        "PUT",
        None,
        True,
        (403, {"vary": VARY_PNA}),
        p.ORIGIN_NOT_ALLOWED,
        id="47 pna denied origin",
    ),
    pytest.param(
        CONFIG_A,
        ORIGIN,
        "PUT",
        None,
        True,
        (
            204,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "PUT",
                "vary": VARY,
            },
        ),
        p.ALLOWED,
        id="47 pna disabled",
    ),
]


@pytest.mark.parametrize(
    ("config", "origin", "method", "acrh", "private_network", "expected", "reason"), ROWS
)
def test_preflight(
    config: dict[str, Any],
    origin: str,
    method: str,
    acrh: list[str] | None,
    private_network: bool,
    expected: tuple[int, dict[str, str]],
    reason: str,
) -> None:
    """A preflight gets exactly the expected status, header set and reason code."""
    status, headers, why = decide(config, origin, method, acrh, private_network)
    assert (status, headers, why) == (*expected, reason)


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
    first = policy.cached_preflight(b"https://a.example", b"PUT", [], False)
    first.headers.append((b"x-injected", b"1"))
    first.headers[0] = (b"access-control-allow-origin", b"https://evil.example")
    second = policy.cached_preflight(b"https://a.example", b"PUT", [], False)
    assert second.headers == [
        (b"access-control-allow-origin", b"https://a.example"),
        (b"access-control-allow-methods", b"PUT"),
        (b"vary", VARY.encode()),
    ]


def test_cached_preflight_is_keyed_by_origin() -> None:
    """A cached answer for one allowed origin is never served to another."""
    policy = Policy(CORSConfig(**CONFIG_A))
    policy.cached_preflight(b"https://x.b.example", b"PUT", [b"x-foo"], False)
    other = policy.cached_preflight(b"https://y.b.example", b"PUT", [b"x-foo"], False)
    assert other.headers[0] == (b"access-control-allow-origin", b"https://y.b.example")


def test_preflight_cache_is_bounded() -> None:
    """The preflight cache never holds more than PREFLIGHT_CACHE_SIZE answers."""
    policy = Policy(CORSConfig(**CONFIG_A))
    for i in range(PREFLIGHT_CACHE_SIZE * 3):
        result = policy.cached_preflight(f"https://h{i}.b.example".encode(), b"PUT", [], False)
        assert result.status == 204
        assert len(policy._cache) <= PREFLIGHT_CACHE_SIZE


def test_failed_preflights_are_not_cached() -> None:
    """Only successful answers are memoised."""
    policy = Policy(CORSConfig(**CONFIG_A))
    policy.cached_preflight(b"https://a.example", b"PATCH", [], False)
    policy.cached_preflight(b"https://a.example", b"PUT", [b"x-bad"], False)
    assert policy._cache == {}
