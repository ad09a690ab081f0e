"""CORS, write-protection and shadow-policy decisions as Prometheus counters.

Uses ``prometheus_client`` when it is installed, else a tiny counter with the same
``labels(...).inc()`` shape that renders the text exposition format itself: crossorigin adds no
dependency. Run ``uvicorn examples.prometheus_metrics:app`` and read ``/metrics``.

Labels are low-cardinality on purpose: never use the origin or the path as a label (any site
can send any Origin, which would grow the series without bound); log them instead.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware

if TYPE_CHECKING:
    from crossorigin import Decision

LABELS = ("kind", "allowed", "reason", "shadow")


class TinyCounter:
    """A labelled counter with prometheus_client's ``labels(...).inc()`` interface."""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...]) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self.values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def labels(self, *values: str) -> _Child:
        return _Child(self, tuple(values))

    def exposition(self) -> str:
        lines = [f"# HELP {self.name} {self.documentation}", f"# TYPE {self.name} counter"]
        with self._lock:
            for key, value in sorted(self.values.items()):
                labels = ",".join(f'{n}="{v}"' for n, v in zip(self.labelnames, key, strict=True))
                lines.append(f"{self.name}{{{labels}}} {value}")
        return "\n".join(lines) + "\n"


class _Child:
    def __init__(self, parent: TinyCounter, key: tuple[str, ...]) -> None:
        self.parent = parent
        self.key = key

    def inc(self, amount: float = 1.0) -> None:
        with self.parent._lock:
            self.parent.values[self.key] = self.parent.values.get(self.key, 0.0) + amount


try:
    from prometheus_client import CollectorRegistry, Counter, generate_latest

    REGISTRY = CollectorRegistry()  # or the default one; private here so re-imports work
    DECISIONS: Any = Counter(
        "crossorigin_decisions",
        "Decisions of the crossorigin middleware.",
        LABELS,
        registry=REGISTRY,
    )

    def exposition() -> str:
        return generate_latest(REGISTRY).decode("utf-8")

except ImportError:
    DECISIONS = TinyCounter(
        "crossorigin_decisions_total", "Decisions of the crossorigin middleware.", LABELS
    )

    def exposition() -> str:
        return str(DECISIONS.exposition())


def count_decision(decision: Decision) -> None:
    """The ``on_decision`` hook: one increment, no I/O (it runs inside the request)."""
    DECISIONS.labels(
        decision.kind,
        "true" if decision.allowed else "false",
        decision.reason,
        "true" if decision.shadow else "false",
    ).inc()


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(exposition(), media_type="text/plain; version=0.0.4")


app = Starlette(routes=[Route("/", homepage, methods=["GET", "POST"]), Route("/metrics", metrics)])
app.add_middleware(
    CORSMiddleware,
    config=CORSConfig(
        allow_origins=["https://app.example.com", "https://legacy.example.com"],
        protect_writes=True,
    ),
    # Before dropping the legacy frontend, count what would break.
    shadow=CORSConfig(allow_origins=["https://app.example.com"], protect_writes=True),
    on_decision=count_decision,
)
