"""OriginMatcher: exact set, any-port, subdomain wildcards and the full-match regex."""

from __future__ import annotations

import re

import pytest

from crossorigin._grammar.matcher import OriginMatcher
from crossorigin._grammar.origins import parse_pattern

CONFIG_A = ["https://a.example", "https://*.b.example", "http://localhost:*"]


def matcher(patterns: list[str], regex: str | None = None) -> OriginMatcher:
    return OriginMatcher(
        [parse_pattern(p) for p in patterns], re.compile(regex) if regex is not None else None
    )


@pytest.mark.parametrize(
    ("patterns", "origin", "expected"),
    [
        # conformance item 14
        pytest.param(CONFIG_A, "https://a.example", True, id="exact"),
        pytest.param(CONFIG_A, "https://x.b.example", True, id="one label"),
        pytest.param(CONFIG_A, "https://y.x.b.example", True, id="two labels"),
        pytest.param(CONFIG_A, "https://b.example", False, id="apex never matches"),
        pytest.param(CONFIG_A, "https://evilb.example", False, id="suffix without dot"),
        pytest.param(CONFIG_A, "https://x.b.example.evil", False, id="suffix extended"),
        pytest.param(CONFIG_A, "http://x.b.example", False, id="wildcard other scheme"),
        pytest.param(CONFIG_A, "https://x.b.example:8443", False, id="wildcard other port"),
        pytest.param(CONFIG_A, "https://.b.example", False, id="empty label"),
        # item 16
        pytest.param(CONFIG_A, "http://localhost", True, id="any port without port"),
        pytest.param(CONFIG_A, "http://localhost:3000", True, id="any port with port"),
        pytest.param(CONFIG_A, "https://localhost:3000", False, id="any port other scheme"),
        pytest.param(
            CONFIG_A, "http://localhost.evil.example:3000", False, id="any port host prefix"
        ),
        pytest.param(CONFIG_A, "http://x.localhost:3000", False, id="any port subdomain"),
        # items 11, 12, 13, 15
        pytest.param(CONFIG_A, "https://A.example", False, id="upper case"),
        pytest.param(CONFIG_A, "https://a.example/", False, id="trailing slash"),
        pytest.param(CONFIG_A, "https://a.example:443", False, id="explicit default port"),
        pytest.param(CONFIG_A, "null", False, id="null"),
        pytest.param(CONFIG_A, "", False, id="empty"),
        pytest.param(
            ["https://foo.example", "https://bar.example"],
            "https://barfoo.example",
            False,
            id="concatenation",
        ),
        pytest.param(
            ["https://foo.example", "https://bar.example"],
            "https://foobar.example",
            False,
            id="concatenation reversed",
        ),
        pytest.param(["https://a.example"], "https://a.example.", False, id="trailing dot"),
        pytest.param(["https://a.example"], "http://a.example", False, id="exact other scheme"),
        pytest.param(["https://a.example"], "https://a.example:1", False, id="exact other port"),
        pytest.param(["https://a.example"], "https://b.a.example", False, id="exact subdomain"),
        pytest.param(["https://a.example:8443"], "https://a.example:8443", True, id="exact port"),
        pytest.param(["https://a.example:8443"], "https://a.example", False, id="port missing"),
        pytest.param(
            ["https://*.b.example:8443"], "https://x.b.example:8443", True, id="wildcard port"
        ),
        pytest.param(
            ["https://*.b.example:8443"], "https://x.b.example", False, id="wildcard port missing"
        ),
        pytest.param(
            ["https://*.b.example:*"], "https://x.b.example:1", True, id="wildcard any port"
        ),
        pytest.param(
            ["https://*.b.example:*"], "https://x.b.example", True, id="wildcard any port none"
        ),
        pytest.param(
            ["https://*.b.example:*"], "https://b.example:1", False, id="wildcard any port apex"
        ),
        pytest.param(["https://*.example"], "https://1.2.3.4", False, id="wildcard vs ipv4"),
        pytest.param(["http://[::1]:*"], "http://[::1]:8000", True, id="ipv6 any port"),
        pytest.param(["http://127.0.0.1:*"], "http://127.0.0.1:8000", True, id="ipv4 any port"),
        pytest.param(["http://127.0.0.1:*"], "http://127.0.0.10:8000", False, id="ipv4 prefix"),
    ],
)
def test_matches(patterns: list[str], origin: str, expected: bool) -> None:
    """A request origin matches exactly the patterns that allow it, byte for byte."""
    assert matcher(patterns).matches(origin.encode("latin-1")) is expected


@pytest.mark.parametrize(
    ("regex", "origin", "expected"),
    [
        pytest.param(r"https://.*\.c\.example", "https://x.c.example", True, id="regex match"),
        pytest.param(r"https://.*\.c\.example", "https://x.c.example.evil", False, id="fullmatch"),
        pytest.param(r"https://x", "https://x.c.example", False, id="prefix only"),
        pytest.param(r".*", "https://A.example", False, id="malformed origin never reaches regex"),
        pytest.param(r".*", "null", False, id="null never reaches regex"),
        pytest.param(r".*", "https://" + "a" * 400, False, id="overlong never reaches regex"),
        pytest.param(r".*", "https://a.example", True, id="exact plus regex"),
    ],
)
def test_regex(regex: str, origin: str, expected: bool) -> None:
    """The regex must match the whole of a valid origin; invalid origins never reach it."""
    assert matcher(["https://z.example"], regex).matches(origin.encode("ascii")) is expected


@pytest.mark.parametrize(
    ("patterns", "regex", "needs_parse"),
    [
        pytest.param(["https://a.example"], None, False, id="exact only"),
        pytest.param(["https://a.example:*"], None, True, id="any port"),
        pytest.param(["https://*.a.example"], None, True, id="wildcard"),
        pytest.param([], "x", True, id="regex"),
    ],
)
def test_needs_parse(patterns: list[str], regex: str | None, needs_parse: bool) -> None:
    """needs_parse is False exactly when only exact origins can match."""
    assert matcher(patterns, regex).needs_parse is needs_parse


def test_exact_set_holds_serialized_bytes() -> None:
    """Exact patterns are stored as the bytes a browser sends."""
    assert matcher(["https://a.example", "http://[::1]:8080", "https://*.b.example"]).exact == {
        b"https://a.example",
        b"http://[::1]:8080",
    }


def test_many_labels_bounded() -> None:
    """A host with the maximum number of labels is looked up without error."""
    host = ".".join(["a"] * 126) + ".b.example"
    assert matcher(CONFIG_A).matches(f"https://{host}".encode("ascii")) is False
    host = ".".join(["a"] * 120) + ".b.example"
    assert matcher(CONFIG_A).matches(f"https://{host}".encode("ascii")) is True
