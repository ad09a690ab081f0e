"""The ``crossorigin demo`` servers on free ports, in a thread, for the demo's tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from crossorigin._cli.demo import Demo, run


@contextlib.contextmanager
def running_demo(api_port: int = 0, page_port: int = 0) -> Iterator[Demo]:
    """Start the demo (port 0: chosen by the kernel); stop it and wait for it on exit."""
    started: list[Demo] = []
    ready = threading.Event()

    def on_ready(running: Demo) -> None:
        started.append(running)
        ready.set()

    thread = threading.Thread(target=run, args=(api_port, page_port), kwargs={"ready": on_ready}, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the demo did not start")
    try:
        yield started[0]
    finally:
        started[0].stop()
        thread.join(10)
    if thread.is_alive():
        raise RuntimeError("the demo did not stop")


def ipv6_loopback() -> bool:
    """Whether this machine has [::1] (the demo then listens there too)."""
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True
