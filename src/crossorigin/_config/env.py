"""``CORSConfig.from_env``: a validated config from environment variables.

Every field has a variable, ``<PREFIX><FIELD NAME IN UPPER CASE>`` (``CORS_ALLOW_ORIGINS``).
Lists are a JSON array (``["https://a.example"]``) or comma-separated (``https://a.example,
https://b.example``); booleans are ``true``/``false``/``1``/``0`` (any case) and nothing else;
integers are digits. Deployments set these by hand, so a near miss must fail loudly: unknown
variables under the prefix and every unparsable value are reported, all at once, together with
the config's own problems, each naming the variable and the fix.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from crossorigin._errors import ConfigError, ConfigProblem, problem

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# The config class, passed in by ``CORSConfig.from_env``: this module does not import the model.
Config = TypeVar("Config", bound="DataclassInstance")

_LISTS = {"allow_origins", "allow_methods", "allow_headers", "expose_headers",
          "protection_exempt_paths"}  # fmt: skip
_INTS = {"max_age", "preflight_status"}
_OPTIONAL = {"max_age", "allow_origin_regex", "public_origin"}
_NOT_FROM_ENV = {"allow_origin_predicate"}  # a function cannot come from the environment
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def _parse(name: str, var: str, text: str, kind: str, problems: list[ConfigProblem]) -> Any:
    stripped = text.strip()
    if name in _OPTIONAL and stripped.lower() in {"", "none", "null"}:
        return None
    if name in _LISTS:
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                problems.append(problem(var, text, "invalid", f"is not a JSON array ({exc.msg})",
                                        'write e.g. ["https://a.example"] or a,b'))  # fmt: skip
                return None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
            problems.append(problem(var, text, "invalid", "must be a JSON array of strings"))
            return None
        return [item.strip() for item in stripped.split(",") if item.strip()]
    if kind == "bool":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        problems.append(problem(var, text, "invalid", "is not a boolean", "write true or false"))
        return None
    if name in _INTS:
        if stripped.isascii() and stripped.isdigit():
            return int(stripped)
        hint = "write a whole number" + (
            ", or none to omit the header" if name == "max_age" else ""
        )
        problems.append(problem(var, text, "invalid", "is not a whole number", hint))
        return None
    return stripped


def from_env(
    cls: type[Config], prefix: str = "CORS_", environ: Mapping[str, str] | None = None
) -> Config:
    """Build *cls* from ``{prefix}{FIELD}`` variables of *environ* (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    names = {f.name: f.type for f in fields(cls) if f.name not in _NOT_FROM_ENV}
    variables = {prefix + name.upper(): name for name in names}
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    failed: set[str] = set()
    for var in sorted(k for k in env if k.startswith(prefix)):
        name = variables.get(var)
        if name is None:
            close = difflib.get_close_matches(var, variables, n=1)
            fix = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(variables))}"
            problems.append(problem(var, env[var], "invalid", "is not a crossorigin setting", fix))
            continue
        kind = "bool" if str(names[name]) == "bool" else "other"
        before = len(problems)
        value = _parse(name, var, env[var], kind, problems)
        if len(problems) > before:
            failed.add(name)
        elif value is not None or name in _OPTIONAL:
            values[name] = value
    try:
        config = cls(**values)
    except ConfigError as error:
        # A field whose variable did not parse is reported once, not again as "missing".
        problems.extend(_renamed(p, prefix) for p in error.problems if p.field not in failed)
    if problems:
        raise ConfigError(problems)
    return config


def _renamed(found: ConfigProblem, prefix: str) -> ConfigProblem:
    """The config's own problem, with the variable that set the field named first."""
    var = prefix + found.field.upper()
    message = found.message.replace("crossorigin: ", f"crossorigin: {var}: ", 1)
    return ConfigProblem(field=var, value=found.value, reason=found.reason, message=message)
