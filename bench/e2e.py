"""End-to-end benchmark: uvicorn and granian serving a Starlette app, loaded by ``wrk``.

Run ``python bench/e2e.py [--duration 4] [--reps 3] [--out bench/results]``; it writes
``e2e.md`` and ``e2e.json``. Every (server, app) pair runs as its own process with one worker
on a free 127.0.0.1 port; all of them start first and stop at the end (also on error).
Each repetition loads every pair for ``--duration`` seconds with ``wrk -t1 -c32``, apps in a
rotating order (A B C, B C A, ...), and the report gives medians of requests/s and the median
of each repetition's ratio to the bare app on the same server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APPS = ("bare", "starlette_cors", "crossorigin_cors")
LABELS = {"bare": "bare", "starlette_cors": "Starlette CORS", "crossorigin_cors": "crossorigin"}
SERVERS = ("uvicorn", "granian")
TARGET = 0.88
"""Under granian an allowed simple GET keeps at least 88 % of the bare throughput
(docs/performance.md)."""

GET_LUA = """
wrk.method = "GET"
wrk.headers["Origin"] = "https://app.example"
"""
PREFLIGHT_LUA = """
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://app.example"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type,authorization"
"""
SCENARIOS = {"GET allowed": GET_LUA, "preflight allowed": PREFLIGHT_LUA}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(server: str, app: str, port: int) -> list[str]:
    target = f"bench._e2e_app:{app}"
    if server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "warning",
        "--no-access-log", target,
    ]  # fmt: skip


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout} s: {url}")


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    proc = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rps = re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", proc.stdout)
    errors = re.search(r"Socket errors: (.*)", proc.stdout)
    if rps is None:
        raise RuntimeError(f"could not parse wrk output:\n{proc.stdout}\n{proc.stderr}")
    return {
        "rps": float(rps.group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    scripts = {}
    for name, lua in SCENARIOS.items():
        scripts[name] = tmp / f"{len(scripts)}.lua"
        scripts[name].write_text(lua)
    procs: dict[tuple[str, str], tuple[subprocess.Popen[bytes], str]] = {}
    samples: dict[str, Any] = {}
    try:
        for server in args.servers:
            for app in APPS:
                port = free_port()
                proc = subprocess.Popen(
                    command(server, app, port), cwd=ROOT, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                )  # fmt: skip
                procs[server, app] = (proc, f"http://127.0.0.1:{port}/")
        for (_server, _app), (proc, url) in procs.items():
            wait_ready(url, proc)
            for script in scripts.values():
                run_wrk(url, script, 1, args.connections)  # warm-up, not recorded
        for rep in range(args.reps):
            order = list(APPS[rep % 3 :] + APPS[: rep % 3])
            for name, script in scripts.items():
                for server in args.servers:
                    for app in order:
                        _proc, url = procs[server, app]
                        result = run_wrk(url, script, args.duration, args.connections)
                        cell = samples.setdefault(name, {}).setdefault(server, {})
                        cell.setdefault(app, []).append(result)
                        print(f"rep {rep + 1} {name} {server} {app}: {result['rps']:,.0f} req/s")
    finally:
        for proc, _url in procs.values():
            proc.terminate()
        for proc, _url in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return samples


def summarize(samples: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, by_server in samples.items():
        for server, by_app in by_server.items():
            bare = [r["rps"] for r in by_app["bare"]]
            row: dict[str, Any] = {"scenario": name, "server": server, "rps": {}, "ratio": {}}
            for app in APPS:
                rps = [r["rps"] for r in by_app[app]]
                row["rps"][app] = statistics.median(rps)
                row["ratio"][app] = statistics.median(a / b for a, b in zip(rps, bare, strict=True))
            row["non_2xx"] = {app: sum(r["non_2xx"] for r in by_app[app]) for app in APPS}
            row["samples"] = {app: [r["rps"] for r in by_app[app]] for app in APPS}
            rows.append(row)
    return rows


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [
        "# crossorigin end-to-end benchmark",
        "",
        f"{meta['date']} · Python {meta['python']} · {meta['cpus']} CPUs shared by the server and "
        f"wrk · load average before/after {meta['load_before']} / {meta['load_after']} · "
        f"`wrk -t1 -c{meta['connections']} -d{meta['duration']}s`, {meta['reps']} interleaved "
        f"repetitions, medians · servers: {meta['servers']}",
        "",
        "| scenario | server | bare req/s | Starlette CORS req/s | crossorigin req/s | "
        "Starlette / bare | crossorigin / bare | crossorigin / bare, per repetition |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in data["rows"]:
        rps, ratio = r["rps"], r["ratio"]
        each = ", ".join(
            f"{a / b:.2f}"
            for a, b in zip(r["samples"]["crossorigin_cors"], r["samples"]["bare"], strict=True)
        )
        lines.append(
            f"| {r['scenario']} | {r['server']} | {rps['bare']:,.0f} | "
            f"{rps['starlette_cors']:,.0f} | {rps['crossorigin_cors']:,.0f} | "
            f"{ratio['starlette_cors']:.2f} | {ratio['crossorigin_cors']:.2f} | {each} |"
        )
    lines += [
        "",
        "Ratios are medians of each repetition's ratio to the bare app on the same server. The "
        "bare app has no CORS middleware, so it answers the preflight with the router's 405 "
        "(non-2xx responses: "
        + "; ".join(
            f"{r['scenario']} / {r['server']}: "
            + ", ".join(f"{LABELS[a]} {n:,}" for a, n in r["non_2xx"].items())
            for r in data["rows"]
        )
        + "); the preflight rows compare answering a preflight with the app's own rejection.",
    ]
    lines += ["", "## Targets", ""]
    for t in data["targets"]:
        verdict = "PASS" if t["pass"] else "FAIL"
        lines.append(f"- {verdict} {t['name']}: {t['value']:.2f} (limit ≥ {t['limit']})")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "duration": args.duration,
        "reps": args.reps,
        "connections": args.connections,
        "servers": ", ".join(f"{s} (1 worker)" for s in args.servers),
        "load_before": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        samples = measure(args, Path(tmp))
    meta["load_after"] = round(os.getloadavg()[0], 2)
    rows = summarize(samples)
    targets = [
        {
            "name": f"{r['server']}: crossorigin / bare throughput, {r['scenario']}",
            "value": r["ratio"]["crossorigin_cors"],
            "limit": TARGET,
            "pass": r["ratio"]["crossorigin_cors"] >= TARGET,
        }
        for r in rows
        if r["server"] == "granian" and r["scenario"] == "GET allowed"
    ]
    data = {"meta": meta, "rows": rows, "targets": targets}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e2e.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (args.out / "e2e.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
