"""HTTP methods as Fetch sees them: tokens, forbidden methods, normalisation."""

from __future__ import annotations

import pytest

from crossorigin._grammar.methods import FORBIDDEN, SAFELISTED, is_forbidden, is_token, normalize


def test_safelisted_and_forbidden_sets() -> None:
    """The safelisted and forbidden sets are exactly Fetch's."""
    assert ({"GET", "HEAD", "POST"}, {"CONNECT", "TRACE", "TRACK"}) == (SAFELISTED, FORBIDDEN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("PUT", True, id="upper case"),
        pytest.param("patch", True, id="lower case"),
        pytest.param("X-CUSTOM_1.0", True, id="token punctuation"),
        pytest.param("!#$%&'*+-.^_`|~", True, id="every tchar symbol"),
        pytest.param(b"PURGE", True, id="bytes"),
        pytest.param("", False, id="empty"),
        pytest.param(b"", False, id="empty bytes"),
        pytest.param("P UT", False, id="space"),
        pytest.param("PUT\t", False, id="tab"),
        pytest.param("GET,PUT", False, id="comma"),
        pytest.param("a:b", False, id="colon"),
        pytest.param('"PUT"', False, id="quoted"),
        pytest.param("PUT\x00", False, id="nul"),
        pytest.param("PUT\r\n", False, id="crlf"),
        pytest.param("PÜT", False, id="non-ascii str"),
        pytest.param("€", False, id="non-latin-1 str"),
        pytest.param(b"\xff", False, id="high byte"),
    ],
)
def test_is_token(value: str | bytes, expected: bool) -> None:
    """Only non-empty strings of RFC 9110 tchars are tokens."""
    assert is_token(value) is expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        pytest.param("CONNECT", True, id="connect"),
        pytest.param("trace", True, id="trace lower case"),
        pytest.param("Track", True, id="track mixed case"),
        pytest.param("TRACKS", False, id="longer name"),
        pytest.param("PUT", False, id="put"),
        pytest.param("GET", False, id="get"),
    ],
)
def test_is_forbidden(method: str, expected: bool) -> None:
    """CONNECT, TRACE and TRACK are forbidden in any case, nothing else is."""
    assert is_forbidden(method) is expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        pytest.param("get", "GET", id="get"),
        pytest.param("Head", "HEAD", id="head"),
        pytest.param("post", "POST", id="post"),
        pytest.param("put", "PUT", id="put"),
        pytest.param("delete", "DELETE", id="delete"),
        pytest.param("options", "OPTIONS", id="options"),
        pytest.param("patch", "patch", id="patch kept verbatim"),
        pytest.param("Patch", "Patch", id="mixed-case patch kept"),
        pytest.param("PATCH", "PATCH", id="upper-case patch"),
        pytest.param("purge", "purge", id="custom method kept"),
    ],
)
def test_normalize(method: str, expected: str) -> None:
    """Only the six standard methods are upper-cased; every other method keeps its case."""
    assert normalize(method) == expected
