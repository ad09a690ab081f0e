"""In-process ASGI microbenchmark: bare app vs Starlette's CORSMiddleware vs crossorigin's.

Run ``python bench/micro.py [--quick] [--out bench/results]``; it writes ``latest.md`` and
``latest.json`` to the output directory and prints a PASS/FAIL line per target
(docs/performance.md lists them).
``python bench/micro.py --plot`` draws the charts of docs/performance.md from those results
(bench/plot.py).

Method (docs/performance.md explains it at length):

* No event loop and no network. Nothing on these paths awaits real I/O (``receive`` is never
  called, ``send`` is a coroutine that returns at once), so each request is one
  ``coro.send(None)`` that must raise ``StopIteration``; a request that suspends is an error.
  This removes the scheduler, the loop and the network from the measurement.
* Each request gets a fresh ``Origin`` bytes object (as a server would build it), because a
  reused one caches its hash and would hide the cost of a set lookup on a long hostile origin.
  Every implementation, bare included, pays for that copy, so it cancels out in the overhead.
* A measurement is a batch of N requests timed with ``perf_counter_ns`` with the garbage
  collector off; N is calibrated per (scenario, implementation) so a batch lasts
  ``--batch-ms``. Implementations are interleaved (A B C, B C A, C A B, ...: a rotation, so no
  implementation always runs first) and every reported number is a median over repetitions.
  Overheads are paired: bare and the middleware of the same repetition are subtracted.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(os.environ.get("CROSSORIGIN_SRC", ROOT / "src"))
"""The crossorigin sources benchmarked; set ``CROSSORIGIN_SRC`` to measure a patched copy."""
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._scenarios import Scenario, scenarios, stored_origins  # noqa: E402

try:
    from crossorigin import CORSConfig
    from crossorigin import CORSMiddleware as CrossoriginCORS
except ImportError:  # the core is not merged yet: bare and Starlette only
    CrossoriginCORS = None  # type: ignore[assignment,misc]
from starlette.middleware.cors import CORSMiddleware as StarletteCORS  # noqa: E402

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
IMPLS = ["bare", "starlette", "crossorigin"]
"""Implementations, in interleaving order; ``--compare`` appends "patched"."""
PATCHED: dict[str, Any] = {}


def load_patched(src: Path) -> None:
    """Import a second copy of crossorigin from *src* as the "patched" implementation.

    The copy is imported under the name ``crossorigin``, its modules are then renamed in
    ``sys.modules`` and the original is imported again; each copy keeps the references it bound
    at import time, so both run side by side in one process and can be interleaved.
    """
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "crossorigin"}
    for key in saved:
        del sys.modules[key]
    sys.path.insert(0, str(src))
    try:
        import crossorigin as patched
    finally:
        sys.path.remove(str(src))
    PATCHED["config"] = patched.CORSConfig
    PATCHED["middleware"] = patched.CORSMiddleware
    for key in [k for k in sys.modules if k.split(".")[0] == "crossorigin"]:
        sys.modules["patched_" + key] = sys.modules.pop(key)
    sys.modules.update(saved)
    IMPLS.append("patched")


# Targets from docs/performance.md, as (name, limit).
RATIO_ACTUAL = 0.35
RATIO_PREFLIGHT = 0.25
SCALE_LIMIT = 1.1
ADVERSARIAL_LIMIT = 2.0
MEMORY_LIMIT = 16 * 1024
"""Peak bytes allocated while answering one adversarial request: a constant well below the
hostile inputs (64 KiB to 1 MiB), i.e. nothing proportional to the input."""
IMPORT_LIMIT_US = 30_000
MIN_BATCH = 50
"""Fewest requests per timed batch, except for requests slower than 50 µs (Starlette on the
adversarial inputs), where one request is already far above the timer's resolution."""


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The trivial application: 200 with two headers and a two-byte body."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok", "more_body": False})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message: dict[str, Any]) -> None:
    return None


def build(impl: str, sc: Scenario) -> ASGIApp | None:
    """The ASGI app for *impl* in scenario *sc*, or ``None`` when it cannot be expressed."""
    if impl == "bare":
        return app
    if impl == "starlette":
        return None if sc.starlette is None else StarletteCORS(app, **sc.starlette)
    if impl == "patched":
        if sc.stored:
            return None
        return PATCHED["middleware"](app, config=PATCHED["config"](**sc.config))  # type: ignore[no-any-return]
    if CrossoriginCORS is None:
        return None
    if sc.stored:
        return with_store(sc)
    return CrossoriginCORS(app, config=CORSConfig(**sc.config))


_SNAPSHOTS: dict[int, Any] = {}


def with_store(sc: Scenario) -> ASGIApp:
    """The middleware following an origin store whose snapshot holds ``sc.stored`` origins.

    The snapshot is compiled from rows as the watcher compiles it (no file: the store's I/O is
    never on the request path, which is what is measured), then installed as the watcher does.
    """
    from crossorigin import OriginStore
    from crossorigin._store._entries import StoreEntry, compile_snapshot

    if sc.stored not in _SNAPSHOTS:
        rows = [StoreEntry(o) for o in stored_origins(sc.stored)]
        _SNAPSHOTS[sc.stored] = compile_snapshot(1, rows, None, 5)
    store = OriginStore.open("sqlite:///nonexistent/origins.db")
    middleware = CrossoriginCORS(app, config=CORSConfig(**sc.config), origin_store=store)
    store._apply(_SNAPSHOTS[sc.stored])
    return middleware


class Request:
    """A pre-built scope whose ``Origin`` value is replaced by a fresh bytes object per call."""

    def __init__(self, sc: Scenario) -> None:
        self.headers = list(sc.headers)
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": sc.method,
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "root_path": "",
            "headers": self.headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        self.origin_at = next((i for i, (n, _) in enumerate(sc.headers) if n == b"origin"), -1)
        self.origin = bytearray(sc.headers[self.origin_at][1]) if self.origin_at >= 0 else None

    def refresh(self) -> None:
        # Starlette's Headers(scope=scope) replaces scope["headers"] with a copy, so the
        # list is put back every time, or later requests would see a stale, hash-cached Origin.
        self.scope["headers"] = self.headers
        if self.origin is not None:
            self.headers[self.origin_at] = (b"origin", bytes(self.origin))


def run_batch(target: ASGIApp, req: Request, n: int) -> int:
    """Run *n* requests; return the elapsed nanoseconds."""
    scope, headers, at, origin = req.scope, req.headers, req.origin_at, req.origin
    recv, send = receive, discard
    start = time.perf_counter_ns()
    for _ in range(n):
        scope["headers"] = headers  # see Request.refresh
        if origin is not None:
            headers[at] = (b"origin", bytes(origin))
        coro = target(scope, recv, send)
        try:
            coro.send(None)
        except StopIteration:
            continue
        coro.close()
        raise RuntimeError("the request suspended: this path awaits real I/O")
    return time.perf_counter_ns() - start


def observe(target: ASGIApp, req: Request) -> tuple[int, dict[str, str]]:
    """One request with a recording ``send``: (status, response headers)."""
    sent: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        sent.append(message)

    req.refresh()
    before = repr(req.scope)  # equal content; Starlette swaps in a copy of the headers list
    coro = target(req.scope, receive, record)
    try:
        coro.send(None)
    except StopIteration:
        pass
    else:
        coro.close()
        raise RuntimeError("the request suspended: this path awaits real I/O")
    if repr(req.scope) != before:
        raise RuntimeError("the middleware mutated the scope; the benchmark reuses it")
    start = sent[0]
    headers = {
        bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")[:80]
        for k, v in start["headers"]
    }
    return start["status"], headers


def calibrate(target: ASGIApp, req: Request, batch_ns: int) -> int:
    """Iterations per batch so that a batch lasts about *batch_ns*.

    Warms up first (first calls pay for lazy imports and cold caches), then takes the fastest
    of a few small batches, so that one stall on the shared machine cannot shrink the batch
    to a single request (single-request batches measure the timer and the caches, not the code).
    """
    run_batch(target, req, 20)
    per_request = min(run_batch(target, req, 5) / 5 for _ in range(5))
    return max(MIN_BATCH if per_request < 50_000 else 1, int(batch_ns / max(per_request, 1)))


def measure(rows: list[Scenario], reps: int, batch_ms: float, quick: bool) -> list[dict[str, Any]]:
    """Time every (scenario, implementation) pair; the rounds interleave implementations."""
    setups = []
    for sc in rows:
        req = Request(sc)
        apps = {impl: build(impl, sc) for impl in IMPLS}
        outcome = {impl: observe(a, req) for impl, a in apps.items() if a is not None}
        for impl in ("crossorigin", "patched"):
            if impl not in outcome:
                continue
            status, headers = outcome[impl]
            acao = headers.get("access-control-allow-origin")
            expected = None if sc.expect_acao is None else sc.expect_acao.decode()
            if status != sc.expect_status or acao != expected:
                raise RuntimeError(f"{sc.id}: {impl} answered {status} {headers}")
        sizes = {
            impl: (sc.quick_repeat if quick else calibrate(a, req, int(batch_ms * 1e6)))
            for impl, a in apps.items()
            if a is not None
        }
        setups.append((sc, req, apps, sizes, outcome))

    samples: dict[str, dict[str, list[float]]] = {sc.id: {i: [] for i in IMPLS} for sc in rows}
    for rep in range(reps):
        shift = rep % len(IMPLS)
        order = IMPLS[shift:] + IMPLS[:shift]
        gc.collect()
        gc.disable()
        try:
            for sc, req, apps, sizes, _ in setups:
                for impl in order:
                    target = apps[impl]
                    if target is not None:
                        n = sizes[impl]
                        samples[sc.id][impl].append(run_batch(target, req, n) / n)
        finally:
            gc.enable()

    results = []
    for sc, _req, _apps, sizes, outcome in setups:
        s = samples[sc.id]
        row: dict[str, Any] = {
            "id": sc.id,
            "kind": sc.kind,
            "adversarial": sc.adversarial,
            "batch": sizes,
            "ns": {i: (statistics.median(s[i]) if s[i] else None) for i in IMPLS},
            "spread": {i: _spread(s[i]) for i in IMPLS},
            "overhead_ns": {},
            "samples": s,
            "status": {i: outcome[i][0] for i in outcome},
            "cors_headers": {
                i: {
                    k: v
                    for k, v in outcome[i][1].items()
                    if k.startswith("access-control-") or k == "vary"
                }
                for i in outcome
            },
            "baseline": sc.baseline,
        }
        for impl in IMPLS[1:]:
            if s[impl]:
                row["overhead_ns"][impl] = statistics.median(
                    x - b for x, b in zip(s[impl], s["bare"], strict=True)
                )
            else:
                row["overhead_ns"][impl] = None
        results.append(row)

    by_id = {r["id"]: r for r in results}
    for r in results:
        st = r["overhead_ns"]["starlette"]
        if st is None and r["baseline"]:
            st = by_id[r["baseline"]]["overhead_ns"]["starlette"]
        r["ratios"] = {}
        for impl in IMPLS[2:]:
            co = r["overhead_ns"][impl]
            r["ratios"][impl] = (co / st) if (co is not None and st) else None
        r["ratio"] = r["ratios"]["crossorigin"]
    return results


def _spread(xs: list[float]) -> float | None:
    """Inter-quartile range relative to the median: the noise of one cell."""
    if len(xs) < 4:
        return None
    q = statistics.quantiles(xs, n=4)
    return (q[2] - q[0]) / statistics.median(xs)


def memory(rows: list[Scenario]) -> list[dict[str, Any]]:
    """Peak bytes traced while answering one request, for the adversarial rows."""
    out = []
    tracemalloc.start()
    try:
        for sc in (r for r in rows if r.adversarial):
            req = Request(sc)
            peaks: dict[str, int | None] = {}
            for impl in IMPLS:
                target = build(impl, sc)
                if target is None:
                    peaks[impl] = None
                    continue
                run_batch(target, req, 2)  # warm caches (regex, interned strings)
                req.refresh()  # the server's copy of the request: not counted
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                coro = target(req.scope, receive, discard)
                with contextlib.suppress(StopIteration):
                    coro.send(None)
                peaks[impl] = tracemalloc.get_traced_memory()[1] - base
                del coro
            out.append({"id": sc.id, "input_bytes": sc.input_bytes, "peak_bytes": peaks})
    finally:
        tracemalloc.stop()
    return out


def import_time(reps: int, src: Path = SRC) -> dict[str, Any]:
    """``-X importtime`` cumulative µs of ``crossorigin``, and wall time vs an empty ``-c``.

    Bytecode caching is forced on (``PYTHONDONTWRITEBYTECODE`` is dropped and one unrecorded
    import writes the ``.pyc`` files), as it is for any installed package; without it each
    run would time the compiler. ``after_starlette`` is the marginal cost in an app that has
    already imported Starlette (and with it re, typing, logging, inspect, dataclasses).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src)
    after = "import starlette.applications, starlette.middleware.cors, logging, dataclasses; "
    codes = {
        "nothing": "pass",
        "crossorigin": "import crossorigin",
        "after_starlette": after + "import crossorigin",
    }
    subprocess.run([sys.executable, "-c", codes["after_starlette"]], env=env, check=True)
    cumulative: dict[str, list[int]] = {"crossorigin": [], "after_starlette": []}
    own: list[int] = []
    wall: dict[str, list[float]] = {"nothing": [], "crossorigin": []}
    line = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")
    for _ in range(reps):
        for name, code in codes.items():
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", code],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            if name in wall:
                wall[name].append((time.perf_counter() - start) * 1e6)
            if name == "nothing":
                continue
            matches = list(line.finditer(proc.stderr))
            for m in matches:
                if m.group(4) == "crossorigin" and not m.group(3):
                    cumulative[name].append(int(m.group(2)))
            if name == "crossorigin":
                own.append(
                    sum(int(m.group(1)) for m in matches if m.group(4).startswith("crossorigin"))
                )
    return {
        "importtime_cumulative_us": statistics.median(cumulative["crossorigin"])
        if cumulative["crossorigin"]
        else None,
        "after_starlette_us": statistics.median(cumulative["after_starlette"])
        if cumulative["after_starlette"]
        else None,
        "own_modules_us": statistics.median(own) if own else None,
        "wall_us": {k: statistics.median(v) for k, v in wall.items()},
        "wall_extra_us": statistics.median(wall["crossorigin"])
        - statistics.median(wall["nothing"]),
        "reps": reps,
    }


def targets(
    results: list[dict[str, Any]],
    mem: list[dict[str, Any]],
    imp: dict[str, Any],
    impl: str = "crossorigin",
) -> list[dict[str, Any]]:
    """One PASS/FAIL entry per target of docs/performance.md that the microbenchmark can check."""
    by_id = {r["id"]: r for r in results}
    out: list[dict[str, Any]] = []

    def co(row: str) -> float | None:
        return by_id[row]["overhead_ns"][impl]  # type: ignore[no-any-return]

    def add(name: str, value: float | None, limit: float, unit: str = "x") -> None:
        out.append({"name": name, "value": value, "limit": limit, "unit": unit,
                    "pass": None if value is None else value <= limit})  # fmt: skip

    for r in results:
        limit = RATIO_PREFLIGHT if r["kind"] == "preflight" else RATIO_ACTUAL
        add(f"{r['id']}: {impl} overhead / Starlette overhead", r["ratios"][impl], limit)

    def scale(name: str, row: str, base: str, limit: float = SCALE_LIMIT) -> None:
        a, b = co(row), co(base)
        add(name, None if a is None or not b else a / b, limit)

    scale(
        "10,000 origins / 1 origin (overhead)",
        "GET allowed, 10,000 origins",
        "GET allowed, 1 origin",
    )
    scale(
        "1,000 wildcards / 1 wildcard (overhead)",
        "GET allowed, 1,000 wildcards",
        "GET allowed, 1 wildcard",
    )
    scale(
        "1,000 wildcards / 1 exact origin (overhead)",
        "GET allowed, 1,000 wildcards",
        "GET allowed, 1 origin",
    )
    stored = [r for r in results if "stored origins" in r["id"]]
    for r in stored:
        scale(f"{r['id']} / {r['baseline']} (overhead)", r["id"], r["baseline"])
    for r in results:
        if r["adversarial"]:
            name = f"{r['id']} / denied preflight (overhead)"
            scale(name, r["id"], "preflight denied origin", ADVERSARIAL_LIMIT)
    for m in mem:
        add(f"{m['id']}: peak bytes per request", m["peak_bytes"][impl], MEMORY_LIMIT, "B")
    add(
        f"import {impl} (-X importtime cumulative)",
        imp["importtime_cumulative_us"],
        IMPORT_LIMIT_US,
        "µs",
    )
    return out


def _fmt_ns(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def _fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [
        "# crossorigin microbenchmark",
        "",
        f"{meta['date']} · Python {meta['python']} · starlette {meta['starlette']} · "
        f"crossorigin {meta['crossorigin_commit']} · {meta['cpu']} ({meta['cpus']} CPUs) · "
        f"load average before/after {meta['load_before']} / {meta['load_after']}",
        "",
        f"Mode: {'quick (smoke test, numbers meaningless)' if meta['quick'] else 'full'}; "
        f"{meta['reps']} interleaved repetitions, batches of about {meta['batch_ms']} ms; "
        "medians. Overhead = middleware - bare of the same repetition (median of the pairs). "
        "Noise = inter-quartile range / median of crossorigin's samples.",
        "",
        "| scenario | bare ns | Starlette ns | crossorigin ns | Starlette overhead | "
        "crossorigin overhead | crossorigin / Starlette overhead | target | noise |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in data["scenarios"]:
        ns, ov = r["ns"], r["overhead_ns"]
        limit = RATIO_PREFLIGHT if r["kind"] == "preflight" else RATIO_ACTUAL
        ratio = _fmt_ratio(r["ratio"]) + (" ¹" if r["baseline"] else "")
        noise = r["spread"]["crossorigin"]
        lines.append(
            f"| {r['id']} | {_fmt_ns(ns['bare'])} | {_fmt_ns(ns['starlette'])} | "
            f"{_fmt_ns(ns['crossorigin'])} | {_fmt_ns(ov['starlette'])} | "
            f"{_fmt_ns(ov['crossorigin'])} | {ratio} | ≤ {limit} | "
            f"{'n/a' if noise is None else f'{noise:.0%}'} |"
        )
    lines += [
        "",
        "¹ Starlette cannot express origin wildcards; the ratio uses Starlette's overhead on "
        '"GET allowed, 1 origin".',
        "",
        "## Memory (tracemalloc peak while answering one request)",
        "",
        "| scenario | hostile input | bare | Starlette | crossorigin |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in data["memory"]:
        p = m["peak_bytes"]
        lines.append(
            f"| {m['id']} | {m['input_bytes']:,} B | {_fmt_ns(p['bare'])} B | "
            f"{_fmt_ns(p['starlette'])} B | {_fmt_ns(p['crossorigin'])} B |"
        )
    imp = data["import_time"]
    lines += [
        "",
        "## Import time",
        "",
        f"`python -X importtime -c 'import crossorigin'`: cumulative "
        f"{_fmt_ns(imp['importtime_cumulative_us'])} µs (median of {imp['reps']}); wall clock "
        f"{_fmt_ns(imp['wall_us']['crossorigin'])} µs vs {_fmt_ns(imp['wall_us']['nothing'])} µs "
        f"for `-c pass` (+{_fmt_ns(imp['wall_extra_us'])} µs). Of the cumulative time, "
        f"crossorigin's own modules take {_fmt_ns(imp['own_modules_us'])} µs, the rest is the "
        "standard library (dataclasses + inspect, logging, ...). In a process that has already "
        f"imported Starlette: {_fmt_ns(imp['after_starlette_us'])} µs.",
        "",
        "## Targets",
        "",
    ]
    lines += [f"- {_target_line(t)}" for t in data["targets"]]
    if "patched" in data:
        lines += _patched_markdown(data)
    return "\n".join(lines) + "\n"


def _patched_markdown(data: dict[str, Any]) -> list[str]:
    """The ``--compare`` section: a patched copy measured in the same interleaved rounds."""
    patched = data["patched"]
    lines = [
        "",
        f"## Patched copy ({patched['src']}), interleaved with the rest",
        "",
        "| scenario | crossorigin overhead | patched overhead | crossorigin / Starlette | "
        "patched / Starlette |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in data["scenarios"]:
        ov, ratios = r["overhead_ns"], r["ratios"]
        lines.append(
            f"| {r['id']} | {_fmt_ns(ov['crossorigin'])} | {_fmt_ns(ov['patched'])} | "
            f"{_fmt_ratio(ratios['crossorigin'])} | {_fmt_ratio(ratios['patched'])} |"
        )
    imp = patched["import_time"]
    mem = ", ".join(f"{m['id']}: {_fmt_ns(m['peak_bytes']['patched'])} B" for m in data["memory"])
    lines += [
        "",
        f"Peak memory: {mem}. Import: cumulative {_fmt_ns(imp['importtime_cumulative_us'])} µs, "
        f"own modules {_fmt_ns(imp['own_modules_us'])} µs, after Starlette "
        f"{_fmt_ns(imp['after_starlette_us'])} µs.",
        "",
        "### Targets (patched)",
        "",
    ]
    lines += [f"- {_target_line(t)}" for t in patched["targets"]]
    return lines


def _target_line(t: dict[str, Any]) -> str:
    verdict = "n/a " if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
    value = (
        "n/a"
        if t["value"] is None
        else (f"{t['value']:.2f}" if t["unit"] == "x" else f"{t['value']:,.0f} {t['unit']}")
    )
    limit = f"{t['limit']}" if t["unit"] == "x" else f"{t['limit']:,} {t['unit']}"
    return f"{verdict} {t['name']}: {value} (limit ≤ {limit})"


def _meta(quick: bool, reps: int, batch_ms: float) -> dict[str, Any]:
    import starlette

    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": platform.python_version(),
        "starlette": starlette.__version__,
        "crossorigin_commit": commit if CrossoriginCORS is not None else "not importable",
        "crossorigin_src": str(SRC),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "quick": quick,
        "reps": reps,
        "batch_ms": batch_ms,
        "load_before": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; numbers meaningless")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 41; quick 3)")
    parser.add_argument("--batch-ms", type=float, default=2.0, help="target batch duration")
    parser.add_argument(
        "--only", action="append", default=None, metavar="TEXT",
        help="run only scenarios whose id contains TEXT (repeatable); no targets are judged",
    )  # fmt: skip
    parser.add_argument(
        "--compare", type=Path, default=None, metavar="SRC",
        help="also measure the crossorigin package under SRC (a patched copy), interleaved",
    )  # fmt: skip
    parser.add_argument(
        "--plot", action="store_true",
        help="only draw the charts (docs/images/) from the results in --out; measure nothing",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.plot:
        from bench import plot

        for path in plot.plot(args.out, plot.IMAGES):
            print(f"wrote {path}")
        return 0
    if args.compare is not None and "patched" not in IMPLS:
        load_patched(args.compare.resolve())
    reps = args.reps or (3 if args.quick else 41)
    rows = [s for s in scenarios() if args.only is None or any(t in s.id for t in args.only)]
    meta = _meta(args.quick, reps, args.batch_ms)
    results = measure(rows, reps, args.batch_ms, args.quick)
    mem = memory(rows)
    imp = import_time(1 if args.quick else 9)
    meta["load_after"] = round(os.getloadavg()[0], 2)
    data = {"meta": meta, "scenarios": results, "memory": mem, "import_time": imp}
    data["targets"] = targets(results, mem, imp) if args.only is None else []
    if args.compare is not None:
        imp_patched = import_time(1 if args.quick else 9, args.compare.resolve())
        data["patched"] = {
            "src": str(args.compare),
            "import_time": imp_patched,
            "targets": (targets(results, mem, imp_patched, "patched") if args.only is None else []),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (args.out / "latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
