"""A real uvicorn server in a thread, on loopback sockets bound to port 0 (no pick-then-bind race).

After httpx's ``tests/conftest.py`` ``serve_in_thread``. Used by the WebSocket and browser
tests of the protections (behaviour.md B33-B38).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from crossorigin._types import ASGIApp


def loopback_sockets(both_families: bool) -> list[socket.socket]:
    """A listening socket on 127.0.0.1 port 0 and, if asked, one on [::1] with the same port.

    Chromium may try ``::1`` first for ``localhost``, so a page served as ``localhost`` needs
    both (shared/spec/browser-testing.md).
    """
    for _ in range(20):
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        v4.bind(("127.0.0.1", 0))
        if not both_families:
            return [v4]
        port = v4.getsockname()[1]
        v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        v6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            v6.bind(("::1", port))
        except OSError:
            v4.close()
            v6.close()
            continue
        return [v4, v6]
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


@contextlib.contextmanager
def serve(app: ASGIApp, *, both_families: bool = False, **options: Any) -> Iterator[int]:
    """Run *app* under uvicorn until the block exits; yields the port."""
    sockets = loopback_sockets(both_families)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sock in sockets:
            sock.close()
