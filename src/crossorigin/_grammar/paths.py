"""The path a request's route is matched against: one rule for route policies and exempt paths.

Paths are taken exactly as Starlette's router sees them (``starlette.routing.get_route_path``):
the raw ASGI ``path`` minus ``root_path``, with no other normalisation (no trailing-slash or
case folding, no dot segments), so a policy or an exemption applies to exactly the requests the
route it names receives (Go's GO-2025-3955: a bypass must never cover a path the route does not
serve).
"""

from __future__ import annotations

from crossorigin._types import Scope


def route_path(scope: Scope) -> str:
    """The path Starlette's router matches: ``path`` minus ``root_path`` (get_route_path)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path
