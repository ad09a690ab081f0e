"""Profile crossorigin's middleware on the microbenchmark's scenarios with cProfile.

Run ``python bench/profile_middleware.py [--only TEXT]... [-n 20000] [--top 12]``. Each
scenario runs *n* requests through the same driver as ``bench/micro.py`` and prints the
functions with the most own time. cProfile adds a fixed cost to every call, so read the
*shares* and the call counts (which functions run per request, and how many times), not the
absolute times; use ``bench/micro.py --compare`` to measure the effect of a change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import micro
from bench._scenarios import scenarios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=None, metavar="TEXT")
    parser.add_argument("-n", type=int, default=20_000, help="requests per scenario")
    parser.add_argument("--top", type=int, default=12, help="functions shown per scenario")
    args = parser.parse_args(argv)
    for sc in scenarios():
        if args.only is not None and not any(t in sc.id for t in args.only):
            continue
        target = micro.build("crossorigin", sc)
        if target is None:
            print("crossorigin is not importable", file=sys.stderr)
            return 1
        req = micro.Request(sc)
        micro.run_batch(target, req, 200)
        profiler = cProfile.Profile()
        profiler.enable()
        micro.run_batch(target, req, args.n)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        body = [line for line in out.getvalue().splitlines()[6:] if line.strip()]
        print(f"== {sc.id} ({args.n:,} requests)")
        print("\n".join(body) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
