"""Hostile requests: answered correctly, without exceptions, and without work proportional
to their size (conformance C5, C7, items 17, 18, 43).

Requests are driven straight through the ASGI callable (no event loop, no HTTP client) so the
scope holds exactly the bytes under test, repeated lines included, and ``tracemalloc`` sees
only the middleware's own allocations. "Bounded work" is asserted as a peak allocation below
a small constant while the input is 64 KiB to 1 MiB; nothing here measures time.
"""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Coroutine
from typing import Any

import pytest

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._types import Message, Receive, Scope, Send

ALLOWED = b"https://a.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
DENIED_PREFLIGHT = (403, {"vary": PREFLIGHT_VARY}, b"")
DENIED_ACTUAL = (200, {"vary": "Origin"}, b"ok")
ALLOWED_ACTUAL = (
    200,
    {"access-control-allow-origin": "https://a.example", "vary": "Origin"},
    b"ok",
)
MIB = 1 << 20
PEAK_LIMIT = 16 * 1024
"""Peak bytes the middleware may allocate for one hostile request (inputs are 64 KiB-1 MiB)."""

EXACT: dict[str, Any] = {
    "allow_origins": ["https://a.example"],
    "allow_methods": ["PUT"],
    "allow_headers": ["x-foo"],
    "max_age": None,
}
WILDCARD: dict[str, Any] = {**EXACT, "allow_origins": ["https://a.example", "https://*.b.example"]}
PUBLIC: dict[str, Any] = {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]}


class App:
    """Answers 200 "ok" and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})


def run_sync(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (no I/O happens in these apps) to completion."""
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise AssertionError("the middleware suspended; this driver expects no real I/O")


def scope_for(method: str, headers: list[tuple[bytes, bytes]], path: str = "/data") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"api.test"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


def call(
    middleware: CORSMiddleware, method: str, headers: list[tuple[bytes, bytes]], path: str = "/data"
) -> tuple[int, dict[str, str], bytes]:
    """Drive one request; return status, the CORS/Vary header set and the body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    run_sync(middleware(scope_for(method, headers, path), receive, send))
    start, body = sent[0], sent[1]
    assert (start["type"], body["type"]) == ("http.response.start", "http.response.body")
    out: dict[str, str] = {}
    for name, value in start["headers"]:
        text = name.decode("latin-1")
        if text.startswith("access-control-") or text == "vary":
            assert text not in out, f"{text} sent twice"
            out[text] = value.decode("latin-1")
    return start["status"], out, body["body"]


def preflight(
    origin: bytes = ALLOWED, method: bytes = b"PUT", *extra: tuple[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    return [(b"origin", origin), (b"access-control-request-method", method), *extra]


def acrh(value: bytes) -> tuple[bytes, bytes]:
    return (b"access-control-request-headers", value)


# (config, method, headers, expected status/CORS headers/body, whether the app runs)
ROWS = [
    pytest.param(
        EXACT,
        "GET",
        [(b"origin", b"https://" + b"a" * 65536)],
        DENIED_ACTUAL,
        True,
        id="64 KiB origin, actual",
    ),
    pytest.param(
        WILDCARD,
        "GET",
        [(b"origin", b"https://" + b"a" * 65536)],
        DENIED_ACTUAL,
        True,
        id="64 KiB origin, actual, wildcard config",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(b"https://" + b"a" * 65536),
        DENIED_PREFLIGHT,
        False,
        id="64 KiB origin, preflight",
    ),
    pytest.param(
        PUBLIC,
        "OPTIONS",
        preflight(b"https://" + b"a" * 65536),
        DENIED_PREFLIGHT,
        False,
        id="64 KiB origin, preflight, public config",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", acrh(b"," * MIB)),
        DENIED_PREFLIGHT,
        False,
        id="1 MiB ACRH of commas",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", acrh(b"x-foo" + b" " * MIB + b"x-foo")),
        DENIED_PREFLIGHT,
        False,
        id="1 MiB ACRH of spaces between names",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", acrh(b"x-foo," + b" ," * (MIB // 2))),
        DENIED_PREFLIGHT,
        False,
        id="1 MiB ACRH of empty elements",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", *[acrh(b"x-foo")] * 1000),
        DENIED_PREFLIGHT,
        False,
        id="1000 ACRH lines",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", *[acrh(b"")] * 1000),
        DENIED_PREFLIGHT,
        False,
        id="1000 empty ACRH lines",
    ),
    pytest.param(
        PUBLIC,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", *[acrh(b"x-foo")] * 1000),
        DENIED_PREFLIGHT,
        False,
        id="1000 ACRH lines, public config",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", acrh(b"x-foo"), acrh(b"x-foo")),
        (
            204,
            {
                "access-control-allow-origin": "https://a.example",
                "access-control-allow-methods": "PUT",
                "access-control-allow-headers": "x-foo,x-foo",
                "vary": PREFLIGHT_VARY,
            },
            b"",
        ),
        False,
        id="two ACRH lines tolerated",
    ),
    # control and non-ASCII bytes in Origin
    *(
        pytest.param(
            EXACT,
            "GET",
            [(b"origin", value)],
            DENIED_ACTUAL,
            True,
            id=f"origin with {label}, actual",
        )
        for label, value in [
            ("NUL", b"https://a.example\x00"),
            ("CR", b"https://a.example\r"),
            ("LF", b"https://a.example\n"),
            ("CRLF injection", b"https://a.example\r\nset-cookie: a=1"),
            ("non-ASCII", "https://ä.example".encode()),
            ("invalid UTF-8", b"https://\xff\xfe.example"),
        ]
    ),
    *(
        pytest.param(
            WILDCARD,
            "OPTIONS",
            preflight(value),
            DENIED_PREFLIGHT,
            False,
            id=f"origin with {label}, preflight",
        )
        for label, value in [
            ("NUL", b"https://x.b.example\x00"),
            ("CR", b"https://x.b.example\r"),
            ("LF", b"https://x.b.example\n"),
            ("non-ASCII", "https://ä.b.example".encode()),
            ("invalid UTF-8", b"https://\xff.b.example"),
        ]
    ),
    # ... in ACRM
    *(
        pytest.param(
            EXACT,
            "OPTIONS",
            preflight(ALLOWED, value),
            DENIED_PREFLIGHT,
            False,
            id=f"ACRM with {label}",
        )
        for label, value in [
            ("NUL", b"PUT\x00"),
            ("CR", b"PUT\r"),
            ("LF", b"PUT\n"),
            ("non-ASCII", "PÜT".encode()),
            ("invalid UTF-8", b"PU\xff"),
            ("64 KiB", b"P" * 65536),
        ]
    ),
    *(
        pytest.param(
            PUBLIC,
            "OPTIONS",
            preflight(ALLOWED, value),
            DENIED_PREFLIGHT,
            False,
            id=f"ACRM with {label}, public config",
        )
        for label, value in [("NUL", b"PUT\x00"), ("invalid UTF-8", b"PU\xff"), ("space", b"P UT")]
    ),
    # ... in ACRH
    *(
        pytest.param(
            EXACT,
            "OPTIONS",
            preflight(ALLOWED, b"PUT", acrh(value)),
            DENIED_PREFLIGHT,
            False,
            id=f"ACRH with {label}",
        )
        for label, value in [
            ("NUL", b"x-foo\x00"),
            ("CR", b"x-foo\r"),
            ("LF", b"x-foo\nx-foo"),
            ("non-ASCII", "x-föo".encode()),
            ("invalid UTF-8", b"x-\xff"),
        ]
    ),
    # repeated lines (C7)
    pytest.param(
        EXACT,
        "GET",
        [(b"origin", ALLOWED), (b"origin", ALLOWED)],
        DENIED_ACTUAL,
        True,
        id="two identical origin lines, actual",
    ),
    pytest.param(
        EXACT,
        "GET",
        [(b"origin", b"https://evil.example"), (b"origin", ALLOWED)],
        DENIED_ACTUAL,
        True,
        id="two origin lines, allowed last",
    ),
    pytest.param(
        WILDCARD,
        "GET",
        [(b"origin", ALLOWED), (b"origin", b"https://x.b.example")],
        DENIED_ACTUAL,
        True,
        id="two allowed origin lines, wildcard config",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", (b"origin", ALLOWED)),
        DENIED_PREFLIGHT,
        False,
        id="two origin lines, preflight",
    ),
    pytest.param(
        PUBLIC,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", (b"origin", ALLOWED)),
        DENIED_PREFLIGHT,
        False,
        id="two origin lines, preflight, public config",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        preflight(ALLOWED, b"PUT", (b"access-control-request-method", b"PUT")),
        DENIED_PREFLIGHT,
        False,
        id="two ACRM lines",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        [(b"origin", ALLOWED), (b"origin", ALLOWED)],
        (200, {"vary": "Origin"}, b"ok"),
        True,
        id="two origin lines, options without ACRM",
    ),
    # The ACRH budget applies only once the request is known to be a preflight (OPTIONS with
    # Origin and ACRM): any other OPTIONS request goes to the app, whatever its ACRH.
    pytest.param(
        EXACT,
        "OPTIONS",
        [acrh(b"x-foo")] * 1000,
        (200, {"vary": "Origin"}, b"ok"),
        True,
        id="acrh budget only for preflights: 1000 lines, no origin or ACRM",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        [acrh(b"x" * 5000)],
        (200, {"vary": "Origin"}, b"ok"),
        True,
        id="acrh budget only for preflights: 5000 bytes, no origin or ACRM",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        [(b"origin", ALLOWED), acrh(b"," * MIB)],
        ALLOWED_ACTUAL,
        True,
        id="acrh budget only for preflights: 1 MiB, origin without ACRM",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        [acrh(b"x-foo")] * 1000 + [(b"access-control-request-method", b"PUT")],
        (200, {"vary": "Origin"}, b"ok"),
        True,
        id="acrh budget only for preflights: 1000 lines, ACRM without origin",
    ),
    pytest.param(
        EXACT,
        "OPTIONS",
        [acrh(b"x-foo")] * 1000 + preflight(),
        DENIED_PREFLIGHT,
        False,
        id="acrh budget: Origin and ACRM after 1000 ACRH lines",
    ),
    pytest.param(
        PUBLIC,
        "OPTIONS",
        [acrh(b"," * MIB)],
        (200, {"access-control-allow-origin": "*"}, b"ok"),
        True,
        id="acrh budget only for preflights: 1 MiB, public config",
    ),
    # ACRM is bounded too: a long value is refused unread, never echoed.
    *(
        pytest.param(
            {**EXACT, "allow_methods": ["*"], "allow_credentials": True},
            "OPTIONS",
            preflight(ALLOWED, value),
            DENIED_PREFLIGHT,
            False,
            id=f"acrm bounded: {label}",
        )
        for label, value in [("1 MiB", b"P" * MIB), ("65 bytes", b"P" * 65)]
    ),
    pytest.param(
        {**EXACT, "allow_methods": ["*"], "allow_credentials": True},
        "OPTIONS",
        preflight(ALLOWED, b"P" * 64),
        (
            204,
            {
                "access-control-allow-origin": "https://a.example",
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": "P" * 64,
                "vary": PREFLIGHT_VARY,
            },
            b"",
        ),
        False,
        id="acrm bounded: 64 bytes still served",
    ),
    # baseline: the same middleware still serves an ordinary request
    pytest.param(
        EXACT, "GET", [(b"origin", ALLOWED)], ALLOWED_ACTUAL, True, id="baseline allowed actual"
    ),
]


@pytest.mark.parametrize(("config", "method", "headers", "expected", "app_runs"), ROWS)
def test_hostile_request(
    config: dict[str, Any],
    method: str,
    headers: list[tuple[bytes, bytes]],
    expected: tuple[int, dict[str, str], bytes],
    app_runs: bool,
) -> None:
    """The hostile request gets exactly the expected status, CORS header set and body."""
    app = App()
    middleware = CORSMiddleware(app, config=CORSConfig(**config))
    assert call(middleware, method, headers) == expected
    assert app.calls == (1 if app_runs else 0)


def is_large(headers: Any) -> bool:
    """Whether a row's request is big: 64 KiB or more of values, or 1,000 lines."""
    return sum(len(v) for _, v in headers) >= 65536 or len(headers) >= 1000


def _peak(middleware: CORSMiddleware, method: str, headers: list[tuple[bytes, bytes]]) -> int:
    """Peak bytes allocated while the middleware handles one request (scope built before)."""
    call(middleware, method, headers)  # warm up: lazily built objects, interned strings
    scope = scope_for(method, headers)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    coro = middleware(scope, receive, send)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run_sync(coro)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return peak


@pytest.mark.parametrize(
    ("config", "method", "headers"),
    [pytest.param(*row.values[:3], id=row.id) for row in ROWS if is_large(row.values[2])],
)
@pytest.mark.parametrize("log_level", [logging.WARNING, logging.DEBUG], ids=["quiet", "debug log"])
def test_hostile_request_bounded_memory(
    config: dict[str, Any],
    method: str,
    headers: list[tuple[bytes, bytes]],
    log_level: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Peak allocation for a 64 KiB-1 MiB or 1,000-line request stays below a small constant."""
    caplog.set_level(log_level, logger="crossorigin")
    middleware = CORSMiddleware(App(), config=CORSConfig(**config))
    assert _peak(middleware, method, headers) < PEAK_LIMIT


def test_bounded_memory_limit_can_fail() -> None:
    """The memory probe sees a request body-sized allocation (the bound is not vacuous)."""
    middleware = CORSMiddleware(App(), config=CORSConfig(**EXACT))

    class Copying(CORSMiddleware):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            _ = [bytearray(v) for _, v in scope["headers"]]
            await super().__call__(scope, receive, send)

    copying = Copying(App(), config=CORSConfig(**EXACT))
    headers = preflight(ALLOWED, b"PUT", acrh(b"," * MIB))
    assert _peak(middleware, "OPTIONS", headers) < PEAK_LIMIT
    assert _peak(copying, "OPTIONS", headers) > MIB


LOG_ROWS = [
    pytest.param(
        "GET",
        [(b"origin", b"https://evil.example\r\nINFO forged line")],
        id="CRLF in origin, actual",
    ),
    pytest.param(
        "OPTIONS",
        preflight(b"https://evil.example\r\nINFO forged"),
        id="CRLF in origin, preflight",
    ),
    pytest.param("OPTIONS", preflight(ALLOWED, b"PUT\r\nINFO forged"), id="CRLF in ACRM"),
    pytest.param(
        "OPTIONS", preflight(ALLOWED, b"PUT", acrh(b"x-foo\r\nINFO forged")), id="CRLF in ACRH"
    ),
    pytest.param(
        "OPTIONS", preflight(ALLOWED, b"PUT", acrh(b"\n" * 5000)), id="LF-only ACRH over budget"
    ),
    pytest.param("GET", [(b"origin", b"\n" * 65536)], id="64 KiB of LF in origin"),
    pytest.param(
        "GET", [(b"origin", b"https://e.example\x1b[31m\x00\xff")], id="escape sequences and NUL"
    ),
]


@pytest.mark.parametrize(("method", "headers"), LOG_ROWS)
@pytest.mark.parametrize("path", ["/data", "/da\r\nta"], ids=["plain path", "CRLF path"])
def test_debug_log_has_no_raw_control_characters(
    method: str, headers: list[tuple[bytes, bytes]], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Denials are logged at DEBUG with a reason, escaped, on one short line (no log injection)."""
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    middleware = CORSMiddleware(App(), config=CORSConfig(**EXACT))
    call(middleware, method, headers, path)
    records = [r for r in caplog.records if r.name == "crossorigin"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert records[0].levelno == logging.DEBUG
    assert " denied reason=" in message
    assert not any(c in message for c in "\r\n\x00\x1b"), message
    assert len(message) < 1000


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        pytest.param(
            "GET",
            [(b"origin", b"https://evil.example")],
            "origin_not_allowed",
            id="actual, unlisted",
        ),
        pytest.param(
            "GET", [(b"origin", b"https://a.example/")], "origin_invalid", id="actual, malformed"
        ),
        pytest.param("GET", [(b"origin", b"null")], "origin_null", id="actual, null"),
        pytest.param(
            "GET", [(b"origin", ALLOWED)] * 2, "origin_multiple", id="actual, two origins"
        ),
        pytest.param(
            "OPTIONS",
            preflight(b"https://evil.example"),
            "origin_not_allowed",
            id="preflight, unlisted",
        ),
        pytest.param("OPTIONS", preflight(b"null"), "origin_null", id="preflight, null"),
        pytest.param(
            "OPTIONS",
            preflight(ALLOWED, b"PUT", (b"origin", ALLOWED)),
            "origin_multiple",
            id="preflight, two origins",
        ),
        pytest.param(
            "OPTIONS", preflight(ALLOWED, b"PATCH"), "method_not_allowed", id="method not allowed"
        ),
        pytest.param(
            "OPTIONS", preflight(ALLOWED, b"P\x00T"), "method_invalid", id="method invalid"
        ),
        pytest.param(
            "OPTIONS",
            preflight(ALLOWED, b"PUT", acrh(b"x-bar")),
            "header_not_allowed",
            id="header not allowed",
        ),
        pytest.param(
            "OPTIONS", preflight(ALLOWED, b"PUT", acrh(b"x bar")), "acrh_invalid", id="acrh invalid"
        ),
        pytest.param(
            "OPTIONS",
            preflight(ALLOWED, b"PUT", acrh(b"," * 5000)),
            "acrh_too_large",
            id="acrh too large",
        ),
        pytest.param(
            "OPTIONS",
            preflight(ALLOWED, b"PUT", *[acrh(b"")] * 17),
            "acrh_too_large",
            id="too many acrh lines",
        ),
    ],
)
def test_denials_are_logged_with_a_reason_code(
    method: str, headers: list[tuple[bytes, bytes]], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every denial is logged once, at DEBUG, with its reason code."""
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    call(CORSMiddleware(App(), config=CORSConfig(**EXACT)), method, headers)
    messages = [r.getMessage() for r in caplog.records if r.name == "crossorigin"]
    assert len(messages) == 1
    assert f" reason={reason} " in messages[0]


def test_allowed_requests_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Allowed requests log nothing, even at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    middleware = CORSMiddleware(App(), config=CORSConfig(**EXACT))
    call(middleware, "GET", [(b"origin", ALLOWED)])
    call(middleware, "OPTIONS", preflight(ALLOWED, b"PUT", acrh(b"x-foo")))
    call(middleware, "GET", [])
    assert [r for r in caplog.records if r.name == "crossorigin"] == []
