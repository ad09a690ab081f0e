"""The denial log line: one rendering for CORS and protection refusals, ASGI and WSGI alike.

Every value comes from the request, so it is hostile: the line shows it as a quoted ``str``
(never ``b'...'``), cut to ``LOG_LIMIT`` characters, with control characters escaped so that a
CR/LF in a header cannot forge a second log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._types import LOG_LIMIT
from crossorigin.wsgi import CORSMiddleware as WSGICORSMiddleware
from tests.asgi.raw import Effects, http

ALLOWED = "https://app.example"
HOSTILE = "https://evil.example\r\nforged: line\x00" + "x" * 500
SHOWN = repr(HOSTILE[:LOG_LIMIT])


def middleware(**options: object) -> CORSMiddleware:
    config = CORSConfig(allow_origins=[ALLOWED], allow_methods=["PUT"], **options)  # type: ignore[arg-type]
    return CORSMiddleware(Effects(), config=config)


def denial_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "crossorigin"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "headers", "options", "expected"),
    [
        pytest.param(
            "GET",
            [("origin", HOSTILE)],
            {},
            f"crossorigin: actual denied reason=origin_invalid origin={SHOWN} method='GET'"
            " path='/items'",
            id="actual request",
        ),
        pytest.param(
            "OPTIONS",
            [("origin", HOSTILE), ("access-control-request-method", "PUT")],
            {},
            f"crossorigin: preflight denied reason=origin_invalid origin={SHOWN} method='PUT'"
            " path='/items'",
            id="preflight",
        ),
        pytest.param(
            "POST",
            [("origin", HOSTILE), ("sec-fetch-site", "cross-site")],
            {"protect_writes": True},
            f"crossorigin: write-protection denied reason=cross_site origin={SHOWN}"
            " method='POST' path='/items'",
            id="write protection",
        ),
    ],
)
async def test_one_rendering_for_every_denial(
    caplog: pytest.LogCaptureFixture,
    method: str,
    headers: list[tuple[str, str]],
    options: dict[str, object],
    expected: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    await http(middleware(**options), method, "/items", headers)
    assert denial_lines(caplog) == [expected]
    assert "\n" not in denial_lines(caplog)[0]


@pytest.mark.parametrize(
    ("method", "headers", "options", "expected"),
    [
        pytest.param(
            "GET",
            {"HTTP_ORIGIN": HOSTILE},
            {},
            f"crossorigin: actual denied reason=origin_invalid origin={SHOWN} method='GET'"
            " path='/items'",
            id="actual request",
        ),
        pytest.param(
            "POST",
            {"HTTP_ORIGIN": HOSTILE, "HTTP_SEC_FETCH_SITE": "cross-site"},
            {"protect_writes": True},
            f"crossorigin: write-protection denied reason=cross_site origin={SHOWN}"
            " method='POST' path='/items'",
            id="write protection",
        ),
    ],
)
def test_the_wsgi_edge_logs_the_same_line(
    caplog: pytest.LogCaptureFixture,
    method: str,
    headers: dict[str, str],
    options: dict[str, object],
    expected: str,
) -> None:
    """The WSGI edge uses the same denial logger, so its lines read the same."""

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"ok"]

    caplog.set_level(logging.DEBUG, logger="crossorigin")
    config = CORSConfig(allow_origins=[ALLOWED], allow_methods=["PUT"], **options)  # type: ignore[arg-type]
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/items",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "api.test",
        "SERVER_PORT": "80",
        "HTTP_HOST": "api.test",
        "wsgi.url_scheme": "http",
        **headers,
    }
    b"".join(WSGICORSMiddleware(app, config=config)(environ, lambda *args: None))  # type: ignore[arg-type]
    assert denial_lines(caplog) == [expected]
