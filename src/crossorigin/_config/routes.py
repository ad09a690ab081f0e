"""``RoutePolicies``: path-scoped CORS policies, compiled into one first-match-wins regex.

Paths are matched exactly as Starlette's router sees them (``starlette.routing.get_route_path``):
the raw ASGI ``path`` minus ``root_path``, case-sensitive, with no ``+``-to-space, no second
percent-decoding and no ``..`` or ``//`` normalisation. flask-cors's path matching did all four
differently from its router and produced four CVEs (CVE-2024-6839 longest-first ordering,
CVE-2024-6844 ``+`` unquoted to a space, CVE-2024-6866 case-insensitive matching, and ``../``
normalisation): a policy must apply to exactly the requests the route it names receives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

from crossorigin._config.config import CORSConfig
from crossorigin._errors import ConfigError, ConfigProblem, problem

Kind = Literal["exact", "prefix", "template"]

# Starlette's path convertors (starlette/convertors.py), as regexes, character for character:
# a convertor that accepts less than Starlette's lets a request run the route under another
# policy (a hyphen-less or upper-case UUID did exactly that). Compiled without DOTALL, as
# Starlette compiles them, so ``{p:path}`` does not cross a newline either.
_CONVERTORS = {
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
}
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\}")


class _Entry(NamedTuple):
    pattern: str
    kind: Kind
    regex: str
    static: str
    """The literal part before any wildcard or parameter."""


def _compile(pattern: str, problems: list[ConfigProblem]) -> _Entry | None:
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        problems.append(
            problem("routes", pattern, "invalid", "a path pattern starts with '/'",
                    "write e.g. '/api/*', '/health' or '/items/{item_id}'", entry=True)
        )  # fmt: skip
        return None
    body, star = (pattern[:-2], True) if pattern.endswith("/*") else (pattern, False)
    if "*" in body:
        problems.append(
            problem("routes", pattern, "invalid", "'*' is allowed only as a final '/*'",
                    "use a template such as '/items/{item_id}' for one segment", entry=True)
        )  # fmt: skip
        return None
    parts: list[str] = []
    end = 0
    for match in _PARAM.finditer(body):
        convertor = match.group(2) or "str"
        if convertor not in _CONVERTORS:
            problems.append(
                problem("routes", pattern, "invalid", f"unknown convertor {convertor!r}",
                        f"use one of {', '.join(sorted(_CONVERTORS))}", entry=True)
            )  # fmt: skip
            return None
        parts.append(re.escape(body[end : match.start()]))
        parts.append(_CONVERTORS[convertor])
        end = match.end()
    tail = body[end:]
    if "{" in tail or "}" in tail:
        problems.append(problem("routes", pattern, "invalid", "unbalanced '{' or '}'", entry=True))
        return None
    parts.append(re.escape(tail))
    first_param = _PARAM.search(body)
    static = body[: first_param.start()] if first_param else body
    if star:
        # '/api/*' covers '/api' itself and everything below '/api/', never '/apix'. "Below"
        # includes paths with a newline in them: a route such as '/api/{name}' runs for
        # '/api/a%0Ab', so the prefix must not stop where a non-DOTALL '.*' would.
        return _Entry(pattern, "prefix", "".join(parts) + "(?:/(?s:.*))?", static)
    return _Entry(pattern, "template" if first_param else "exact", "".join(parts), static)


def _covers(earlier: _Entry, later: _Entry) -> bool:
    """Whether every path *later* matches is matched by *earlier* (so *later* is unreachable)."""
    if earlier.regex == later.regex:
        return True
    if later.kind == "exact" and _anchored(earlier.regex).match(later.static) is not None:
        # An exact path runs for itself and, as Starlette's '$' allows, itself plus a final
        # newline: whatever matches the first matches the second, so one match decides.
        return True
    if earlier.kind == "prefix" and _plain(earlier):
        base = earlier.static
        if later.static.startswith(base + "/"):
            return True
        # '/api{version}/items' shares the static part '/api' but reaches '/apiv2/items',
        # which '/api/*' does not cover; only a plain '/api/*' is covered.
        return later.kind == "prefix" and _plain(later) and later.static == base
    # Anything else, a prefix with a parameter ('/v{n}/*') included, is not known to be
    # covered: its literal part is not its base ('/v{n}/*' never matches '/v' nor '/v/x').
    return False


def _plain(entry: _Entry) -> bool:
    """Whether a prefix entry has no parameter: its literal part is all of its base."""
    return entry.static == entry.pattern[:-2]


def _anchored(alternatives: str) -> re.Pattern[str]:
    """Compile *alternatives* the way Starlette compiles a route: ``^…$`` used with ``match``.

    Not ``fullmatch``: in Python ``$`` also matches just before a final ``\\n``, so Starlette's
    ``/admin`` route runs for the path ``/admin\\n`` (``/admin%0A`` on the wire, which every
    server decodes into ``scope["path"]``). The policy must apply to the same requests.
    """
    return re.compile(f"^(?:{alternatives})$")


class RoutePolicies:
    """An ordered table of path patterns → :class:`CORSConfig` (or ``None``: no CORS there).

    The first matching entry wins; paths that match none use *default* (``None``: no CORS).
    Patterns: exact paths (``"/health"``), prefixes (``"/api/*"`` matches ``/api`` and every
    path below ``/api/``) and Starlette templates (``"/items/{item_id}"``, ``{p:path}``,
    ``{n:int}``, ``{x:float}``, ``{u:uuid}``). A duplicate entry, or one that an earlier entry
    makes unreachable, is a :class:`~crossorigin.ConfigError`: put specific entries first.

    Args:
        routes: ``(pattern, config)`` pairs in order, or a mapping (insertion order).
        default: the config for every other path.

    .. versionadded:: 0.1
    """

    __slots__ = ("_entries", "_regex", "default", "routes")

    routes: tuple[tuple[str, CORSConfig | None], ...]
    default: CORSConfig | None

    def __init__(
        self,
        routes: Mapping[str, CORSConfig | None] | Iterable[tuple[str, CORSConfig | None]],
        *,
        default: CORSConfig | None = None,
    ) -> None:
        pairs = tuple(routes.items() if isinstance(routes, Mapping) else routes)
        problems: list[ConfigProblem] = []
        entries: list[_Entry] = []
        for pattern, config in pairs:
            if config is not None and not isinstance(config, CORSConfig):
                problems.append(
                    problem("routes", pattern, "invalid", "maps to neither a CORSConfig nor None",
                            entry=True)
                )  # fmt: skip
            entry = _compile(pattern, problems)
            if entry is None:
                continue
            for earlier in entries:
                if _covers(earlier, entry):
                    problems.append(_unreachable(entry, earlier))
                    break
            else:
                entries.append(entry)
        if default is not None and not isinstance(default, CORSConfig):
            problems.append(problem("default", default, "invalid", "must be a CORSConfig or None"))
        if problems:
            raise ConfigError(problems)
        self.routes = pairs
        self.default = default
        self._entries = tuple(entries)
        alternatives = "|".join(f"(?P<r{i}>{e.regex})" for i, e in enumerate(entries))
        # One alternation tried left to right: the first entry that matches wins, in C.
        self._regex = _anchored(alternatives) if entries else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RoutePolicies):
            return NotImplemented
        return (self.routes, self.default) == (other.routes, other.default)

    def __hash__(self) -> int:
        return hash((self.routes, self.default))

    def __repr__(self) -> str:
        return f"RoutePolicies({list(self.routes)!r}, default={self.default!r})"

    @property
    def path_regex(self) -> re.Pattern[str] | None:
        """The table compiled into one anchored, first-match-wins alternation (``None`` when it
        has no entries): group ``r<i>`` matches for entry *i*. Read by the policy layer's router.
        """
        return self._regex

    def index_for(self, path: str) -> int | None:
        """Index in :attr:`routes` of the entry matching the route *path*; ``None`` for default."""
        if self._regex is None:
            return None
        match = self._regex.match(path)
        if match is None:
            return None
        return int(match.lastgroup[1:])  # type: ignore[index]

    def config_for(self, path: str) -> CORSConfig | None:
        """The config that applies to the route *path* (``None``: no CORS)."""
        index = self.index_for(path)
        return self.default if index is None else self.routes[index][1]


def _unreachable(entry: _Entry, earlier: _Entry) -> ConfigProblem:
    if entry.regex == earlier.regex:
        what = f"matches exactly the same paths as the earlier {earlier.pattern!r}"
        fix = "remove one of them"
    else:
        what = f"is unreachable: the earlier {earlier.pattern!r} matches every path it matches"
        fix = f"put {entry.pattern!r} before {earlier.pattern!r}"
    return problem("routes", entry.pattern, "incompatible", what, fix, entry=True)
