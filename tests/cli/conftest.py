"""Live servers for the CLI tests: uvicorn on 127.0.0.1, port 0, in a thread, stopped after."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.uvicorn_thread import serve


@pytest.fixture(scope="module")
def live_server() -> Iterator[Callable[[str, Callable[[], Any]], str]]:
    """``live_server(key, make_app) -> base URL``; one server per key, stopped with the module."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def get(key: str, make_app: Callable[[], Any]) -> str:
            if key not in urls:  # log_config=None: no handler on a captured, later closed stderr
                port = stack.enter_context(serve(make_app(), log_config=None))
                urls[key] = f"http://127.0.0.1:{port}"
            return urls[key]

        yield get


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
