"""Policy documents: a ``CORSConfig`` or a ``RoutePolicies`` table as JSON, for distribution.

A document is a JSON object. Either the fields of one ``CORSConfig``::

    {"allow_origins": ["https://app.example.com"], "allow_credentials": true}

or a route table, whose configs are such objects (``null``: no CORS on those paths)::

    {"routes": [["/admin/*", null], ["/api/*", {"allow_origins": ["https://app.example.com"],
                                                "allow_stored_origins": true}]],
     "default": null}

Parsing reports every problem at once (unknown fields, wrong types, every config's own
problems, each prefixed with the route it belongs to) in one :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._errors import ConfigError, ConfigProblem, problem

Source = CORSConfig | RoutePolicies
_FIELDS = frozenset(f.name for f in dataclasses.fields(CORSConfig)) - {"allow_origin_predicate"}
_TABLE_KEYS = frozenset({"routes", "default"})


def _within(where: str, found: list[ConfigProblem], problems: list[ConfigProblem]) -> None:
    for p in found:
        problems.append(dataclasses.replace(p, message=f"{where}: {p.message}"))


def _config(data: object, where: str, problems: list[ConfigProblem]) -> CORSConfig | None:
    if not isinstance(data, dict):
        problems.append(
            problem("document", data, "invalid", f"{where}: a config is a JSON object of fields")
        )
        return None
    found: list[ConfigProblem] = []
    for key in data:
        if key == "allow_origin_predicate":
            found.append(
                problem(key, data[key], "invalid", "a function cannot be distributed as JSON",
                        "use allow_stored_origins=true and the origin store instead")
            )  # fmt: skip
        elif key not in _FIELDS:
            found.append(problem(key, data[key], "invalid", "is not a CORSConfig field"))
    fields = {k: v for k, v in data.items() if k in _FIELDS}
    try:
        config = CORSConfig(**fields)
    except ConfigError as exc:
        found.extend(exc.problems)
        config = None
    _within(where, found, problems)
    return None if found else config


def parse_document(text: str | bytes) -> Source:
    """The policy described by the JSON *text*; :class:`ConfigError` lists every problem."""
    problems: list[ConfigProblem] = []
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [problem("document", None, "invalid", f"is not valid JSON: {exc}")]
        ) from None
    source: Source | None
    if isinstance(data, dict) and "routes" in data:
        source = _table(data, problems)
    else:
        source = _config(data, "policy", problems)
    if problems or source is None:
        raise ConfigError(problems)
    return source


def _table(data: dict[str, Any], problems: list[ConfigProblem]) -> RoutePolicies | None:
    for key in data:
        if key not in _TABLE_KEYS:
            problems.append(
                problem(key, data[key], "invalid", "a route table has only 'routes' and 'default'")
            )
    routes = data["routes"]
    pairs: list[tuple[str, CORSConfig | None]] = []
    if not isinstance(routes, list):
        problems.append(
            problem("routes", routes, "invalid", "must be a list of [pattern, config] pairs")
        )
        routes = []
    for item in routes:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            problems.append(
                problem("routes", item, "invalid", "must be a [pattern, config or null] pair",
                        entry=True)
            )  # fmt: skip
            continue
        pattern, body = item
        config = None if body is None else _config(body, f"route {pattern!r}", problems)
        pairs.append((pattern, config))
    default_data = data.get("default")
    default = None if default_data is None else _config(default_data, "default", problems)
    try:
        table = RoutePolicies(pairs, default=default)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    return table


def _config_data(config: CORSConfig) -> dict[str, Any]:
    if config.allow_origin_predicate is not None:
        raise ValueError("a config with allow_origin_predicate cannot be written as a document")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name == "allow_origin_predicate" or value == f.default:
            continue
        if isinstance(value, re.Pattern):
            value = value.pattern
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def dump_document(source: Source) -> str:
    """*source* as a canonical JSON document (``parse_document`` reads it back equal)."""
    data: dict[str, Any]
    if isinstance(source, CORSConfig):
        data = _config_data(source)
    else:
        data = {
            "routes": [
                [pattern, None if config is None else _config_data(config)]
                for pattern, config in source.routes
            ],
            "default": None if source.default is None else _config_data(source.default),
        }
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
