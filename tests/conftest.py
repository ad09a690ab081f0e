"""Shared fixtures and assertion helpers."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx
import pytest
from hypothesis import HealthCheck, settings

# No timing in tests: CI runs several Pythons' suites side by side on two cores, so an example
# may take seconds. Hypothesis's default 200 ms deadline and too-slow health check would turn
# that load into failures; properties with settings of their own keep them.
settings.register_profile(
    "crossorigin", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("crossorigin")


def cors_headers(headers: httpx.Headers | Mapping[str, str]) -> dict[str, str]:
    """The ``access-control-*`` and ``vary`` headers of a response, lower-case names.

    Repeated lines are joined with ", " as Fetch's "get" does, so a duplicate shows up as a
    comma instead of disappearing.
    """
    items = headers.multi_items() if isinstance(headers, httpx.Headers) else list(headers.items())
    out: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        if name.startswith("access-control-") or name == "vary":
            out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--write-docs",
        action="store_true",
        help="rewrite generated docs (docs/browser-matrix.md) instead of checking them;"
        " scripts/regen-docs passes it",
    )


@pytest.fixture(autouse=True)
def _uvicorn_logs_reach_caplog() -> None:
    """Servers started with uvicorn's default log config set ``propagate = False`` on its
    loggers for the rest of the process; tests that read the server's error log via caplog
    need the records to reach the root logger again."""
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).propagate = True


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
