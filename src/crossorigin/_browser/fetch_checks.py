"""The response checks a browser runs: the CORS check and the CORS-preflight check.

Read this to see why a browser rejected a response; every step cites its Fetch section.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crossorigin._browser.fetch_rules import (
    CORS_CHECK_SPEC,
    CREDENTIALS_SPEC,
    DEFAULT_MAX_AGE,
    NON_WILDCARD_SPEC,
    OK_STATUS_SPEC,
    PREFLIGHT_SPEC,
    SAFELISTED_METHODS,
)
from crossorigin._browser.fetch_types import (
    HeaderList,
    Preflight,
    Request,
    Response,
    Step,
    extract_list,
    header_get,
)

_DELTA_SECONDS = re.compile(r"[0-9]+")

# Chromium's console texts (third_party/blink/renderer/platform/loader/cors/cors_error_string.cc).
PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
_NO_CORS_HINT = (
    " Have the server send the header with a valid value, or, if an opaque response serves "
    "your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
)
# Chromium 156 prints only this sentence (older releases added a 'no-cors' hint), as the
# browser suite observes.
_MISSING_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
_WILDCARD = (
    "The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
    "wildcard '*' when the request's credentials mode is 'include'."
)


def cors_check(request: Request, response: Response, *, prefix: str = "") -> tuple[Step, ...]:
    """Fetch's CORS check, as an ACAO step and (credentialed only) an ACAC step.

    https://fetch.spec.whatwg.org/#concept-cors-check. Stops at the first failing step.
    """
    acao = header_get(response.headers, "access-control-allow-origin")
    name = f"{prefix}allow-origin"
    console = PREFLIGHT_PREFIX if prefix else ""
    if acao is None:
        return (
            Step(
                name,
                False,
                "The response has no Access-Control-Allow-Origin header.",
                CORS_CHECK_SPEC,
                console + _MISSING_ACAO,
            ),
        )
    if acao == "*" and not request.credentials:
        return (
            Step(
                name,
                True,
                "Access-Control-Allow-Origin is '*', which allows any origin "
                "for a request without credentials.",
                CORS_CHECK_SPEC,
            ),
        )
    if acao != request.origin:
        reason, text = _acao_mismatch(acao, request)
        return (Step(name, False, reason, CORS_CHECK_SPEC, console + text),)
    steps = [Step(name, True, f"Access-Control-Allow-Origin is exactly {acao!r}.", CORS_CHECK_SPEC)]
    if not request.credentials:
        return tuple(steps)
    acac = header_get(response.headers, "access-control-allow-credentials")
    name = f"{prefix}allow-credentials"
    if acac == "true":
        steps.append(
            Step(name, True, "Access-Control-Allow-Credentials is 'true'.", CREDENTIALS_SPEC)
        )
    else:
        shown = "missing" if acac is None else f"{acac!r}, not exactly 'true'"
        steps.append(
            Step(
                name,
                False,
                f"The request includes credentials but "
                f"Access-Control-Allow-Credentials is {shown}.",
                CREDENTIALS_SPEC,
                f"{console}The value of the 'Access-Control-Allow-Credentials' header in the "
                f"response is '{acac or ''}' which must be 'true' when the request's "
                "credentials mode is 'include'.",
            )
        )
    return tuple(steps)


def _acao_mismatch(acao: str, request: Request) -> tuple[str, str]:
    """The reason and Chromium's console text (its CheckAccess() distinguishes these cases)."""
    if acao == "*":
        reason = "Access-Control-Allow-Origin is '*', which browsers reject with credentials."
        return reason, _WILDCARD
    if " " in acao or "," in acao:
        reason = f"Access-Control-Allow-Origin has several values ({acao!r}) but takes one."
        text = (
            f"The 'Access-Control-Allow-Origin' header contains multiple values '{acao}', "
            "but only one is allowed."
        )
        return reason, text + _NO_CORS_HINT
    reason = (
        f"Access-Control-Allow-Origin is {acao!r}, which is not byte-for-byte the request "
        f"origin {request.origin!r}."
    )
    parts = urlsplit(acao)
    if acao != "null" and not (parts.scheme and parts.netloc):
        text = f"The 'Access-Control-Allow-Origin' header contains the invalid value '{acao}'."
        return reason, text + _NO_CORS_HINT
    text = (
        f"The 'Access-Control-Allow-Origin' header has a value '{acao}' that is not equal "
        "to the supplied origin."
    )
    return reason, text + _NO_CORS_HINT


def check_preflight(
    request: Request,
    preflight: Preflight,
    response: Response,
    *,
    authorization_covered_by_wildcard: bool = False,
) -> tuple[tuple[Step, ...], int | None]:
    """Validate a preflight response: the steps walked and the max-age on success.

    Implements step 7 of https://fetch.spec.whatwg.org/#cors-preflight-fetch-0. With
    *authorization_covered_by_wildcard* True, ``Access-Control-Allow-Headers: *`` also covers
    ``Authorization`` for requests without credentials, as Chromium 156 does (the spec says it
    must not, step 7.6).
    """
    # Step 7 needs both a successful CORS check and an ok status; the order only changes which
    # failure is named. Like Chromium (services/network/public/cpp/cors/cors.cc), report a
    # redirect first, then the CORS check, then the status, so the reasons match its console.
    ok = 200 <= response.status <= 299
    redirect = 300 <= response.status <= 399
    why = (
        "Redirect is not allowed for a preflight request."
        if redirect
        else ("It does not have HTTP ok status.")
    )
    status_step = Step(
        "preflight status",
        ok,
        _status_reason(response.status),
        OK_STATUS_SPEC,
        "" if ok else PREFLIGHT_PREFIX + why,
    )
    if redirect:
        return (status_step,), None
    steps = list(cors_check(request, response, prefix="preflight "))
    steps.append(status_step)
    for step in steps:
        if not step.passed:
            return tuple(steps[: steps.index(step) + 1]), None
    for check in (_check_methods, _check_authorization, _check_headers):
        extra = check(request, preflight, response, authorization_covered_by_wildcard)
        if extra is not None:
            steps.append(extra)
            if not extra.passed:
                return tuple(steps), None
    max_age = _max_age(response.headers)
    steps.append(
        Step(
            "preflight max-age",
            True,
            f"The browser may cache this preflight result for {max_age} s (capped by the browser).",
            PREFLIGHT_SPEC,
        )
    )
    return tuple(steps), max_age


def _status_reason(status: int) -> str:
    if 200 <= status <= 299:
        return f"The preflight status {status} is an ok status (200-299)."
    if 300 <= status <= 399:
        return (
            f"The preflight was answered with redirect {status}; browsers never follow "
            "redirects for preflights and need a 2xx status."
        )
    return f"The preflight status {status} is not an ok status (200-299)."


def _check_methods(
    request: Request, preflight: Preflight, response: Response, _wildcard_auth: bool
) -> Step:
    name = "preflight allow-methods"
    try:
        methods = extract_list(response.headers, "access-control-allow-methods")
    except ValueError as exc:
        return Step(
            name,
            False,
            f"Access-Control-Allow-Methods contains {exc.args[0]!r}, which is not a method token.",
            PREFLIGHT_SPEC,
            "Cannot parse Access-Control-Allow-Methods response header field in preflight "
            "response.",
        )
    if methods is None:
        methods = [preflight.method] if request.use_cors_preflight else []
    method = preflight.method
    if method in methods:
        return Step(name, True, f"Access-Control-Allow-Methods lists {method!r}.", PREFLIGHT_SPEC)
    if method in SAFELISTED_METHODS:
        return Step(
            name,
            True,
            f"{method} is a CORS-safelisted method, allowed without listing.",
            PREFLIGHT_SPEC,
        )
    if "*" in methods and not request.credentials:
        return Step(
            name,
            True,
            "Access-Control-Allow-Methods is '*', which covers every method "
            "for a request without credentials.",
            PREFLIGHT_SPEC,
        )
    listed = ", ".join(methods) if methods else "nothing"
    why = " ('*' does not count with credentials)" if "*" in methods else ""
    return Step(
        name,
        False,
        f"Method {method!r} is not in Access-Control-Allow-Methods "
        f"({listed}){why}; the comparison is case-sensitive.",
        PREFLIGHT_SPEC,
        f"Method {method} is not allowed by Access-Control-Allow-Methods in preflight response.",
    )


def _allowed_headers(response: Response) -> list[str]:
    names = extract_list(response.headers, "access-control-allow-headers")
    return [n.lower() for n in names or ()]


def _check_authorization(
    request: Request, preflight: Preflight, response: Response, wildcard_auth: bool
) -> Step | None:
    if "authorization" not in preflight.header_names:
        return None
    name = "preflight authorization"
    try:
        allowed = _allowed_headers(response)
    except ValueError as exc:
        return _bad_acah(name, exc)
    if "authorization" in allowed:
        return Step(
            name, True, "Access-Control-Allow-Headers lists 'authorization'.", NON_WILDCARD_SPEC
        )
    if wildcard_auth and "*" in allowed and not request.credentials:
        return Step(
            name,
            True,
            "Access-Control-Allow-Headers is '*', which this browser lets "
            "cover Authorization (the spec does not).",
            NON_WILDCARD_SPEC,
        )
    return Step(
        name,
        False,
        "The request sets Authorization, which must be listed by name in "
        "Access-Control-Allow-Headers ('*' never covers it).",
        NON_WILDCARD_SPEC,
        _header_not_allowed("authorization"),
    )


def _bad_acah(name: str, exc: ValueError) -> Step:
    return Step(
        name,
        False,
        f"Access-Control-Allow-Headers contains {exc.args[0]!r}, which is not a header name.",
        PREFLIGHT_SPEC,
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
    )


def _header_not_allowed(name: str) -> str:
    return (
        f"Request header field {name} is not allowed by Access-Control-Allow-Headers in "
        "preflight response."
    )


def _check_headers(
    request: Request, preflight: Preflight, response: Response, wildcard_auth: bool
) -> Step | None:
    name = "preflight allow-headers"
    try:
        allowed = _allowed_headers(response)
    except ValueError as exc:
        return _bad_acah(name, exc)
    if not preflight.header_names:
        return None
    wildcard = "*" in allowed and not request.credentials
    missing = [h for h in preflight.header_names if h not in allowed and not wildcard]
    if not missing:
        how = "'*' covers" if wildcard else "it lists"
        names = ", ".join(preflight.header_names)
        return Step(
            name,
            True,
            f"Access-Control-Allow-Headers allows the request headers ({names}): {how} them.",
            PREFLIGHT_SPEC,
        )
    why = " ('*' does not count with credentials)" if "*" in allowed else ""
    return Step(
        name,
        False,
        f"Request header {missing[0]!r} is not in Access-Control-Allow-Headers{why}.",
        PREFLIGHT_SPEC,
        _header_not_allowed(missing[0]),
    )


def _max_age(headers: HeaderList) -> int:
    # Step 7.8-7.9: parse failure (including two lines, joined by ", ") or absence -> 5 s.
    value = header_get(headers, "access-control-max-age")
    if value is None or not _DELTA_SECONDS.fullmatch(value):
        return DEFAULT_MAX_AGE
    return int(value)
