"""``CORSConfig``: the validated, immutable description of a CORS policy.

Field names and defaults are Starlette's (``starlette.middleware.cors.CORSMiddleware``) so that
migrating is an import change. Construction normalises every field (lower-cased header names,
Fetch-normalised methods, sorted and de-duplicated tuples) and validates all of them, collecting
every problem into one :class:`~crossorigin.ConfigError` (house rule 1).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from crossorigin._config import validate as _validate
from crossorigin._errors import ConfigError, ConfigProblem
from crossorigin._types import OriginPredicate


@dataclass(frozen=True, kw_only=True, slots=True)
class CORSConfig:
    """A CORS policy. Frozen, keyword-only, hashable; validated when constructed.

    Args:
        allow_origins: origins allowed to read responses: exact serialized origins
            (``"https://app.example.com"``), ``"*"`` for a public API, subdomain wildcards
            (``"https://*.example.com"``: one or more labels, never the apex) and any-port
            patterns (``"http://localhost:*"``, ``"https://*.example.com:*"``).
        allow_methods: methods allowed in preflights, or ``["*"]``. ``GET``, ``HEAD`` and
            ``POST`` are always allowed (Fetch's CORS-safelisted methods). Case-sensitive.
        allow_headers: request headers allowed in preflights, or ``["*"]`` for any (including
            ``Authorization``). ``accept``, ``accept-language``, ``content-language`` and
            ``content-type`` are always allowed.
        allow_credentials: send ``Access-Control-Allow-Credentials: true``.
        allow_origin_regex: a regex that allowed origins must match in full.
        expose_headers: response headers scripts may read, or ``["*"]`` (not with credentials).
        max_age: seconds browsers may cache a successful preflight (0 to 86400), ``None`` to
            omit the header (browsers then use 5 s).
        allow_private_network: answer Private Network Access preflights.
        allow_origin_predicate: ``(origin, scope) -> bool`` or an async one, asked only when
            no static rule matched; its answer is never cached.
        preflight_status: status of successful preflights, 200 to 299.
        debug: make failed preflights from allowed origins explain themselves in the browser.
        dangerously_allow_insecure_origins: allow ``http://`` origins (other than loopback)
            together with credentials.
        dangerously_allow_public_suffix_wildcards: allow wildcards such as
            ``https://*.github.io`` together with credentials.
        dangerously_allow_backtracking_regex: allow an ``allow_origin_regex`` whose
            repetitions can backtrack catastrophically (``([a-z0-9]+-?)+``); see
            docs/config.md.
        protect_writes: refuse (403, before the app runs) requests other than ``GET``,
            ``HEAD`` and ``OPTIONS`` sent by a browser from an origin that is neither this
            server's own nor allowed by this policy (``"*"`` allows none); see
            docs/security.md.
        protect_websockets: refuse WebSocket handshakes from such origins.
        protection_exempt_paths: paths (exactly as the router sees them) that both
            protections skip, e.g. ``["/webhooks/stripe"]``.
        public_origin: this server's origin as browsers see it (``"https://app.example"``),
            compared with ``Origin`` instead of the ``Host`` header (behind a proxy).
        allow_stored_origins: also allow the origins of the middleware's ``origin_store``
            (docs/origin-store.md). They get exactly the headers a listed origin gets, but
            ``Access-Control-Max-Age`` is capped at the store's ``max_age`` for every origin of
            this policy, so that a removed origin stops working in browsers too.

    Raises:
        ConfigError: listing every problem found.

    .. versionadded:: 0.1
    """

    allow_origins: Collection[str] = ()
    allow_methods: Collection[str] = ("GET",)
    allow_headers: Collection[str] = ()
    allow_credentials: bool = False
    allow_origin_regex: str | re.Pattern[str] | None = None
    expose_headers: Collection[str] = ()
    max_age: int | None = 600
    allow_private_network: bool = False
    allow_origin_predicate: OriginPredicate | None = field(default=None, compare=True)
    preflight_status: int = 204
    debug: bool = False
    dangerously_allow_insecure_origins: bool = False
    dangerously_allow_public_suffix_wildcards: bool = False
    dangerously_allow_backtracking_regex: bool = False
    protect_writes: bool = False
    protect_websockets: bool = False
    protection_exempt_paths: Collection[str] = ()
    public_origin: str | None = None
    allow_stored_origins: bool = False

    def __post_init__(self) -> None:
        problems: list[ConfigProblem] = []
        normalized = _validate.validate(self, problems)
        if problems:
            raise ConfigError(problems)
        for name, value in normalized.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_env(
        cls, prefix: str = "CORS_", environ: Mapping[str, str] | None = None
    ) -> CORSConfig:
        """A config from ``{prefix}{FIELD}`` environment variables (``CORS_ALLOW_ORIGINS``).

        Lists are JSON arrays or comma-separated; booleans ``true``/``false``/``1``/``0``;
        integers digits (``none`` omits ``max_age``). Unknown ``{prefix}*`` variables, values
        that do not parse and the config's own problems are reported together in one
        :class:`~crossorigin.ConfigError`, each naming its variable.

        .. versionadded:: 0.1
        """
        from crossorigin._config.env import from_env

        return from_env(cls, prefix, environ)

    def as_dict(self) -> dict[str, Any]:
        """The fields as keyword arguments: ``CORSConfig(**c.as_dict()) == c``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes: Any) -> CORSConfig:
        """A new, validated config with *changes* applied."""
        return CORSConfig(**{**self.as_dict(), **changes})
