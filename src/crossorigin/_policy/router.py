"""``Router``: a :class:`RoutePolicies` table compiled into one :class:`Policy` per route."""

from __future__ import annotations

from crossorigin._config.config import CORSConfig
from crossorigin._config.routes import RoutePolicies
from crossorigin._grammar.paths import route_path
from crossorigin._policy.policy import Policy
from crossorigin._types import Scope


class Router:
    """:class:`RoutePolicies` compiled into :class:`Policy` objects, one per distinct config."""

    __slots__ = ("_default", "_policies", "_regex", "source")

    def __init__(self, source: RoutePolicies, compile_policy: dict[CORSConfig, Policy]) -> None:
        self.source = source
        self._regex = source.path_regex
        self._policies = tuple(
            None if config is None else compile_policy[config] for _, config in source.routes
        )
        self._default = None if source.default is None else compile_policy[source.default]

    def select(self, scope: Scope) -> Policy | None:
        """The compiled policy for the request's route path (``None``: no CORS)."""
        regex = self._regex
        if regex is None:
            return self._default
        match = regex.match(route_path(scope))
        if match is None:
            return self._default
        return self._policies[int(match.lastgroup[1:])]  # type: ignore[index]
