"""Soak test: minutes of mixed CORS traffic under granian and uvicorn, memory sampled each second.

Run ``python bench/soak.py [--minutes 10] [--servers granian uvicorn] [--out bench/results]``.
For each server in turn it starts ``bench._soak_app:app`` (one worker, a free 127.0.0.1 port),
loads it with ``wrk`` for ``--minutes`` and samples the resident memory (RSS) of the server's
whole process tree once a second. The traffic mixes, by weight out of 100:

* 40 allowed ``GET /`` (the listed origin and a wildcard subdomain): 200 with ACAO and ACAC;
* 20 denied ``GET /``: 200 with no ``Access-Control-*`` header;
* 15 allowed preflights for ``PUT /data``: 204 with ACAO, ACAM, ACAH;
* 5 denied preflights: 403 with no ``Access-Control-*`` header;
* 10 allowed ``PUT /data``: 200 with ACAO;
* 5 ``GET /missing`` from an allowed origin: 404 with ACAO;
* 5 ``GET /boom``, whose endpoint raises, from an allowed origin: 500 with ACAO.

``wrk`` runs one connection per thread, so its Lua script knows which request each response
answers and checks the status and CORS headers of every single one. The run fails (exit 1)
when any response is not the expected one, ``wrk`` reports a socket error, or the RSS after
the warm-up (the first fifth of the run) grows by more than 5 %: the median of the last ten
samples against the median of the first ten after warm-up. Runs too short for ten plus ten
samples report the memory verdict as ``null`` and do not fail on it.

Writes ``soak.json``, ``soak.md`` and ``soak.png`` (RSS over time, one line per server).
Not part of the test suite's default run; ``tests/test_soak_smoke.py`` runs it for seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.e2e import free_port, wait_ready  # noqa: E402

SERVERS = ("granian", "uvicorn")
GROWTH_LIMIT = 0.05
WARMUP_FRACTION = 0.2
WINDOW = 10
"""Samples (seconds) in each of the two medians compared for memory growth."""
THREADS = 2

LUA = r"""
local A, W, E = "https://app.example", "https://eu.app.example", "https://evil.example"
local kinds = {
  {name = "GET allowed", w = 30, method = "GET", path = "/", origin = A, status = 200,
   cors = true},
  {name = "GET allowed (wildcard)", w = 10, method = "GET", path = "/", origin = W,
   status = 200, cors = true},
  {name = "GET denied", w = 20, method = "GET", path = "/", origin = E, status = 200,
   cors = false},
  {name = "preflight allowed", w = 15, method = "OPTIONS", path = "/data", origin = A,
   status = 204, cors = true, preflight = true},
  {name = "preflight denied", w = 5, method = "OPTIONS", path = "/data", origin = E,
   status = 403, cors = false, preflight = true},
  {name = "PUT allowed", w = 10, method = "PUT", path = "/data", origin = A, status = 200,
   cors = true, body = "x"},
  {name = "404 allowed", w = 5, method = "GET", path = "/missing", origin = A, status = 404,
   cors = true},
  {name = "500 allowed", w = 5, method = "GET", path = "/boom", origin = A, status = 500,
   cors = true},
}
local deck = {}
for i, k in ipairs(kinds) do for _ = 1, k.w do deck[#deck + 1] = i end end

local queue, head, tail, n = {}, 1, 0, 0
ok, bad, first_bad, errors500 = 0, 0, "", 0
phantom = 0

request = function()
  if phantom == 1 then
    -- wrk calls the first thread's request() once before the run, to count pipelined
    -- requests; that request is never sent, so it must not be queued.
    phantom = 0
    return wrk.format("GET", "/")
  end
  n = n + 1
  local i = deck[(n * 37) % #deck + 1]  -- 37 is coprime with 100: every kind, spread out
  local k = kinds[i]
  tail = tail + 1
  queue[tail] = i
  local headers = {Origin = k.origin}
  if k.preflight then
    headers["Access-Control-Request-Method"] = "PUT"
    headers["Access-Control-Request-Headers"] = "content-type"
  end
  return wrk.format(k.method, k.path, headers, k.body)
end

response = function(status, headers, body)
  local k = kinds[queue[head]]
  queue[head] = nil
  head = head + 1
  local h = {}
  for name, value in pairs(headers) do h[string.lower(name)] = value end
  local good = status == k.status
  if k.cors then
    good = good and h["access-control-allow-origin"] == k.origin
      and h["access-control-allow-credentials"] == "true"
    if k.preflight then
      good = good and h["access-control-allow-methods"] == "PUT"
        and h["access-control-allow-headers"] == "content-type"
    else
      good = good and h["access-control-allow-methods"] == nil
    end
  else
    for name, _ in pairs(h) do
      if string.sub(name, 1, 15) == "access-control-" then good = false end
    end
  end
  if good and status == 500 then errors500 = errors500 + 1 end
  if good then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = k.name .. ": status " .. status end
  end
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
  if #threads == 1 then thread:set("phantom", 1) end
end

done = function(summary, latency, requests)
  local total_ok, total_bad, total_500, first = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    total_500 = total_500 + t:get("errors500")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format('SOAK {"ok": %d, "bad": %d, "errors500": %d, "first_bad": "%s"}\n',
    total_ok, total_bad, total_500, (string.gsub(first, '"', "'"))))
end
"""


def command(server: str, port: int) -> list[str]:
    target = "bench._soak_app:app"
    if server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "critical", "--no-access-log",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--no-ws", "--log-level", "critical",
        "--no-access-log", target,
    ]  # fmt: skip


def tree_rss_kib(pid: int) -> int:
    """Resident memory of *pid* and all its descendants (granian runs workers as children)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
    return total


class Sampler(threading.Thread):
    """Samples the process tree's RSS every second until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self._stop_event.is_set():
            self.samples.append((round(time.monotonic() - start, 2), tree_rss_kib(self.pid)))
            self._stop_event.wait(1.0)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def parse_wrk(stdout: str) -> dict[str, Any]:
    found = re.search(r"^SOAK (\{.*\})$", stdout, re.MULTILINE)
    total = re.search(r"(\d+) requests in", stdout)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", stdout)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stdout
    )
    if found is None or total is None or rps is None:
        raise RuntimeError(f"could not parse wrk output:\n{stdout}")
    counts = [int(n) for n in errors.groups()] if errors else [0, 0, 0, 0]
    return {
        **json.loads(found.group(1)),
        "requests": int(total.group(1)),
        "rps": float(rps.group(1)),
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), counts, strict=True)),
    }


def socket_errors_ok(result: dict[str, Any]) -> bool:
    """No socket error of any kind (a closed connection would also lose track of a request)."""
    return not any(result["socket_errors"].values())


def memory_verdict(samples: list[tuple[float, int]]) -> dict[str, Any]:
    """Growth of the RSS after warm-up: the last window's median against the first one's."""
    after = samples[max(1, int(len(samples) * WARMUP_FRACTION)) :]
    if len(after) < 2 * WINDOW:
        return {
            "warmup_s": None,
            "baseline_kib": None,
            "final_kib": None,
            "growth": None,
            "pass": None,
        }
    baseline = statistics.median(rss for _, rss in after[:WINDOW])
    final = statistics.median(rss for _, rss in after[-WINDOW:])
    growth = final / baseline - 1
    return {
        "warmup_s": after[0][0],
        "baseline_kib": baseline,
        "final_kib": final,
        "peak_kib": max(rss for _, rss in after),
        "growth": round(growth, 4),
        "pass": growth <= GROWTH_LIMIT,
    }


def soak(server: str, seconds: int, lua: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        command(server, port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(url, proc)
        sampler = Sampler(proc.pid)
        sampler.start()
        try:
            run = subprocess.run(
                ["wrk", f"-t{THREADS}", f"-c{THREADS}", f"-d{seconds}s", "-s", str(lua), url],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            sampler.stop()
        if proc.poll() is not None:
            raise RuntimeError(f"{server} exited during the soak ({proc.returncode})")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    result = parse_wrk(run.stdout)
    memory = memory_verdict(sampler.samples)
    clean = result["bad"] == 0 and result["ok"] > 0 and socket_errors_ok(result)
    return {
        "server": server,
        **result,
        "memory": memory,
        "pass": clean and memory["pass"] is not False,
        "samples": sampler.samples,
    }


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [
        "# crossorigin soak test",
        "",
        f"{meta['date']} · Python {meta['python']} · {meta['cpus']} CPUs shared by the server and "
        f"wrk · {meta['minutes']} min per server · `wrk -t{THREADS} -c{THREADS}` with the mixed "
        "Lua script of bench/soak.py · RSS of the server's process tree every second",
        "",
        "| server | requests | req/s | unexpected responses | socket errors | RSS after warm-up | "
        "RSS at the end | growth | verdict |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in data["runs"]:
        m = r["memory"]
        growth = "-" if m["growth"] is None else f"{m['growth']:+.2%}"
        lines.append(
            f"| {r['server']} | {r['requests']:,} | {r['rps']:,.0f} | {r['bad']} | "
            f"{_errors(r['socket_errors'])} | {_mib(m['baseline_kib'])} | {_mib(m['final_kib'])} | "
            f"{growth} | {'PASS' if r['pass'] else 'FAIL'} |"
        )
    lines += [
        "",
        f"Memory passes when the median RSS of the last {WINDOW} s is within "
        f"{GROWTH_LIMIT:.0%} of the median of the first {WINDOW} s after warm-up (the first "
        f"{WARMUP_FRACTION:.0%} of the run). ![RSS over time](soak.png)",
    ]
    return "\n".join(lines) + "\n"


def _mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in errors.items() if n) or "none"


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for r in data["runs"]:
        xs = [t for t, _ in r["samples"]]
        ys = [rss / 1024 for _, rss in r["samples"]]
        ax.plot(xs, ys, label=f"{r['server']} ({r['rps']:,.0f} req/s)")
        warmup = r["memory"]["warmup_s"]
        if warmup is not None:
            ax.axvline(warmup, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("seconds of mixed traffic")
    ax.set_ylabel("RSS of the server (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title("crossorigin soak: server memory under mixed CORS traffic")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="per server (default 10)")
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    seconds = max(1, round(args.minutes * 60))
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "minutes": args.minutes,
        "load_before": round(os.getloadavg()[0], 2),
    }
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "mixed.lua"
        lua.write_text(LUA)
        for server in args.servers:
            print(f"soak: {server} for {seconds} s ...", flush=True)
            runs.append(soak(server, seconds, lua))
    meta["load_after"] = round(os.getloadavg()[0], 2)
    data = {"meta": meta, "runs": runs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (args.out / "soak.md").write_text(text)
    chart(data, args.out / "soak.png")
    print(text)
    return 0 if all(r["pass"] for r in runs) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
