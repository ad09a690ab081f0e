"""Helpers for your own tests: would a browser allow this cross-origin request to my app?

Built on crossorigin's model of the browser's side of CORS (the Fetch standard's CORS check
and CORS-preflight check), so a test can assert what a browser will do without a browser::

    from starlette.testclient import TestClient
    from crossorigin.testing import assert_cors_allows, assert_cors_blocks

    client = TestClient(app)
    assert_cors_allows(client, "/items", origin="https://app.example", method="PUT",
                       headers={"content-type": "application/json"}, exposes=["x-total"])
    assert_cors_blocks(client, "/items", origin="https://evil.example")

Works with any server (not only crossorigin's middleware) and any synchronous client with an
httpx-style ``request(method, url, headers=...)`` (``starlette.testclient.TestClient``,
``fastapi.testclient.TestClient``, ``httpx.Client``); ``assert_cors_allows_async`` and
``assert_cors_blocks_async`` take an async one (``httpx.AsyncClient``). Needs no extra
dependency.

.. versionadded:: 0.1
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Generator, Iterable, Mapping
from typing import Any, Protocol

from crossorigin._browser.fetch import (
    Request,
    RequestRejected,
    Response,
    Step,
    Verdict,
    check_preflight,
    preflight_for,
    request_headers_sent,
)
from crossorigin._browser.fetch import browser_verdict as _browser_verdict

__all__ = [
    "Request",
    "Response",
    "Step",
    "Verdict",
    "assert_cors_allows",
    "assert_cors_allows_async",
    "assert_cors_blocks",
    "assert_cors_blocks_async",
    "browser_verdict",
    "preflight_request_headers",
]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]]


class _Client(Protocol):
    def request(self, method: str, url: str, *, headers: Any = ...) -> Any: ...


class _AsyncClient(Protocol):
    def request(self, method: str, url: str, *, headers: Any = ...) -> Awaitable[Any]: ...


def preflight_request_headers(
    origin: str,
    method: str = "GET",
    headers: HeadersArg = (),
    *,
    credentials: bool = False,
) -> dict[str, str] | None:
    """The headers of the preflight a browser sends first, or ``None`` when none is needed.

    ``Origin``, ``Accept: */*``, ``Access-Control-Request-Method`` and (if any header is not
    CORS-safelisted) ``Access-Control-Request-Headers`` with the sorted, lower-case names.

    Raises:
        ValueError: ``fetch()`` would refuse the request (e.g. a forbidden method).

    .. versionadded:: 0.1
    """
    preflight = preflight_for(Request.build(origin, method, headers, credentials=credentials))
    if preflight is None:
        return None
    return {"origin": origin, **dict(preflight.headers)}


def _to_response(response: Any) -> Response:
    """Convert an httpx/Starlette test response (``status_code``, ``headers``) to a Response."""
    if isinstance(response, Response):
        return response
    headers = response.headers
    pairs = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    return Response(int(response.status_code), tuple((str(k), str(v)) for k, v in pairs))


def browser_verdict(
    request: Request,
    preflight_response: Any | None,
    actual_response: Any | None,
    *,
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """What a browser decides for *request*, given the responses your server gave.

    Responses may be :class:`Response` objects or httpx/Starlette test responses. Pass
    ``authorization_covered_by_wildcard=True`` to model Chromium, which lets
    ``Access-Control-Allow-Headers: *`` cover ``Authorization`` (Firefox, Safari and the spec
    do not).

    .. versionadded:: 0.1
    """
    return _browser_verdict(
        request,
        None if preflight_response is None else _to_response(preflight_response),
        None if actual_response is None else _to_response(actual_response),
        authorization_covered_by_wildcard=authorization_covered_by_wildcard,
    )


# The browser's side as a generator (no I/O): it yields each (method, headers) to send and is
# sent back the client's response, so that one flow serves sync and async clients alike.
_Flow = Generator[tuple[str, list[tuple[str, str]]], Any, Verdict]


def _flow(request: Request, wildcard_auth: bool) -> _Flow:
    try:
        preflight = preflight_for(request)
    except RequestRejected:
        return _browser_verdict(request, None, None)
    pre = None
    if preflight is not None:
        pre = _to_response((yield "OPTIONS", [("origin", request.origin), *preflight.headers]))
        steps, _ = check_preflight(
            request, preflight, pre, authorization_covered_by_wildcard=wildcard_auth
        )
        if not steps[-1].passed:  # the browser never sends the actual request
            return _browser_verdict(
                request, pre, None, authorization_covered_by_wildcard=wildcard_auth
            )
    sent = [("origin", request.origin), *request_headers_sent(request)]
    if request.credentials:
        sent.append(("cookie", "crossorigin-testing=1"))
    actual = _to_response((yield request.method, sent))
    return _browser_verdict(request, pre, actual, authorization_covered_by_wildcard=wildcard_auth)


def _fetch_with(client: _Client, url: str, request: Request, wildcard_auth: bool) -> Verdict:
    flow = _flow(request, wildcard_auth)
    response = None
    try:
        while True:
            method, headers = flow.send(response)
            response = client.request(method, url, headers=headers)
            if inspect.isawaitable(response):
                closer = getattr(response, "close", None)
                if closer is not None:
                    closer()  # never awaited: close it so Python does not warn
                raise TypeError(
                    f"{type(client).__name__} is an async client: use"
                    " `await assert_cors_allows_async(client, ...)` (or ..._blocks_async)"
                )
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _fetch_with_async(
    client: _AsyncClient, url: str, request: Request, wildcard_auth: bool
) -> Verdict:
    flow = _flow(request, wildcard_auth)
    response = None
    try:
        while True:
            method, headers = flow.send(response)
            response = await client.request(method, url, headers=headers)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _explain(verdict: Verdict) -> str:
    lines = [f"  {'PASS' if s.passed else 'FAIL'}  {s.name}: {s.reason}" for s in verdict.steps]
    return "\n".join(lines)


def _allowed(verdict: Verdict, request: Request, url: str, exposes: Iterable[str]) -> Verdict:
    if not verdict.allowed:
        raise AssertionError(
            f"a browser would block {request.method} {url} from {request.origin}:\n"
            + _explain(verdict)
        )
    hidden = sorted({n.lower() for n in exposes} - set(verdict.exposed_headers))
    if hidden:
        raise AssertionError(
            f"script cannot read {', '.join(hidden)} (exposed: "
            f"{', '.join(verdict.exposed_headers) or 'none'})"
        )
    return verdict


def _blocked(verdict: Verdict, request: Request, url: str) -> Verdict:
    if verdict.allowed:
        raise AssertionError(
            f"a browser would allow {request.method} {url} from {request.origin}:\n"
            + _explain(verdict)
        )
    return verdict


def assert_cors_allows(
    client: _Client,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeadersArg = (),
    credentials: bool = False,
    exposes: Iterable[str] = (),
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """Send the preflight (if needed) and the request as a browser would; assert it is allowed.

    *exposes* lists response-header names the page must be able to read. Returns the
    verdict; raises ``AssertionError`` that walks every step otherwise. For an async client
    (``httpx.AsyncClient``), use :func:`assert_cors_allows_async`.

    .. versionadded:: 0.1
    """
    request = Request.build(origin, method, headers, credentials=credentials)
    verdict = _fetch_with(client, url, request, authorization_covered_by_wildcard)
    return _allowed(verdict, request, url, exposes)


def assert_cors_blocks(
    client: _Client,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeadersArg = (),
    credentials: bool = False,
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """Like :func:`assert_cors_allows`, but assert that a browser blocks the request.

    .. versionadded:: 0.1
    """
    request = Request.build(origin, method, headers, credentials=credentials)
    verdict = _fetch_with(client, url, request, authorization_covered_by_wildcard)
    return _blocked(verdict, request, url)


async def assert_cors_allows_async(
    client: _AsyncClient,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeadersArg = (),
    credentials: bool = False,
    exposes: Iterable[str] = (),
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """:func:`assert_cors_allows` for an async client such as ``httpx.AsyncClient``::

        await assert_cors_allows_async(client, "/items", origin="https://app.example")

    .. versionadded:: 0.1
    """
    request = Request.build(origin, method, headers, credentials=credentials)
    verdict = await _fetch_with_async(client, url, request, authorization_covered_by_wildcard)
    return _allowed(verdict, request, url, exposes)


async def assert_cors_blocks_async(
    client: _AsyncClient,
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeadersArg = (),
    credentials: bool = False,
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """:func:`assert_cors_blocks` for an async client such as ``httpx.AsyncClient``.

    .. versionadded:: 0.1
    """
    request = Request.build(origin, method, headers, credentials=credentials)
    verdict = await _fetch_with_async(client, url, request, authorization_covered_by_wildcard)
    return _blocked(verdict, request, url)
