"""crossorigin: correct, safe, observable and fast CORS for any ASGI application.

Public API (everything else lives in private ``_`` modules)::

    from crossorigin import CORSConfig, CORSMiddleware
    app.add_middleware(CORSMiddleware, config=CORSConfig(allow_origins=["https://app.example"]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crossorigin._config import CORSConfig
from crossorigin._decisions import Decision, DecisionHook
from crossorigin._errors import ConfigError, ConfigProblem
from crossorigin._fetch_types import Verdict
from crossorigin._middleware import CORSMiddleware
from crossorigin._types import OriginPredicate

if TYPE_CHECKING:
    from crossorigin._check import Report, check

__all__ = [
    "CORSConfig",
    "CORSMiddleware",
    "ConfigError",
    "ConfigProblem",
    "Decision",
    "DecisionHook",
    "OriginPredicate",
    "Report",
    "Verdict",
    "check",
]

for _name in (
    "CORSConfig",
    "CORSMiddleware",
    "ConfigError",
    "ConfigProblem",
    "Decision",
    "Verdict",
):
    globals()[_name].__module__ = "crossorigin"
del _name


def __getattr__(name: str) -> Any:
    # Computed lazily: importlib.metadata costs milliseconds at import time (structlog does this).
    if name == "__version__":
        from importlib.metadata import version

        return version("crossorigin")
    if name in {"check", "Report"}:
        # They need httpx, which only the [cli] extra installs.
        from crossorigin import _check

        return getattr(_check, name)
    raise AttributeError(f"module 'crossorigin' has no attribute {name!r}")
