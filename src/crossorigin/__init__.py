"""crossorigin: correct, safe, observable and fast CORS for any ASGI application.

Public API (everything else lives in private ``_`` modules)::

    import crossorigin
    crossorigin.install(app, allow_origins=["https://app.example"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from crossorigin._asgi.decisions import Decision, DecisionHook
from crossorigin._asgi.install import install
from crossorigin._asgi.middleware import CORSMiddleware
from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._errors import ConfigError, ConfigProblem
from crossorigin._policy.live import LivePolicy
from crossorigin._types import OriginPredicate

if _TYPE_CHECKING:
    from crossorigin._browser.fetch_types import Verdict
    from crossorigin._cli.check import Report, check
    from crossorigin._store._backend import StoreUnavailable
    from crossorigin._store._entries import StoreEntry
    from crossorigin._store._store import OriginStore, StoreStatus

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
    "OriginStore",
    "Report",
    "RoutePolicies",
    "StoreEntry",
    "StoreStatus",
    "StoreUnavailable",
    "Verdict",
    "check",
    "install",
]

# Reprs, tracebacks and docs show the public path (httpx does the same).
for _public in (
    CORSConfig, CORSMiddleware, ConfigError, ConfigProblem, Decision, LivePolicy, RoutePolicies,
):  # fmt: skip
    _public.__module__ = "crossorigin"
del _public
install.__module__ = "crossorigin"


_STORE = frozenset({"OriginStore", "StoreEntry", "StoreStatus", "StoreUnavailable"})


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
    if name in _STORE:
        # The store needs asyncio and sqlite3: loaded when first named, not with the middleware.
        from crossorigin._store import _entries, _store

        value = getattr(_store if hasattr(_store, name) else _entries, name)
        value.__module__ = "crossorigin"
        return value
    if name in {"check", "Report"}:
        # They need httpx, which only the [cli] extra installs: say so rather than let a bare
        # ModuleNotFoundError for httpx surface.
        try:
            from crossorigin._cli import check as _check
        except ImportError as exc:
            raise ImportError(
                f"crossorigin.{name} needs the optional dependencies of the [cli] extra "
                f"({exc.name} is missing): pip install 'crossorigin[cli]'",
                name=exc.name,
            ) from exc

        _check.check.__module__ = _check.Report.__module__ = "crossorigin"
        return getattr(_check, name)
    raise AttributeError(f"module 'crossorigin' has no attribute {name!r}")


def __dir__() -> list[str]:
    # dir() and editors' completion list the lazy exports too, without importing them.
    return sorted({*globals(), *__all__, "__version__"})
