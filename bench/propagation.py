"""How long a change to the origin store takes to reach every process, per backend and channel.

Run ``python bench/propagation.py [--changes 40] [--followers 4] [--out bench/results]``. It
starts private Redis and PostgreSQL servers (Debian's packages, as the tests do) and an SQLite
file, then for each backend and each channel:

* *push*: followers poll every 60 s, so a change reaches them through pub/sub or ``LISTEN``;
* *poll*: the push channel is switched off (``changes()`` returns ``None``), so only the
  version poll (every 0.5 s, the default) brings it: the safety net's bound.

Each follower is a separate process running an :class:`~crossorigin.OriginStore` watcher, as a
server worker would, and reports the moment its snapshot reached each version. The writer notes
the moment before each ``add``; the delay of a change is the time until the *last* follower
has it ("every worker sees it"). Reported: p50, p99 and max over changes, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


async def follow(url: str, poll: float, push: bool) -> None:
    """Follower process: print '<version> <time>' whenever the snapshot's version moves."""
    from crossorigin import OriginStore

    store = OriginStore.open(url, poll_interval=poll)
    if not push:
        store.backend.changes = lambda: None  # type: ignore[method-assign]
    await store.start()
    seen = None
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    done = loop.run_in_executor(None, sys.stdin.read)  # the writer closes stdin to stop us
    while not done.done():
        snapshot = store.snapshot
        version = None if snapshot is None else snapshot.version
        if version != seen:
            seen = version
            print(f"{version} {time.time():.6f}", flush=True)
        await asyncio.sleep(0.0005)
    await store.stop()
    await store.backend.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def write_changes(url: str, changes: int) -> list[tuple[int, float]]:
    from crossorigin import OriginStore

    store = OriginStore.open(url)
    marks = []
    for i in range(changes):
        await asyncio.sleep(random.uniform(0.15, 0.3))  # let each change settle everywhere
        start = time.time()
        await store.add(f"https://tenant-{i}.example")
        # One writer: the version right after the add is the add's.
        marks.append((await store.backend.current_version(), start))
    await asyncio.sleep(1.5)  # the poll bound, so the last change is seen
    await store.backend.close()
    return marks


def measure(url: str, *, push: bool, followers: int, changes: int) -> dict[str, Any]:
    poll = 60.0 if push else 0.5
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    command = [sys.executable, __file__, "--follow", url, "--poll", str(poll)]
    procs = [
        subprocess.Popen(
            [*command, *([] if push else ["--no-push"])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(followers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # first load and subscriptions
    marks = asyncio.run(write_changes(url, changes))
    seen: list[dict[int, float]] = []
    for proc in procs:
        out, _ = proc.communicate("", timeout=30)
        versions: dict[int, float] = {}
        for line in out.splitlines():
            version, moment = line.split()
            if version != "None":
                versions.setdefault(int(version), float(moment))
        seen.append(versions)
    delays = []
    for version, start in marks:
        # A follower may skip a version (two changes inside one poll): the first later
        # version it saw includes this one.
        arrivals = [min((t for v, t in s.items() if v >= version), default=float("inf"))
                    for s in seen]  # fmt: skip
        delays.append((max(arrivals) - start) * 1000)
    return {
        "channel": "push" if push else "poll",
        "changes": changes,
        "followers": followers,
        "p50_ms": round(percentile(delays, 0.5), 1),
        "p99_ms": round(percentile(delays, 0.99), 1),
        "max_ms": round(max(delays), 1),
        "mean_ms": round(statistics.fmean(delays), 1),
    }


async def read_cost(url: str, entries: int) -> dict[str, Any]:
    """Write *entries* rows in one transaction, then time a whole-store read (the reload a
    watcher does after a change or a reconnect) and a version check (its poll)."""
    from datetime import datetime, timezone

    from crossorigin._store._backend import Write, open_backend
    from crossorigin._store._entries import StoreEntry

    backend = open_backend(url)
    added = datetime.now(timezone.utc)
    rows = [Write("put", StoreEntry(f"https://tenant{i}.customers.example", added=added))
            for i in range(entries)]  # fmt: skip
    start = time.perf_counter()
    await backend.write([Write("clear"), *rows], create=True)
    wrote = time.perf_counter() - start
    reads, checks = [], []
    for _ in range(3):
        start = time.perf_counter()
        snapshot = await backend.load_snapshot()
        reads.append(time.perf_counter() - start)
        start = time.perf_counter()
        await backend.current_version()
        checks.append(time.perf_counter() - start)
    assert len(snapshot.entries) == entries
    await backend.write([Write("clear")])
    await backend.close()
    return {"entries": entries, "write_ms": round(wrote * 1000),
            "read_ms": round(statistics.median(reads) * 1000),
            "version_check_ms": round(statistics.median(checks) * 1000, 2)}  # fmt: skip


async def _create(url: str) -> None:
    from crossorigin._store._backend import open_backend

    backend = open_backend(url)
    await backend.write([], create=True)
    await backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--followers", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,redis,postgres")
    parser.add_argument(
        "--read-entries",
        type=int,
        default=100_000,
        help="rows for the whole-store read timing (0: skip)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--follow", help=argparse.SUPPRESS)
    parser.add_argument("--poll", type=float, default=0.5, help=argparse.SUPPRESS)
    parser.add_argument("--no-push", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.follow:
        asyncio.run(follow(args.follow, args.poll, not args.no_push))
        return

    from tests.services import PostgresServer, RedisServer

    rows = []
    reads = []
    with tempfile.TemporaryDirectory() as tmp:
        servers: list[Any] = []
        try:
            for backend in args.backends.split(","):
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/origins.db"
                elif backend == "redis":
                    servers.append(server := RedisServer())
                    server.start()
                    url = server.url
                else:
                    servers.append(server := PostgresServer())
                    server.init()
                    server.start()
                    url = server.url
                asyncio.run(_create(url))
                if args.read_entries:
                    read = {"backend": backend, **asyncio.run(read_cost(url, args.read_entries))}
                    print(json.dumps(read), flush=True)
                    reads.append(read)
                for push in [True, False] if backend != "sqlite" else [False]:
                    row = {"backend": backend, **measure(url, push=push,
                           followers=args.followers, changes=args.changes)}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    rows.append(row)
        finally:
            for server in servers:
                server.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "propagation.json").write_text(
        json.dumps({"propagation": rows, "reads": reads}, indent=2) + "\n"
    )
    lines = ["| backend | channel | changes x followers | p50 ms | p99 ms | max ms |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    lines += [f"| {r['backend']} | {r['channel']} | {r['changes']} x {r['followers']} |"
              f" {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} |" for r in rows]  # fmt: skip
    if reads:
        lines += ["", "| backend | entries | write all (one transaction) ms | read all ms |"
                  " version check ms |", "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
        lines += [f"| {r['backend']} | {r['entries']:,} | {r['write_ms']:,} | {r['read_ms']:,} |"
                  f" {r['version_check_ms']} |" for r in reads]  # fmt: skip
    (args.out / "propagation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
