"""``check()``: send the requests a browser would send, and explain the browser's verdict.

Read this for the network side of ``crossorigin check``: one optional preflight and the actual
request, made with httpx exactly as Fetch builds them (``Origin``, ``Accept: */*``, ACRM, ACRH,
no redirects followed, no credentials on the preflight), then judged by ``_fetch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from crossorigin._browser.advice import Fix, config_kwargs, suggest_fix
from crossorigin._browser.fetch import (
    Preflight,
    Request,
    Response,
    Verdict,
    browser_verdict,
    check_preflight,
    header_get,
    preflight_for,
    request_headers_sent,
)
from crossorigin._config.config import CORSConfig
from crossorigin._errors import ConfigError

SCHEMA_VERSION = 1
"""Version of the ``--json`` documents; bumped on incompatible changes (docs/cli.md)."""

DEFAULT_TIMEOUT = 10.0
CREDENTIAL_COOKIE = ("cookie", "crossorigin-check=1")
"""Sent with credentialed actual requests: some servers (Starlette) change their answer when a
cookie is present, as a browser's would be."""

Headers = tuple[tuple[str, str], ...]


class Unreachable(Exception):
    """The server could not be reached (connection refused, DNS, TLS, timeout).

    ``kind`` is ``"timeout"`` when a request timed out, else ``"unreachable"``.
    """

    def __init__(self, message: str, kind: str = "unreachable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Exchange:
    """One request sent and the response received, headers in wire order."""

    method: str
    url: str
    request_headers: Headers
    status: int
    response_headers: Headers

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form (docs/cli.md, "exchange")."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": [list(pair) for pair in self.request_headers],
            },
            "response": {
                "status": self.status,
                "headers": [list(pair) for pair in self.response_headers],
            },
        }

    @property
    def response(self) -> Response:
        return Response(self.status, self.response_headers)


@dataclass(frozen=True)
class Report:
    """Result of :func:`check`: what was sent, what came back, the verdict and the fix.

    .. versionadded:: 0.1
    """

    url: str
    request: Request
    preflight: Exchange | None
    actual: Exchange | None
    verdict: Verdict
    fix: Fix | None
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def chromium_console(self) -> str | None:
        """The error line Chromium's console would print, or ``None`` when allowed."""
        failed = self.verdict.failed_step
        if failed is None or not failed.console:
            return None
        return (
            f"Access to fetch at '{self.url}' from origin '{self.request.origin}' has been "
            f"blocked by CORS policy: {failed.console}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document of ``crossorigin check`` (schema in docs/cli.md)."""
        failed = self.verdict.failed_step
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "check",
            "url": self.url,
            "origin": self.request.origin,
            "method": self.request.method,
            "request_headers": [list(pair) for pair in self.request.headers],
            "credentials": self.request.credentials,
            "allowed": self.verdict.allowed,
            "failed_step": None if failed is None else failed.name,
            "chromium_console": self.chromium_console,
            "steps": [
                {"name": s.name, "passed": s.passed, "reason": s.reason, "spec": s.spec}
                for s in self.verdict.steps
            ],
            "exposed_headers": list(self.verdict.exposed_headers),
            "preflight_max_age": self.verdict.preflight_max_age,
            "preflight": None if self.preflight is None else self.preflight.to_dict(),
            "actual": None if self.actual is None else self.actual.to_dict(),
            "fix": None
            if self.fix is None
            else {
                "summary": self.fix.summary,
                "config": self.fix.config,
                "fastapi": self.fix.fastapi,
            },
            "notes": list(self.notes),
        }


async def send(
    client: httpx.AsyncClient, method: str, url: str, headers: Iterable[tuple[str, str]]
) -> Exchange:
    """Send one request without following redirects; transport failures raise Unreachable."""
    request = client.build_request(method, url, headers=list(headers))
    try:
        response = await client.send(request, follow_redirects=False)
    except httpx.TransportError as exc:
        kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "unreachable"
        reason = failure_reason(exc, client.timeout)
        raise Unreachable(f"could not reach {url}: {reason}", kind) from exc
    return Exchange(
        method,
        url,
        tuple(request.headers.multi_items()),
        response.status_code,
        tuple(response.headers.multi_items()),
    )


_TIMEOUT_PHASES = (
    (httpx.ConnectTimeout, "connect", "connecting"),
    (httpx.ReadTimeout, "read", "waiting for the response"),
    (httpx.WriteTimeout, "write", "sending the request"),
    (httpx.PoolTimeout, "pool", "waiting for a free connection"),
)


def failure_reason(exc: httpx.TransportError, timeout: httpx.Timeout) -> str:
    """A non-empty reason for a transport failure (httpx's timeouts have an empty message)."""
    if isinstance(exc, httpx.TimeoutException):
        for kind, phase, doing in _TIMEOUT_PHASES:
            if isinstance(exc, kind):
                seconds = getattr(timeout, phase)
                limit = "" if seconds is None else f" after {seconds:g} s"
                return f"timed out{limit} {doing}"
        return "timed out"
    return str(exc) or type(exc).__name__


async def check(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    credentials: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    authorization_covered_by_wildcard: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Send what a browser at *origin* sends for ``fetch(url, {method, headers, credentials})``.

    Args:
        url: the http(s) URL the page fetches.
        origin: the page's origin, e.g. ``"https://app.example"``.
        method: the method as the page writes it (only six methods are upper-cased).
        headers: headers the page sets; forbidden ones are dropped as a browser would.
        credentials: ``credentials: "include"``; a dummy cookie is then sent.
        timeout: seconds per request.
        authorization_covered_by_wildcard: model Chromium, which lets ``*`` in
            Access-Control-Allow-Headers cover Authorization (the spec does not).
        transport: an httpx transport, e.g. ``httpx.ASGITransport(app)`` in tests.

    Raises:
        Unreachable: the server could not be reached.

    .. versionadded:: 0.1
    """
    request = Request.build(origin, method, headers, credentials=credentials)
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        return await _run(client, url, request, authorization_covered_by_wildcard)


async def _run(
    client: httpx.AsyncClient, url: str, request: Request, wildcard_auth: bool
) -> Report:
    try:
        preflight = preflight_for(request)
    except ValueError:
        verdict = browser_verdict(request, None, None)
        return Report(url, request, None, None, verdict, _fix(request, None, verdict, None))
    pre: Exchange | None = None
    if preflight is not None:
        # A preflight never carries credentials (fetch#cors-protocol-and-credentials).
        pre = await send(client, "OPTIONS", url, [("origin", request.origin), *preflight.headers])
        steps, _ = check_preflight(
            request, preflight, pre.response, authorization_covered_by_wildcard=wildcard_auth
        )
        if not steps[-1].passed:
            verdict = browser_verdict(
                request, pre.response, None, authorization_covered_by_wildcard=wildcard_auth
            )
            fix = _fix(request, preflight, verdict, pre.response)
            return Report(url, request, pre, None, verdict, fix)
    sent = [("origin", request.origin), *request_headers_sent(request)]
    if request.credentials:
        sent.append(CREDENTIAL_COOKIE)
    actual = await send(client, request.method, url, sent)
    verdict = browser_verdict(
        request,
        None if pre is None else pre.response,
        actual.response,
        authorization_covered_by_wildcard=wildcard_auth,
    )
    fix = _fix(request, preflight, verdict, actual.response)
    return Report(url, request, pre, actual, verdict, fix, _notes(actual))


def _fix(
    request: Request, preflight: Preflight | None, verdict: Verdict, failed: Response | None
) -> Fix | None:
    """:func:`suggest_fix`, with its config line checked by ``CORSConfig``: a suggestion
    crossorigin would refuse is never printed; the refusal is explained instead."""
    fix = suggest_fix(request, preflight, verdict, failed)
    if fix is None or fix.config is None:
        return fix
    kwargs = config_kwargs(request, preflight)
    try:
        CORSConfig(**kwargs or {})
    except ConfigError as error:
        reasons = "; ".join(problem.message for problem in error.problems)
        summary = f"{fix.summary} No crossorigin config allows this request as sent: {reasons}"
        return Fix(summary, None)
    return fix


def _notes(actual: Exchange) -> tuple[str, ...]:
    location = header_get(actual.response_headers, "location")
    if 300 <= actual.status <= 399 and location is not None:
        return (
            f"The response redirects to {location}; the browser follows it and runs the CORS "
            "check again there (with Origin: null after a cross-origin hop). Check that URL too.",
        )
    return ()
