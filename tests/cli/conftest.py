"""Live servers for the CLI tests: uvicorn on 127.0.0.1, a free port, a thread, shut down after."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn


class LiveServer:
    """One uvicorn server in a thread (httpx tests/conftest.py ``serve_in_thread`` pattern)."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def live_server() -> Iterator[Callable[[str, Callable[[], Any]], str]]:
    """``live_server(key, make_app) -> base URL``; one server per key, stopped with the module."""
    servers: dict[str, LiveServer] = {}

    def get(key: str, make_app: Callable[[], Any]) -> str:
        if key not in servers:
            servers[key] = LiveServer(make_app()).start()
        return servers[key].url

    yield get
    for server in servers.values():
        server.stop()


def config_key(config: dict[str, Any]) -> str:
    """A stable key for a config dict (lists included)."""
    return json.dumps(config, sort_keys=True, default=repr)


@pytest.fixture
def refused_url() -> str:
    """A loopback URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/data"
