"""WSGI-specific behaviour of crossorigin.wsgi.CORSMiddleware (PEP 3333), called directly with a
recording ``start_response`` so that every call, header and ``close()`` is visible."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from crossorigin import ConfigError, CORSConfig, Decision, RoutePolicies
from crossorigin.wsgi import CORSMiddleware

ORIGIN = "https://app.example"
CONFIG = CORSConfig(allow_origins=[ORIGIN], allow_credentials=True, expose_headers=["x-total"])
ACTUAL = [
    ("access-control-allow-origin", ORIGIN),
    ("access-control-allow-credentials", "true"),
    ("access-control-expose-headers", "x-total"),
]


class Recorder:
    """A ``start_response`` that records its calls, as a server would see them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and self.calls and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.calls.append((status, headers, exc_info))
        return lambda data: None

    sent = False

    @property
    def status(self) -> str:
        return self.calls[-1][0]

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.calls[-1][1]


def environ(method: str = "GET", path: str = "/", **headers: str) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "api.test",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper()] = value
    return env


def respond(body: Iterable[bytes] = (b"ok",), headers: list[tuple[str, str]] | None = None) -> Any:
    def app(env: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", headers if headers is not None else [("Content-Type", "text/plain")])
        return body

    return app


def consume(result: Iterable[bytes]) -> bytes:
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


class Closing:
    """A response iterable with close(), recording what happened to it."""

    def __init__(self, chunks: list[bytes], fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.closed = 0
        self.served = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError("body failed")
            self.served += 1
            yield chunk

    def close(self) -> None:
        self.closed += 1


def test_actual_request_gets_exact_cors_headers_and_app_headers_kept() -> None:
    app = CORSMiddleware(respond(headers=[("Content-Type", "text/plain"), ("X-Total", "3")]), config=CONFIG)
    start = Recorder()
    assert consume(app(environ(origin=ORIGIN), start)) == b"ok"
    assert start.status == "200 OK"
    assert start.headers == [("Content-Type", "text/plain"), ("X-Total", "3"), ("Vary", "Origin"), *ACTUAL]


def test_app_vary_line_is_merged_and_its_case_kept() -> None:
    app = CORSMiddleware(respond(headers=[("VARY", "Accept-Encoding"), ("vary", "Cookie")]), config=CONFIG)
    start = Recorder()
    consume(app(environ(origin=ORIGIN), start))
    assert start.headers == [("VARY", "Accept-Encoding, Origin"), ("vary", "Cookie"), *ACTUAL]


def test_app_access_control_headers_are_dropped() -> None:
    app = CORSMiddleware(respond(headers=[("Access-Control-Allow-Origin", "*")]), config=CONFIG)
    start = Recorder()
    consume(app(environ(origin="https://evil.example"), start))
    assert start.headers == [("Vary", "Origin")]


def test_preflight_answered_without_calling_the_app() -> None:
    def never(env: Any, start_response: Any) -> Iterable[bytes]:
        raise AssertionError("the app must not run for a preflight")

    app = CORSMiddleware(never, config=CONFIG.replace(allow_headers=["authorization"]))
    start = Recorder()
    body = app(
        environ("OPTIONS", "/x", origin=ORIGIN, access_control_request_method="PUT",
                access_control_request_headers="Authorization"),
        start,
    )
    assert consume(body) == b""
    assert start.status == "403 Forbidden"  # PUT is not allowed
    assert start.headers == [
        ("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ("content-length", "0"),
    ]
    start = Recorder()
    consume(app(environ("OPTIONS", "/x", origin=ORIGIN, access_control_request_method="GET",
                        access_control_request_headers="Authorization"), start))
    assert start.status == "204 No Content"
    assert start.headers == [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-headers", "authorization"),
        ("access-control-allow-credentials", "true"),
        ("access-control-max-age", "600"),
        ("vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    ]


def test_oversized_acrh_refused_before_parsing() -> None:
    app = CORSMiddleware(respond(), config=CONFIG)
    start = Recorder()
    consume(app(environ("OPTIONS", origin=ORIGIN, access_control_request_method="GET",
                        access_control_request_headers="a," * 5000), start))
    assert start.status == "403 Forbidden"


@pytest.mark.parametrize("size", [65, 1 << 20], ids=["65 bytes", "1 MiB"])
def test_acrm_bounded_never_echoed(size: int) -> None:
    config = CONFIG.replace(allow_methods=["*"])
    app = CORSMiddleware(respond(), config=config)
    start = Recorder()
    consume(app(environ("OPTIONS", origin=ORIGIN, access_control_request_method="P" * size), start))
    assert start.status == "403 Forbidden"
    assert [n for n, _ in start.headers] == ["vary", "content-length"]


def test_acrh_budget_only_for_preflights() -> None:
    """An OPTIONS without ACRM goes to the app whatever its ACRH (no preflight budget)."""
    app = CORSMiddleware(respond(), config=CONFIG)
    start = Recorder()
    body = consume(app(environ("OPTIONS", access_control_request_headers="x" * 5000), start))
    assert (start.status, body) == ("200 OK", b"ok")


def test_iterable_streamed_and_closed_once() -> None:
    body = Closing([b"a", b"b", b"c"])
    app = CORSMiddleware(respond(body), config=CONFIG)
    start = Recorder()
    result = app(environ(origin=ORIGIN), start)
    iterator = iter(result)
    assert next(iterator) == b"a"
    assert body.served == 1  # streamed: one chunk at a time
    assert list(iterator) == [b"b", b"c"]
    result.close()  # type: ignore[attr-defined]
    assert body.closed == 1


def test_close_called_when_the_server_never_iterates() -> None:
    body = Closing([b"a"])
    app = CORSMiddleware(respond(body), config=CONFIG)
    result = app(environ(origin=ORIGIN), Recorder())
    result.close()  # type: ignore[attr-defined]
    assert (body.closed, body.served) == (1, 0)


def test_close_called_when_the_body_fails() -> None:
    body = Closing([b"a", b"b"], fail_at=1)
    app = CORSMiddleware(respond(body), config=CONFIG)
    result = app(environ(origin=ORIGIN), Recorder())
    with pytest.raises(RuntimeError, match="body failed"):
        consume(result)
    assert body.closed == 1


def test_app_raising_before_start_response_is_a_500_with_cors(caplog: pytest.LogCaptureFixture) -> None:
    def boom(env: Any, start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("kaput")

    app = CORSMiddleware(boom, config=CONFIG)
    start = Recorder()
    assert consume(app(environ(origin=ORIGIN), start)) == b"Internal Server Error"
    [(status, headers, exc_info)] = start.calls
    assert status == "500 Internal Server Error"
    assert exc_info is None
    assert headers == [
        ("content-type", "text/plain; charset=utf-8"), ("content-length", "21"), ("Vary", "Origin"), *ACTUAL,
    ]
    [record] = [r for r in caplog.records if r.name == "crossorigin"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "kaput"


def test_lazy_app_raising_before_its_first_chunk_is_a_500_with_cors() -> None:
    def lazy(env: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise RuntimeError("late")
        yield b"never"  # a generator: start_response runs on the first next()

    body_closed = []

    class Wrapped:
        def __init__(self, gen: Iterator[bytes]) -> None:
            self.gen = gen

        def __iter__(self) -> Iterator[bytes]:
            return self.gen

        def close(self) -> None:
            body_closed.append(True)

    app = CORSMiddleware(lambda env, sr: Wrapped(lazy(env, sr)), config=CONFIG)
    start = Recorder()
    assert consume(app(environ(origin=ORIGIN), start)) == b"Internal Server Error"
    assert [c[0] for c in start.calls] == ["200 OK", "500 Internal Server Error"]
    assert start.calls[1][2] is not None  # the second call carries exc_info (PEP 3333)
    assert ("access-control-allow-origin", ORIGIN) in start.headers
    assert body_closed == [True]


def test_start_response_exc_info_passed_on() -> None:
    """An app replacing its headers after an error passes exc_info; CORS is merged again."""

    def replacing(env: Any, start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        try:
            raise ValueError("x")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"error page"]

    app = CORSMiddleware(replacing, config=CONFIG)
    start = Recorder()
    assert consume(app(environ(origin=ORIGIN), start)) == b"error page"
    status, headers, exc_info = start.calls[-1]
    assert status == "500 Internal Server Error"
    assert exc_info is not None
    assert exc_info[0] is ValueError
    assert headers == [("Content-Type", "text/plain"), ("Vary", "Origin"), *ACTUAL]


def test_write_protection_refuses_before_the_app() -> None:
    config = CONFIG.replace(protect_writes=True)
    app = CORSMiddleware(respond(), config=config)
    start = Recorder()
    body = consume(app(environ("POST", origin="https://evil.example", sec_fetch_site="cross-site"), start))
    assert (start.status, body) == ("403 Forbidden", b"Forbidden: cross-origin request")
    start = Recorder()
    consume(app(environ("POST", origin=ORIGIN, sec_fetch_site="cross-site"), start))
    assert start.status == "200 OK"


def test_route_tables_select_by_path_info_below_script_name() -> None:
    routes = RoutePolicies([("/api/*", CONFIG), ("/internal/*", None)])
    app = CORSMiddleware(respond(), routes=routes)
    start = Recorder()
    consume(app({**environ(origin=ORIGIN, path="/api/items"), "SCRIPT_NAME": "/mount"}, start))
    assert ("access-control-allow-origin", ORIGIN) in start.headers
    start = Recorder()
    consume(app(environ(origin=ORIGIN, path="/internal/x"), start))
    assert start.headers == [("Content-Type", "text/plain")]


def test_decision_hook_and_shadow() -> None:
    decisions: list[Decision] = []
    shadow = CONFIG.replace(allow_origins=["https://other.example"])
    app = CORSMiddleware(respond(), config=CONFIG, shadow=shadow, on_decision=decisions.append)
    consume(app(environ(origin=ORIGIN, path="/p"), Recorder()))
    assert decisions == [
        Decision("actual", True, "allowed", ORIGIN, "GET", "/p"),
        Decision("actual", False, "origin_not_allowed", ORIGIN, "GET", "/p", shadow=True),
    ]


def test_predicate_gets_a_scope_carrying_the_environ() -> None:
    seen: list[Any] = []

    def predicate(origin: str, scope: Any) -> bool:
        seen.append((origin, scope["path"], scope["wsgi.environ"]["HTTP_X_TENANT"]))
        return origin == "https://tenant.example"

    app = CORSMiddleware(respond(), allow_origins=[], allow_origin_predicate=predicate)
    start = Recorder()
    consume(app(environ(origin="https://tenant.example", x_tenant="t1", path="/q"), start))
    assert seen == [("https://tenant.example", "/q", "t1")]
    assert ("access-control-allow-origin", "https://tenant.example") in start.headers


def test_async_predicate_refused_at_construction() -> None:
    async def predicate(origin: str, scope: Any) -> bool:
        return True

    with pytest.raises(TypeError, match="async function"):
        CORSMiddleware(respond(), allow_origins=[], allow_origin_predicate=predicate)


def test_invalid_config_raises_at_construction() -> None:
    with pytest.raises(ConfigError):
        CORSMiddleware(respond(), allow_origins=["*"], allow_credentials=True)


def test_file_wrapper_result_passed_through() -> None:
    class FileWrapper:
        def __init__(self, f: Any, size: int = 8192) -> None:
            self.f = f

        def __iter__(self) -> Iterator[bytes]:
            return iter([b"file"])

    result_holder: list[Any] = []

    def app_(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        result_holder.append(env["wsgi.file_wrapper"](None))
        return result_holder[0]  # type: ignore[no-any-return]

    app = CORSMiddleware(app_, config=CONFIG)
    result = app({**environ(origin=ORIGIN), "wsgi.file_wrapper": FileWrapper}, Recorder())
    assert result is result_holder[0]


def test_live_reconfiguration_applies_to_the_next_request() -> None:
    from crossorigin import LivePolicy

    live = LivePolicy(CONFIG)
    app = CORSMiddleware(respond(), live=live)
    start = Recorder()
    consume(app(environ(origin="https://new.example"), start))
    assert start.headers == [("Content-Type", "text/plain"), ("Vary", "Origin")]
    assert live.reconfigure(CONFIG.replace(allow_origins=["https://new.example"]))
    start = Recorder()
    consume(app(environ(origin="https://new.example"), start))
    assert ("access-control-allow-origin", "https://new.example") in start.headers


def test_predicate_awaiting_io_is_denied_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A sync predicate returning an awaitable that really waits cannot run in a WSGI worker."""
    class Waits:
        def __await__(self) -> Any:
            yield "waiting on a socket"  # what an awaited I/O future does
            return True

    def predicate(origin: str, scope: Any) -> Any:
        return Waits()

    app = CORSMiddleware(respond(), allow_origins=[], allow_origin_predicate=predicate)
    start = Recorder()
    consume(app(environ(origin="https://tenant.example"), start))
    assert start.headers == [("Content-Type", "text/plain"), ("Vary", "Origin")]
    messages = [r.getMessage() for r in caplog.records if r.name == "crossorigin"]
    assert messages == [
        "crossorigin: allow_origin_predicate awaited I/O, which a WSGI worker cannot do; origin denied"
    ]
