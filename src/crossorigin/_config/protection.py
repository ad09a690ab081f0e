"""Validation of the write- and WebSocket-protection options of a ``CORSConfig``.

Readers: ``crossorigin._config.validate`` calls :func:`check_config`; the compiled settings are
``crossorigin._policy.policy.Protection`` and the decisions ``crossorigin._policy.protect``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossorigin._errors import ConfigProblem, problem
from crossorigin._grammar.origins import PatternError, parse_pattern

if TYPE_CHECKING:
    from crossorigin._config.fields import ConfigFields


def check_config(
    config: ConfigFields, paths: list[str], problems: list[ConfigProblem]
) -> dict[str, object]:
    """Validate the protection fields; return the normalised ones."""
    out: dict[str, object] = {}
    for path in paths:
        why = _path_problem(path)
        if why is not None:
            problems.append(problem("protection_exempt_paths", path, "invalid", *why, entry=True))
    out["protection_exempt_paths"] = tuple(sorted(set(paths)))
    public = config.public_origin
    if public is not None:
        out["public_origin"] = _check_public_origin(public, problems)
    enabled = config.protect_writes is True or config.protect_websockets is True
    for name, value in (("protection_exempt_paths", paths), ("public_origin", public)):
        if value and not enabled:
            problems.append(
                problem(
                    name,
                    tuple(value) if isinstance(value, list) else value,
                    "incompatible",
                    "has no effect while protect_writes and protect_websockets are False",
                    "set protect_writes=True (or protect_websockets=True), or remove it",
                )
            )
    return out


def _path_problem(path: str) -> tuple[str, str] | None:
    if not path.startswith("/"):
        return "a path starts with '/'", f"did you mean {'/' + path.strip()!r}?"
    if "*" in path or "{" in path:
        return "paths are matched exactly, without wildcards", "list every exempt path"
    if "?" in path or "#" in path:
        return "only the path is compared", f"did you mean {path.split('?')[0].split('#')[0]!r}?"
    if path != path.strip() or any(c in path for c in "\r\n\t"):
        return "paths contain no surrounding whitespace or control characters", "remove it"
    return None


def _check_public_origin(value: object, problems: list[ConfigProblem]) -> str | None:
    if not isinstance(value, str):
        problems.append(
            problem(
                "public_origin", value, "invalid", "must be a string such as 'https://app.example'"
            )
        )
        return None
    if value == "null":
        problems.append(
            problem(
                "public_origin",
                value,
                "invalid",
                "a server's own origin is never the opaque null origin",
                "give the exact origin, e.g. 'https://app.example.com'",
            )
        )
        return value
    try:
        pattern = parse_pattern(value)
    except PatternError as exc:
        problems.append(problem("public_origin", value, exc.reason, exc.what, exc.fix))
        return value
    if pattern.kind != "exact":
        problems.append(
            problem(
                "public_origin",
                value,
                "invalid",
                "is the one origin browsers see for this server, not a pattern",
                "give the exact origin, e.g. 'https://app.example.com'",
            )
        )
    return value
