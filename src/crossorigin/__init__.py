"""crossorigin: correct, safe, observable and fast CORS for any ASGI application.

Public API (everything else lives in private ``_`` modules)::

    from crossorigin import CORSConfig, CORSMiddleware
    app.add_middleware(CORSMiddleware, config=CORSConfig(allow_origins=["https://app.example"]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from crossorigin._asgi.decisions import Decision, DecisionHook
from crossorigin._asgi.middleware import CORSMiddleware
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._errors import ConfigError, ConfigProblem
from crossorigin._policy.live import LivePolicy
from crossorigin._types import OriginPredicate

if _TYPE_CHECKING:
    from crossorigin._browser.fetch_types import Verdict
    from crossorigin._cli.check import Report, check

_SOURCE_VERSION = "0.1.0"
"""Kept equal to pyproject.toml's version by tests/test_public_api.py."""

__all__ = [
    "CORSConfig",
    "CORSMiddleware",
    "ConfigError",
    "ConfigProblem",
    "Decision",
    "DecisionHook",
    "LivePolicy",
    "OriginPredicate",
    "Report",
    "RoutePolicies",
    "Verdict",
    "check",
]

# Reprs, tracebacks and docs show the public path (httpx does the same).
for _public in (
    CORSConfig, CORSMiddleware, ConfigError, ConfigProblem, Decision, LivePolicy, RoutePolicies,
):  # fmt: skip
    _public.__module__ = "crossorigin"
del _public


def __getattr__(name: str) -> _Any:
    # Computed lazily: importlib.metadata costs milliseconds at import time (structlog does this).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("crossorigin")
        except PackageNotFoundError:  # a source checkout on sys.path, never installed
            return _SOURCE_VERSION
    if name == "Verdict":
        # The browser model is only needed by diagnostics: not loaded with the middleware.
        from crossorigin._browser.fetch_types import Verdict

        Verdict.__module__ = "crossorigin"
        return Verdict
    if name in {"check", "Report"}:
        # They need httpx, which only the [cli] extra installs.
        from crossorigin._cli import check as _check

        _check.check.__module__ = _check.Report.__module__ = "crossorigin"
        return getattr(_check, name)
    raise AttributeError(f"module 'crossorigin' has no attribute {name!r}")
