"""``crossorigin lab``: edit a policy, fire real requests from real origins, compare.

Read this for the lab's servers; the pure logic (policy JSON, snippet, prediction) is in
``lab_api.py``, the page in ``lab_page.html`` and the frames' script in ``lab_frame.js``.

The lab runs inside the demo's two loopback servers (``crossorigin demo`` links to it):

- the page server serves the lab at ``/lab`` and its JSON endpoints at ``/lab/_lab/*`` (the
  editor's validation, applying a policy, the prediction, the scan). The same server answers as
  ``http://localhost:P``, ``http://127.0.0.1:P``, ``http://[::1]:P`` and
  ``http://app.localhost:P`` (browsers resolve ``*.localhost`` to loopback), so the lab loads
  ``/lab/frame`` from each of them, plus once in a sandboxed iframe (``Origin: null``), and
  each frame runs the page's ``fetch()`` as that origin;
- the API server sends ``/lab/api/*`` to the lab's API: :func:`~crossorigin._cli.lab_api.echo_app`
  behind ``CORSMiddleware(live=...)``, recorded by the demo's bounded ``DecisionLog``. A valid
  policy is applied with :meth:`LivePolicy.reconfigure` (atomic); an invalid one never is.

The endpoints accept only JSON from the lab's own origins (``Origin`` checked, and the ``Host``
must be a loopback name, against DNS rebinding).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Any

from crossorigin._asgi.middleware import CORSMiddleware
from crossorigin._cli.demo_api import DecisionLog, DecisionRecorder, record_decision
from crossorigin._cli.lab_api import (
    BadInput,
    browser_report,
    check_policy,
    disagreements,
    echo_app,
    fastapi_snippet,
    initial_policy,
    json_defaults,
    lab_request,
    predict,
    scan_origins,
)
from crossorigin._policy.live import LivePolicy
from crossorigin._types import ASGIApp, Receive, Scope, Send

PAGE_PREFIX = "/lab"
API_PREFIX = "/lab/api"
LOG_SIZE = 1000
"""Requests the lab's API remembers (oldest dropped first): memory stays bounded."""
MAX_BODY = 64 * 1024
SCAN_BUDGET = 120
_LOOPBACK_HOST = re.compile(r"(?:(?:[a-z0-9-]+\.)*localhost|127\.0\.0\.1|\[::1\])(?::\d+)?")

_FRAME = b"""<!doctype html>
<meta charset="utf-8">
<title>crossorigin lab frame</title>
<script src="/lab/frame.js"></script>
"""


def _resource(name: str) -> bytes:
    return files("crossorigin._cli").joinpath(name).read_bytes()


class Lab:
    """The lab's state (live policy, request log) and its two ASGI apps."""

    def __init__(self, page_port: int, api_port: int, *, ipv6: bool, log_size: int = LOG_SIZE):
        self.page = f"http://localhost:{page_port}"
        self.url = self.page + PAGE_PREFIX
        self.api = f"http://127.0.0.1:{api_port}"
        origins = [
            ("localhost", self.page),
            ("127.0.0.1", f"http://127.0.0.1:{page_port}"),
            *([("[::1]", f"http://[::1]:{page_port}")] if ipv6 else []),
            ("app.localhost", f"http://app.localhost:{page_port}"),
        ]
        self.settings = {
            "page": self.page,
            "api": self.api + API_PREFIX,
            "origins": [
                {"id": name, "origin": origin, "frame": origin + PAGE_PREFIX + "/frame"}
                for name, origin in origins
            ]
            + [{"id": "null", "origin": "null", "frame": PAGE_PREFIX + "/frame"}],
            "defaults": json_defaults(),
        }
        self.policy = initial_policy(self.page)
        config, _ = check_policy(self.policy)
        assert config is not None
        self.config = config
        self.live = LivePolicy(config)
        self.version = 1
        self.log = DecisionLog(log_size)
        self.api_app: ASGIApp = DecisionRecorder(
            CORSMiddleware(echo_app, live=self.live, on_decision=record_decision), log=self.log
        )
        blob = json.dumps(self.settings).replace("<", "\\u003c").encode("ascii")
        self.routes: dict[str, tuple[bytes, bytes]] = {
            PAGE_PREFIX: (b"text/html; charset=utf-8", _page(blob)),
            PAGE_PREFIX + "/": (b"text/html; charset=utf-8", _page(blob)),
            PAGE_PREFIX + "/frame": (b"text/html; charset=utf-8", _FRAME),
            PAGE_PREFIX + "/frame.js": (
                b"text/javascript; charset=utf-8",
                _resource("lab_frame.js"),
            ),
        }
        self.endpoints: dict[tuple[str, str], Callable[[Any], Awaitable[dict[str, Any]]]] = {
            ("GET", "policy"): self.get_policy,
            ("PUT", "policy"): self.put_policy,
            ("POST", "explain"): self.explain,
            ("POST", "scan"): self.scan,
        }

    # -- dispatchers ---------------------------------------------------------------------------

    def page_app(self, fallback: ASGIApp) -> ASGIApp:
        """The page server: the lab under ``/lab``, *fallback* (the demo page) elsewhere."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "")
            if scope["type"] == "http" and (path == PAGE_PREFIX or path.startswith("/lab/")):
                await self.serve_page(scope, receive, send)
            else:
                await fallback(scope, receive, send)

        return app

    def api_dispatch(self, fallback: ASGIApp) -> ASGIApp:
        """The API server: the lab's API under ``/lab/api/``, *fallback* (the demo's) elsewhere."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(API_PREFIX + "/"):
                await self.api_app(scope, receive, send)
            else:
                await fallback(scope, receive, send)

        return app

    async def serve_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path.startswith(PAGE_PREFIX + "/_lab/"):
            status, body = await self.endpoint(scope, receive, path[len("/lab/_lab/") :])
            await _send(send, status, b"application/json", json.dumps(body).encode("utf-8"))
            return
        content_type, page = self.routes.get(path, (b"", b""))
        if not content_type or scope["method"] not in ("GET", "HEAD"):
            await _send(send, 404, b"text/plain; charset=utf-8", b"Not Found")
            return
        await _send(send, 200, content_type, page)

    async def endpoint(self, scope: Scope, receive: Receive, name: str) -> tuple[int, Any]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        handler = self.endpoints.get((scope["method"], name))
        if handler is None:
            return 404, {"error": f"no endpoint {scope['method']} /lab/_lab/{name}"}
        if not _LOOPBACK_HOST.fullmatch(headers.get("host", "").lower()):
            return 403, {"error": "the lab answers only loopback host names"}
        origin = headers.get("origin")
        if origin is not None and origin != self.page:
            return 403, {"error": f"the lab's endpoints answer only {self.page}"}
        data: Any = None
        if scope["method"] != "GET":
            if not headers.get("content-type", "").startswith("application/json"):
                return 415, {"error": "send application/json"}
            raw = await _read(receive)
            if raw is None:
                return 413, {"error": f"the body is larger than {MAX_BODY} bytes"}
            try:
                data = json.loads(raw)
            except ValueError as exc:
                return 400, {"error": f"the body is not JSON: {exc}"}
        try:
            return 200, await handler(data)
        except BadInput as exc:
            return 400, {"error": str(exc)}

    # -- endpoints -----------------------------------------------------------------------------

    async def get_policy(self, _: Any) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "snippet": fastapi_snippet(self.config),
        }

    async def put_policy(self, data: Any) -> dict[str, Any]:
        """Validate ``{"policy": {...}}``; apply it when valid. Never applies an invalid one."""
        if not isinstance(data, dict) or "policy" not in data:
            raise BadInput('send {"policy": {...CORSConfig fields...}}')
        config, problems = check_policy(data["policy"])
        if config is None:
            return {"valid": False, "applied": False, "problems": problems, "version": self.version}
        changed = self.live.reconfigure(config)
        self.config, self.policy = config, data["policy"]
        if changed:
            self.version += 1
        return {
            "valid": True,
            "applied": True,
            "problems": [],
            "version": self.version,
            "snippet": fastapi_snippet(config),
        }

    async def explain(self, data: Any) -> dict[str, Any]:
        """``{"run", "request", "report", "user_agent"}`` -> records, prediction, disagreements."""
        if not isinstance(data, dict) or not isinstance(data.get("run"), str):
            raise BadInput("send run, request and report")
        request = lab_request(data.get("request"))
        report = browser_report(data.get("report"))
        agent = data.get("user_agent", "")
        # Chromium and Firefox let ACAH '*' cover Authorization; the standard (WebKit) does not.
        covered = isinstance(agent, str) and ("Chrome/" in agent or "Firefox/" in agent)
        records = self.log.for_run(data["run"])
        prediction = predict(request, records, authorization_covered_by_wildcard=covered)
        return {
            "records": records,
            "prediction": prediction,
            "disagreements": disagreements(request, prediction, report),
            "policy_version": self.version,
        }

    async def scan(self, _: Any) -> dict[str, Any]:
        """Run ``crossorigin scan`` against the lab's API under the active policy."""
        from crossorigin._cli.check import Unreachable
        from crossorigin._cli.scan import scan

        trusted = scan_origins(self.config, self.page)
        url = f"{self.api}{API_PREFIX}/items?run=scan-{self.version}"
        try:
            report = await scan(url, trusted_origins=trusted, budget=SCAN_BUDGET, timeout=5.0)
        except Unreachable as exc:
            return {"error": str(exc), "findings": [], "version": self.version}
        return {
            "url": url,
            "version": self.version,
            "trusted_origins": trusted,
            "requests_sent": report.requests_sent,
            "complete": report.complete,
            "findings": [
                {k: v for k, v in f.to_dict().items() if k != "evidence"} for f in report.findings
            ],
        }


def _page(blob: bytes) -> bytes:
    return _resource("lab_page.html").replace(b"__LAB_SETTINGS__", blob)


async def _read(receive: Receive) -> bytes | None:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if len(body) > MAX_BODY:
            return None
        if not message.get("more_body", False):
            return body


async def _send(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- command line: ``crossorigin lab`` is ``demo.lab_main`` (the same servers) ---------------


def announce(demo: Any) -> None:
    """What ``crossorigin lab`` prints once both servers listen."""
    print(
        "crossorigin lab is running (loopback only):\n"
        f"  lab   {demo.lab_url}   <- open this in your browser\n"
        f"  API   {demo.api_url}{API_PREFIX}/   (crossorigin with a live policy)\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
