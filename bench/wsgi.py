"""In-process WSGI benchmark: crossorigin.wsgi vs flask-cors (Flask) and django-cors-headers
(Django), the same requests and the same policy for all.

Run ``python bench/wsgi.py [--quick] [--out bench/results]``; it writes ``wsgi.md`` and
``wsgi.json``. No server and no network: each request is one call of the WSGI callable with a
fresh environ and a no-op ``start_response``, the body consumed and ``close()`` called, as a
server would. Batches of N requests are timed with ``thread_time_ns`` (the CPU time of this
thread: on a shared, loaded machine the time other processes take is not counted) with the
garbage collector off; implementations are interleaved (rotated) and every number is a median
over repetitions. Overhead = implementation - the bare app of the same framework and repetition.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

ORIGIN = "https://app.example"
DENIED = "https://evil.example"
POLICY: dict[str, Any] = {
    "allow_origins": [ORIGIN],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["authorization"],
    "allow_credentials": True,
    "max_age": 600,
}
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# id -> (method, request headers as environ keys, expected status of crossorigin)
SCENARIOS: dict[str, tuple[str, dict[str, str], int]] = {
    "no Origin": ("GET", {}, 200),
    "GET allowed": ("GET", {"HTTP_ORIGIN": ORIGIN}, 200),
    "GET denied origin": ("GET", {"HTTP_ORIGIN": DENIED}, 200),
    "preflight allowed": (
        "OPTIONS",
        {
            "HTTP_ORIGIN": ORIGIN,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization",
        },
        204,
    ),
    "preflight denied origin": (
        "OPTIONS",
        {"HTTP_ORIGIN": DENIED, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
        403,
    ),
}


def flask_apps() -> dict[str, WSGIApp]:
    from flask import Flask
    from flask_cors import CORS

    from crossorigin import CORSConfig
    from crossorigin.wsgi import CORSMiddleware

    def make() -> Any:
        app = Flask("bench")
        app.add_url_rule("/items", "items", lambda: {"items": [1, 2]}, methods=["GET", "PUT"])
        return app

    bare = make()
    with_flask_cors = make()
    CORS(
        with_flask_cors,
        origins=POLICY["allow_origins"],
        methods=POLICY["allow_methods"],
        allow_headers=POLICY["allow_headers"],
        supports_credentials=True,
        max_age=POLICY["max_age"],
    )
    ours = make()
    ours.wsgi_app = CORSMiddleware(ours.wsgi_app, config=CORSConfig(**POLICY))  # type: ignore[method-assign]
    return {"bare": bare, "flask-cors": with_flask_cors, "crossorigin": ours}


def django_apps() -> dict[str, WSGIApp]:
    import django
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import path

    from crossorigin import CORSConfig
    from crossorigin.wsgi import CORSMiddleware

    module = type(sys)("bench_django_urls")
    module.urlpatterns = [path("items", lambda request: JsonResponse({"items": [1, 2]}))]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=module.__name__,
        SECRET_KEY="bench",
        INSTALLED_APPS=["corsheaders"],
        MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"],
        CORS_ALLOWED_ORIGINS=POLICY["allow_origins"],
        CORS_ALLOW_METHODS=POLICY["allow_methods"],
        CORS_ALLOW_HEADERS=POLICY["allow_headers"],
        CORS_ALLOW_CREDENTIALS=True,
        CORS_PREFLIGHT_MAX_AGE=POLICY["max_age"],
    )
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    with_corsheaders = WSGIHandler()  # reads MIDDLEWARE now
    settings.MIDDLEWARE = []
    bare = WSGIHandler()
    ours = CORSMiddleware(WSGIHandler(), config=CORSConfig(**POLICY))
    return {"bare": bare, "django-cors-headers": with_corsheaders, "crossorigin": ours}


def environ(method: str, headers: dict[str, str]) -> dict[str, Any]:
    env = {
        "REQUEST_METHOD": method, "PATH_INFO": "/items", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "wsgi.input": _EMPTY,
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    env.update(headers)
    return env


class _Empty:
    def read(self, *args: Any) -> bytes:
        return b""

    def readline(self, *args: Any) -> bytes:
        return b""


_EMPTY = _Empty()


def call(app: WSGIApp, method: str, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    seen: list[Any] = []

    def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
        seen[:] = [status, response_headers]
        return lambda data: None

    result = app(environ(method, headers), start_response)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return seen[0], seen[1]


def batch(app: WSGIApp, method: str, headers: dict[str, str], n: int) -> int:
    def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
        return None

    envs = [environ(method, headers) for _ in range(n)]
    gc.disable()
    try:
        t0 = time.thread_time_ns()
        for env in envs:
            result = app(env, start_response)
            for _ in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return time.thread_time_ns() - t0
    finally:
        gc.enable()


def measure(apps: dict[str, WSGIApp], reps: int, batch_ms: float) -> list[dict[str, Any]]:
    rows = []
    names = list(apps)
    for sid, (method, headers, expected) in SCENARIOS.items():
        status, _ = call(apps["crossorigin"], method, headers)
        assert int(status.split()[0]) == expected, (sid, status)
        sizes = {}
        for name in names:
            n = 16
            while batch(apps[name], method, headers, n) < batch_ms * 1e6 and n < 1 << 16:
                n *= 2
            sizes[name] = n
        samples: dict[str, list[float]] = {name: [] for name in names}
        for rep in range(reps):
            order = names[rep % len(names) :] + names[: rep % len(names)]
            for name in order:
                samples[name].append(batch(apps[name], method, headers, sizes[name]) / sizes[name])
        median = {name: statistics.median(xs) for name, xs in samples.items()}
        bare = samples["bare"]
        overhead = {
            name: statistics.median(a - b for a, b in zip(samples[name], bare, strict=True))
            for name in names
            if name != "bare"
        }
        rows.append({"id": sid, "ns": median, "overhead_ns": overhead})
    return rows


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [
        "# crossorigin.wsgi benchmark",
        "",
        f"{meta['date']} · Python {meta['python']} · Flask {meta['flask']} · flask-cors "
        f"{meta['flask_cors']} · Django {meta['django']} · django-cors-headers "
        f"{meta['corsheaders']} · {meta['cpu']}",
        "",
        f"Mode: {'quick (numbers meaningless)' if meta['quick'] else 'full'}; {meta['reps']} "
        "interleaved repetitions; medians of per-request ns of thread CPU time. Overhead = "
        "implementation - bare app of the same framework and repetition (median of the pairs). "
        "Every request runs the "
        "framework's routing to `/items`; a preflight reaches the bare app as a plain `OPTIONS`.",
        "",
    ]
    for framework, other in (("flask", "flask-cors"), ("django", "django-cors-headers")):
        lines += [
            f"## {framework.capitalize()}",
            "",
            f"| scenario | bare ns | {other} ns | crossorigin ns | {other} overhead | "
            "crossorigin overhead |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in data[framework]:
            ns, oh = row["ns"], row["overhead_ns"]
            lines.append(
                f"| {row['id']} | {ns['bare']:,.0f} | {ns[other]:,.0f} | {ns['crossorigin']:,.0f} "
                f"| {oh[other]:,.0f} | {oh['crossorigin']:,.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; numbers meaningless")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 21; quick 3)")
    parser.add_argument("--batch-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    reps = args.reps or (3 if args.quick else 21)
    batch_ms = 0.2 if args.quick else args.batch_ms
    from importlib.metadata import version

    data: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "python": platform.python_version(),
            "flask": version("flask"),
            "flask_cors": version("flask-cors"),
            "django": version("django"),
            "corsheaders": version("django-cors-headers"),
            "cpu": platform.processor() or platform.machine(),
            "quick": args.quick,
            "reps": reps,
        },
        "flask": measure(flask_apps(), reps, batch_ms),
        "django": measure(django_apps(), reps, batch_ms),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "wsgi.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.out / "wsgi.md").write_text(markdown(data))
    print(markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
