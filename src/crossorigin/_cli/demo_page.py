"""The demo's frontend server: a tiny ASGI app serving the page, its script and its iframe.

The page (``demo_page.html``) and the fetch runner (``demo_runner.js``) are package resources.
The same server answers on ``localhost`` (the page's origin, allowed by the API's policy) and on
``127.0.0.1`` (a different origin, which the page loads in an iframe to show a denied origin).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from crossorigin._types import Receive, Scope, Send

_FRAME = b"""<!doctype html>
<meta charset="utf-8">
<title>crossorigin demo frame</title>
<script src="/runner.js"></script>
<script>crossoriginDemo.listen();</script>
"""


def _resource(name: str) -> bytes:
    return files("crossorigin._cli").joinpath(name).read_bytes()


class PageApp:
    """Serves ``/``, ``/frame`` and ``/runner.js``; everything else is a 404."""

    def __init__(self, settings: dict[str, Any]) -> None:
        # '<' is escaped so that no value can close the <script> element it is embedded in.
        blob = json.dumps(settings).replace("<", "\\u003c").encode("ascii")
        page = _resource("demo_page.html").replace(b"__DEMO_SETTINGS__", blob)
        html = b"text/html; charset=utf-8"
        self.routes: dict[str, tuple[bytes, bytes]] = {
            "/": (html, page),
            "/frame": (html, _FRAME),
            "/runner.js": (b"text/javascript; charset=utf-8", _resource("demo_runner.js")),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; nothing else is served
        status, (content_type, body) = 200, self.routes.get(scope["path"], (b"", b""))
        if not content_type:
            status, content_type, body = 404, b"text/plain; charset=utf-8", b"Not Found"
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
