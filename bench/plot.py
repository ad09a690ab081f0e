"""Charts of the benchmark results, drawn with matplotlib (the ``bench`` extra).

``python bench/micro.py --plot`` (or ``python bench/plot.py``) reads ``latest.json`` and every
``e2e*.json`` in bench/results/ and writes two SVG charts to docs/images/:

* ``bench-micro.svg``: the overhead over the bare app of Starlette's ``CORSMiddleware`` and of
  crossorigin's, per scenario (log scale: the hostile rows cost Starlette milliseconds).
* ``bench-e2e.svg``: requests per second end to end (server, HTTP, wrk) per scenario and server.

SVG because it is text, sharp at any size and small; the output is deterministic for a given
matplotlib version (fixed hash salt, no date), so re-plotting unchanged results changes nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
IMAGES = ROOT / "docs" / "images"
COLORS = {"bare": "#9e9e9e", "starlette": "#ef6c00", "crossorigin": "#1565c0"}
LABELS = {"bare": "bare app", "starlette": "Starlette CORSMiddleware", "crossorigin": "crossorigin"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "crossorigin"
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    return path


def plot_micro(data: dict[str, Any], out: Path) -> Path:
    """Horizontal bars: each middleware's overhead over the bare app, per scenario (log scale)."""
    plt = _pyplot()
    rows = data["scenarios"]
    impls = ["starlette", "crossorigin"]
    height = 0.38
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.6))
    for k, impl in enumerate(impls):
        ys = [i + (k - 0.5) * height for i in range(len(rows))]
        values = [row["overhead_ns"].get(impl) or 0 for row in rows]
        ax.barh(ys, values, height=height, color=COLORS[impl], label=LABELS[impl])
        for y, value in zip(ys, values, strict=True):
            if value:
                ax.annotate(f" {value:,.0f}", (value, y), va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [row["id"] for row in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("overhead over the bare app, ns per request (median, log scale; lower is better)")
    meta = data.get("meta", {})
    bare = sorted(row["ns"]["bare"] for row in rows)[len(rows) // 2]
    ax.set_title(
        "CORS middleware overhead per request, in process: Starlette vs crossorigin\n"
        f"(the bare app itself takes about {bare:,.0f} ns; Python {meta.get('python', '?')},"
        f" {meta.get('cpus', '?')} CPUs; no orange bar: Starlette cannot express wildcards)",
        fontsize=9,
    )
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(right=ax.get_xlim()[1] * 8)  # room for the labels
    path = _save(fig, out / "bench-micro.svg")
    plt.close(fig)
    return path


def plot_e2e(runs: dict[str, dict[str, Any]], out: Path) -> Path:
    """Grouped vertical bars: requests per second per (run, scenario, server)."""
    plt = _pyplot()
    groups: list[tuple[str, dict[str, float]]] = []
    for name, data in runs.items():
        suffix = "" if name == "e2e" else ", quiet machine"
        for row in data["rows"]:
            groups.append((f"{row['scenario']}\n{row['server']}{suffix}", row["rps"]))
    impls = [("bare", "bare"), ("starlette_cors", "starlette"), ("crossorigin_cors", "crossorigin")]
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(6.0, 1.9 * len(groups) + 1), 4.6))
    for k, (key, impl) in enumerate(impls):
        xs = [i + (k - 1) * width for i in range(len(groups))]
        heights = [rps.get(key, 0) for _, rps in groups]
        ax.bar(xs, heights, width=width, color=COLORS[impl], label=LABELS[impl])
        for x, value in zip(xs, heights, strict=True):
            ax.annotate(f"{value / 1000:.1f}k", (x, value), ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(groups)), [label for label, _ in groups], fontsize=8)
    ax.set_ylabel("requests per second (median; higher is better)")
    ax.set_title(
        "End to end: one worker, wrk over loopback, 2 CPUs\n(preflight rows: the bare app answers"
        " OPTIONS with 405, so only the two middlewares compare)",
        fontsize=9,
    )
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    path = _save(fig, out / "bench-e2e.svg")
    plt.close(fig)
    return path


def plot(results: Path = RESULTS, out: Path = IMAGES) -> list[Path]:
    """Write every chart whose results exist; return their paths."""
    written = []
    latest = results / "latest.json"
    if latest.exists():
        written.append(plot_micro(json.loads(latest.read_text()), out))
    paths = sorted(results.glob("e2e*.json"), key=lambda p: (p.stem != "e2e", p.stem))
    runs = {p.stem: json.loads(p.read_text()) for p in paths}
    if runs:
        written.append(plot_e2e(runs, out))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=IMAGES)
    args = parser.parse_args(argv)
    for path in plot(args.results, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
