"""What the app sends at ``http.response.start``: owned in any case, never written into.

The middleware owns every ``Access-Control-*`` response header and merges ``Vary``; apps that
spell names in their own case (Django's ASGI handler keeps it, and servers pass it through)
must be handled exactly like lower-case ones. The app's message objects are the app's: an app
that reuses one prebuilt message must not find a previous request's headers in it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from crossorigin import CORSConfig, CORSMiddleware, RoutePolicies
from crossorigin._types import Receive, Scope, Send
from tests.asgi.raw import http

APP = "https://app.example"
EVIL = "https://evil.example"
CONFIG = CORSConfig(allow_origins=[APP], allow_credentials=True)


class CasedApp:
    """Answers with the app's own CORS-looking headers, spelled in the given case."""

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": b"ok"})


def owned(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Every Access-Control-* or Vary line, any case, lower-cased for comparison."""
    return [
        (n.decode().lower(), v.decode())
        for n, v in headers
        if n.lower().startswith(b"access-control-") or n.lower() == b"vary"
    ]


SPELLINGS = [
    pytest.param(b"Access-Control-Allow-Origin", b"Vary", id="title case"),
    pytest.param(b"ACCESS-CONTROL-ALLOW-ORIGIN", b"VARY", id="upper case"),
    pytest.param(b"access-control-allow-origin", b"vary", id="lower case"),
    pytest.param(b"aCCESS-cONTROL-aLLOW-oRIGIN", b"vARY", id="inverted case"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("acao", "vary"), SPELLINGS)
async def test_header_ownership_any_case_denied_origin(acao: bytes, vary: bytes) -> None:
    """A denied origin never sees the app's '*' (no Access-Control-* line in any case)."""
    app = CasedApp(
        [(acao, b"*"), (b"Access-Control-Allow-Credentials", b"true"), (vary, b"Cookie")]
    )
    response = await http(CORSMiddleware(app, config=CONFIG), "GET", "/", [("origin", EVIL)])
    assert response.status == 200
    assert owned(response.headers) == [("vary", "Cookie, Origin")]


@pytest.mark.anyio
@pytest.mark.parametrize(("acao", "vary"), SPELLINGS)
async def test_header_ownership_any_case_allowed_origin(acao: bytes, vary: bytes) -> None:
    """An allowed origin gets exactly one ACAO (the middleware's) and one merged Vary line."""
    app = CasedApp([(acao, b"*"), (vary, b"Accept-Encoding")])
    response = await http(CORSMiddleware(app, config=CONFIG), "GET", "/", [("origin", APP)])
    assert owned(response.headers) == [
        ("vary", "Accept-Encoding, Origin"),
        ("access-control-allow-origin", APP),
        ("access-control-allow-credentials", "true"),
    ]


class PrebuiltApp:
    """Sends the same two message dicts on every request (a cached, prebuilt response)."""

    def __init__(self) -> None:
        self.start: dict[str, Any] = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
        self.body: dict[str, Any] = {"type": "http.response.body", "body": b"ok"}
        self.pristine = copy.deepcopy((self.start, self.body))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self.start)
        await send(self.body)


@pytest.mark.anyio
async def test_app_messages_never_mutated() -> None:
    """An app reusing one prebuilt message dict does not carry a previous request's ACAO onto a
    route where CORS is off (nor anywhere else): its messages are never written into."""
    prebuilt = PrebuiltApp()
    routes = RoutePolicies([("/open", None)], default=CONFIG)
    middleware = CORSMiddleware(prebuilt, routes=routes)
    first = await http(middleware, "GET", "/api", [("origin", APP)])
    assert ("access-control-allow-origin", APP) in owned(first.headers)
    assert (prebuilt.start, prebuilt.body) == prebuilt.pristine
    second = await http(middleware, "GET", "/open", [("origin", APP)])
    assert second.headers == [(b"content-type", b"text/plain")]
    assert (prebuilt.start, prebuilt.body) == prebuilt.pristine


@pytest.mark.anyio
async def test_app_messages_never_mutated_headers_list() -> None:
    """The app's headers list itself is never appended to or rewritten either."""
    headers: list[tuple[bytes, bytes]] = [(b"vary", b"Cookie")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    await http(CORSMiddleware(app, config=CONFIG), "GET", "/", [("origin", APP)])
    assert headers == [(b"vary", b"Cookie")]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        pytest.param(EVIL, [], id="denied: no Access-Control-* line"),
        pytest.param(
            APP,
            [("access-control-allow-origin", APP), ("access-control-allow-credentials", "true")],
            id="allowed: exactly the middleware's",
        ),
    ],
)
def test_header_ownership_any_case_through_uvicorn(
    origin: str, expected: list[tuple[str, str]]
) -> None:
    """Through a real server (uvicorn passes the app's spelling to the wire): the raw response
    lines a browser reads hold no app-set Access-Control-* header, in any case."""
    import httpx

    from tests.uvicorn_thread import serve

    app = CasedApp([(b"Access-Control-Allow-Origin", b"*"), (b"Vary", b"Cookie")])
    with serve(CORSMiddleware(app, config=CONFIG)) as port:
        response = httpx.get(f"http://127.0.0.1:{port}/", headers={"origin": origin})
    lines = [(n.decode(), v.decode()) for n, v in response.headers.raw]
    owned_lines = [(n.lower(), v) for n, v in lines if n.lower().startswith("access-control-")]
    assert owned_lines == expected
    assert [v for n, v in lines if n.lower() == "vary"] == ["Cookie, Origin"]
