"""CORSConfig: one row per ConfigProblem, all problems at once, immutability and defaults."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

import pytest

from crossorigin import ConfigError, ConfigProblem, CORSConfig

A = ["https://a.example"]
FIX_SINGLE = "must be a list of strings, not a single string"
MAX_AGE = (
    "must be a whole number of seconds from 0 to 86400; use 0 to disable preflight caching, or"
    " None to let browsers use 5 s"
)
STATUS = "browsers accept only a 2xx status for a successful preflight; use 204 or 200"
WILDCARD = (
    "'*' is allowed only as a whole leading label ('https://*.example.com') or as the port"
    " ('http://localhost:*'); use allow_origin_regex for anything else"
)


def allow_all(origin: str, scope: Any) -> bool:
    """A predicate for the rows that need one."""
    return True


# (kwargs, field, value, reason, message): the only problem the kwargs produce.
PROBLEMS = [
    # -- booleans
    *(
        pytest.param(
            {"allow_origins": A, name: "yes"},
            name,
            "yes",
            "invalid",
            f"crossorigin: invalid {name} 'yes': must be True or False",
            id=f"{name} not a bool",
        )
        for name in (
            "allow_credentials",
            "allow_private_network",
            "debug",
            "dangerously_allow_insecure_origins",
            "dangerously_allow_public_suffix_wildcards",
            "dangerously_allow_backtracking_regex",
        )
    ),
    pytest.param(
        {"allow_origins": A, "allow_credentials": 1},
        "allow_credentials",
        1,
        "invalid",
        "crossorigin: invalid allow_credentials 1: must be True or False",
        id="allow_credentials is 1",
    ),
    # -- a str where a list is expected
    pytest.param(
        {"allow_origins": "https://a.example, https://b.example"},
        "allow_origins",
        "https://a.example, https://b.example",
        "invalid",
        "crossorigin: invalid allow_origins 'https://a.example, https://b.example': "
        f"{FIX_SINGLE}; write ['https://a.example', 'https://b.example']",
        id="allow_origins is a str",
    ),
    pytest.param(
        {"allow_origins": A, "allow_methods": "PUT"},
        "allow_methods",
        "PUT",
        "invalid",
        f"crossorigin: invalid allow_methods 'PUT': {FIX_SINGLE}; write ['PUT']",
        id="allow_methods is a str",
    ),
    pytest.param(
        {"allow_origins": A, "allow_methods": ""},
        "allow_methods",
        "",
        "invalid",
        f"crossorigin: invalid allow_methods '': {FIX_SINGLE}; write a list, e.g. ['PUT']",
        id="allow_methods is an empty str",
    ),
    pytest.param(
        {"allow_origins": A, "allow_headers": "x-a"},
        "allow_headers",
        "x-a",
        "invalid",
        f"crossorigin: invalid allow_headers 'x-a': {FIX_SINGLE}; write ['x-a']",
        id="allow_headers is a str",
    ),
    pytest.param(
        {"allow_origins": A, "expose_headers": "x-a, x-b"},
        "expose_headers",
        "x-a, x-b",
        "invalid",
        f"crossorigin: invalid expose_headers 'x-a, x-b': {FIX_SINGLE}; write ['x-a', 'x-b']",
        id="expose_headers is a str",
    ),
    pytest.param(
        {"allow_origins": A, "allow_methods": 5},
        "allow_methods",
        5,
        "invalid",
        "crossorigin: invalid allow_methods 5: must be a list, e.g. ['PUT']",
        id="allow_methods not a collection",
    ),
    pytest.param(
        {"allow_origins": A, "allow_headers": None},
        "allow_headers",
        None,
        "invalid",
        "crossorigin: invalid allow_headers None: must be a list, e.g. ['x-api-key']",
        id="allow_headers is None",
    ),
    pytest.param(
        {"allow_origins": A, "expose_headers": ["x-a", b"x-b"]},
        "expose_headers",
        b"x-b",
        "invalid",
        "crossorigin: invalid expose_headers entry b'x-b': must be a string",
        id="entry not a str",
    ),
    # -- origins
    pytest.param(
        {},
        "allow_origins",
        (),
        "missing",
        "crossorigin: missing allow_origins (): no origin is allowed; list the origins of your"
        " frontends, e.g. allow_origins=['https://app.example.com'], or ['*'] for a public API",
        id="no origins",
    ),
    pytest.param(
        {"allow_origins": ["null"]},
        "allow_origins",
        "null",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'null': the null origin is sent by sandboxed"
        " iframes, file: pages and redirects, so any site can forge it; remove it;"
        " allow_origins=['*'] is the only way to serve null origins",
        id="null origin",
    ),
    pytest.param(
        {"allow_origins": ["file://x"]},
        "allow_origins",
        "file://x",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'file://x': file: URLs have an opaque origin"
        " that browsers send as null; remove it",
        id="file origin",
    ),
    pytest.param(
        {"allow_origins": ["http://localhost:3000/"]},
        "allow_origins",
        "http://localhost:3000/",
        "invalid",
        "crossorigin: invalid allow_origins entry 'http://localhost:3000/': an origin has no path,"
        " query or trailing slash; did you mean 'http://localhost:3000'?",
        id="trailing slash",
    ),
    pytest.param(
        {"allow_origins": ["https://a.example:443"]},
        "allow_origins",
        "https://a.example:443",
        "invalid",
        "crossorigin: invalid allow_origins entry 'https://a.example:443': browsers omit the"
        " default port 443 of https; did you mean 'https://a.example'?",
        id="default port",
    ),
    pytest.param(
        {"allow_origins": ["https://A.example"]},
        "allow_origins",
        "https://A.example",
        "invalid",
        "crossorigin: invalid allow_origins entry 'https://A.example': browsers send origins in"
        " lower case, with IDN hosts in punycode; did you mean 'https://a.example'?",
        id="upper case",
    ),
    pytest.param(
        {"allow_origins": ["https://résumé.example"]},
        "allow_origins",
        "https://résumé.example",
        "invalid",
        "crossorigin: invalid allow_origins entry 'https://résumé.example': browsers send origins"
        " in lower case, with IDN hosts in punycode; did you mean 'https://xn--rsum-bpad.example'?",
        id="non-ascii host",
    ),
    pytest.param(
        {"allow_origins": ["https://a.example:65536"]},
        "allow_origins",
        "https://a.example:65536",
        "invalid",
        "crossorigin: invalid allow_origins entry 'https://a.example:65536': the port must be a"
        " number from 1 to 65535 without leading zeros",
        id="port 65536",
    ),
    pytest.param(
        {"allow_origins": ["http://[0:0:0:0:0:0:0:1]"]},
        "allow_origins",
        "http://[0:0:0:0:0:0:0:1]",
        "invalid",
        "crossorigin: invalid allow_origins entry 'http://[0:0:0:0:0:0:0:1]': IPv6 address is not"
        " canonical: use [::1]; did you mean 'http://[::1]'?",
        id="ipv6 long form",
    ),
    pytest.param(
        {"allow_origins": ["https://a.*.example"]},
        "allow_origins",
        "https://a.*.example",
        "invalid",
        f"crossorigin: invalid allow_origins entry 'https://a.*.example': {WILDCARD}",
        id="inner wildcard",
    ),
    pytest.param(
        {"allow_origins": ["*"], "allow_credentials": True},
        "allow_origins",
        "*",
        "incompatible",
        "crossorigin: incompatible allow_origins '*': '*' with allow_credentials=True would let"
        " every site read responses with the user's cookies; list the trusted origins"
        " explicitly, or set allow_credentials=False",
        id="star with credentials",
    ),
    pytest.param(
        {"allow_origins": ["*", "https://a.example"]},
        "allow_origins",
        ("*", "https://a.example"),
        "incompatible",
        "crossorigin: incompatible allow_origins ('*', 'https://a.example'): '*' already allows"
        " every origin; use ['*'] alone or remove '*'",
        id="star with others",
    ),
    pytest.param(
        {"allow_origins": ["*"], "allow_private_network": True},
        "allow_private_network",
        True,
        "incompatible",
        "crossorigin: incompatible allow_private_network True: private network access cannot be"
        " granted to every origin; list the trusted origins explicitly",
        id="star with private network",
    ),
    pytest.param(
        {"allow_origins": ["http://a.example"], "allow_credentials": True},
        "allow_origins",
        "http://a.example",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'http://a.example': with credentials, a"
        " plain-http origin lets network attackers read responses; use https, or set"
        " dangerously_allow_insecure_origins=True",
        id="insecure with credentials",
    ),
    pytest.param(
        {"allow_origins": ["http://*.a.example:*"], "allow_credentials": True},
        "allow_origins",
        "http://*.a.example:*",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'http://*.a.example:*': with credentials, a"
        " plain-http origin lets network attackers read responses; use https, or set"
        " dangerously_allow_insecure_origins=True",
        id="insecure wildcard with credentials",
    ),
    pytest.param(
        {"allow_origins": ["https://*.github.io"], "allow_credentials": True},
        "allow_origins",
        "https://*.github.io",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'https://*.github.io': 'github.io' is a"
        " public suffix: anyone can register a subdomain of it; list the exact origins, or set"
        " dangerously_allow_public_suffix_wildcards=True",
        id="public suffix with credentials",
    ),
    pytest.param(
        {"allow_origins": ["https://*.co.uk:*"], "allow_credentials": True},
        "allow_origins",
        "https://*.co.uk:*",
        "prohibited",
        "crossorigin: prohibited allow_origins entry 'https://*.co.uk:*': 'co.uk' is a public"
        " suffix: anyone can register a subdomain of it; list the exact origins, or set"
        " dangerously_allow_public_suffix_wildcards=True",
        id="two-label public suffix any port",
    ),
    # -- methods
    pytest.param(
        {"allow_origins": A, "allow_methods": ["P UT"]},
        "allow_methods",
        "P UT",
        "invalid",
        "crossorigin: invalid allow_methods entry 'P UT': a method is a token such as 'PUT' or"
        " 'PATCH'",
        id="method not a token",
    ),
    pytest.param(
        {"allow_origins": A, "allow_methods": ["trace"]},
        "allow_methods",
        "trace",
        "forbidden",
        "crossorigin: forbidden allow_methods entry 'trace': browsers never send CONNECT, TRACE"
        " or TRACK; remove it",
        id="forbidden method any case",
    ),
    pytest.param(
        {"allow_origins": A, "allow_methods": ["*", "PUT"]},
        "allow_methods",
        ("*", "PUT"),
        "incompatible",
        "crossorigin: incompatible allow_methods ('*', 'PUT'): '*' already allows every method;"
        " use ['*'] alone",
        id="star method with others",
    ),
    # -- request headers
    pytest.param(
        {"allow_origins": A, "allow_headers": ["x a"]},
        "allow_headers",
        "x a",
        "invalid",
        "crossorigin: invalid allow_headers entry 'x a': a header name is a token such as"
        " 'x-api-key'",
        id="header not a token",
    ),
    pytest.param(
        {"allow_origins": A, "allow_headers": ["Cookie"]},
        "allow_headers",
        "Cookie",
        "forbidden",
        "crossorigin: forbidden allow_headers entry 'Cookie': browsers never let scripts set this"
        " request header; remove it",
        id="forbidden request header",
    ),
    pytest.param(
        {"allow_origins": A, "allow_headers": ["sec-fetch-mode"]},
        "allow_headers",
        "sec-fetch-mode",
        "forbidden",
        "crossorigin: forbidden allow_headers entry 'sec-fetch-mode': browsers never let scripts"
        " set this request header; remove it",
        id="sec- request header",
    ),
    pytest.param(
        {"allow_origins": A, "allow_headers": ["Access-Control-Allow-Origin"]},
        "allow_headers",
        "Access-Control-Allow-Origin",
        "forbidden",
        "crossorigin: forbidden allow_headers entry 'Access-Control-Allow-Origin': this is a"
        " response header; the middleware sets it; remove it",
        id="response-only cors header",
    ),
    # -- exposed headers
    pytest.param(
        {"allow_origins": A, "expose_headers": ["x:a"]},
        "expose_headers",
        "x:a",
        "invalid",
        "crossorigin: invalid expose_headers entry 'x:a': a header name is a token such as"
        " 'x-api-key'",
        id="exposed header not a token",
    ),
    pytest.param(
        {"allow_origins": A, "expose_headers": ["Set-Cookie"]},
        "expose_headers",
        "Set-Cookie",
        "forbidden",
        "crossorigin: forbidden expose_headers entry 'Set-Cookie': browsers never expose"
        " Set-Cookie to scripts; remove it",
        id="expose set-cookie",
    ),
    pytest.param(
        {"allow_origins": A, "expose_headers": ["origin"]},
        "expose_headers",
        "origin",
        "forbidden",
        "crossorigin: forbidden expose_headers entry 'origin': this is a request header, never"
        " part of a response; remove it",
        id="expose request-only header",
    ),
    pytest.param(
        {"allow_origins": A, "expose_headers": ["*"], "allow_credentials": True},
        "expose_headers",
        "*",
        "incompatible",
        "crossorigin: incompatible expose_headers '*': browsers ignore '*' for credentialed"
        " requests (it would expose nothing); list the response headers to expose, e.g."
        " ['x-total-count']",
        id="expose star with credentials",
    ),
    # -- regex and predicate
    pytest.param(
        {"allow_origins": A, "allow_origin_regex": "("},
        "allow_origin_regex",
        "(",
        "invalid",
        "crossorigin: invalid allow_origin_regex '(': does not compile: missing ), unterminated"
        " subpattern at position 0",
        id="regex does not compile",
    ),
    pytest.param(
        {"allow_origins": A, "allow_origin_regex": re.compile(b"x")},
        "allow_origin_regex",
        re.compile(b"x"),
        "invalid",
        "crossorigin: invalid allow_origin_regex re.compile(b'x'): must be a str pattern",
        id="bytes regex",
    ),
    pytest.param(
        {"allow_origins": A, "allow_origin_regex": 5},
        "allow_origin_regex",
        5,
        "invalid",
        "crossorigin: invalid allow_origin_regex 5: must be a string or a compiled re.Pattern",
        id="regex wrong type",
    ),
    pytest.param(
        {"allow_origins": ["*"], "allow_origin_regex": "x"},
        "allow_origin_regex",
        "x",
        "incompatible",
        "crossorigin: incompatible allow_origin_regex 'x': allow_origins=['*'] already allows"
        " every origin; remove it",
        id="regex with star",
    ),
    pytest.param(
        {"allow_origins": A, "allow_origin_predicate": 5},
        "allow_origin_predicate",
        5,
        "invalid",
        "crossorigin: invalid allow_origin_predicate 5: must be a function (origin, scope) ->"
        " bool or an async one",
        id="predicate not callable",
    ),
    pytest.param(
        {"allow_origins": ["*"], "allow_origin_predicate": allow_all},
        "allow_origin_predicate",
        allow_all,
        "incompatible",
        f"crossorigin: incompatible allow_origin_predicate {allow_all!r}: allow_origins=['*']"
        " already allows every origin; remove it",
        id="predicate with star",
    ),
    # -- numbers
    pytest.param(
        {"allow_origins": A, "max_age": 86401},
        "max_age",
        86401,
        "invalid",
        f"crossorigin: invalid max_age 86401: {MAX_AGE}",
        id="max_age too large by 1",
    ),
    pytest.param(
        {"allow_origins": A, "max_age": -1},
        "max_age",
        -1,
        "invalid",
        f"crossorigin: invalid max_age -1: {MAX_AGE}",
        id="max_age negative",
    ),
    pytest.param(
        {"allow_origins": A, "max_age": 1.5},
        "max_age",
        1.5,
        "invalid",
        f"crossorigin: invalid max_age 1.5: {MAX_AGE}",
        id="max_age float",
    ),
    pytest.param(
        {"allow_origins": A, "max_age": True},
        "max_age",
        True,
        "invalid",
        f"crossorigin: invalid max_age True: {MAX_AGE}",
        id="max_age bool",
    ),
    pytest.param(
        {"allow_origins": A, "preflight_status": 301},
        "preflight_status",
        301,
        "invalid",
        f"crossorigin: invalid preflight_status 301: {STATUS}",
        id="preflight_status redirect",
    ),
    pytest.param(
        {"allow_origins": A, "preflight_status": 300},
        "preflight_status",
        300,
        "invalid",
        f"crossorigin: invalid preflight_status 300: {STATUS}",
        id="preflight_status too large by 1",
    ),
    pytest.param(
        {"allow_origins": A, "preflight_status": "204"},
        "preflight_status",
        "204",
        "invalid",
        f"crossorigin: invalid preflight_status '204': {STATUS}",
        id="preflight_status str",
    ),
]


@pytest.mark.parametrize(("kwargs", "field", "value", "reason", "message"), PROBLEMS)
def test_problem(
    kwargs: dict[str, Any], field: str, value: object, reason: str, message: str
) -> None:
    """Each bad field yields exactly one ConfigProblem with the exact message and a fix."""
    with pytest.raises(ConfigError) as info:
        CORSConfig(**kwargs)
    assert info.value.problems == (ConfigProblem(field, value, reason, message),)  # type: ignore[arg-type]


def test_every_reason_is_in_the_vocabulary() -> None:
    """Every row's reason is one of the closed vocabulary and starts its message."""
    for row in PROBLEMS:
        _, _, _, reason, message = row.values
        assert reason in {"missing", "invalid", "prohibited", "forbidden", "incompatible"}
        assert message.startswith(f"crossorigin: {reason} ")
        assert "\n" not in message


def test_all_problems_reported_at_once() -> None:
    """A config with many problems raises one ConfigError listing all of them, in field order."""
    with pytest.raises(ConfigError) as info:
        CORSConfig(
            allow_origins=["*", "https://a.example/"],
            allow_credentials=True,
            allow_methods=["TRACE", "P UT"],
            allow_headers=["cookie"],
            expose_headers=["set-cookie", "*"],
            max_age=-5,
            preflight_status=500,
            debug="on",  # type: ignore[arg-type]
        )
    got = [(p.field, p.value, p.reason) for p in info.value.problems]
    assert got == [
        ("debug", "on", "invalid"),
        ("allow_origins", "https://a.example/", "invalid"),
        ("allow_origins", "*", "incompatible"),
        ("allow_origins", ("*", "https://a.example/"), "incompatible"),
        ("allow_methods", "TRACE", "forbidden"),
        ("allow_methods", "P UT", "invalid"),
        ("allow_headers", "cookie", "forbidden"),
        ("expose_headers", "set-cookie", "forbidden"),
        ("expose_headers", "*", "incompatible"),
        ("max_age", -5, "invalid"),
        ("preflight_status", 500, "invalid"),
    ]
    text = str(info.value)
    assert text.splitlines()[0] == "11 problems in the CORS configuration:"
    assert text.splitlines()[1:] == [f"  - {p.message}" for p in info.value.problems]


def test_str_entries_still_checked() -> None:
    """A str where a list is expected is reported, and its items are validated too."""
    with pytest.raises(ConfigError) as info:
        CORSConfig(allow_origins="https://a.example/, null")  # type: ignore[arg-type]
    assert [(p.reason, p.value) for p in info.value.problems] == [
        ("invalid", "https://a.example/, null"),
        ("invalid", "https://a.example/"),
        ("prohibited", "null"),
    ]


def test_config_error_is_value_error() -> None:
    """ConfigError is a ValueError whose single-problem message says so."""
    with pytest.raises(
        ValueError, match=r"^1 problem in the CORS configuration:\n  - crossorigin: missing"
    ):
        CORSConfig()


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"allow_origins": ["*"]}, id="public"),
        pytest.param(
            {"allow_origins": ["http://localhost:*"], "allow_credentials": True},
            id="localhost credentials",
        ),
        pytest.param(
            {"allow_origins": ["http://127.0.0.1:8000"], "allow_credentials": True},
            id="ipv4 loopback credentials",
        ),
        pytest.param(
            {"allow_origins": ["http://[::1]"], "allow_credentials": True},
            id="ipv6 loopback credentials",
        ),
        pytest.param(
            {"allow_origins": ["http://x.localhost"], "allow_credentials": True},
            id="localhost subdomain credentials",
        ),
        pytest.param(
            {
                "allow_origins": ["http://a.example"],
                "allow_credentials": True,
                "dangerously_allow_insecure_origins": True,
            },
            id="insecure opt-in",
        ),
        pytest.param(
            {
                "allow_origins": ["https://*.github.io"],
                "allow_credentials": True,
                "dangerously_allow_public_suffix_wildcards": True,
            },
            id="public suffix opt-in",
        ),
        pytest.param(
            {"allow_origins": ["https://*.github.io"]}, id="public suffix without credentials"
        ),
        pytest.param({"allow_origins": ["http://a.example"]}, id="insecure without credentials"),
        pytest.param({"allow_origin_regex": r"https://.*\.a\.example"}, id="regex only"),
        pytest.param({"allow_origin_predicate": allow_all}, id="predicate only"),
        pytest.param({"allow_origins": A, "max_age": 0}, id="max_age 0"),
        pytest.param({"allow_origins": A, "max_age": 86400}, id="max_age 86400"),
        pytest.param({"allow_origins": A, "max_age": None}, id="max_age None"),
        pytest.param({"allow_origins": A, "preflight_status": 200}, id="preflight_status 200"),
        pytest.param({"allow_origins": A, "preflight_status": 299}, id="preflight_status 299"),
        pytest.param(
            {"allow_origins": A, "allow_methods": ["*"], "allow_headers": ["*"]}, id="stars"
        ),
        pytest.param(
            {"allow_origins": A, "expose_headers": ["*"]}, id="expose star without credentials"
        ),
        pytest.param(
            {"allow_origins": A, "allow_methods": ["CONNECTS"]}, id="longer than a forbidden method"
        ),
    ],
)
def test_valid(kwargs: dict[str, Any]) -> None:
    """Valid configurations construct without error."""
    CORSConfig(**kwargs)


def test_normalisation() -> None:
    """Lists become sorted unique tuples, header names lower-case, methods Fetch-normalised."""
    config = CORSConfig(
        allow_origins=["https://b.example", "https://a.example", "https://a.example"],
        allow_methods=["put", "PATCH", "patch", "get", "PUT"],
        allow_headers=["X-B", "x-a", "X-A"],
        expose_headers=["X-Total", "x-total"],
        allow_origin_regex=r"https://c\.example",
    )
    assert (
        config.allow_origins,
        config.allow_methods,
        config.allow_headers,
        config.expose_headers,
        config.allow_origin_regex,
    ) == (
        ("https://a.example", "https://b.example"),
        ("GET", "PATCH", "PUT", "patch"),
        ("x-a", "x-b"),
        ("x-total",),
        re.compile(r"https://c\.example"),
    )


def test_equal_configs_hash_equal() -> None:
    """Configs equal after normalisation are equal and hash alike; usable as dict keys."""
    one = CORSConfig(
        allow_origins=["https://b.example", "https://a.example"], allow_headers=["X-A"]
    )
    two = CORSConfig(
        allow_origins=("https://a.example", "https://b.example"), allow_headers={"x-a"}
    )
    assert one == two
    assert hash(one) == hash(two)
    assert {one: 1}[two] == 1


def test_immutable() -> None:
    """Fields cannot be assigned or added after construction."""
    config = CORSConfig(allow_origins=A)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.allow_origins = ("*",)  # type: ignore[misc]
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
        config.extra = 1  # type: ignore[attr-defined]


def test_keyword_only() -> None:
    """Positional arguments are refused."""
    with pytest.raises(TypeError):
        CORSConfig(A)  # type: ignore[misc]


def test_as_dict_round_trip() -> None:
    """as_dict() holds every field and rebuilds an equal config."""
    config = CORSConfig(
        allow_origins=["https://a.example", "https://*.b.example", "http://localhost:*"],
        allow_methods=["PUT", "DELETE"],
        allow_headers=["x-foo", "content-type"],
        expose_headers=["x-total"],
        allow_origin_regex=r"https://c\.example",
        allow_origin_predicate=allow_all,
        allow_credentials=True,
        max_age=None,
        debug=True,
    )
    data = config.as_dict()
    assert set(data) == {f.name for f in dataclasses.fields(CORSConfig)}
    assert CORSConfig(**data) == config


def test_replace_validates() -> None:
    """replace() returns a new validated config and leaves the original alone."""
    config = CORSConfig(allow_origins=A)
    assert config.replace(max_age=10).max_age == 10
    assert config.max_age == 600
    with pytest.raises(ConfigError):
        config.replace(allow_credentials=True, allow_origins=["*"])


def test_starlette_defaults() -> None:
    """Every field Starlette's CORSMiddleware has exists here with the same default."""
    from starlette.middleware.cors import CORSMiddleware as StarletteCORS

    theirs = {
        name: p.default
        for name, p in inspect.signature(StarletteCORS.__init__).parameters.items()
        if name not in {"self", "app"}
    }
    ours = {f.name: f.default for f in dataclasses.fields(CORSConfig)}
    assert {name: ours[name] for name in theirs} == theirs
    assert {
        name: ours[name]
        for name in set(ours) - set(theirs)
        if not name.startswith("prot") and name != "public_origin"
    } == {
        "allow_origin_predicate": None,
        "preflight_status": 204,
        "debug": False,
        "dangerously_allow_insecure_origins": False,
        "dangerously_allow_public_suffix_wildcards": False,
        "dangerously_allow_backtracking_regex": False,
        "allow_stored_origins": False,
    }


def test_starlette_kwargs_mode() -> None:
    """A Starlette-style keyword config is accepted unchanged."""
    config = CORSConfig(
        allow_origins=["https://a.example"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
        expose_headers=["x-total"],
        max_age=600,
    )
    assert config.allow_methods == ("*",)
