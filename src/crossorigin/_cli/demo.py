"""``crossorigin demo``: a page and an API on two loopback origins, in one process.

Read this for the command line and the server plumbing. The API and its recorder are in
``demo_api.py``, the page server in ``demo_page.py``, the page itself in ``demo_page.html``.

Topology (see docs/demo.md):

- the page at ``http://localhost:PAGE_PORT``, the one origin the API's policy allows;
- the API at ``http://127.0.0.1:API_PORT`` (cross-site from the page), also reachable as
  ``http://localhost:API_PORT`` (same site, so that cookies travel);
- ``http://127.0.0.1:PAGE_PORT``, the same page server under an origin the policy does not allow.

Each server listens on 127.0.0.1 and, when the machine has IPv6, on [::1] with the same port,
because browsers may resolve ``localhost`` to either. Both uvicorn servers share one event loop;
the demo, not uvicorn, handles SIGINT and SIGTERM so that one Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import uvicorn

from crossorigin._cli.demo_api import DecisionLog, build_api, demo_config, describe
from crossorigin._cli.demo_page import PageApp
from crossorigin._cli.lab import Lab
from crossorigin._cli.lab import announce as announce_lab
from crossorigin._types import ASGIApp

HOSTS = ("localhost", "127.0.0.1")
"""``--host`` choices: loopback only. ``localhost`` listens on 127.0.0.1 and [::1]."""

_BIND_ATTEMPTS = 20
"""Tries to find a port free on both 127.0.0.1 and [::1] when the port is 0 (tests)."""


class PortTakenError(OSError):
    """A port the demo needs is already in use."""

    def __init__(self, port: int, address: str, flag: str) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} on {address} is already in use")
        self.port, self.address, self.flag = port, address, flag


@dataclass(frozen=True)
class Demo:
    """A running demo, handed to ``run``'s *ready* callback."""

    api_url: str
    page_url: str
    api_port: int
    page_port: int
    stop: Callable[[], None]
    """Thread-safe: asks both servers to stop."""
    lab_url: str = ""
    """The lab (``crossorigin lab``), served by the page server."""


def main(
    argv: Sequence[str],
    *,
    prog: str = "crossorigin demo",
    announce: Callable[[Demo], None] | None = None,
) -> int:
    """``crossorigin demo [--api-port N] [--page-port N] [--host H]``; returns the exit code.

    ``crossorigin lab`` is the same servers with another *prog* and *announce*.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a page and a crossorigin-protected API on two loopback origins and"
        " show, button by button, what the browser allows and what the server decided;"
        " /lab on the page server is the lab (edit the policy, send any request).",
    )
    parser.add_argument("--api-port", type=_port, default=8000, help="API port (default 8000)")
    parser.add_argument("--page-port", type=_port, default=3000, help="page port (default 3000)")
    parser.add_argument(
        "--host",
        choices=HOSTS,
        default="localhost",
        help="loopback addresses to listen on: 'localhost' = 127.0.0.1 and [::1] (default),"
        " '127.0.0.1' = IPv4 only",
    )
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    if args.api_port == args.page_port != 0:
        print("Error: --api-port and --page-port must differ.", file=sys.stderr)
        return 2
    try:
        run(args.api_port, args.page_port, host=args.host, ready=announce or _announce)
    except PortTakenError as exc:
        print(
            f"Error: {exc.strerror}; stop what is using it or choose another port with"
            f" {exc.flag} (e.g. {exc.flag} {exc.port + 1}).",
            file=sys.stderr,
        )
        return 2
    print(f"{prog} stopped.")
    return 0


def lab_main(argv: Sequence[str]) -> int:
    """``crossorigin lab``: the same servers and flags, announcing the lab's URL."""
    return main(argv, prog="crossorigin lab", announce=announce_lab)


def run(
    api_port: int = 8000,
    page_port: int = 3000,
    *,
    host: str = "localhost",
    ready: Callable[[Demo], None] | None = None,
) -> None:
    """Serve the demo until SIGINT/SIGTERM or ``Demo.stop()``; port 0 picks a free port.

    Raises:
        PortTakenError: before anything is served, when a port is in use.
        ValueError: *host* is not a loopback choice of :data:`HOSTS`.
    """
    if host not in HOSTS:
        raise ValueError(f"host must be one of {', '.join(HOSTS)} (loopback only), not {host!r}")
    ipv6 = host == "localhost"
    api_sockets = bind(api_port, ipv6, "--api-port")
    try:
        page_sockets = bind(page_port, ipv6, "--page-port")
    except BaseException:
        _close(api_sockets)
        raise
    try:
        asyncio.run(_serve(api_sockets, page_sockets, ready))
    finally:
        _close(api_sockets + page_sockets)


def bind(port: int, ipv6: bool, flag: str) -> list[socket.socket]:
    """Listening sockets on 127.0.0.1 (and [::1] if *ipv6*) sharing one port."""
    for _ in range(_BIND_ATTEMPTS):
        v4 = _listen(socket.AF_INET, "127.0.0.1", port, flag)
        if not ipv6:
            return [v4]
        bound = v4.getsockname()[1]
        try:
            return [v4, _listen(socket.AF_INET6, "::1", bound, flag)]
        except PortTakenError:
            v4.close()
            if port != 0:
                raise
            # The kernel's free IPv4 port is taken on [::1]: ask for another one.
        except OSError:
            return [v4]  # no IPv6 loopback here; browsers fall back to 127.0.0.1
    raise PortTakenError(port, "[::1]", flag)


def _listen(family: socket.AddressFamily, address: str, port: int, flag: str) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio then sets TCP_NODELAY on accepted connections (it checks
    # sock.proto), so a response written in two parts is not held back 40 ms by Nagle.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if sys.platform != "win32":
            # As uvicorn does: lets a restarted demo reuse a port still in TIME_WAIT. On POSIX it
            # does not allow binding a port another socket listens on; on Windows it would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            shown = f"[{address}]" if ":" in address else address
            raise PortTakenError(port, shown, flag) from exc
        raise
    return sock


def _close(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return value


def _announce(demo: Demo) -> None:
    print(
        "crossorigin demo is running (loopback only):\n"
        f"  page  {demo.page_url}   <- open this in your browser\n"
        f"  API   {demo.api_url}   (FastAPI + crossorigin; allows {demo.page_url})\n"
        f"  lab   {demo.lab_url}   (edit the policy, send any request)\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn would replace the process's signal handlers, one server at a time, so a
        # Ctrl-C would stop only the last one started; _serve handles signals for both.
        yield


async def _serve(
    api_sockets: list[socket.socket],
    page_sockets: list[socket.socket],
    ready: Callable[[Demo], None] | None,
) -> None:
    api_port = api_sockets[0].getsockname()[1]
    page_port = page_sockets[0].getsockname()[1]
    settings = _settings(api_port, page_port)
    config = demo_config(settings["page"])
    lab = Lab(page_port, api_port, ipv6=len(page_sockets) > 1)
    demo_api = build_api(config, DecisionLog(), describe(config))
    servers = [
        # No uvicorn date/server headers: the lab's records are exactly what went on the wire.
        (_server(lab.api_dispatch(demo_api), plain=True), api_sockets),
        (_server(lab.page_app(PageApp(settings))), page_sockets),
    ]
    loop = asyncio.get_running_loop()

    def stop_soon() -> None:
        loop.call_soon_threadsafe(stop)

    def stop() -> None:
        for server, _ in servers:
            if server.should_exit:
                server.force_exit = True  # a second Ctrl-C: stop waiting for open connections
            server.should_exit = True

    with _signals_handled(loop, stop):
        tasks = [asyncio.create_task(server.serve(sockets=socks)) for server, socks in servers]
        while not all(server.started for server, _ in servers):
            done, _ = await asyncio.wait(tasks, timeout=0.05)
            if done:
                break
        else:
            if ready is not None:
                ready(
                    Demo(settings["api"], settings["page"], api_port, page_port, stop_soon, lab.url)
                )
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for server, _ in servers:
            server.should_exit = True  # if one server ended on its own, end the other one too
        await asyncio.gather(*tasks)


def _settings(api_port: int, page_port: int) -> dict[str, str]:
    """The origins of the demo, as the page needs them (see the module docstring)."""
    return {
        "page": f"http://localhost:{page_port}",
        "api": f"http://127.0.0.1:{api_port}",
        "api_same_site": f"http://localhost:{api_port}",
        "denied_origin": f"http://127.0.0.1:{page_port}",
        "lab": f"http://localhost:{page_port}/lab",
    }


def _server(app: ASGIApp, *, plain: bool = False) -> _Server:
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        server_header=not plain,
        date_header=not plain,
    )
    return _Server(config)


@contextlib.contextmanager
def _signals_handled(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Generator[None, None, None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # tests run the demo in a thread and stop it with Demo.stop()
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stop)
    except NotImplementedError:  # Windows event loops: fall back to plain signal handlers
        previous = {
            sig: signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop)) for sig in signals
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
