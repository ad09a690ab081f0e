"""Turn a browser verdict into a fix: one sentence and the crossorigin config line.

Read this to change what ``crossorigin check`` and ``crossorigin.testing`` advise. The config
line is the smallest :class:`~crossorigin.CORSConfig` that allows the request; the sentence
addresses the step that failed (often the server's stack, not its CORS settings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crossorigin._browser.fetch import Preflight, Request, Response, Verdict, header_get
from crossorigin._browser.fetch_rules import SAFELISTED_METHODS

# crossorigin always accepts these in ACRH (behaviour.md B20), so they never need listing.
_ALWAYS_ACCEPTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


@dataclass(frozen=True)
class Fix:
    """What to change: a sentence and, when a config can help, the ``CORSConfig(...)`` line.

    .. versionadded:: 0.1
    """

    summary: str
    config: str | None

    @property
    def fastapi(self) -> str | None:
        """The FastAPI/Starlette line that installs :attr:`config`."""
        if self.config is None:
            return None
        return f"app.add_middleware(CORSMiddleware, config={self.config})"


def config_kwargs(request: Request, preflight: Preflight | None) -> dict[str, Any] | None:
    """Keyword arguments of the smallest ``CORSConfig`` allowing *request* (``None`` for
    ``null``). Not validated here: this layer knows nothing of the server side, so callers
    that print it check it with ``CORSConfig`` first (``crossorigin check`` does)."""
    if request.origin == "null":
        return None
    kwargs: dict[str, Any] = {"allow_origins": [request.origin]}
    if preflight is not None and preflight.method not in SAFELISTED_METHODS:
        kwargs["allow_methods"] = [preflight.method]
    names = [n for n in (preflight.header_names if preflight else ()) if n not in _ALWAYS_ACCEPTED]
    if names:
        kwargs["allow_headers"] = names
    if request.credentials:
        kwargs["allow_credentials"] = True
    return kwargs


def render_config(kwargs: dict[str, Any]) -> str:
    """``CORSConfig(...)`` source text for *kwargs* (lists as JSON, booleans as Python)."""
    parts = [
        f"{name}={value!r}" if isinstance(value, bool) else f"{name}={json.dumps(value)}"
        for name, value in kwargs.items()
    ]
    return f"CORSConfig({', '.join(parts)})"


def config_line(request: Request, preflight: Preflight | None) -> str | None:
    """The smallest ``CORSConfig(...)`` that allows *request*, or ``None`` for ``null``."""
    kwargs = config_kwargs(request, preflight)
    return None if kwargs is None else render_config(kwargs)


def suggest_fix(
    request: Request,
    preflight: Preflight | None,
    verdict: Verdict,
    failed_response: Response | None,
) -> Fix | None:
    """A fix for a blocked request (``None`` when the verdict allows it)."""
    step = verdict.failed_step
    if step is None:
        return None
    config = config_line(request, preflight)
    if request.origin == "null":
        return Fix(_NULL, None)
    if step.name == "request":
        return Fix("Change the fetch() call: the browser refuses it before sending anything.", None)
    if step.name == "preflight status" and failed_response is not None:
        return Fix(_status_fix(failed_response.status), config)
    refused = failed_response is not None and _refused(failed_response)
    if step.name == "preflight allow-origin" and failed_response is not None and refused:
        return Fix(_status_fix(failed_response.status), config)
    if (
        step.name == "allow-origin"
        and failed_response is not None
        and refused_error(failed_response)
    ):
        return Fix(_server_error_fix(failed_response.status), config)
    if step.name.endswith("allow-origin") and failed_response is not None:
        return Fix(_origin_fix(request, failed_response), config)
    if step.name.endswith("allow-credentials"):
        return Fix(
            "Send 'Access-Control-Allow-Credentials: true' together with the exact "
            "origin: set allow_credentials=True.",
            config,
        )
    if step.name == "preflight allow-methods" and preflight is not None:
        return Fix(_method_fix(preflight.method), config)
    if step.name == "preflight authorization":
        return Fix(
            "List 'authorization' by name in allow_headers: browsers never let '*' "
            "cover the Authorization header.",
            config,
        )
    if step.name == "preflight allow-headers":
        return Fix(
            "Allow every header the page sets in allow_headers (names are matched without case).",
            config,
        )
    return Fix("Allow this request in the server's CORS configuration.", config)


def refused_error(response: Response) -> bool:
    """A server error (5xx) without ``Access-Control-Allow-Origin``: the application failed,
    and the error response lost (or never had) the CORS headers, so the page sees a CORS error
    instead of the status. Whether the origin is allowed cannot be told from it."""
    return 500 <= response.status <= 599 and (
        header_get(response.headers, "access-control-allow-origin") is None
    )


def _server_error_fix(status: int) -> str:
    return (
        f"The server answered {status} (a server error) and the error response carries no "
        "CORS headers, so the browser reports a CORS error instead of the error itself; "
        "whether this origin is allowed cannot be told from it. Fix the error (see the "
        "server's log), and keep the CORS headers on error responses: crossorigin's "
        "middleware sends its 500 with the CORS headers the request earned."
    )


def _refused(response: Response) -> bool:
    # A non-2xx preflight answer without ACAO: a refusal (crossorigin's 403) or no CORS layer.
    if 200 <= response.status <= 299:
        return False
    return header_get(response.headers, "access-control-allow-origin") is None


_NULL = (
    "The page's origin is 'null' (a file:// page, a sandboxed iframe or a cross-origin "
    "redirect); allowing 'null' would allow every such attacker page too, so serve the page "
    "from an http(s) origin and allow that origin instead."
)


def _status_fix(status: int) -> str:
    if 300 <= status <= 399:
        return (
            "The preflight was redirected: request the final URL directly (check the "
            "trailing slash and http vs https), and let the CORS middleware answer OPTIONS "
            "before any redirect."
        )
    if status in (401, 403):
        return (
            f"The preflight got {status}: either the CORS policy refused this origin, "
            "method or headers (crossorigin answers 403 without CORS headers), or "
            "authentication ran on the preflight, which never carries credentials; add the "
            "CORS middleware outermost and allow the request (crossorigin's debug=True makes a "
            "refused preflight name the missing method or header)."
        )
    if 500 <= status <= 599:
        return (
            f"The preflight got {status} (a server error): the application, or a layer in "
            "front of the CORS middleware, failed on OPTIONS (see the server's log); let the "
            "CORS middleware answer preflights before the application runs, as crossorigin's "
            "does."
        )
    if status in (404, 405):
        return (
            f"The preflight got {status}: nothing answered OPTIONS for this path; add the "
            "CORS middleware (outermost) so it answers every preflight."
        )
    return (
        f"The preflight got {status}: make the CORS middleware answer OPTIONS with 204 "
        "before the application runs."
    )


def _origin_fix(request: Request, response: Response) -> str:
    acao = header_get(response.headers, "access-control-allow-origin")
    if acao is None:
        return f"The server does not allow origin {request.origin!r}: add it to allow_origins."
    if acao == "*":
        return (
            "'Access-Control-Allow-Origin: *' never works with credentials: list the "
            "origin explicitly and set allow_credentials=True."
        )
    if "," in acao:
        return (
            "Two layers set Access-Control-Allow-Origin (e.g. a proxy and the app, or two "
            "middlewares): keep exactly one CORS layer."
        )
    return (
        f"The server allows {acao!r} instead of {request.origin!r} (the comparison is "
        "byte-exact: scheme, host, port, no trailing slash): add the page's origin."
    )


def _method_fix(method: str) -> str:
    if method.upper() != method and method.upper() not in SAFELISTED_METHODS:
        return (
            f"The page sends method {method!r}: browsers upper-case only DELETE, GET, "
            f"HEAD, OPTIONS, POST and PUT, so write {method.upper()!r} in fetch() and "
            "allow that."
        )
    return f"Allow method {method!r} in allow_methods."
