"""The tests' one real server: uvicorn in a thread, on loopback sockets bound to port 0.

The sockets come from the demo's own binder (``crossorigin._cli.demo.bind``): bound before the
server starts, so there is no pick-then-bind race, on 127.0.0.1 and, when asked, on [::1] with
the same port (Chromium may try ``::1`` first for ``localhost``). ``log_config=None`` by
default leaves logging alone, so ``uvicorn.error`` records reach pytest's ``caplog``. After
httpx's ``tests/conftest.py`` ``serve_in_thread``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from crossorigin._cli.demo import bind
from crossorigin._types import ASGIApp


@contextlib.contextmanager
def serve(app: ASGIApp, *, both_families: bool = False, **options: Any) -> Iterator[int]:
    """Run *app* under uvicorn until the block exits; yields the port.

    *options* go to ``uvicorn.Config`` (defaults: ``lifespan="off"``, ``log_config=None``,
    ``log_level="warning"``).
    """
    sockets = bind(0, both_families, "port")
    settings: dict[str, Any] = {
        "lifespan": "off",
        "log_config": None,
        "log_level": "warning",
        **options,
    }
    server = uvicorn.Server(uvicorn.Config(app, **settings))
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
    assert not thread.is_alive(), "uvicorn did not stop"
