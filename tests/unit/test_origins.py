"""Origin patterns (strict, for config) and request origins (tolerant, length-capped)."""

from __future__ import annotations

import pytest

from crossorigin._grammar.origins import (
    ANY_PORT,
    MAX_HOST,
    MAX_ORIGIN,
    Origin,
    OriginPattern,
    PatternError,
    _ipv6,
    parse_origin,
    parse_pattern,
)

WILDCARD_WHAT = (
    "'*' is allowed only as a whole leading label ('https://*.example.com') or as the port"
    " ('http://localhost:*')"
)
WILDCARD_FIX = "use allow_origin_regex for anything else"
PORT_RANGE = "the port must be a number from 1 to 65535 without leading zeros"
CASE = "browsers send origins in lower case, with IDN hosts in punycode"
NO_PATH = "an origin has no path, query or trailing slash"


def _longest_host() -> str:
    """A 253-character domain: three 63-character labels and one of 61."""
    return ".".join(["a" * 63] * 3 + ["a" * 61])


# ---------------------------------------------------------------- parse_pattern: accepted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("*", OriginPattern("any"), id="star"),
        pytest.param(
            "https://a.example", OriginPattern("exact", "https", "a.example", None), id="exact"
        ),
        pytest.param(
            "https://a.example:8443",
            OriginPattern("exact", "https", "a.example", 8443),
            id="exact with port",
        ),
        pytest.param(
            "http://a.example:443",
            OriginPattern("exact", "http", "a.example", 443),
            id="other scheme's default port kept",
        ),
        pytest.param(
            "https://a.example:1", OriginPattern("exact", "https", "a.example", 1), id="port 1"
        ),
        pytest.param(
            "https://a.example:65535",
            OriginPattern("exact", "https", "a.example", 65535),
            id="port 65535",
        ),
        pytest.param(
            "https://*.example.com",
            OriginPattern("subdomains", "https", "example.com", None),
            id="subdomain wildcard",
        ),
        pytest.param(
            "https://*.example.com:8443",
            OriginPattern("subdomains", "https", "example.com", 8443),
            id="subdomain wildcard with port",
        ),
        pytest.param(
            "https://*.example.com:*",
            OriginPattern("subdomains", "https", "example.com", ANY_PORT),
            id="subdomain wildcard any port",
        ),
        pytest.param(
            "http://localhost:*",
            OriginPattern("any-port", "http", "localhost", ANY_PORT),
            id="any port",
        ),
        pytest.param(
            "http://127.0.0.1", OriginPattern("exact", "http", "127.0.0.1", None), id="ipv4"
        ),
        pytest.param("http://[::1]", OriginPattern("exact", "http", "[::1]", None), id="ipv6"),
        pytest.param(
            "http://[::ffff:102:304]",
            OriginPattern("exact", "http", "[::ffff:102:304]", None),
            id="ipv6 ipv4-mapped (the browser's form on every Python)",
        ),
        pytest.param(
            "http://[2001:db8::1]:8080",
            OriginPattern("exact", "http", "[2001:db8::1]", 8080),
            id="ipv6 with port",
        ),
        pytest.param(
            "https://xn--rsum-bpad.example",
            OriginPattern("exact", "https", "xn--rsum-bpad.example", None),
            id="punycode host",
        ),
        pytest.param(
            "chrome-extension://abcdef",
            OriginPattern("exact", "chrome-extension", "abcdef", None),
            id="extension scheme",
        ),
        pytest.param(
            "https://" + _longest_host(),
            OriginPattern("exact", "https", _longest_host(), None),
            id="longest host",
        ),
    ],
)
def test_parse_pattern_accepts(text: str, expected: OriginPattern) -> None:
    """Valid patterns parse into their kind, scheme, host and port."""
    assert parse_pattern(text) == expected


# ---------------------------------------------------------------- parse_pattern: rejected


@pytest.mark.parametrize(
    ("text", "reason", "what", "fix"),
    [
        pytest.param(
            "null",
            "prohibited",
            "the null origin is sent by sandboxed iframes, file: pages and redirects, so any"
            " site can forge it",
            "remove it; allow_origins=['*'] is the only way to serve null origins",
            id="null origin",
        ),
        pytest.param(
            "file://x",
            "prohibited",
            "file: URLs have an opaque origin that browsers send as null",
            "remove it",
            id="file origin",
        ),
        pytest.param(
            "https://a.example/",
            "invalid",
            NO_PATH,
            "did you mean 'https://a.example'?",
            id="trailing slash",
        ),
        pytest.param(
            "https://a.example/app",
            "invalid",
            NO_PATH,
            "did you mean 'https://a.example'?",
            id="path",
        ),
        pytest.param(
            "https://a.example?x=1",
            "invalid",
            NO_PATH,
            "did you mean 'https://a.example'?",
            id="query",
        ),
        pytest.param(
            "http://localhost:3000/",
            "invalid",
            NO_PATH,
            "did you mean 'http://localhost:3000'?",
            id="trailing slash keeps port",
        ),
        pytest.param(
            "https://a.example:443",
            "invalid",
            "browsers omit the default port 443 of https",
            "did you mean 'https://a.example'?",
            id="default port elided",
        ),
        pytest.param(
            "http://a.example:80",
            "invalid",
            "browsers omit the default port 80 of http",
            "did you mean 'http://a.example'?",
            id="default http port elided",
        ),
        pytest.param(
            "https://A.example",
            "invalid",
            CASE,
            "did you mean 'https://a.example'?",
            id="upper-case host",
        ),
        pytest.param(
            "HTTPS://a.example",
            "invalid",
            CASE,
            "did you mean 'https://a.example'?",
            id="upper-case scheme",
        ),
        pytest.param(
            "https://résumé.example",
            "invalid",
            CASE,
            "did you mean 'https://xn--rsum-bpad.example'?",
            id="non-ascii host",
        ),
        pytest.param(
            " https://a.example",
            "invalid",
            "origins contain no whitespace",
            "did you mean 'https://a.example'?",
            id="leading space",
        ),
        pytest.param(
            "a.example",
            "invalid",
            "an origin starts with a scheme",
            "did you mean 'https://a.example'?",
            id="no scheme",
        ),
        pytest.param(
            "https://user@a.example",
            "invalid",
            "an origin has no user info",
            "did you mean 'https://a.example'?",
            id="user info",
        ),
        pytest.param("https://a.example:0", "invalid", PORT_RANGE, "", id="port 0"),
        pytest.param("https://a.example:65536", "invalid", PORT_RANGE, "", id="port 65536"),
        pytest.param(
            "https://a.example:²", "invalid", CASE, "", id="superscript-two port (not ValueError)"
        ),
        pytest.param(":²", "invalid", "an origin starts with a scheme", "", id="only a '²' port"),
        pytest.param("https://a.example:08080", "invalid", PORT_RANGE, "", id="port leading zero"),
        pytest.param(
            "http://[0:0:0:0:0:0:0:1]",
            "invalid",
            "IPv6 address is not canonical: use [::1]",
            "did you mean 'http://[::1]'?",
            id="ipv6 not compressed",
        ),
        pytest.param(
            "http://[::ffff:1.2.3.4]",
            "invalid",
            "IPv6 address is not canonical: use [::ffff:102:304]",
            "did you mean 'http://[::ffff:102:304]'?",
            id="ipv6 embedded ipv4",
        ),
        pytest.param(
            "http://[::FFFF]",
            "invalid",
            CASE,
            "did you mean 'http://[::ffff]'?",
            id="ipv6 upper-case hex",
        ),
        pytest.param(
            "http://127.000.000.001",
            "invalid",
            "IPv4 address is not in canonical dotted-decimal form",
            "did you mean 'http://127.0.0.1'?",
            id="ipv4 leading zeros",
        ),
        pytest.param(
            "http://127.1",
            "invalid",
            "IPv4 address is not in canonical dotted-decimal form",
            "did you mean 'http://127.0.0.1'?",
            id="ipv4 short form",
        ),
        pytest.param(
            "http://0xFF000000",
            "invalid",
            CASE,
            "did you mean 'http://255.0.0.0'?",
            id="ipv4 hex upper case",
        ),
        pytest.param(
            "http://1.2.3.4.5",
            "invalid",
            "IPv4 address is not in canonical dotted-decimal form",
            "",
            id="ipv4 five parts",
        ),
        pytest.param(
            "http://2130706433",
            "invalid",
            "IPv4 address is not in canonical dotted-decimal form",
            "did you mean 'http://127.0.0.1'?",
            id="ipv4 single number",
        ),
        pytest.param(
            "http://" + "a" * (MAX_HOST + 1),
            "invalid",
            f"host is longer than {MAX_HOST} characters",
            "",
            id="host too long by 1",
        ),
        pytest.param(
            "https://a..example",
            "invalid",
            "host has an empty label or one longer than 63 characters",
            "",
            id="empty label",
        ),
        pytest.param(
            "https://" + "a" * 64 + ".example",
            "invalid",
            "host has an empty label or one longer than 63 characters",
            "",
            id="label too long by 1",
        ),
        pytest.param("*://a.example", "invalid", "the scheme is not valid", "", id="star scheme"),
        pytest.param(
            "1http://a.example", "invalid", "the scheme is not valid", "", id="digit scheme"
        ),
        pytest.param(
            "https://*example.com",
            "invalid",
            WILDCARD_WHAT,
            WILDCARD_FIX,
            id="partial label wildcard",
        ),
        pytest.param(
            "https://a.*.example.com", "invalid", WILDCARD_WHAT, WILDCARD_FIX, id="inner wildcard"
        ),
        pytest.param(
            "https://*.*.example.com", "invalid", WILDCARD_WHAT, WILDCARD_FIX, id="double wildcard"
        ),
        pytest.param("https://*", "invalid", WILDCARD_WHAT, WILDCARD_FIX, id="bare wildcard host"),
        pytest.param(
            "https://a.example:*:*", "invalid", WILDCARD_WHAT, WILDCARD_FIX, id="double any port"
        ),
        pytest.param(
            "https://a.example:8*",
            "invalid",
            WILDCARD_WHAT,
            WILDCARD_FIX,
            id="partial port wildcard",
        ),
        pytest.param(
            "https://*.127.0.0.1",
            "invalid",
            "a wildcard needs a domain after '*.'",
            "use an exact origin instead",
            id="wildcard over ipv4",
        ),
        pytest.param(
            "https://*.",
            "invalid",
            "host has an empty label or one longer than 63 characters",
            "",
            id="wildcard over nothing",
        ),
    ],
)
def test_parse_pattern_rejects(text: str, reason: str, what: str, fix: str) -> None:
    """Invalid patterns raise PatternError with the exact explanation and fix hint."""
    with pytest.raises(PatternError) as info:
        parse_pattern(text)
    assert (info.value.reason, info.value.what, info.value.fix) == (reason, what, fix)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("https://a.example/", id="trailing slash"),
        pytest.param("https://a.example:443", id="default port"),
        pytest.param("https://A.example", id="upper case"),
        pytest.param("https://résumé.example", id="non-ascii"),
        pytest.param("a.example:8080", id="no scheme with port"),
        pytest.param("http://[0:0:0:0:0:0:0:1]", id="ipv6 long form"),
        pytest.param("http://0xFF000000", id="hex ipv4"),
        pytest.param("http://0x7f.1", id="mixed ipv4"),
        pytest.param("http://127.1:8080/", id="short ipv4 with port and slash"),
        pytest.param(
            "http:///0.0.0.0",
            id="empty authority",
        ),
        pytest.param(
            "http:a//0.0.0.0",
            id="colon in scheme",
        ),
        pytest.param(
            "http://127.0.0.01",
            id="ipv4 leading zero",
        ),
    ],
)
def test_did_you_mean_hint_is_valid(text: str) -> None:
    """A "did you mean" hint, when given, names a pattern that parse_pattern accepts."""
    with pytest.raises(PatternError) as info:
        parse_pattern(text)
    fix = info.value.fix
    if fix.startswith("did you mean "):
        suggestion = fix.removeprefix("did you mean ").removesuffix("?").strip("'")
        assert parse_pattern(suggestion).kind in {"exact", "any-port", "subdomains"}


@pytest.mark.parametrize(
    ("text", "loopback"),
    [
        pytest.param("http://localhost:*", True, id="localhost"),
        pytest.param("http://app.localhost", True, id="localhost subdomain"),
        pytest.param("http://*.localhost", True, id="localhost wildcard"),
        pytest.param("http://127.0.0.1:8000", True, id="ipv4 loopback"),
        pytest.param("http://127.1.2.3", True, id="ipv4 loopback block"),
        pytest.param("http://[::1]", True, id="ipv6 loopback"),
        pytest.param("http://[::2]", False, id="other ipv6"),
        pytest.param("http://a.example", False, id="domain"),
        pytest.param("http://127.example", False, id="digit-led domain"),
        pytest.param("http://localhost.evil.example", False, id="localhost prefix"),
    ],
)
def test_pattern_is_loopback(text: str, loopback: bool) -> None:
    """Only patterns whose every origin is on this machine count as loopback."""
    assert parse_pattern(text).is_loopback is loopback


# ---------------------------------------------------------------- parse_origin


def _max_origin() -> str:
    return "s" * 64 + "://" + _longest_host() + ":65535"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("https://a.example", Origin("https", "a.example", None), id="plain"),
        pytest.param(b"https://a.example", Origin("https", "a.example", None), id="bytes"),
        pytest.param("https://a.example:8443", Origin("https", "a.example", 8443), id="port"),
        pytest.param(
            "http://a.example:443", Origin("http", "a.example", 443), id="cross default port"
        ),
        pytest.param(
            "http://a_b.example", Origin("http", "a_b.example", None), id="underscore label"
        ),
        pytest.param("http://1.2.3.4", Origin("http", "1.2.3.4", None), id="ipv4 canonical"),
        pytest.param("http://[::1]:8000", Origin("http", "[::1]", 8000), id="ipv6 canonical"),
        pytest.param(
            "http://[2001:db8::1]", Origin("http", "[2001:db8::1]", None), id="ipv6 compressed"
        ),
        pytest.param(
            "http://[::ffff:102:304]",
            Origin("http", "[::ffff:102:304]", None),
            id="ipv6 ipv4-mapped as browsers send it (every Python)",
        ),
        pytest.param(
            "http://[1::2:0:0:3:4]", Origin("http", "[1::2:0:0:3:4]", None), id="ipv6 first run"
        ),
        pytest.param(
            "https://a.example:65535", Origin("https", "a.example", 65535), id="port 65535"
        ),
        pytest.param(
            _max_origin(), Origin("s" * 64, _longest_host(), 65535), id="longest possible origin"
        ),
        pytest.param("null", None, id="null origin"),
        pytest.param("", None, id="empty"),
        pytest.param("https://a.example:443", None, id="default port elided"),
        pytest.param("http://a.example:80", None, id="default http port elided"),
        pytest.param("wss://a.example:443", None, id="default wss port elided"),
        pytest.param("https://a.example/", None, id="trailing slash"),
        pytest.param("https://A.example", None, id="upper case"),
        pytest.param("HTTPS://a.example", None, id="upper-case scheme"),
        pytest.param("https://a.example:", None, id="empty port"),
        pytest.param("https://a.example:0", None, id="port 0"),
        pytest.param("https://a.example:65536", None, id="port 65536"),
        pytest.param("https://a.example:080", None, id="port leading zero"),
        pytest.param("https://a.example:123456", None, id="six-digit port"),
        pytest.param("https://a..example", None, id="empty label"),
        pytest.param("https://.a.example", None, id="leading dot"),
        pytest.param("https://a.example\x00", None, id="nul byte"),
        pytest.param("https://a.example\r\nx: y", None, id="crlf"),
        pytest.param(b"https://\xffa.example", None, id="invalid utf-8"),
        pytest.param("https://résumé.example", None, id="non-ascii"),
        pytest.param("http://01.2.3.4", None, id="ipv4 leading zero"),
        pytest.param("http://256.1.1.1", None, id="ipv4 octet too large"),
        pytest.param("http://1.2.3", None, id="ipv4 three parts"),
        pytest.param("http://0x7f000001", None, id="ipv4 hex"),
        pytest.param("http://[0::1]", None, id="ipv6 not canonical"),
        pytest.param("http://[::ffff:1.2.3.4]", None, id="ipv6 embedded ipv4"),
        pytest.param("http://[1:0:0:2::3:4]", None, id="ipv6 compressing the later run"),
        pytest.param("http://[fe80::1%25eth0]", None, id="ipv6 zone identifier"),
        pytest.param("http://[::1", None, id="ipv6 unterminated"),
        pytest.param("https://*.example", None, id="wildcard"),
        pytest.param("https://a.example, https://b.example", None, id="two origins joined"),
        pytest.param("https://u@a.example", None, id="user info"),
        pytest.param("//a.example", None, id="no scheme"),
        pytest.param("https://" + "a" * 64 + ".example", None, id="label too long by 1"),
        pytest.param(_max_origin() + "5", None, id="too long by 1"),
        pytest.param("https://" + "a" * 65536, None, id="64 KiB"),
    ],
)
def test_parse_origin(value: str | bytes, expected: Origin | None) -> None:
    """Only syntactically valid serialized origins parse; everything else is None."""
    assert parse_origin(value) == expected


def test_max_origin_is_the_longest_possible_origin() -> None:
    """MAX_ORIGIN is exactly the length of the longest origin parse_origin accepts."""
    assert len(_max_origin()) == MAX_ORIGIN


@pytest.mark.parametrize(
    ("value", "is_ip"),
    [
        pytest.param("http://1.2.3.4", True, id="ipv4"),
        pytest.param("http://[::1]", True, id="ipv6"),
        pytest.param("http://a.example", False, id="domain"),
        pytest.param("http://1a.example", False, id="digit-led label"),
    ],
)
def test_origin_is_ip(value: str, is_ip: bool) -> None:
    """is_ip tells IP literals from domains."""
    origin = parse_origin(value)
    assert origin is not None
    assert origin.is_ip is is_ip


@pytest.mark.parametrize(
    "text",
    [":²", "https://a.example:²", "https://1².0.0.1", "http://localhost:٣", "https://a.example:\uff11"],
    ids=["superscript port alone", "superscript port", "superscript in IPv4", "Arabic digit",
         "fullwidth digit"],
)  # fmt: skip
def test_non_ascii_digits_are_pattern_errors(text: str) -> None:
    """``str.isdigit`` accepts superscript, Arabic-Indic and fullwidth digits: a pattern with them is a PatternError, never a
    ValueError escaping from ``int()``."""
    with pytest.raises(PatternError):
        parse_pattern(text)


@pytest.mark.parametrize(
    ("text", "serialized"),
    [
        # The URL standard's serializer examples and the cases Python versions format differently.
        pytest.param("::ffff:1.2.3.4", "::ffff:102:304", id="ipv4-mapped, dotted input"),
        pytest.param("::ffff:102:304", "::ffff:102:304", id="ipv4-mapped, hex input"),
        pytest.param("::1.2.3.4", "::102:304", id="ipv4-compatible"),
        pytest.param("64:ff9b::1.2.3.4", "64:ff9b::102:304", id="nat64"),
        pytest.param("2001:db8::1", "2001:db8::1", id="documentation"),
        pytest.param("1:0:0:2:0:0:0:3", "1:0:0:2::3", id="longest run wins"),
        pytest.param("1:0:0:2:0:0:3:4", "1::2:0:0:3:4", id="first of equal runs"),
        pytest.param("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8", id="a single zero piece stays"),
        pytest.param("0:0:0:0:0:0:0:0", "::", id="unspecified"),
        pytest.param("0:0:1:0:0:0:0:0", "0:0:1::", id="trailing run"),
        pytest.param("FE80:0000::00A", "fe80::a", id="lower case, no leading zeros"),
    ],
)
def test_ipv6_serializes_as_browsers_do(text: str, serialized: str) -> None:
    """https://url.spec.whatwg.org/#concept-ipv6-serializer, whatever ipaddress prints."""
    assert _ipv6(text) == serialized


@pytest.mark.parametrize("text", ["fe80::1%eth0", "1:2", "::g", "1.2.3.4"])
def test_ipv6_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - ipaddress's own error messages vary
        _ipv6(text)
