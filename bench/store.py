"""Origin store benchmark: snapshot rebuild time and memory, and propagation to every worker.

Run ``python bench/store.py [--quick] [--out bench/results]``; writes ``store.md`` and
``store.json``. Three measurements:

* **rebuild**: rows -> validated, compiled snapshot (what a worker does when the version
  moves), for 10k / 100k / 1M entries: the first compile (every row parsed and checked) and a
  recompile after one more row (unchanged rows reuse their parse); plus reading the rows from a
  SQLite file. Peak traced memory of the compiled snapshot.
* **propagation**: ``uvicorn --workers 2`` serving tests/store_app.py on 127.0.0.1 with the
  default poll interval (0.5 s); each round adds one origin with ``await store.add`` and probes
  ``/health`` on new connections until both workers report the new version. Reported: p50/p99
  of the time from the committed write to the last worker seeing it (probe granularity ~5 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from crossorigin import OriginStore  # noqa: E402
from crossorigin._store._entries import StoreEntry, compile_snapshot  # noqa: E402


def rows(n: int) -> list[StoreEntry]:
    return [StoreEntry(f"https://tenant{i}.customers.example") for i in range(n)]


def rebuild(n: int) -> dict[str, Any]:
    data = rows(n)
    gc.collect()
    start = time.perf_counter()
    first = compile_snapshot(1, data, None, 5)
    first_s = time.perf_counter() - start
    more = [*data, StoreEntry("https://one.more.example")]
    start = time.perf_counter()
    compile_snapshot(2, more, None, 5, previous=first)
    again_s = time.perf_counter() - start
    del first
    gc.collect()
    tracemalloc.start()
    snap = compile_snapshot(1, data, None, 5)
    snapshot_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    matcher_exact = len(snap.stored.matcher.exact)
    del snap
    return {"entries": n, "first_compile_s": first_s, "recompile_s": again_s,
            "snapshot_bytes_traced": snapshot_bytes, "exact": matcher_exact}  # fmt: skip


async def sqlite_load(n: int, directory: str) -> dict[str, Any]:
    url = f"sqlite://{directory}/load{n}.db"
    store = OriginStore.open(url)
    start = time.perf_counter()
    await store.add_many(rows(n))
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    raw = await store.backend.load_snapshot()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    version = await store.backend.current_version()
    poll_s = time.perf_counter() - start
    assert len(raw.entries) == n
    assert version == raw.version
    await store.add("https://one.more.example")
    start = time.perf_counter()
    again = await store.backend.load_snapshot()
    reload_s = time.perf_counter() - start
    assert len(again.entries) == n + 1
    return {"entries": n, "import_s": write_s, "load_s": load_s, "reload_s": reload_s,
            "version_check_s": poll_s}  # fmt: skip


async def propagation(rounds: int, directory: str) -> dict[str, Any]:
    from tests.store_workers import workers

    url = f"sqlite://{directory}/propagation.db"
    store = OriginStore.open(url)
    await store.create()
    delays: list[float] = []
    with workers(url, count=2, poll=0.5) as base:
        async with httpx.AsyncClient(timeout=5) as client:

            async def versions() -> tuple[int, int]:
                r = await client.get(f"{base}/health", headers={"connection": "close"})
                data = r.json()
                return data["pid"], data["version"] or 0

            pids: set[int] = set()
            while len(pids) < 2:
                pids.add((await versions())[0])
            for i in range(rounds):
                await asyncio.sleep(0.05 + (i % 10) * 0.047)  # spread over the poll phase
                await store.add(f"https://round{i}.example")
                written = time.perf_counter()
                target = await store.backend.current_version()
                seen: set[int] = set()
                while seen != pids:
                    pid, version = await versions()
                    if version >= target:
                        seen.add(pid)
                delays.append(time.perf_counter() - written)
    delays.sort()
    return {
        "rounds": rounds,
        "poll_interval_s": 0.5,
        "p50_s": statistics.median(delays),
        "p99_s": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
        "max_s": delays[-1],
    }


def markdown(data: dict[str, Any]) -> str:
    lines = ["# Origin store benchmark", "", data["meta"], "", "## Snapshot rebuild", "",
             "| entries | first compile | recompile after one change | snapshot memory |",
             "| ---: | ---: | ---: | ---: |"]  # fmt: skip
    for r in data["rebuild"]:
        lines.append(
            f"| {r['entries']:,} | {r['first_compile_s'] * 1000:,.0f} ms |"
            f" {r['recompile_s'] * 1000:,.0f} ms | {r['snapshot_bytes_traced'] / 1e6:,.1f} MB |"
        )
    lines += ["", "## SQLite", "", "| entries | import (one transaction) | read all rows |"
              " read again after one change | version check |",
              "| ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for r in data["sqlite"]:
        lines.append(
            f"| {r['entries']:,} | {r['import_s'] * 1000:,.0f} ms | {r['load_s'] * 1000:,.0f} ms"
            f" | {r['reload_s'] * 1000:,.0f} ms | {r['version_check_s'] * 1e6:,.0f} µs |"
        )
    p = data["propagation"]
    if p:
        lines += ["", "## Propagation to every worker (uvicorn --workers 2, poll 0.5 s)", "",
                  f"{p['rounds']} rounds: p50 {p['p50_s'] * 1000:,.0f} ms, p99"
                  f" {p['p99_s'] * 1000:,.0f} ms, max {p['max_s'] * 1000:,.0f} ms"]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    meta = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · Python"
            f" {sys.version.split()[0]} · {os.cpu_count()} CPUs · load average"
            f" {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        data = {
            "meta": meta,
            "rebuild": [rebuild(n) for n in sizes],
            "sqlite": [asyncio.run(sqlite_load(n, directory)) for n in sizes],
            "propagation": asyncio.run(propagation(5 if args.quick else 100, directory)),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "store.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (args.out / "store.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
