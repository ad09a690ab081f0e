"""Header-name sets, the bounded ACRH tokenizer and response-header merging."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossorigin._grammar.headers import (
    FORBIDDEN_REQUEST,
    MAX_ACRH_BYTES,
    MAX_ACRH_EMPTY,
    MAX_ACRH_NAMES,
    SAFELISTED_REQUEST,
    is_forbidden_request,
    merge_response_headers,
    split_acrh,
    vary_has,
)

Headers = list[tuple[bytes, bytes]]


def test_safelisted_request_names() -> None:
    """The always-accepted ACRH names are exactly Fetch's four safelisted names (C4)."""
    assert {"accept", "accept-language", "content-language", "content-type"} == SAFELISTED_REQUEST


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *(pytest.param(n, True, id=n) for n in sorted(FORBIDDEN_REQUEST)),
        pytest.param("sec-fetch-mode", True, id="sec- prefix"),
        pytest.param("proxy-authorization", True, id="proxy- prefix"),
        pytest.param("authorization", False, id="authorization"),
        pytest.param("x-secure", False, id="x-secure"),
        pytest.param("content-type", False, id="content-type"),
        pytest.param("x-http-method-override", False, id="method override"),
    ],
)
def test_is_forbidden_request(name: str, expected: bool) -> None:
    """Forbidden request-header names are Fetch's list plus the proxy- and sec- prefixes."""
    assert is_forbidden_request(name) is expected


def _names(*names: str) -> list[bytes]:
    return [n.encode("ascii") for n in names]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([b"content-type,x-foo"], _names("content-type", "x-foo"), id="browser form"),
        pytest.param([b"x-foo"], _names("x-foo"), id="one name"),
        pytest.param([b"content-type, x-foo"], _names("content-type", "x-foo"), id="one space"),
        pytest.param([b"X-Foo"], _names("x-foo"), id="upper case lowered"),
        pytest.param([b"x-foo,content-type"], _names("x-foo", "content-type"), id="unsorted"),
        pytest.param([b"x-foo,x-foo"], _names("x-foo", "x-foo"), id="duplicate"),
        pytest.param([b"content-type", b"x-foo"], _names("content-type", "x-foo"), id="two lines"),
        pytest.param([b",,x-foo,,"], _names("x-foo"), id="empty elements"),
        pytest.param([b"\tx-foo \t,  x-bar"], _names("x-foo", "x-bar"), id="tabs and spaces"),
        pytest.param([b""], [], id="empty value"),
        pytest.param([b" "], [], id="only a space"),
        pytest.param([b"", b""], [], id="two empty lines"),
        pytest.param([], [], id="no lines"),
        pytest.param([b"," * (MAX_ACRH_EMPTY - 1)], [], id="empty elements at budget"),
        pytest.param([b"," * MAX_ACRH_EMPTY], None, id="empty elements over budget by 1"),
        pytest.param([b"a" * MAX_ACRH_BYTES], [b"a" * MAX_ACRH_BYTES], id="bytes at budget"),
        pytest.param([b"a" * (MAX_ACRH_BYTES + 1)], None, id="bytes over budget by 1"),
        pytest.param([b"a" * 2048, b"b" * 2049], None, id="bytes over budget across lines"),
        pytest.param([b"," * (1 << 20)], None, id="1 MiB of commas"),
        pytest.param([b"a" + b" " * (1 << 20) + b"b"], None, id="1 MiB of spaces"),
        pytest.param(
            [b"A," * (MAX_ACRH_NAMES - 1) + b"A"], [b"a"] * MAX_ACRH_NAMES, id="names at budget"
        ),
        pytest.param([b"A," * MAX_ACRH_NAMES + b"A"], None, id="names over budget by 1"),
        pytest.param(
            [b"a," * MAX_ACRH_NAMES + b"a"],
            None,
            id="browser-form names over budget by 1",
        ),
        pytest.param([b"x foo"], None, id="space inside a name"),
        pytest.param([b"x-foo;q=1"], None, id="semicolon"),
        pytest.param([b"x:foo"], None, id="colon"),
        pytest.param([b"x-foo\x00"], None, id="nul"),
        pytest.param([b"x-foo\r\nx-bar"], None, id="crlf"),
        pytest.param([b"x-f\xc3\xb6o"], None, id="non-ascii utf-8"),
        pytest.param([b"x-\xff"], None, id="invalid utf-8"),
        pytest.param([b'"x-foo"'], None, id="quoted"),
    ],
)
def test_split_acrh(lines: list[bytes], expected: list[bytes] | None) -> None:
    """ACRH is tolerant in case, order, whitespace and empty elements, but bounded."""
    assert split_acrh(lines) == expected


@pytest.mark.parametrize(
    ("values", "token", "expected"),
    [
        pytest.param([b"Origin"], b"origin", True, id="same token"),
        pytest.param([b"accept-encoding, ORIGIN"], b"origin", True, id="any case, in a list"),
        pytest.param([b"Accept", b"Origin"], b"origin", True, id="second line"),
        pytest.param([b"*"], b"origin", True, id="star covers all"),
        pytest.param([b"Originals"], b"origin", False, id="longer token"),
        pytest.param([b""], b"origin", False, id="empty"),
        pytest.param([], b"origin", False, id="no vary"),
    ],
)
def test_vary_has(values: list[bytes], token: bytes, expected: bool) -> None:
    """vary_has compares whole list elements case-insensitively and honours '*'."""
    assert vary_has(values, token) is expected


ACAO = (b"access-control-allow-origin", b"https://a.example")


@pytest.mark.parametrize(
    ("raw", "cors", "vary", "expected"),
    [
        pytest.param([], [], b"", [], id="nothing"),
        pytest.param([], [ACAO], b"Origin", [(b"vary", b"Origin"), ACAO], id="no app headers"),
        pytest.param(
            [(b"content-type", b"text/plain"), (b"vary", b"Accept-Encoding")],
            [ACAO],
            b"Origin",
            [(b"content-type", b"text/plain"), (b"vary", b"Accept-Encoding, Origin"), ACAO],
            id="vary merged into the app's line",
        ),
        pytest.param(
            [(b"vary", b"Accept-Encoding"), (b"vary", b"Cookie")],
            [],
            b"Origin",
            [(b"vary", b"Accept-Encoding, Origin"), (b"vary", b"Cookie")],
            id="first vary line gets the token",
        ),
        pytest.param(
            [(b"vary", b"origin")],
            [],
            b"Origin",
            [(b"vary", b"origin")],
            id="origin already listed",
        ),
        pytest.param(
            [(b"vary", b"Accept"), (b"vary", b"Origin")],
            [],
            b"Origin",
            [(b"vary", b"Accept"), (b"vary", b"Origin")],
            id="origin listed on a later line",
        ),
        pytest.param([(b"vary", b"*")], [], b"Origin", [(b"vary", b"*")], id="vary star"),
        pytest.param([(b"vary", b"")], [], b"Origin", [(b"vary", b"Origin")], id="empty vary"),
        pytest.param(
            [(b"vary", b"Originals")],
            [],
            b"Origin",
            [(b"vary", b"Originals, Origin")],
            id="longer token is not origin",
        ),
        pytest.param(
            [(b"vary", b"Accept")],
            [],
            b"Origin, Access-Control-Request-Method",
            [(b"vary", b"Accept, Origin, Access-Control-Request-Method")],
            id="several tokens",
        ),
        pytest.param(
            [(b"vary", b"Accept, origin")],
            [],
            b"Origin, Access-Control-Request-Method",
            [(b"vary", b"Accept, origin, Access-Control-Request-Method")],
            id="only missing tokens added",
        ),
        pytest.param([(b"vary", b"Accept")], [], b"", [(b"vary", b"Accept")], id="no vary to add"),
        pytest.param(
            [
                (b"access-control-allow-origin", b"*"),
                (b"x-a", b"1"),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", b"x-secret"),
                (b"access-control-max-age", b"99"),
                (b"access-control-allow-methods", b"*"),
                (b"access-control-allow-headers", b"*"),
                (b"access-control-whatever", b"1"),
            ],
            [ACAO],
            b"Origin",
            [(b"x-a", b"1"), (b"vary", b"Origin"), ACAO],
            id="owned access-control headers removed",
        ),
        pytest.param(
            [(b"access-control-allow-origin", b"*")],
            [],
            b"",
            [],
            id="owned headers removed when denied",
        ),
        pytest.param(
            [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
            [],
            b"",
            [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
            id="other repeated headers kept in order",
        ),
        # Ownership and Vary merging do not depend on the case the app spelled names in.
        pytest.param(
            [
                (b"Access-Control-Allow-Origin", b"*"),
                (b"ACCESS-CONTROL-ALLOW-CREDENTIALS", b"true"),
                (b"access-Control-expose-headers", b"x-secret"),
                (b"Age", b"1"),
                (b"Accept-Ranges", b"bytes"),
            ],
            [],
            b"Origin",
            [(b"Age", b"1"), (b"Accept-Ranges", b"bytes"), (b"vary", b"Origin")],
            id="header ownership any case: owned names dropped when denied",
        ),
        pytest.param(
            [(b"Access-Control-Allow-Origin", b"*"), (b"Vary", b"Accept-Encoding")],
            [ACAO],
            b"Origin",
            [(b"Vary", b"Accept-Encoding, Origin"), ACAO],
            id="header ownership any case: one ACAO, Vary merged into the app's line",
        ),
        pytest.param(
            [(b"VARY", b"Origin"), (b"vary", b"Cookie")],
            [],
            b"Origin",
            [(b"VARY", b"Origin"), (b"vary", b"Cookie")],
            id="header ownership any case: origin already listed on an upper-case Vary",
        ),
        pytest.param(
            [(b"vAry", b"Accept"), (b"Vary", b"Origin")],
            [],
            b"Origin",
            [(b"vAry", b"Accept"), (b"Vary", b"Origin")],
            id="header ownership any case: origin listed on a later mixed-case line",
        ),
    ],
)
def test_merge_response_headers(
    raw: Headers, cors: Headers, vary: bytes, expected: Headers
) -> None:
    """The app's headers are kept, Access-Control-* replaced, Vary merged without duplicates."""
    assert merge_response_headers(raw, cors, vary) == expected


OWNED_NAMES = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-private-network",
    "access-control-anything",
]


@st.composite
def any_case(draw: st.DrawFn, name: str) -> bytes:
    """*name* with each letter's case drawn independently."""
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if f else c for c, f in zip(name, flips, strict=True)).encode()


@settings(deadline=None)
@given(
    owned=st.lists(st.sampled_from(OWNED_NAMES).flatmap(any_case), max_size=4),
    vary=st.sampled_from(["vary", "Vary", "VARY", "vArY"]).map(str.encode),
    allowed=st.booleans(),
)
def test_header_ownership_is_case_insensitive(
    owned: list[bytes], vary: bytes, allowed: bool
) -> None:
    """Whatever case the app spells Access-Control-* and Vary in, the middleware's headers are
    the only Access-Control-* ones left and Vary stays one line holding Origin once."""
    raw = [(name, b"*") for name in owned] + [(vary, b"Accept-Encoding"), (b"x-a", b"1")]
    cors = [ACAO] if allowed else []
    out = merge_response_headers(raw, cors, b"Origin")
    owned_out = [pair for pair in out if pair[0].lower().startswith(b"access-control-")]
    assert owned_out == cors
    assert [value for name, value in out if name.lower() == b"vary"] == [b"Accept-Encoding, Origin"]


def test_merge_returns_a_new_list() -> None:
    """merge_response_headers never mutates its inputs."""
    raw = [(b"vary", b"Accept")]
    cors = [ACAO]
    merge_response_headers(raw, cors, b"Origin")
    assert (raw, cors) == ([(b"vary", b"Accept")], [ACAO])
