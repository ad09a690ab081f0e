"""Validation of the protection fields of CORSConfig (behaviour.md B51): one row per problem."""

from __future__ import annotations

from typing import Any

import pytest

from crossorigin import ConfigError, CORSConfig

ROWS = [
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": "/webhook"},
        "crossorigin: invalid protection_exempt_paths '/webhook': must be a list of strings, not a"
        " single string; write ['/webhook']",
        id="a single string",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": ["webhook"]},
        "crossorigin: invalid protection_exempt_paths entry 'webhook': a path starts with '/';"
        " did you mean '/webhook'?",
        id="no leading slash",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": ["/hooks/*"]},
        "crossorigin: invalid protection_exempt_paths entry '/hooks/*': paths are matched exactly,"
        " without wildcards; list every exempt path",
        id="wildcard",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": ["/hooks/{name}"]},
        "crossorigin: invalid protection_exempt_paths entry '/hooks/{name}': paths are matched"
        " exactly, without wildcards; list every exempt path",
        id="route parameter",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": ["/hook?x=1"]},
        "crossorigin: invalid protection_exempt_paths entry '/hook?x=1': only the path is"
        " compared; did you mean '/hook'?",
        id="query string",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": ["/hook "]},
        "crossorigin: invalid protection_exempt_paths entry '/hook ': paths contain no"
        " surrounding whitespace or control characters; remove it",
        id="trailing space",
    ),
    pytest.param(
        {"protect_writes": True, "protection_exempt_paths": [3]},
        "crossorigin: invalid protection_exempt_paths entry 3: must be a string",
        id="not a string",
    ),
    pytest.param(
        {"allow_origins": ["https://a.example"], "protection_exempt_paths": ["/w"]},
        "crossorigin: incompatible protection_exempt_paths ('/w',): has no effect while"
        " protect_writes and protect_websockets are False; set protect_writes=True (or"
        " protect_websockets=True), or remove it",
        id="exempt paths without a protection",
    ),
    pytest.param(
        {"allow_origins": ["https://a.example"], "public_origin": "https://a.example"},
        "crossorigin: incompatible public_origin 'https://a.example': has no effect while"
        " protect_writes and protect_websockets are False; set protect_writes=True (or"
        " protect_websockets=True), or remove it",
        id="public origin without a protection",
    ),
    pytest.param(
        {"protect_writes": True, "public_origin": "https://App.example/"},
        "crossorigin: invalid public_origin 'https://App.example/': an origin has no path, query"
        " or trailing slash; did you mean 'https://app.example'?",
        id="public origin with a trailing slash",
    ),
    pytest.param(
        {"protect_writes": True, "public_origin": "https://*.example.com"},
        "crossorigin: invalid public_origin 'https://*.example.com': is the one origin browsers"
        " see for this server, not a pattern; give the exact origin, e.g."
        " 'https://app.example.com'",
        id="public origin pattern",
    ),
    pytest.param(
        {"protect_writes": True, "public_origin": "null"},
        "crossorigin: invalid public_origin 'null': a server's own origin is never the opaque"
        " null origin; give the exact origin, e.g. 'https://app.example.com'",
        id="public origin null",
    ),
    pytest.param(
        {"protect_writes": True, "public_origin": 42},
        "crossorigin: invalid public_origin 42: must be a string such as 'https://app.example'",
        id="public origin not a string",
    ),
    pytest.param(
        {"allow_origins": ["https://a.example"], "protect_websockets": 1},
        "crossorigin: invalid protect_websockets 1: must be True or False",
        id="flag not a bool",
    ),
]


@pytest.mark.parametrize(("config", "message"), ROWS)
def test_problem(config: dict[str, Any], message: str) -> None:
    """The config is refused with exactly this one problem message."""
    with pytest.raises(ConfigError) as info:
        CORSConfig(**config)
    assert [p.message for p in info.value.problems] == [message]


def test_all_protection_problems_at_once() -> None:
    """Every protection problem is reported in the same error as the CORS ones."""
    with pytest.raises(ConfigError) as info:
        CORSConfig(
            allow_origins=["https://a.example/"],
            protect_writes=True,
            protection_exempt_paths=["x"],
            public_origin="*",
        )
    fields = [p.field for p in info.value.problems]
    assert fields == ["allow_origins", "protection_exempt_paths", "public_origin"]


def test_defaults_are_off() -> None:
    """Both protections are off by default, with no exemptions and no public origin."""
    config = CORSConfig(allow_origins=["https://a.example"])
    assert (
        config.protect_writes,
        config.protect_websockets,
        config.protection_exempt_paths,
        config.public_origin,
    ) == (False, False, (), None)


def test_protection_only_config_needs_no_origins() -> None:
    """A config that only protects (no cross-origin frontend) is complete without origins."""
    assert CORSConfig(protect_writes=True).allow_origins == ()
    assert CORSConfig(protect_websockets=True).allow_origins == ()


def test_exempt_paths_are_normalised() -> None:
    """Exempt paths become a sorted tuple without duplicates; the config stays hashable."""
    config = CORSConfig(protect_writes=True, protection_exempt_paths=["/b", "/a", "/b"])
    assert config.protection_exempt_paths == ("/a", "/b")
    assert hash(config) == hash(config.replace())
