"""A direct ASGI driver and a side-effect-counting app, for the protection tests (behaviour.md B33-B38).

httpx normalises what a test must control here (it upper-cases methods, sets ``Host`` and joins
nothing), so these tests build the scope themselves: exact header lines, repeated lines,
``root_path``, lower-case methods and WebSocket scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossorigin._types import Message, Receive, Scope, Send


@dataclass
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header_names(self) -> set[str]:
        return {name.decode("latin-1") for name, _ in self.headers}

    def header_dict(self) -> dict[str, str]:
        return {n.decode("latin-1"): v.decode("latin-1") for n, v in self.headers}


@dataclass
class Effects:
    """A route with a side effect: every call is recorded, so tests can prove it did not run."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            self.calls.append(("WEBSOCKET", scope["path"]))
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": "hello"})
            await send({"type": "websocket.close", "code": 1000})
            return
        self.calls.append((scope["method"], scope["path"]))
        body = b"done"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"4")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def encode(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]


async def http(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    *,
    host: str | None = "api.test",
    root_path: str = "",
) -> Response:
    """Send one HTTP request through *app*; *host* becomes the ``Host`` line (``None``: none)."""
    lines = ([("host", host)] if host is not None else []) + headers
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": encode(lines),
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[Message] = []
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": b"x", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Response(start["status"], list(start.get("headers", [])), body)


async def websocket(
    app: Any,
    path: str,
    headers: list[tuple[str, str]],
    *,
    host: str | None = "api.test",
    denial_extension: bool = True,
    first: str = "websocket.connect",
) -> list[Message]:
    """Open a WebSocket through *app*; returns every message the app (or middleware) sent."""
    lines = ([("host", host)] if host is not None else []) + headers
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": encode(lines),
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}} if denial_extension else {},
    }
    sent: list[Message] = []
    queue = [{"type": first}]

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def scenario_exchange(app: Any, scenario: Any, origin: str) -> list[tuple[int, Any, bytes]]:
    """Every response a scenario row produces (preflight, then actual), headers in full."""
    import httpx

    out: list[tuple[int, Any, bytes]] = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        preflight = scenario.preflight_request()
        if preflight is not None:
            method, acrh = preflight
            headers = {"origin": origin, "access-control-request-method": method}
            if acrh:
                headers["access-control-request-headers"] = acrh
            response = await client.options(scenario.path, headers=headers)
            out.append((response.status_code, response.headers.multi_items(), response.content))
        if scenario.actual is not None:
            headers = {"origin": origin, **scenario.request_headers}
            response = await client.request(scenario.method, scenario.path, headers=headers)
            out.append((response.status_code, response.headers.multi_items(), response.content))
    return out
