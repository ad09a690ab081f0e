"""Real server processes for the framework tests: uvicorn, hypercorn and granian on 127.0.0.1.

Each server runs ``main:app`` from a temporary directory, as a user would start it. Ports come
from binding port 0 and closing the socket just before the server binds it (a small window the
tests accept; the server reports a clear error if it is lost). Every process is started in its
own session and killed by its process group, so workers never outlive a test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("uvicorn", "hypercorn", "granian", "waitress")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def command(server: str, target: str, port: int, interface: str = "asgi") -> list[str]:
    """The command line a user would type, through this interpreter."""
    if server == "uvicorn":
        cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
        return [*cmd, "--interface", interface] if interface == "wsgi" else cmd
    if server == "hypercorn":
        return [sys.executable, "-m", "hypercorn", target, "--bind", f"127.0.0.1:{port}"]
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", interface, target,
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
    if server == "waitress":
        return [sys.executable, "-m", "waitress", "--listen", f"127.0.0.1:{port}", target]
    raise ValueError(server)


def environment(directory: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(directory), str(ROOT / "src"), str(ROOT)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # our own child's group: graceful shutdown
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@dataclass
class Finished:
    returncode: int
    output: str


def run_until_exit(
    server: str, directory: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> Finished:
    """Start ``main:app`` and wait for the server to exit by itself (it must refuse to start)."""
    proc = subprocess.Popen(
        command(server, "main:app", free_port()),
        cwd=directory,
        env=environment(directory, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        output = proc.stdout.read() if proc.stdout else ""
        raise AssertionError(f"{server} kept running:\n{output}") from None
    return Finished(proc.returncode, output)


@dataclass
class Running:
    base_url: str
    port: int
    proc: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serve(
    server: str,
    directory: Path,
    *,
    target: str = "main:app",
    interface: str = "asgi",
    env: dict[str, str] | None = None,
) -> Iterator[Running]:
    """Run a server until the block exits; yields once it answers HTTP on its port."""
    port = free_port()
    log_path = directory / f"{server}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command(server, target, port, interface),
            cwd=directory,
            env=environment(directory, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    running = Running(f"http://127.0.0.1:{port}", port, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{server} exited {proc.returncode}:\n{running.log()}")
            try:
                httpx.get(running.base_url + "/__ready__", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{server} did not start:\n{running.log()}") from None
                time.sleep(0.1)
        yield running
    finally:
        _kill(proc)
