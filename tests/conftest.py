"""Shared fixtures and assertion helpers."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest


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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
