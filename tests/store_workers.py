"""``uvicorn --workers N`` serving tests/store_app.py on 127.0.0.1, and probes of every worker."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``crossorigin …`` in a subprocess with this checkout's sources."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, "-m", "crossorigin", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


@contextlib.contextmanager
def workers(store_url: str, count: int = 2, poll: float = 0.5) -> Iterator[str]:
    """Start uvicorn with *count* workers; yields the base URL; stops it after the block."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "CROSSORIGIN_STORE": store_url,
        "STORE_POLL": str(poll),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.store_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(count), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {proc.stdout.read() if proc.stdout else ''}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def probe(base: str, origin: str, path: str = "/api/items") -> tuple[int, bool]:
    """One request on a new connection: (worker PID, whether the origin was allowed)."""
    response = httpx.get(base + path, headers={"origin": origin, "connection": "close"}, timeout=5)
    assert response.status_code == 200, response.status_code
    return int(response.headers["x-pid"]), (
        response.headers.get("access-control-allow-origin") == origin
    )


def worker_pids(base: str, count: int, timeout: float = 30) -> set[int]:
    """The PIDs of the *count* workers, found by probing."""
    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(pids) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"only saw workers {pids}")
        pids.add(probe(base, "https://probe.example")[0])
    return pids


def until_every_worker(
    base: str,
    origin: str,
    allowed: bool,
    pids: set[int],
    timeout: float = 30,
    path: str = "/api/items",
) -> float:
    """Probe until every worker in *pids* has answered with *allowed*; return the seconds it
    took. Once a worker has answered so, it must never answer otherwise (no flapping)."""
    start = time.monotonic()
    settled: set[int] = set()
    while settled != pids:
        if time.monotonic() - start > timeout:
            raise AssertionError(f"workers {pids - settled} never answered allowed={allowed}")
        pid, verdict = probe(base, origin, path)
        if verdict == allowed:
            settled.add(pid)
        else:
            assert pid not in settled, f"worker {pid} went back to allowed={verdict}"
    return time.monotonic() - start
