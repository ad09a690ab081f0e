"""The WSGI twin of tests/apps.py: the app behind every scenario row, as a bare PEP 3333 app.

``/data`` answers every method (JSON, ``x-total: 42``, ``x-secret: s``), ``/boom`` raises,
``/teapot`` is 418, ``/get-only`` answers GET (405 otherwise), anything else is 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from crossorigin import CORSConfig
from crossorigin.wsgi import CORSMiddleware

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def scenario_wsgi_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    if path == "/data":
        body = json.dumps({"method": method, "cookie": environ.get("HTTP_COOKIE")}).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("x-total", "42"), ("x-secret", "s")],
        )
        return [body]
    if path == "/boom":
        raise RuntimeError("boom: the route failed")
    if path == "/teapot":
        start_response("418 I'm a Teapot", [("Content-Type", "text/plain")])
        return [b"short and stout"]
    if path == "/get-only":
        if method != "GET":
            start_response("405 Method Not Allowed", [("Allow", "GET")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"only GET here"]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found"]


def scenario_app(config: CORSConfig | dict[str, Any]) -> CORSMiddleware:
    if isinstance(config, dict):
        config = CORSConfig(**config)
    return CORSMiddleware(scenario_wsgi_app, config=config)
