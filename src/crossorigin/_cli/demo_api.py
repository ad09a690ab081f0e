"""The demo's API: a FastAPI app protected by crossorigin, and the recorder that explains it.

Read this to see crossorigin in a real app (``build_api``) and how the demo learns what the
middleware decided: :class:`DecisionRecorder` wraps :class:`~crossorigin.CORSMiddleware` and
records each request's ``Origin``, method, path, status and the CORS headers sent, and the
middleware's ``on_decision`` hook (:func:`record_decision`) adds crossorigin's reason code. The
page reads the records through ``GET /_demo/decisions``, an endpoint that the demo's own policy
allows for the page's origin.
"""

from __future__ import annotations

import contextvars
import itertools
import re
import sys
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse

from crossorigin._asgi.decisions import Decision
from crossorigin._asgi.middleware import CORSMiddleware
from crossorigin._config.config import CORSConfig
from crossorigin._types import ASGIApp, Message, Receive, Scope, Send

DEMO_PREFIX = "/_demo/"
"""The demo's own endpoints; the recorder leaves them out of the log."""

_MAX_RECORDS = 500
_CURRENT: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("crossorigin_demo")

REASONS = {
    "allowed": "the Origin is allowed, so crossorigin added the CORS headers",
    "preflight_allowed": (
        "the origin, the method and the headers asked for are all allowed; crossorigin answered"
        " without calling the app"
    ),
    "origin_not_allowed": "the Origin is not in allow_origins",
    "origin_invalid": "the Origin is not a valid serialized origin",
    "origin_null": (
        "the Origin is 'null' (a sandboxed iframe, a file: page or a cross-origin redirect),"
        " which anyone can forge, so only allow_origins=['*'] serves it"
    ),
    "origin_multiple": "the request carried several Origin headers",
    "method_not_allowed": "the requested method is not in allow_methods",
    "method_invalid": "the requested method is not a valid HTTP method token",
    "header_not_allowed": "a requested header is not in allow_headers",
    "acrh_invalid": "Access-Control-Request-Headers is not a valid list of header names",
    "acrh_too_large": "Access-Control-Request-Headers is too large",
    "no_origin": "no Origin header: not a CORS request, so nothing to decide",
}


def demo_config(page_origin: str) -> CORSConfig:
    """The demo's policy: the page's origin may call the API, with cookies."""
    return CORSConfig(
        allow_origins=[page_origin],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["authorization", "x-demo-token"],
        allow_credentials=True,
        expose_headers=["x-request-id"],
    )


class DecisionLog:
    """The last *maxlen* (default :data:`_MAX_RECORDS`) decisions, numbered in arrival order."""

    def __init__(self, maxlen: int = _MAX_RECORDS) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)

    def new(self, scope: Scope) -> dict[str, Any]:
        """Start the record of a request and keep it (it is completed in place)."""
        pairs = [
            [name.decode("latin-1"), value.decode("latin-1")] for name, value in scope["headers"]
        ]
        headers = dict(pairs)
        for pair in pairs:
            if pair[0] == "cookie":
                # Cookies are per host, not per port: other local apps' cookies may travel
                # here. The records say that cookies came, never what they are.
                count = len([c for c in pair[1].split(";") if c.strip()])
                pair[1] = f"({count} cookie{'s' if count != 1 else ''}, values hidden)"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        record: dict[str, Any] = {
            "seq": next(self._seq),
            "run": query.get("run", [""])[0],
            "method": scope["method"],
            "path": scope["path"],
            "origin": headers.get("origin"),
            "request_method": headers.get("access-control-request-method"),
            "request_headers": headers.get("access-control-request-headers"),
            "authorization": "authorization" in headers,
            "cookie": "cookie" in headers,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "request_header_list": pairs,
            "response_header_list": [],
            "status": None,
            "cors_headers": {},
            "reason": None,
            "error": None,
        }
        self._records.append(record)
        return record

    def __len__(self) -> int:
        return len(self._records)

    def for_run(self, run: str) -> list[dict[str, Any]]:
        """The records of the requests whose query string had ``run=<run>``."""
        return [r for r in self._records if r["run"] == run]


class DecisionRecorder:
    """ASGI wrapper around :class:`~crossorigin.CORSMiddleware` that records its decisions.

    Add it after the CORS middleware (``add_middleware`` wraps in reverse order), so it sees the
    headers crossorigin sent.
    """

    def __init__(self, app: ASGIApp, log: DecisionLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(DEMO_PREFIX):
            await self.app(scope, receive, send)
            return
        record = self.log.new(scope)
        token = _CURRENT.set(record)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                _finish(record, message)
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception as exc:
            if record["status"] is None:
                raise
            # The response (crossorigin's 500 with CORS headers) is already sent: one line in the
            # terminal instead of a traceback, since the demo route raises on purpose.
            record["error"] = f"{type(exc).__name__}: {exc}"
            print(
                f"crossorigin demo: {scope['method']} {scope['path']} raised {record['error']}"
                " (the page got crossorigin's 500, with CORS headers)",
                file=sys.stderr,
            )
        finally:
            _CURRENT.reset(token)


def _finish(record: dict[str, Any], message: Message) -> None:
    record["status"] = message["status"]
    cors = {}
    pairs = record["response_header_list"]
    for name, value in message.get("headers", ()):
        key = name.decode("latin-1").lower()
        pairs.append([key, value.decode("latin-1")])
        if key.startswith("access-control-") or key == "vary":
            cors[key] = value.decode("latin-1")
    record["cors_headers"] = cors
    preflight = record["method"] == "OPTIONS" and record["request_method"] is not None
    record["kind"] = "preflight" if preflight else "actual"
    if record["origin"] is None:
        record["kind"], record["decision"], record["reason"] = "not-cors", "none", "no_origin"
    elif "access-control-allow-origin" in cors:
        record["decision"], record["reason"] = "allowed", "allowed"
    else:
        record["decision"] = "denied"
        record["reason"] = record["reason"] or "unknown"  # no on_decision call: should not happen
    why = REASONS.get(record["reason"], "crossorigin reported no reason")
    if record["kind"] == "preflight" and record["decision"] == "allowed":
        why = REASONS["preflight_allowed"]
    elif record["kind"] == "preflight":
        why += "; crossorigin refused the preflight (403, no CORS headers), the app never ran"
    elif record["decision"] == "denied":
        why += "; the app ran, but crossorigin added no CORS headers, so the browser hides it"
    record["why"] = why


def record_decision(decision: Decision) -> None:
    """``on_decision`` hook: put crossorigin's reason code into the current request's record.

    The middleware calls it while handling the request, so the record is found through a
    context variable set by :class:`DecisionRecorder`.
    """
    current = _CURRENT.get(None)
    if current is not None and not decision.shadow:
        current["reason"] = decision.reason


def build_api(config: CORSConfig, log: DecisionLog, shown: dict[str, Any]) -> FastAPI:
    """The demo API: an ordinary FastAPI app with crossorigin added as middleware."""
    app = FastAPI(title="crossorigin demo API", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(CORSMiddleware, config=config, on_decision=record_decision)
    app.add_middleware(DecisionRecorder, log=log)
    counter = itertools.count(1)

    @app.get("/items")
    def list_items(response: Response, x_demo_token: str | None = Header(None)) -> dict[str, Any]:
        response.headers["x-request-id"] = f"req-{next(counter)}"
        response.headers["x-internal-trace"] = "not exposed, so scripts cannot read it"
        return {"items": ["apple", "pear"], "x-demo-token": x_demo_token}

    @app.post("/items", status_code=201)
    async def create_item(request: Request) -> dict[str, Any]:
        return {"created": await request.json()}

    @app.put("/items/{item_id}")
    def replace_item(item_id: int) -> dict[str, Any]:
        return {"replaced": item_id}

    @app.patch("/items/{item_id}")
    def patch_item(item_id: int) -> dict[str, Any]:
        return {"patched": item_id}

    @app.delete("/items/{item_id}", status_code=204)
    def delete_item(item_id: int) -> Response:
        return Response(status_code=204)

    @app.get("/me")
    def me(authorization: str | None = Header(None)) -> Response:
        if authorization != "Bearer demo-token":
            return JSONResponse({"error": "send 'Authorization: Bearer demo-token'"}, 401)
        return JSONResponse({"user": "demo", "authorization": authorization})

    @app.get("/session")
    def session(request: Request, response: Response) -> dict[str, Any]:
        cookie = request.cookies.get("demo_session")
        if cookie is None:
            response.set_cookie("demo_session", "s3cret", httponly=True, samesite="lax")
        return {"cookie_received": cookie is not None}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("this demo route always raises")

    @app.get(DEMO_PREFIX + "decisions")
    def decisions(run: str) -> list[dict[str, Any]]:
        return log.for_run(run)

    @app.get(DEMO_PREFIX + "config")
    def active_config() -> dict[str, Any]:
        return shown

    return app


def describe(config: CORSConfig) -> dict[str, Any]:
    """The config as JSON for the page (the predicate, if any, by name)."""
    out: dict[str, Any] = {}
    for name, value in config.as_dict().items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, re.Pattern):
            value = value.pattern
        elif callable(value):
            value = getattr(value, "__qualname__", repr(value))
        out[name] = value
    return out
