"""Pins the public API's types: checked by ``mypy tests/typing`` (never executed by pytest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from typing_extensions import assert_type

import crossorigin
from crossorigin import ConfigError, ConfigProblem, CORSConfig, CORSMiddleware


async def app(scope: Any, receive: Any, send: Any) -> None: ...


config = CORSConfig(allow_origins=["https://app.example"], allow_credentials=True)
assert_type(config, CORSConfig)
assert_type(config.as_dict(), dict[str, Any])
assert_type(config.replace(max_age=0), CORSConfig)
middleware = CORSMiddleware(app, config=config)
assert_type(middleware.config, CORSConfig)
assert_type(CORSMiddleware(app, allow_origins=["*"]), CORSMiddleware)
error = ConfigError([])
assert_type(error.problems, tuple[ConfigProblem, ...])
assert_type(CORSMiddleware(app, config=config, shadow=config, on_decision=print), CORSMiddleware)
report: Callable[..., Awaitable[crossorigin.Report]] = crossorigin.check
