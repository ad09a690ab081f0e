"""Starlette 1.10's own CORS test suite, re-expressed for crossorigin in keyword-argument mode.

Source: ``tests/middleware/test_cors.py`` of the starlette 1.10.0 sdist (18 tests). Each
``test_starlette_<name>`` below replays the requests of Starlette's ``test_<name>`` against
``Middleware(crossorigin.CORSMiddleware, <the same keyword arguments>)`` on a Starlette app. Where
crossorigin behaves as Starlette does, the test asserts that exactly (status, body, the exact set
of ``access-control-*`` headers, ``Vary``). Where it deliberately differs (see
``docs/behaviour.md``), the test asserts crossorigin's behaviour and the step
is marked ``# DIFFERENCE: <row id>``, naming a row of :data:`DIFFERENCES`.

:data:`DIFFERENCES` is the migration table (it goes into the README's migration section). Rows that
no Starlette test exercises are pinned by the ``test_difference_*`` tests at the end of the module.
``python -m tests.asgi.test_starlette_compat`` prints the table as Markdown.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from crossorigin import ConfigError, CORSMiddleware


@dataclass(frozen=True)
class Difference:
    """One deliberate difference from Starlette's ``CORSMiddleware`` (a migration-table row)."""

    id: str
    starlette: str
    crossorigin: str
    reason: str
    tests: tuple[str, ...]


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "wildcard-with-credentials",
        '`allow_origins=["*"]` with `allow_credentials=True` is accepted and reflects every '
        "request origin with `Access-Control-Allow-Credentials: true`.",
        "`ConfigError` at construction.",
        "Reflecting any origin with credentials lets every site read authenticated responses; "
        "list the trusted origins instead (behaviour.md B44).",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed",
            "test_starlette_cors_vary_header_is_properly_set_for_credentialed_request",
        ),
    ),
    Difference(
        "wildcard-with-private-network",
        '`allow_origins=["*"]` with `allow_private_network=True` is accepted.',
        "`ConfigError` at construction.",
        "Letting any public site reach a private-network server defeats Private Network Access "
        "(behaviour.md B50).",
        ("test_starlette_cors_private_network_access_allowed",),
    ),
    Difference(
        "preflight-success-status",
        "A successful preflight is `200` with body `OK`.",
        "`204` with an empty body (`preflight_status` changes the status).",
        "A preflight answer has no content; any 2xx is an ok status for Fetch (behaviour.md B18).",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_cors_allow_all_except_credentials",
            "test_starlette_cors_allow_specific_origin",
            "test_starlette_cors_disallowed_preflight",
            "test_starlette_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed",
            "test_starlette_cors_preflight_allow_all_methods",
            "test_starlette_cors_allow_origin_regex",
            "test_starlette_cors_private_network_access_allowed",
            "test_starlette_cors_private_network_access_disallowed",
            "test_difference_preflight_status",
        ),
    ),
    Difference(
        "preflight-failure",
        "A failed preflight is `400` with a text body such as `Disallowed CORS origin, method, "
        "headers` and still carries `Access-Control-Allow-Methods`, `-Max-Age`, `-Allow-Headers` "
        "(and `-Allow-Origin: *` for a public config).",
        "`403`, empty body, no `Access-Control-*` header at all; only `Vary`. The reason is "
        "logged at DEBUG on the `crossorigin` logger.",
        'Fetch: "the 403 status can be used, coupled with omitting the relevant headers"; '
        "the answer must not disclose the configuration (behaviour.md B24).",
        (
            "test_starlette_cors_disallowed_preflight",
            "test_starlette_cors_allow_origin_regex",
        ),
    ),
    Difference(
        "private-network-disabled",
        "With `allow_private_network=False`, a preflight carrying "
        "`Access-Control-Request-Private-Network: true` fails (400 `Disallowed CORS "
        "private-network`).",
        "The request header is ignored: the preflight is answered as usual, without "
        "`Access-Control-Allow-Private-Network`.",
        "Private Network Access is an opt-in extension; without the opt-in the browser itself "
        "blocks the request, and the answer stays the same as for any other preflight "
        "(behaviour.md B23).",
        ("test_starlette_cors_private_network_access_disallowed",),
    ),
    Difference(
        "preflight-allow-methods",
        '`Access-Control-Allow-Methods` lists every configured method (all eight for `["*"]`).',
        'It names the requested method only; `*` for `allow_methods=["*"]` without credentials; '
        "omitted when the requested method is GET, HEAD or POST.",
        "Less disclosure; safelisted methods always pass the browser's check (Fetch CORS-preflight "
        "fetch step 7.5).",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_cors_allow_all_except_credentials",
            "test_starlette_cors_allow_specific_origin",
            "test_starlette_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed",
            "test_starlette_cors_preflight_allow_all_methods",
            "test_starlette_cors_allow_origin_regex",
            "test_starlette_cors_private_network_access_allowed",
            "test_starlette_cors_private_network_access_disallowed",
        ),
    ),
    Difference(
        "wildcard-methods-means-any",
        '`allow_methods=["*"]` means the fixed list DELETE GET HEAD OPTIONS PATCH POST PUT '
        "QUERY; any other method (e.g. `CUSTOM`) fails the preflight.",
        '`allow_methods=["*"]` allows every method.',
        "That is what `*` means in `Access-Control-Allow-Methods` (Fetch); extension methods are "
        "legitimate.",
        ("test_starlette_cors_preflight_rejects_custom_method_with_wildcard",),
    ),
    Difference(
        "safelisted-methods",
        "A preflight whose requested method is not in `allow_methods` fails, even for POST or "
        'HEAD (the default `allow_methods` is `("GET",)`).',
        "GET, HEAD and POST never need listing; a preflight for them succeeds.",
        "They are CORS-safelisted methods: the browser accepts them without "
        "`Access-Control-Allow-Methods` (behaviour.md B19, B25).",
        ("test_starlette_cors_disallowed_preflight",),
    ),
    Difference(
        "preflight-allow-headers",
        "`Access-Control-Allow-Headers` lists every configured name plus the four safelisted ones "
        "(`Accept, Accept-Language, Content-Language, Content-Type, X-Example`), or echoes the raw "
        'request value verbatim for `allow_headers=["*"]`.',
        "It echoes the requested names, lower-cased (never a literal `*`), and is omitted when the "
        'request has no `Access-Control-Request-Headers`; with `["*"]`, a name that is not a '
        "valid header name fails the preflight.",
        "Less disclosure; one behaviour for `*` in every browser, Authorization included "
        "(behaviour.md B20).",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_cors_allow_all_except_credentials",
            "test_starlette_cors_allow_specific_origin",
            "test_starlette_cors_allow_origin_regex",
        ),
    ),
    Difference(
        "request-headers-parsing",
        "`Access-Control-Request-Headers` is split on `,`; an empty element (`x-example,,`) fails "
        "the preflight.",
        "Tolerant parsing (any case, order, duplicates, whitespace, empty elements, several lines) "
        "within a fixed budget; beyond it the preflight fails fast.",
        "RFC 9110 list syntax allows empty elements; the budget bounds the work per request "
        "(behaviour.md B21).",
        (
            "test_difference_request_headers_parsing",
            "test_difference_request_headers_over_budget",
        ),
    ),
    Difference(
        "preflight-vary",
        "Preflight `Vary` always names `Access-Control-Request-Private-Network` too.",
        "`Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers`, plus "
        "`Access-Control-Request-Private-Network` only when `allow_private_network=True`.",
        "The contract's preflight `Vary`; responses to OPTIONS are not cacheable anyway "
        "(RFC 9110 §9.3.7) and `Vary` has no effect on the browser's preflight cache.",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_cors_allow_all_except_credentials",
            "test_starlette_cors_allow_specific_origin",
            "test_starlette_cors_disallowed_preflight",
            "test_starlette_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed",
            "test_starlette_cors_preflight_allow_all_methods",
            "test_starlette_cors_preflight_rejects_custom_method_with_wildcard",
            "test_starlette_cors_allow_origin_regex",
            "test_starlette_cors_private_network_access_disallowed",
        ),
    ),
    Difference(
        "public-config-every-response",
        'With `allow_origins=["*"]`, responses to requests without `Origin` get no '
        "`Access-Control-Allow-Origin` but `Vary: Origin`, and responses to CORS requests get "
        "`Vary: Origin` appended too.",
        "A public `*` config (no credentials) sends `Access-Control-Allow-Origin: *` (and "
        "`-Expose-Headers`) on every response, with or without `Origin`, and never adds "
        "`Vary: Origin`.",
        "Fetch's caching advice: with a static `*`, always send it and do not use `Vary` "
        "(behaviour.md B13); fewer cache variants.",
        (
            "test_starlette_cors_allow_all_except_credentials",
            "test_starlette_cors_allow_all_methods",
            "test_starlette_cors_vary_header_is_set_for_non_credentialed_request",
        ),
    ),
    Difference(
        "vary-field-lines",
        "`Vary` is rewritten into one field line with `Origin` last "
        "(`Accept-Encoding, Accept-Language, Origin`).",
        "The app's `Vary` field lines are kept as they are and `Origin` is appended to the first "
        "one, so a client joining the lines reads `Accept-Encoding, Origin, Accept-Language`. "
        "The set of elements is the same.",
        "The middleware touches only what it owns (behaviour.md B28, B30); the order of `Vary` elements "
        "carries no meaning. Compare `Vary` as a set in your own tests.",
        ("test_starlette_cors_vary_header_is_properly_set_for_credentialed_request",),
    ),
    Difference(
        "expose-headers-case",
        "`Access-Control-Expose-Headers` repeats the configured spelling (`X-Status`).",
        "Header names are normalised to lower case (`x-status`).",
        "Header names are case-insensitive; one normal form for config equality and hashing.",
        (
            "test_starlette_cors_allow_all",
            "test_starlette_cors_allow_all_except_credentials",
            "test_difference_no_leak_to_denied_origins",
        ),
    ),
    Difference(
        "no-leak-to-denied-origins",
        "A request from a denied origin still gets `Access-Control-Allow-Credentials: true` and "
        "`Access-Control-Expose-Headers` when they are configured.",
        "A denied origin gets no `Access-Control-*` header at all (only `Vary: Origin`).",
        "Nothing about the policy is disclosed to origins outside it (behaviour.md B14).",
        (
            "test_starlette_cors_allow_origin_regex",
            "test_difference_no_leak_to_denied_origins",
        ),
    ),
    Difference(
        "malformed-origin",
        'The `Origin` value is compared as a string: `allow_origin_regex="https://.*"` accepts '
        "and echoes `https://example.org/` or `https://example.org/x`.",
        "An `Origin` that is not a valid serialized origin (path, trailing slash, upper case, "
        "too long, several lines) is denied and never echoed.",
        "Browsers only send serialized origins; echoing anything else only helps attackers "
        "(behaviour.md B5).",
        ("test_difference_malformed_origin_denied",),
    ),
    Difference(
        "errors-keep-cors-headers",
        "An unhandled exception gives a 500 from `ServerErrorMiddleware` (outside the CORS "
        "middleware) without CORS headers, so the browser reports a CORS error.",
        "The 500 carries the CORS headers the request earned; the exception still propagates to "
        "the server's log.",
        "The page sees the real 500 instead of a misleading CORS error (behaviour.md B31).",
        ("test_difference_errors_keep_cors_headers",),
    ),
    Difference(
        "add-middleware-500-handler",
        "The app's handler for `Exception`/`500` (and the `debug=True` traceback page) answers an "
        "unhandled exception, without CORS headers: `ServerErrorMiddleware` is outside the CORS "
        "middleware.",
        "With `add_middleware`, crossorigin sits inside `ServerErrorMiddleware` and answers the "
        "exception itself (plain-text 500 with CORS headers), so the app's 500 handler and debug "
        "page do not run for it. With `crossorigin.install(app, ...)` they run, and their response "
        "carries the CORS headers. Handlers for `HTTPException` and other classes run on both paths.",
        "Starlette always puts `ServerErrorMiddleware` outermost in `add_middleware`'s stack; only "
        "`install` (which wraps the built stack) can sit outside it.",
        ("test_difference_add_middleware_500_handler",),
    ),
    Difference(
        "add-middleware-invalid-config",
        "Any keyword arguments are accepted.",
        "With `add_middleware`, Starlette builds the middleware on its first ASGI call, the lifespan "
        "start-up: crossorigin then fails the start-up (`lifespan.startup.failed`) with the "
        "`ConfigError` text, so `uvicorn main:app` exits (status 3) printing it. A server without "
        "lifespan answers every request with a 500 whose log line carries the text. `install`, "
        "`config=CORSConfig(...)` and direct wrapping raise at import time.",
        "An exception escaping the lifespan call would make uvicorn's default lifespan mode report "
        "\"lifespan unsupported\" and serve 500s: a server claiming to be up with a broken config.",
        ("test_difference_add_middleware_invalid_config",),
    ),
    Difference(
        "owns-cors-headers",
        "`Access-Control-*` headers set by the app survive on responses the middleware does not "
        "decorate (e.g. for a denied origin).",
        "The middleware owns the `Access-Control-*` response headers, whatever case the app "
        "spells them in: the response carries exactly the ones the policy computed, once each.",
        "One source of truth; a stray `Access-Control-Allow-Origin` from a handler cannot widen "
        "the policy (behaviour.md B29).",
        ("test_difference_owns_cors_headers",),
    ),
    Difference(
        "config-validation",
        "Any value is accepted: a `str` for `allow_origins` becomes substring matching, and "
        "`https://a.example/` (trailing slash), `https://a.example:443`, `https://A.example`, "
        "`null`, forbidden methods (`TRACE`) or headers (`cookie`) are kept and silently never "
        "match (or match too much).",
        "`ConfigError` at construction listing every problem at once, each with a fix.",
        "Misconfiguration is the main source of CORS bugs; fail at start-up, not in production "
        "(behaviour.md B44-B53).",
        ("test_difference_config_validation",),
    ),
    Difference(
        "empty-allow-origins",
        "`CORSMiddleware(app)` with no `allow_origins` (the default `()`) and no regex is "
        "accepted; it allows no origin and only adds `Vary: Origin`.",
        "`ConfigError` (`missing allow_origins`) unless `allow_origin_regex`, "
        "`allow_origin_predicate` or `allow_stored_origins` names where origins come from.",
        "A CORS middleware that can allow nothing is a mistake, usually an unset environment "
        "variable; say so at start-up (behaviour.md B53).",
        ("test_difference_empty_allow_origins",),
    ),
    Difference(
        "insecure-origins-with-credentials",
        "`http://` origins are accepted with `allow_credentials=True`.",
        "`ConfigError` unless `dangerously_allow_insecure_origins=True` (`http://localhost`, "
        "`127.0.0.1`, `[::1]` are fine).",
        "A network attacker can impersonate a plain-http origin and read credentialed responses "
        "(behaviour.md B47).",
        ("test_difference_insecure_origin_with_credentials",),
    ),
    Difference(
        "regex-with-credentials",
        "`allow_origin_regex` skips every credentials rule: with `allow_credentials=True`, "
        "`https://.*`, `https://app.example.com` (unescaped dots), `https://.*example\\.com`, "
        "`http://…` or `https://[a-z0-9-]+\\.github\\.io` are accepted and reflect the "
        "attacker's origin with `Access-Control-Allow-Credentials: true`.",
        "With credentials, the regex is tested at construction against canary origins (random "
        "hosts under `.invalid`, `http://` variants, look-alike and public-suffix neighbours); a "
        "match is a `ConfigError` with the reason, fix and `dangerously_…` option of the "
        "equivalent `allow_origins` entry; unescaped dots get a did-you-mean.",
        "A regex must not be a way around the rules `allow_origins` enforces (docs/config.md).",
        (
            "test_starlette_cors_allow_origin_regex",
            "test_difference_regex_with_credentials",
        ),
    ),
    Difference(
        "backtracking-regex",
        "Any `allow_origin_regex` is accepted; `https://([a-z0-9]+-?)+\\.example\\.com` takes "
        "minutes on a 40-byte origin and blocks the event loop.",
        "`ConfigError` for nested (or three chained) unbounded repetitions that can backtrack "
        "catastrophically, unless `dangerously_allow_backtracking_regex=True`.",
        "One request must not be able to stall the server (docs/config.md).",
        ("test_difference_backtracking_regex",),
    ),
    Difference(
        "max-age-optional",
        "`Access-Control-Max-Age` is always sent (also on failed preflights).",
        "Sent only on successful preflights; `max_age=None` omits it.",
        "A failed preflight must not be cached as a verdict; omitting lets the browser default "
        "(5 s) apply (behaviour.md B22).",
        (
            "test_starlette_cors_disallowed_preflight",
            "test_difference_max_age_none",
        ),
    ),
)

PREFLIGHT_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]
PNA_VARY = [*PREFLIGHT_VARY, "Access-Control-Request-Private-Network"]  # allow_private_network=True
LIST_VALUED = frozenset(
    {
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    }
)

HeaderList = Sequence[tuple[str, str]] | Mapping[str, str]


# --- helpers ------------------------------------------------------------------------------------


def homepage(request: Request) -> PlainTextResponse:
    """Starlette's test endpoint."""
    return PlainTextResponse("Homepage", status_code=200)


def never_called(request: Request) -> Response:
    """An endpoint a preflight must never reach."""
    raise AssertionError("the preflight reached the app")  # pragma: no cover


def cors_app(endpoint: Any = homepage, **cors_kwargs: Any) -> Starlette:
    """A Starlette app with one route ``/`` and crossorigin added in keyword-argument mode."""
    return Starlette(
        routes=[Route("/", endpoint=endpoint)],
        middleware=[Middleware(CORSMiddleware, **cors_kwargs)],
    )


def request(
    app: ASGIApp,
    method: str,
    headers: HeaderList = (),
    *,
    json: Any = None,
    raise_app_exceptions: bool = True,
) -> httpx.Response:
    """Send one request to *app* in-process and return the buffered response."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, "/", headers=headers, json=json)

    return anyio.run(go)


def _canonical(name: str, value: str) -> str:
    if name in LIST_VALUED:  # order inside a list-valued field carries no meaning
        return ",".join(sorted(item.strip() for item in value.split(",")))
    return value


def cors_headers(response: httpx.Response) -> dict[str, str]:
    """The response's ``access-control-*`` headers; fails if one of them appears twice."""
    found: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        lowered = name.lower()
        if lowered.startswith("access-control-"):
            assert lowered not in found, f"two {lowered} field lines"
            found[lowered] = value
    return found


def assert_cors(response: httpx.Response, expected: Mapping[str, str]) -> None:
    """The response holds exactly the *expected* ``access-control-*`` headers and nothing more."""
    actual = {name: _canonical(name, value) for name, value in cors_headers(response).items()}
    assert actual == {name: _canonical(name, value) for name, value in expected.items()}


def vary(response: httpx.Response) -> list[str]:
    """Every ``Vary`` element over all ``Vary`` field lines, in order."""
    return [
        item.strip()
        for line in response.headers.get_list("vary")
        for item in line.split(",")
        if item.strip()
    ]


def assert_vary(response: httpx.Response, expected: Sequence[str]) -> None:
    """``Vary`` holds exactly the *expected* elements, each once, in any order and any lines."""
    assert sorted(vary(response)) == sorted(expected)


def assert_preflight_ok(
    response: httpx.Response, expected: Mapping[str, str], vary: Sequence[str] = PREFLIGHT_VARY
) -> None:
    """A successful preflight: 204, empty body, exactly *expected* CORS headers, preflight Vary."""
    assert response.status_code == 204
    assert response.content == b""
    assert_cors(response, expected)
    assert_vary(response, vary)


def assert_preflight_denied(response: httpx.Response) -> None:
    """A failed preflight: 403, empty body, no CORS header, only the preflight Vary."""
    assert response.status_code == 403
    assert response.content == b""
    assert_cors(response, {})
    assert_vary(response, PREFLIGHT_VARY)


def assert_homepage(response: httpx.Response) -> None:
    """The request reached Starlette's test endpoint."""
    assert response.status_code == 200
    assert response.text == "Homepage"


# --- Starlette's tests, one for one -------------------------------------------------------------


def test_starlette_cors_allow_all() -> None:
    """``["*"]`` + credentials is refused; the same requests work with the origin listed."""
    # DIFFERENCE: wildcard-with-credentials
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(
            Starlette(),
            allow_origins=["*"],
            allow_headers=["*"],
            allow_methods=["*"],
            expose_headers=["X-Status"],
            allow_credentials=True,
        )
    [problem] = caught.value.problems
    assert (problem.field, problem.value, problem.reason) == ("allow_origins", "*", "incompatible")

    app = cors_app(
        allow_origins=["https://example.org"],
        allow_headers=["*"],
        allow_methods=["*"],
        expose_headers=["X-Status"],
        allow_credentials=True,
    )
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Example",
    }
    # DIFFERENCE: preflight-success-status, preflight-allow-methods, preflight-allow-headers,
    # DIFFERENCE: preflight-vary
    assert_preflight_ok(
        request(app, "OPTIONS", preflight),
        {
            "access-control-allow-origin": "https://example.org",
            "access-control-allow-credentials": "true",
            "access-control-allow-headers": "x-example",
            "access-control-max-age": "600",
        },
    )
    # With credentials, ``*`` methods and headers are answered by echoing, Authorization included.
    # DIFFERENCE: preflight-allow-methods, preflight-allow-headers, preflight-success-status
    assert_preflight_ok(
        request(
            app,
            "OPTIONS",
            {
                **preflight,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization,x-b",
            },
        ),
        {
            "access-control-allow-origin": "https://example.org",
            "access-control-allow-credentials": "true",
            "access-control-allow-methods": "PATCH",
            "access-control-allow-headers": "authorization,x-b",
            "access-control-max-age": "600",
        },
    )
    # DIFFERENCE: preflight-allow-headers (Starlette echoes the raw value: 200 "bad header")
    assert_preflight_denied(
        request(app, "OPTIONS", {**preflight, "Access-Control-Request-Headers": "bad header"})
    )
    actual = {
        "access-control-allow-origin": "https://example.org",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-status",  # DIFFERENCE: expose-headers-case
    }
    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_homepage(response)
    assert_cors(response, actual)
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "https://example.org", "Cookie": "star=sugar"})
    assert_homepage(response)
    assert_cors(response, actual)
    assert_vary(response, ["Origin"])

    response = request(app, "GET")
    assert_homepage(response)
    assert_cors(response, {})
    assert_vary(response, ["Origin"])


def test_starlette_cors_allow_all_except_credentials() -> None:
    """A public ``["*"]`` config answers ``*`` everywhere, echoes request headers, no Vary."""
    app = cors_app(
        allow_origins=["*"],
        allow_headers=["*"],
        allow_methods=["*"],
        expose_headers=["X-Status"],
    )
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Example",
    }
    # DIFFERENCE: preflight-success-status, preflight-allow-methods, preflight-allow-headers,
    # DIFFERENCE: preflight-vary (204; no ACAM for GET; lower-cased echo; no PNA in Vary)
    assert_preflight_ok(
        request(app, "OPTIONS", preflight),
        {
            "access-control-allow-origin": "*",
            "access-control-allow-headers": "x-example",
            "access-control-max-age": "600",
        },
    )

    # Without Origin it is no preflight: the router answers 405.
    # DIFFERENCE: public-config-every-response (ACAO * and ACEH, no Vary)
    response = request(app, "OPTIONS", {k: v for k, v in preflight.items() if k != "Origin"})
    assert response.status_code == 405
    public = {"access-control-allow-origin": "*", "access-control-expose-headers": "x-status"}
    assert_cors(response, public)  # DIFFERENCE: expose-headers-case
    assert_vary(response, [])

    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_homepage(response)
    assert_cors(response, public)
    assert_vary(response, [])  # DIFFERENCE: public-config-every-response

    response = request(app, "GET")
    assert_homepage(response)
    assert_cors(response, public)  # DIFFERENCE: public-config-every-response
    assert_vary(response, [])


def test_starlette_cors_allow_specific_origin() -> None:
    """A listed origin is echoed on preflight and actual responses; others get ``Vary`` only."""
    app = cors_app(
        allow_origins=["https://example.org"], allow_headers=["X-Example", "Content-Type"]
    )
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Example, Content-Type",
    }
    # DIFFERENCE: preflight-success-status, preflight-allow-headers, preflight-allow-methods,
    # DIFFERENCE: preflight-vary (the requested names, not the configured list plus
    # safelisted ones; no ACAM for GET)
    assert_preflight_ok(
        request(app, "OPTIONS", preflight),
        {
            "access-control-allow-origin": "https://example.org",
            "access-control-allow-headers": "x-example,content-type",
            "access-control-max-age": "600",
        },
    )

    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_homepage(response)
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})
    assert_vary(response, ["Origin"])

    response = request(app, "GET")
    assert_homepage(response)
    assert_cors(response, {})
    assert_vary(response, ["Origin"])


def test_starlette_cors_disallowed_preflight(caplog: pytest.LogCaptureFixture) -> None:
    """Denied preflights are 403 without CORS headers, logged; a POST preflight needs no listing."""
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    app = cors_app(never_called, allow_origins=["https://example.org"], allow_headers=["X-Example"])
    # DIFFERENCE: preflight-failure, max-age-optional, preflight-vary (403, empty, no headers)
    assert_preflight_denied(
        request(
            app,
            "OPTIONS",
            {
                "Origin": "https://another.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "X-Nope",
            },
        )
    )
    # Starlette's regression test for PR 1199 (several disallowed headers).
    # DIFFERENCE: preflight-failure, preflight-vary
    assert_preflight_denied(
        request(
            app,
            "OPTIONS",
            {
                "Origin": "https://example.org",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "X-Nope-1, X-Nope-2",
            },
        )
    )
    # The reason goes to the log instead of the response body.
    assert [(r.name, r.levelno) for r in caplog.records] == [("crossorigin", logging.DEBUG)] * 2
    assert "reason=" in caplog.records[0].getMessage()

    # Starlette reports "method" disallowed for the POST above; POST never needs listing.
    # DIFFERENCE: safelisted-methods, preflight-success-status, preflight-vary
    assert_preflight_ok(
        request(
            app,
            "OPTIONS",
            {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
        ),
        {"access-control-allow-origin": "https://example.org", "access-control-max-age": "600"},
    )


def test_starlette_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed() -> None:  # fmt: skip
    """``["*"]`` + credentials is refused; a listed origin gets the credentialed preflight."""
    # DIFFERENCE: wildcard-with-credentials
    with pytest.raises(ConfigError):
        CORSMiddleware(
            Starlette(), allow_origins=["*"], allow_methods=["POST"], allow_credentials=True
        )

    app = cors_app(
        never_called,
        allow_origins=["https://example.org"],
        allow_methods=["POST"],
        allow_credentials=True,
    )
    response = request(
        app,
        "OPTIONS",
        {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    # DIFFERENCE: preflight-success-status, preflight-allow-methods, preflight-vary
    assert_preflight_ok(
        response,
        {
            "access-control-allow-origin": "https://example.org",
            "access-control-allow-credentials": "true",
            "access-control-max-age": "600",
        },
    )


@pytest.mark.parametrize(
    ("method", "allow_methods"),
    [
        pytest.param("DELETE", "*", id="DELETE"),
        pytest.param("GET", None, id="GET safelisted"),
        pytest.param("HEAD", None, id="HEAD safelisted"),
        pytest.param("OPTIONS", "*", id="OPTIONS"),
        pytest.param("PATCH", "*", id="PATCH"),
        pytest.param("POST", None, id="POST safelisted"),
        pytest.param("PUT", "*", id="PUT"),
        pytest.param("QUERY", "*", id="QUERY"),
    ],
)
def test_starlette_cors_preflight_allow_all_methods(method: str, allow_methods: str | None) -> None:
    """Methods ``["*"]``, public: ``Allow-Methods: *`` except for safelisted methods."""
    app = cors_app(never_called, allow_origins=["*"], allow_methods=["*"])
    response = request(
        app, "OPTIONS", {"Origin": "https://example.org", "Access-Control-Request-Method": method}
    )
    expected = {"access-control-allow-origin": "*", "access-control-max-age": "600"}
    if allow_methods is not None:
        expected["access-control-allow-methods"] = allow_methods
    # DIFFERENCE: preflight-success-status, preflight-allow-methods, preflight-vary
    assert_preflight_ok(response, expected)


def test_starlette_cors_preflight_rejects_custom_method_with_wildcard() -> None:
    """Methods ``["*"]`` allow an extension method such as ``CUSTOM`` too."""
    app = Starlette(
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])]
    )
    response = request(
        app, "OPTIONS", {"Origin": "https://example.org", "Access-Control-Request-Method": "CUSTOM"}
    )
    # DIFFERENCE: wildcard-methods-means-any, preflight-vary (Starlette: 400, "Disallowed ...")
    assert_preflight_ok(
        response,
        {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "*",
            "access-control-max-age": "600",
        },
    )
    assert "Access-Control-Request-Method" in vary(response)


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("PATCH", id="PATCH with body"),
        pytest.param("POST", id="POST with body"),
        pytest.param("PUT", id="PUT with body"),
        pytest.param("DELETE", id="DELETE"),
        pytest.param("GET", id="GET"),
        pytest.param("HEAD", id="HEAD"),
        pytest.param("OPTIONS", id="OPTIONS without ACRM is no preflight"),
    ],
)
def test_starlette_cors_allow_all_methods(method: str) -> None:
    """Actual requests of every method reach the app and get ``*``; so does ACRM without Origin."""
    app = Starlette(
        routes=[
            Route(
                "/",
                endpoint=homepage,
                methods=["delete", "get", "head", "options", "patch", "post", "put"],
            )
        ],
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])],
    )
    body: dict[str, Any] | None = {} if method in {"PATCH", "POST", "PUT"} else None
    response = request(app, method, {"Origin": "https://example.org"}, json=body)
    assert response.status_code == 200
    assert_cors(response, {"access-control-allow-origin": "*"})
    assert_vary(response, [])  # DIFFERENCE: public-config-every-response (Starlette: Origin)

    response = request(app, "OPTIONS", {"Access-Control-Request-Method": "GET"})
    assert_homepage(response)
    # DIFFERENCE: public-config-every-response (Starlette: no ACAO, Vary: Origin)
    assert_cors(response, {"access-control-allow-origin": "*"})
    assert_vary(response, [])


def test_starlette_cors_allow_origin_regex() -> None:
    """``allow_origin_regex`` with credentials: a regex matching any origin is refused; with the
    trusted origins spelled out, matches are echoed and others get nothing."""
    # DIFFERENCE: regex-with-credentials
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(
            Starlette(),
            allow_headers=["X-Example", "Content-Type"],
            allow_origin_regex="https://.*",
            allow_credentials=True,
        )
    [problem] = caught.value.problems
    assert (problem.field, problem.value, problem.reason) == (
        "allow_origin_regex",
        "https://.*",
        "incompatible",
    )

    app = cors_app(
        allow_headers=["X-Example", "Content-Type"],
        allow_origin_regex=r"https://(example\.org|another\.com)",
        allow_credentials=True,
    )
    credentialed = {
        "access-control-allow-origin": "https://example.org",
        "access-control-allow-credentials": "true",
    }
    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_homepage(response)
    assert_cors(response, credentialed)
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "https://example.org", "Cookie": "star=sugar"})
    assert_homepage(response)
    assert_cors(response, credentialed)
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "http://example.org"})
    assert_homepage(response)
    assert_cors(response, {})  # DIFFERENCE: no-leak-to-denied-origins (Starlette sends ACAC)
    assert_vary(response, ["Origin"])

    preflight = {
        "Origin": "https://another.com",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Example, content-type",
    }
    # DIFFERENCE: preflight-success-status, preflight-allow-headers, preflight-allow-methods,
    # DIFFERENCE: preflight-vary
    assert_preflight_ok(
        request(app, "OPTIONS", preflight),
        {
            "access-control-allow-origin": "https://another.com",
            "access-control-allow-credentials": "true",
            "access-control-allow-headers": "x-example,content-type",
            "access-control-max-age": "600",
        },
    )

    preflight = {
        "Origin": "http://another.com",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Example",
    }
    # DIFFERENCE: preflight-failure, preflight-vary
    assert_preflight_denied(request(app, "OPTIONS", preflight))


def test_starlette_cors_allow_origin_regex_fullmatch() -> None:
    """``allow_origin_regex`` must match the whole origin, not a prefix."""
    app = cors_app(
        allow_headers=["X-Example", "Content-Type"],
        allow_origin_regex=r"https://.*\.example.org",
    )
    response = request(app, "GET", {"Origin": "https://subdomain.example.org"})
    assert_homepage(response)
    assert_cors(response, {"access-control-allow-origin": "https://subdomain.example.org"})
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "https://subdomain.example.org.hacker.com"})
    assert_homepage(response)
    assert_cors(response, {})
    assert_vary(response, ["Origin"])


def test_starlette_cors_vary_header_defaults_to_origin() -> None:
    """An allowed CORS response gets ``Vary: Origin``."""
    app = cors_app(allow_origins=["https://example.org"])
    response = request(app, "GET", {"Origin": "https://example.org"})
    assert response.status_code == 200
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})
    assert_vary(response, ["Origin"])


def vary_endpoint(request: Request) -> PlainTextResponse:
    """An endpoint that sets ``Vary`` on two field lines."""
    response = PlainTextResponse("Homepage", headers={"Vary": "Accept-Encoding"})
    response.headers.append("Vary", "Accept-Language")
    return response


def test_starlette_cors_vary_header_is_set_for_non_credentialed_request() -> None:
    """A public ``["*"]`` config leaves the app's ``Vary`` alone and adds no ``Origin``."""
    app = cors_app(vary_endpoint, allow_origins=["*"])
    response = request(app, "GET", {"Origin": "https://someplace.org"})
    assert response.status_code == 200
    assert_cors(response, {"access-control-allow-origin": "*"})
    # DIFFERENCE: public-config-every-response (Starlette appends Origin)
    assert_vary(response, ["Accept-Encoding", "Accept-Language"])


def test_starlette_cors_vary_header_is_properly_set_for_credentialed_request() -> None:
    """``["*"]`` + credentials is refused; with the origin listed, ``Origin`` is appended."""
    # DIFFERENCE: wildcard-with-credentials
    with pytest.raises(ConfigError):
        CORSMiddleware(Starlette(), allow_origins=["*"], allow_credentials=True)

    app = cors_app(vary_endpoint, allow_origins=["https://someplace.org"], allow_credentials=True)
    response = request(app, "GET", {"Origin": "https://someplace.org"})
    assert response.status_code == 200
    assert_cors(
        response,
        {
            "access-control-allow-origin": "https://someplace.org",
            "access-control-allow-credentials": "true",
        },
    )
    assert_vary(response, ["Accept-Encoding", "Accept-Language", "Origin"])
    # DIFFERENCE: vary-field-lines (Starlette: one line "Accept-Encoding, Accept-Language, Origin")
    assert response.headers.get_list("vary") == ["Accept-Encoding, Origin", "Accept-Language"]


def test_starlette_cors_vary_header_is_properly_set_when_allow_origins_is_not_wildcard() -> None:
    """``Origin`` is appended to the app's own ``Vary``, never replacing it."""

    def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Homepage", headers={"Vary": "Accept-Encoding"})

    app = cors_app(endpoint, allow_origins=["https://example.org"])
    response = request(app, "GET", {"Origin": "https://example.org"})
    assert response.status_code == 200
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})
    assert_vary(response, ["Accept-Encoding", "Origin"])


def test_starlette_cors_allowed_origin_does_not_leak_between_requests() -> None:
    """An origin allowed on one request is not echoed to a different origin afterwards."""
    app = cors_app(allow_origins=["https://example.org"])
    allowed = {"access-control-allow-origin": "https://example.org"}
    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_cors(response, allowed)

    response = request(app, "GET", {"Origin": "https://other.org"})
    assert_cors(response, {})
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_cors(response, allowed)
    assert_vary(response, ["Origin"])


PNA_PREFLIGHT = {
    "Origin": "https://example.org",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Private-Network": "true",
}
NO_PNA_PREFLIGHT = {"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}


def test_starlette_cors_private_network_access_allowed() -> None:
    """PNA is refused with ``["*"]``; with the origin listed the preflight grants it."""
    # DIFFERENCE: wildcard-with-private-network
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(
            Starlette(), allow_origins=["*"], allow_methods=["*"], allow_private_network=True
        )
    [problem] = caught.value.problems
    assert (problem.field, problem.reason) == ("allow_private_network", "incompatible")

    app = cors_app(
        allow_origins=["https://example.org"], allow_methods=["*"], allow_private_network=True
    )
    base = {"access-control-allow-origin": "https://example.org", "access-control-max-age": "600"}
    # DIFFERENCE: preflight-success-status, preflight-allow-methods
    assert_preflight_ok(
        request(app, "OPTIONS", PNA_PREFLIGHT),
        {**base, "access-control-allow-private-network": "true"},
        PNA_VARY,
    )
    assert_preflight_ok(request(app, "OPTIONS", NO_PNA_PREFLIGHT), base, PNA_VARY)

    response = request(app, "GET", PNA_PREFLIGHT)
    assert_homepage(response)
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})
    assert_vary(response, ["Origin"])


def test_starlette_cors_private_network_access_disallowed() -> None:
    """PNA off: a PNA preflight is answered without ``Allow-Private-Network``."""
    app = cors_app(never_called, allow_origins=["*"], allow_methods=["*"])
    public = {"access-control-allow-origin": "*", "access-control-max-age": "600"}
    # DIFFERENCE: preflight-success-status, preflight-allow-methods, preflight-vary
    assert_preflight_ok(request(app, "OPTIONS", NO_PNA_PREFLIGHT), public)
    # DIFFERENCE: private-network-disabled, preflight-success-status (Starlette: 400)
    assert_preflight_ok(request(app, "OPTIONS", PNA_PREFLIGHT), public)


def test_starlette_cors_vary_origin_with_gzip() -> None:
    """Wrapped in ``GZipMiddleware``, the response has every ``Vary`` element exactly once."""

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Homepage", headers={"Vary": "Accept-Language"})

    app = GZipMiddleware(
        CORSMiddleware(
            Starlette(routes=[Route("/", endpoint)]), allow_origins=["https://allowed.example"]
        ),
        minimum_size=0,
    )
    response = request(app, "GET", {"Origin": "https://allowed.example", "Accept-Encoding": "gzip"})
    assert_homepage(response)
    assert response.headers["content-encoding"] == "gzip"
    assert_cors(response, {"access-control-allow-origin": "https://allowed.example"})
    assert_vary(response, ["Accept-Encoding", "Accept-Language", "Origin"])


# --- differences no Starlette test exercises ----------------------------------------------------


@pytest.mark.parametrize(
    "acrh",
    [
        pytest.param("x-example,,", id="trailing empty elements"),
        pytest.param(",x-example", id="leading empty element"),
        pytest.param("X-EXAMPLE ,  x-example", id="upper case, whitespace, duplicate"),
    ],
)
def test_difference_request_headers_parsing(acrh: str) -> None:
    """Empty elements, case, whitespace and duplicates in ACRH do not fail the preflight."""
    app = cors_app(never_called, allow_origins=["https://example.org"], allow_headers=["X-Example"])
    response = request(
        app,
        "OPTIONS",
        {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": acrh,
        },
    )
    assert response.status_code == 204
    assert cors_headers(response)["access-control-allow-origin"] == "https://example.org"
    allowed = {h.strip() for h in cors_headers(response)["access-control-allow-headers"].split(",")}
    assert allowed == {"x-example"}


def test_difference_request_headers_over_budget() -> None:
    """An ACRH far beyond the parsing budget (64 KiB of spaces) fails the preflight fast."""
    app = cors_app(never_called, allow_origins=["https://example.org"], allow_headers=["X-Example"])
    acrh = "x-example," + " " * 65536 + "x-example"
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": acrh,
    }
    assert_preflight_denied(request(app, "OPTIONS", preflight))


def test_difference_preflight_status() -> None:
    """``preflight_status`` sets the status of a successful preflight; the body stays empty."""
    app = cors_app(never_called, allow_origins=["https://example.org"], preflight_status=200)
    response = request(app, "OPTIONS", NO_PNA_PREFLIGHT)
    assert response.status_code == 200
    assert response.content == b""
    assert_cors(
        response,
        {"access-control-allow-origin": "https://example.org", "access-control-max-age": "600"},
    )


def test_difference_no_leak_to_denied_origins() -> None:
    """A denied origin gets neither ``Allow-Credentials`` nor ``Expose-Headers``."""
    app = cors_app(
        allow_origins=["https://example.org"],
        allow_credentials=True,
        expose_headers=["X-Status"],
    )
    response = request(app, "GET", {"Origin": "https://evil.example"})
    assert_homepage(response)
    assert_cors(response, {})
    assert_vary(response, ["Origin"])

    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_cors(
        response,
        {
            "access-control-allow-origin": "https://example.org",
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "x-status",
        },
    )


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://example.org/", id="trailing slash"),
        pytest.param("https://example.org/x", id="path"),
        pytest.param("https://Example.org", id="upper case"),
        pytest.param("https://" + "a" * 400 + ".org", id="longer than any origin"),
        pytest.param(["https://example.org", "https://example.org"], id="two Origin lines"),
    ],
)
def test_difference_malformed_origin_denied(origin: str | list[str]) -> None:
    """An Origin that is not one serialized origin is denied even if the regex matches it."""
    app = cors_app(allow_origin_regex="https://.*")
    lines = [origin] if isinstance(origin, str) else origin
    response = request(app, "GET", [("Origin", line) for line in lines])
    assert_homepage(response)
    assert_cors(response, {})
    assert_vary(response, ["Origin"])


def test_difference_errors_keep_cors_headers() -> None:
    """An unhandled exception still yields a 500 carrying the request's CORS headers."""

    def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    app = cors_app(boom, allow_origins=["https://example.org"])
    response = request(app, "GET", {"Origin": "https://example.org"}, raise_app_exceptions=False)
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})
    assert_vary(response, ["Origin"])
    with pytest.raises(RuntimeError, match="boom"):  # still reaches the server's error log
        request(app, "GET", {"Origin": "https://example.org"})


def test_difference_add_middleware_500_handler() -> None:
    """The app's 500 handler runs behind install, not behind add_middleware."""
    from starlette.responses import JSONResponse

    import crossorigin

    def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    async def handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "boom"}, status_code=500)

    def app(**cors: Any) -> Starlette:
        return Starlette(routes=[Route("/", boom)], exception_handlers={Exception: handler}, **cors)

    headers = {"Origin": "https://example.org"}
    added = app(middleware=[Middleware(CORSMiddleware, allow_origins=["https://example.org"])])
    response = request(added, "GET", headers, raise_app_exceptions=False)
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})

    installed = app()
    crossorigin.install(installed, allow_origins=["https://example.org"])
    response = request(installed, "GET", headers, raise_app_exceptions=False)
    assert (response.status_code, response.json()) == (500, {"error": "boom"})
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})


def test_difference_add_middleware_invalid_config() -> None:
    """The lazily built middleware fails the lifespan start-up with the ConfigError text."""
    app = cors_app(allow_origins=["*"], allow_credentials=True)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(app, {"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    [message] = sent
    assert message["type"] == "lifespan.startup.failed"
    assert message["message"].startswith(
        "crossorigin: refusing to serve: 1 problem in the CORS configuration:\n"
        "  - crossorigin: incompatible allow_origins '*'"
    )


def test_difference_owns_cors_headers() -> None:
    """``Access-Control-*`` headers set by the app are replaced by the policy's own."""

    def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(
            "Homepage",
            headers={
                "Access-Control-Allow-Origin": "https://evil.example",
                "Access-Control-Allow-Credentials": "true",
            },
        )

    app = cors_app(endpoint, allow_origins=["https://example.org"])
    response = request(app, "GET", {"Origin": "https://evil.example"})
    assert_homepage(response)
    assert_cors(response, {})

    response = request(app, "GET", {"Origin": "https://example.org"})
    assert_cors(response, {"access-control-allow-origin": "https://example.org"})


@pytest.mark.parametrize(
    ("regex", "reason"),
    [
        pytest.param(".*", "incompatible", id="any origin"),
        pytest.param("https://app.example.org", "prohibited", id="unescaped dots"),
        pytest.param(r"https://.*example\.org", "prohibited", id="look-alike domains"),
        pytest.param(r"http://app\.example\.org", "prohibited", id="plain http"),
        pytest.param(r"https://[a-z0-9-]+\.github\.io", "prohibited", id="public suffix"),
    ],
)
def test_difference_regex_with_credentials(regex: str, reason: str) -> None:
    """Regexes Starlette accepts with credentials are refused as the equivalent entries are."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(Starlette(), allow_origin_regex=regex, allow_credentials=True)
    [problem] = caught.value.problems
    assert (problem.field, problem.value, problem.reason) == ("allow_origin_regex", regex, reason)
    CORSMiddleware(Starlette(), allow_origin_regex=regex)  # without credentials: as Starlette


def test_difference_backtracking_regex() -> None:
    """A regex that backtracks catastrophically is refused unless explicitly allowed."""
    regex = r"https://([a-z0-9]+-?)+\.example\.org"
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(Starlette(), allow_origin_regex=regex)
    [problem] = caught.value.problems
    assert (problem.field, problem.reason) == ("allow_origin_regex", "prohibited")
    CORSMiddleware(Starlette(), allow_origin_regex=regex, dangerously_allow_backtracking_regex=True)


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        pytest.param(
            {"allow_origins": "https://example.org"}, "allow_origins", "invalid", id="str origins"
        ),
        pytest.param(
            {"allow_origins": ["https://example.org/"]}, "allow_origins", "invalid", id="slash"
        ),
        pytest.param(
            {"allow_origins": ["https://example.org:443"]}, "allow_origins", "invalid", id="port"
        ),
        pytest.param(
            {"allow_origins": ["https://Example.org"]}, "allow_origins", "invalid", id="upper"
        ),
        pytest.param({"allow_origins": ["null"]}, "allow_origins", "prohibited", id="null"),
        pytest.param({"allow_methods": ["TRACE"]}, "allow_methods", "forbidden", id="TRACE"),
        pytest.param({"allow_headers": ["cookie"]}, "allow_headers", "forbidden", id="cookie"),
    ],
)
def test_difference_config_validation(kwargs: dict[str, Any], field: str, reason: str) -> None:
    """Values Starlette silently keeps are one ``ConfigError`` problem naming field and reason."""
    config = {"allow_origins": ["https://ok.example"], **kwargs}
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(Starlette(), **config)
    [problem] = caught.value.problems
    assert problem.reason == reason
    assert problem.message.startswith(f"crossorigin: {reason} {field}")


def test_difference_empty_allow_origins() -> None:
    """Nothing to allow is refused at construction; another source of origins is fine."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(Starlette())
    [problem] = caught.value.problems
    assert (problem.field, problem.reason) == ("allow_origins", "missing")
    CORSMiddleware(Starlette(), allow_origin_regex=r"https://app\.example\.com")


def test_difference_insecure_origin_with_credentials() -> None:
    """``http://`` origins with credentials need ``dangerously_allow_insecure_origins``."""
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(Starlette(), allow_origins=["http://example.org"], allow_credentials=True)
    [problem] = caught.value.problems
    assert problem.reason == "prohibited"
    assert "dangerously_allow_insecure_origins=True" in problem.message

    CORSMiddleware(Starlette(), allow_origins=["http://localhost:3000"], allow_credentials=True)
    CORSMiddleware(
        Starlette(),
        allow_origins=["http://example.org"],
        allow_credentials=True,
        dangerously_allow_insecure_origins=True,
    )


def test_difference_max_age_none() -> None:
    """``max_age=None`` omits ``Access-Control-Max-Age``."""
    app = cors_app(never_called, allow_origins=["https://example.org"], max_age=None)
    assert_preflight_ok(
        request(app, "OPTIONS", NO_PNA_PREFLIGHT),
        {"access-control-allow-origin": "https://example.org"},
    )


def _marks(name: str) -> set[str]:
    """The DIFFERENCES row ids named by ``# DIFFERENCE:`` comments in the test *name*."""
    source = inspect.getsource(globals()[name])
    return {
        token
        for mark in re.findall(r"# DIFFERENCE: ([^(\n]*)", source)
        for token in re.findall(r"[a-z]+(?:-[a-z]+)+", mark)
    }


def test_differences_table_is_pinned() -> None:
    """``DIFFERENCES`` rows and ``# DIFFERENCE:`` marks name each other, both ways."""
    rows = {row.id: row for row in DIFFERENCES}
    assert len(rows) == len(DIFFERENCES)
    for row in DIFFERENCES:
        assert row.tests, row.id
        for name in row.tests:
            assert row.id in _marks(name) or name.startswith("test_difference_"), (row.id, name)
    for name in [name for name in globals() if name.startswith("test_starlette_")]:
        for mark in _marks(name):
            assert mark in rows, (name, mark)
            assert name in rows[mark].tests, (name, mark)


def test_kwargs_mode_matches_starlette_middleware_factory() -> None:
    """``app`` is positional-only, as Starlette's ``_MiddlewareFactory`` protocol requires
    (Litestar's keyword ``app=`` reaches ``**kwargs`` and is taken from there)."""
    # With ``**kwargs`` next to it, a keyword-capable ``app`` conflicts with the protocol's
    # ``(app, /, *args, **kwargs)``: mypy reports arg-type for every add_middleware call.
    parameters = inspect.signature(CORSMiddleware.__init__).parameters
    assert parameters["app"].kind is inspect.Parameter.POSITIONAL_ONLY


def markdown() -> str:
    """The :data:`DIFFERENCES` table as Markdown, for the README's migration section."""
    lines = [
        "| Difference | Starlette `CORSMiddleware` | crossorigin | Why |",
        "| --- | --- | --- | --- |",
    ]
    for row in DIFFERENCES:
        lines.append(f"| `{row.id}` | {row.starlette} | {row.crossorigin} | {row.reason} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
