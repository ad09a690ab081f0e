"""The browser's side of CORS: Fetch's CORS check and CORS-preflight check as pure functions.

Read this if you need to know what a browser will do with a server's answer. Nothing here does
I/O or imports the server side (``_policy``/``_headers``): the module is an independent oracle,
written from https://fetch.spec.whatwg.org/ alone, so the CLI, the testing helpers and the
differential browser test can all hold the middleware against it.

Header lists are sequences of ``(name, value)`` pairs; names may repeat, as on the wire.

Where Chromium 156 and the standard differ, checked against /usr/bin/chromium:

- ``Access-Control-Allow-Headers: *`` covers ``Authorization`` in Chromium; the standard (and
  Firefox, Safari) say it never does. Callers choose with ``authorization_covered_by_wildcard``.
- Repeated request-header names are judged on their combined value (Chromium); see
  ``_fetch_rules.cors_unsafe_names``.
- Chromium also safelists a few client-hint request headers scripts may set (``save-data: on``,
  ``dpr``, ``width``, ``viewport-width``, ``device-memory``, ``intervention``); this module
  follows the standard and preflights them.
"""

from __future__ import annotations

from crossorigin._browser.fetch_checks import check_preflight, cors_check
from crossorigin._browser.fetch_rules import (
    EXPOSE_SPEC,
    FORBIDDEN_METHOD_SPEC,
    FORBIDDEN_RESPONSE,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE,
    UNSAFE_NAMES_SPEC,
    cors_unsafe_names,
    forbidden_request_header,
    is_forbidden_method,
    is_token,
    normalize_method,
)
from crossorigin._browser.fetch_types import (
    HeaderList,
    Preflight,
    Request,
    RequestRejected,
    Response,
    Step,
    Verdict,
    extract_list,
    header_get,
)

__all__ = [
    "HeaderList",
    "Preflight",
    "Request",
    "RequestRejected",
    "Response",
    "Step",
    "Verdict",
    "browser_verdict",
    "check_preflight",
    "cors_check",
    "exposed_headers",
    "extract_list",
    "header_get",
    "preflight_for",
    "request_headers_sent",
]


def request_headers_sent(request: Request) -> tuple[tuple[str, str], ...]:
    """The script-set headers the browser really sends: forbidden ones are dropped silently.

    https://fetch.spec.whatwg.org/#concept-headers-append ("If name is a forbidden request
    header, return") — ``Headers`` ignores them without an error.
    """
    return tuple((n, v) for n, v in request.headers if not forbidden_request_header(n, v))


def preflight_for(request: Request) -> Preflight | None:
    """The preflight a browser sends before *request*, or ``None`` when none is needed.

    https://fetch.spec.whatwg.org/#http-fetch: a preflight is made when the method is not
    safelisted, the use-CORS-preflight flag is set, or some CORS-unsafe header name exists
    (ignoring the preflight cache, which a fresh browser does not have).

    Raises:
        RequestRejected: when ``fetch()`` would throw before any network activity.
    """
    method = _validated_method(request.method)
    names = tuple(cors_unsafe_names(request_headers_sent(request)))
    if method in SAFELISTED_METHODS and not names and not request.use_cors_preflight:
        return None
    return Preflight(method, names)


def _validated_method(method: str) -> str:
    if not is_token(method):
        raise RequestRejected(f"{method!r} is not a valid HTTP method token")
    if is_forbidden_method(method):
        raise RequestRejected(f"{method!r} is a forbidden method; fetch() throws a TypeError")
    return normalize_method(method)


def exposed_headers(request: Request, response: Response) -> tuple[str, ...]:
    """Lower-case names of *response*'s headers that script can read via ``headers.get()``.

    https://fetch.spec.whatwg.org/#main-fetch (ACEH step) and
    https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name.
    """
    try:
        listed = [
            n.lower() for n in extract_list(response.headers, "access-control-expose-headers") or ()
        ]
    except ValueError:
        listed = []
    every = "*" in listed and not request.credentials
    present = sorted({name.lower() for name, _ in response.headers})
    return tuple(
        name
        for name in present
        if name not in FORBIDDEN_RESPONSE
        and (every or name in SAFELISTED_RESPONSE or name in listed)
    )


def browser_verdict(
    request: Request,
    preflight_response: Response | None,
    actual_response: Response | None,
    *,
    authorization_covered_by_wildcard: bool = False,
) -> Verdict:
    """Walk the whole algorithm for one ``fetch()``: preflight (if needed), then the response.

    *preflight_response* is required when a preflight is needed and ignored otherwise;
    *actual_response* may be ``None`` only if the preflight fails (the browser never sends the
    request then).

    Raises:
        ValueError: a needed response is missing.
    """
    try:
        preflight = preflight_for(request)
    except RequestRejected as exc:
        step = Step("request", False, f"{exc} before sending anything.", FORBIDDEN_METHOD_SPEC)
        return Verdict(False, (step,), step)
    steps = [_preflight_needed_step(request, preflight)]
    max_age: int | None = None
    if preflight is not None:
        if preflight_response is None:
            raise ValueError("a preflight is needed: pass its response")
        preflight_steps, max_age = check_preflight(
            request,
            preflight,
            preflight_response,
            authorization_covered_by_wildcard=authorization_covered_by_wildcard,
        )
        steps.extend(preflight_steps)
        if not preflight_steps[-1].passed:
            return Verdict(False, tuple(steps), preflight_steps[-1])
    if actual_response is None:
        raise ValueError("the preflight passed (or was not needed): pass the actual response")
    steps.extend(cors_check(request, actual_response))
    if not steps[-1].passed:
        return Verdict(False, tuple(steps), steps[-1], preflight_max_age=max_age)
    exposed = exposed_headers(request, actual_response)
    steps.append(
        Step(
            "exposed headers",
            True,
            f"Script can read these response headers: {', '.join(exposed) or 'none'}.",
            EXPOSE_SPEC,
        )
    )
    return Verdict(True, tuple(steps), None, exposed, max_age)


def _preflight_needed_step(request: Request, preflight: Preflight | None) -> Step:
    dropped = sorted({n.lower() for n, v in request.headers if forbidden_request_header(n, v)})
    note = (
        f" The browser silently drops forbidden headers: {', '.join(dropped)}." if dropped else ""
    )
    if preflight is None:
        reason = "No preflight: the method and every request header are CORS-safelisted."
    elif preflight.header_names:
        reason = (
            f"A preflight is needed for method {preflight.method} and the non-safelisted "
            f"headers {','.join(preflight.header_names)}."
        )
    elif request.use_cors_preflight and preflight.method in SAFELISTED_METHODS:
        reason = "A preflight is needed because the use-CORS-preflight flag is set."
    else:
        reason = f"A preflight is needed because {preflight.method} is not a safelisted method."
    return Step("preflight needed", True, reason + note, UNSAFE_NAMES_SPEC)
