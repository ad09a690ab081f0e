"""The browser oracle (crossorigin._browser.fetch) against hand-written Fetch-standard cases."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossorigin._browser.fetch import (
    Preflight,
    Request,
    RequestRejected,
    Response,
    browser_verdict,
    cors_check,
    exposed_headers,
    extract_list,
    header_get,
    preflight_for,
)
from crossorigin._browser.fetch_rules import FORBIDDEN_REQUEST, mime_essence
from tests.scenarios import SCENARIOS, Scenario

ORIGIN = "https://app.example"
ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ACAM = "access-control-allow-methods"
ACAH = "access-control-allow-headers"
ACMA = "access-control-max-age"
ACEH = "access-control-expose-headers"
AUTH = {"authorization": "Bearer t"}
OK_ACTUAL = Response(200, ((ACAO, ORIGIN), (ACAC, "true")))


def req(method: str = "GET", headers: Any = (), *, credentials: bool = False, **kw: Any) -> Request:
    return Request.build(ORIGIN, method, headers, credentials=credentials, **kw)


# --- which requests are preflighted, and with which ACRM/ACRH -------------------------------

PREFLIGHT_ROWS = [
    pytest.param("GET", {}, None, id="simple GET"),
    pytest.param("HEAD", {}, None, id="simple HEAD"),
    pytest.param("POST", {"content-type": "application/x-www-form-urlencoded"}, None,
                 id="form POST"),
    pytest.param("POST", {"Content-Type": "multipart/form-data; boundary=x"}, None,
                 id="multipart with parameter"),
    pytest.param("POST", {"content-type": "text/plain;charset=utf-8"}, None,
                 id="text/plain with charset"),
    pytest.param("POST", {"content-type": " Text/Plain "}, None,
                 id="content-type essence is case-insensitive and trimmed"),
    pytest.param("POST", {"content-type": 'text/plain; charset="utf-8"'},
                 ("POST", ("content-type",)), id="quoted parameter has an unsafe byte"),
    pytest.param("POST", {"content-type": "application/json"}, ("POST", ("content-type",)),
                 id="JSON content-type"),
    pytest.param("POST", {"content-type": "text/"}, ("POST", ("content-type",)),
                 id="content-type without subtype"),
    pytest.param("POST", {"content-type": "text/plain" + " " * 120}, ("POST", ("content-type",)),
                 id="content-type longer than 128 bytes"),
    pytest.param("GET", {"accept": "a" * 128}, None, id="accept of exactly 128 bytes"),
    pytest.param("GET", {"accept": "a" * 129}, ("GET", ("accept",)), id="accept of 129 bytes"),
    pytest.param("GET", {"accept": "text/html("}, ("GET", ("accept",)),
                 id="accept with an unsafe byte"),
    pytest.param("GET", {"accept-language": "en-US,en;q=0.9"}, None, id="accept-language"),
    pytest.param("GET", {"accept-language": "en_US"}, ("GET", ("accept-language",)),
                 id="accept-language with underscore"),
    pytest.param("GET", {"content-language": "de-DE"}, None, id="content-language"),
    pytest.param("GET", {"range": "bytes=0-499"}, None, id="range with start and end"),
    pytest.param("GET", {"range": "bytes=500-"}, None, id="range open end"),
    pytest.param("GET", {"range": "bytes=-500"}, ("GET", ("range",)), id="suffix range"),
    pytest.param("GET", {"range": "bytes=0-1,3-4"}, ("GET", ("range",)), id="multiple ranges"),
    pytest.param("GET", {"range": "bytes= 0-1"}, ("GET", ("range",)), id="range whitespace"),
    pytest.param("GET", {"range": "bytes=5-1"}, ("GET", ("range",)), id="range reversed"),
    pytest.param("GET", {"x-foo": "1"}, ("GET", ("x-foo",)), id="custom header"),
    pytest.param("GET", {"X-B": "1", "x-a": "2", "Content-Type": "application/json"},
                 ("GET", ("content-type", "x-a", "x-b")), id="names sorted and lower-cased"),
    pytest.param("GET", [("X-Foo", "1"), ("x-foo", "2")], ("GET", ("x-foo",)),
                 id="duplicate names listed once"),
    pytest.param("PUT", {}, ("PUT", ()), id="PUT without headers"),
    pytest.param("put", {}, ("PUT", ()), id="put is upper-cased"),
    pytest.param("post", {}, None, id="post is upper-cased and safelisted"),
    pytest.param("patch", {}, ("patch", ()), id="patch stays lower-case"),
    pytest.param("PURGE", {}, ("PURGE", ()), id="custom method"),
    pytest.param("GET", {"cookie": "a=1", "Sec-Foo": "1", "proxy-x": "1", "origin": "x"}, None,
                 id="forbidden headers are dropped"),
    pytest.param("GET", {"x-http-method-override": "TRACE"}, None,
                 id="method override with forbidden method is dropped"),
    pytest.param("GET", {"x-http-method-override": "PATCH"},
                 ("GET", ("x-http-method-override",)), id="method override with allowed method"),
    pytest.param("GET", [("accept", "a" * 60)] * 2, None,
                 id="repeated accept combined within 128 bytes"),
    pytest.param("GET", [("accept", "a" * 128)] * 8 + [("accept-language", "en")],
                 ("GET", ("accept",)), id="repeated accept combined over 128 bytes (Chromium)"),
    pytest.param("GET", {"save-data": "on"}, ("GET", ("save-data",)),
                 id="client hints are not safelisted by the standard"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "headers", "expected"), PREFLIGHT_ROWS)
def test_preflight_for(method: str, headers: Any, expected: tuple[str, tuple[str, ...]] | None):
    """A preflight is sent exactly for unsafe methods or headers, with the spec's ACRM/ACRH."""
    preflight = preflight_for(req(method, headers))
    actual = None if preflight is None else (preflight.method, preflight.header_names)
    assert actual == expected


def test_use_cors_preflight_flag_forces_a_preflight() -> None:
    """The use-CORS-preflight flag preflights even a safelisted method."""
    assert preflight_for(req("POST", use_cors_preflight=True)) == Preflight("POST", ())


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("CONNECT", id="CONNECT"),
        pytest.param("trace", id="lower-case trace"),
        pytest.param("Track", id="mixed-case Track"),
        pytest.param("GE T", id="not a token"),
        pytest.param("", id="empty"),
    ],
)
def test_fetch_throws_for_forbidden_or_invalid_methods(method: str) -> None:
    """fetch() throws before sending: the verdict fails at the 'request' step."""
    with pytest.raises(RequestRejected):
        preflight_for(req(method))
    verdict = browser_verdict(req(method), None, None)
    assert (verdict.allowed, verdict.failed_step and verdict.failed_step.name) == (
        False,
        "request",
    )


def test_preflight_request_headers_are_exact() -> None:
    """Accept */*, ACRM, and ACRH joined by ',' without spaces."""
    preflight = preflight_for(req("PUT", {"X-B": "1", "x-a": "2"}))
    assert preflight is not None
    assert preflight.headers == (
        ("accept", "*/*"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "x-a,x-b"),
    )


def test_no_acrh_without_unsafe_headers() -> None:
    """A preflight for a method alone carries no Access-Control-Request-Headers."""
    preflight = preflight_for(req("DELETE"))
    assert preflight is not None
    assert preflight.headers == (("accept", "*/*"), ("access-control-request-method", "DELETE"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("text/plain", "text/plain", id="plain"),
        pytest.param("TEXT/Plain;x=1", "text/plain", id="upper-case with parameter"),
        pytest.param("text/plain ;", "text/plain", id="space before semicolon"),
        pytest.param("text", None, id="no slash"),
        pytest.param("/plain", None, id="empty type"),
        pytest.param("te xt/plain", None, id="space in type"),
    ],
)
def test_mime_essence(value: str, expected: str | None) -> None:
    """parse a MIME type: the essence, or None when it fails."""
    assert mime_essence(value) == expected


# --- header list parsing --------------------------------------------------------------------


def test_get_joins_repeated_lines() -> None:
    """Fetch's 'get' joins lines with ', ' and is case-insensitive on names."""
    headers = (("ACAO", "a"), ("x", "y"), ("acao", "b"))
    assert (header_get(headers, "acao"), header_get(headers, "missing")) == ("a, b", None)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([], None, id="absent"),
        pytest.param(["PUT"], ["PUT"], id="one"),
        pytest.param(["GET , PUT"], ["GET", "PUT"], id="spaces around commas"),
        pytest.param(["GET", "PUT"], ["GET", "PUT"], id="two lines"),
        pytest.param([",PUT,,"], ["PUT"], id="empty elements"),
        pytest.param([""], [], id="empty value"),
        pytest.param(["*"], ["*"], id="star"),
    ],
)
def test_extract_list(lines: list[str], expected: list[str] | None) -> None:
    """extract header list values: concatenated, trimmed, empty elements skipped."""
    assert extract_list(tuple((ACAM, v) for v in lines), ACAM) == expected


@pytest.mark.parametrize("value", [pytest.param("PU T", id="inner space"),
                                   pytest.param("PUT;", id="semicolon"),
                                   pytest.param('"PUT"', id="quoted")])  # fmt: skip
def test_extract_list_failure(value: str) -> None:
    """A non-token element is a parse failure."""
    with pytest.raises(ValueError, match="PU"):
        extract_list(((ACAM, value),), ACAM)


# --- the CORS check -------------------------------------------------------------------------

CORS_CHECK_ROWS = [
    pytest.param(ORIGIN, False, [(ACAO, "*")], None, id="star without credentials"),
    pytest.param(ORIGIN, True, [(ACAO, "*"), (ACAC, "true")], "allow-origin",
                 id="star with credentials"),
    pytest.param(ORIGIN, False, [(ACAO, ORIGIN)], None, id="exact origin"),
    pytest.param(ORIGIN, False, [], "allow-origin", id="missing"),
    pytest.param(ORIGIN, False, [(ACAO, ORIGIN), (ACAO, ORIGIN)], "allow-origin",
                 id="two identical lines"),
    pytest.param(ORIGIN, False, [(ACAO, f"{ORIGIN}, https://b.example")], "allow-origin",
                 id="comma-separated list"),
    pytest.param(ORIGIN, False, [(ACAO, ORIGIN + "/")], "allow-origin", id="trailing slash"),
    pytest.param(ORIGIN, False, [(ACAO, "https://App.example")], "allow-origin",
                 id="different case"),
    pytest.param(ORIGIN, False, [(ACAO, "https://app.example:443")], "allow-origin",
                 id="default port spelled out"),
    pytest.param("null", False, [(ACAO, "null")], None, id="null matches null"),
    pytest.param(ORIGIN, True, [(ACAO, ORIGIN), (ACAC, "true")], None,
                 id="credentials with true"),
    pytest.param(ORIGIN, True, [(ACAO, ORIGIN), (ACAC, "True")], "allow-credentials",
                 id="credentials with True"),
    pytest.param(ORIGIN, True, [(ACAO, ORIGIN)], "allow-credentials",
                 id="credentials without ACAC"),
    pytest.param(ORIGIN, True, [(ACAO, ORIGIN), (ACAC, "true"), (ACAC, "true")],
                 "allow-credentials", id="two ACAC lines"),
    pytest.param(ORIGIN, False, [(ACAO, ORIGIN), (ACAC, "false")], None,
                 id="ACAC ignored without credentials"),
]  # fmt: skip


@pytest.mark.parametrize(("origin", "credentials", "headers", "failed"), CORS_CHECK_ROWS)
def test_cors_check(origin: str, credentials: bool, headers: list[Any], failed: str | None):
    """The CORS check: one ACAO value, byte-exact, '*' only without credentials, ACAC 'true'."""
    request = Request(origin, credentials=credentials)
    steps = cors_check(request, Response(200, tuple(headers)))
    failing = [s.name for s in steps if not s.passed]
    assert failing == ([] if failed is None else [failed])


# --- the preflight check --------------------------------------------------------------------


def preflight_response(status: int = 204, *extra: tuple[str, str], origin: str = ORIGIN):
    return Response(status, ((ACAO, origin), (ACAC, "true"), *extra))


PREFLIGHT_CHECK_ROWS = [
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "PUT")), None, id="204"),
    pytest.param(req("PUT"), preflight_response(200, (ACAM, "PUT")), None, id="200"),
    pytest.param(req("PUT"), preflight_response(299, (ACAM, "PUT")), None, id="299"),
    pytest.param(req("PUT"), preflight_response(301, (ACAM, "PUT")), "preflight status",
                 id="redirect"),
    pytest.param(req("PUT"), Response(403), "preflight allow-origin",
                 id="403 without CORS headers fails the CORS check first"),
    pytest.param(req("PUT"), preflight_response(403), "preflight status", id="403"),
    pytest.param(req("PUT"), preflight_response(405, (ACAM, "PUT")), "preflight status",
                 id="405 with headers"),
    pytest.param(req("PUT"), Response(204, ((ACAM, "PUT"),)), "preflight allow-origin",
                 id="no ACAO"),
    pytest.param(req("PUT", credentials=True), Response(204, ((ACAO, ORIGIN), (ACAM, "PUT"))),
                 "preflight allow-credentials", id="credentialed without ACAC"),
    pytest.param(req("PUT"), preflight_response(), "preflight allow-methods", id="no ACAM"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "GET, POST")),
                 "preflight allow-methods", id="method not listed"),
    pytest.param(req("patch"), preflight_response(204, (ACAM, "PATCH")),
                 "preflight allow-methods", id="patch is not PATCH"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "put")), "preflight allow-methods",
                 id="put listed lower-case"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "GET"), (ACAM, "PUT")), None,
                 id="ACAM on two lines"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "*")), None,
                 id="star method without credentials"),
    pytest.param(req("PUT", credentials=True), preflight_response(204, (ACAM, "*")),
                 "preflight allow-methods", id="star method with credentials"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "PU T")), "preflight allow-methods",
                 id="invalid ACAM"),
    pytest.param(req("POST", use_cors_preflight=True), preflight_response(), None,
                 id="safelisted method needs no ACAM"),
    # Fetch step 7.4: no ACAM at all means "the request's own method" when the
    # use-CORS-preflight flag is set, so a 2xx without ACAM lets any method through...
    pytest.param(req("DELETE", use_cors_preflight=True), preflight_response(), None,
                 id="no ACAM with use-CORS-preflight allows the requested method"),
    # ... which is why a debug answer to a refused method lists the configured ones.
    pytest.param(req("DELETE", use_cors_preflight=True), preflight_response(204, (ACAM, "PUT")),
                 "preflight allow-methods", id="debug refusal: configured ACAM, use-CORS-preflight"),
    pytest.param(req("DELETE"), preflight_response(204, (ACAM, "PUT")),
                 "preflight allow-methods", id="debug refusal: configured ACAM, no flag"),
    pytest.param(req("GET", {"x-foo": "1"}), preflight_response(204, (ACAH, "X-Foo")), None,
                 id="ACAH matched without case"),
    pytest.param(req("GET", {"x-foo": "1"}), preflight_response(), "preflight allow-headers",
                 id="no ACAH"),
    pytest.param(req("GET", {"x-foo": "1", "x-bar": "1"}), preflight_response(204, (ACAH, "x-foo")),
                 "preflight allow-headers", id="one header missing"),
    pytest.param(req("GET", {"x-foo": "1"}), preflight_response(204, (ACAH, "*")), None,
                 id="star headers without credentials"),
    pytest.param(req("GET", {"x-foo": "1"}, credentials=True),
                 preflight_response(204, (ACAH, "*")), "preflight allow-headers",
                 id="star headers with credentials"),
    pytest.param(req("GET", {"x-foo": "1"}), preflight_response(204, (ACAH, "x foo")),
                 "preflight allow-headers", id="invalid ACAH"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "PUT"), (ACAH, "a b")),
                 "preflight allow-headers", id="invalid ACAH fails without request headers"),
    pytest.param(req("GET", {"content-type": "application/json"}),
                 preflight_response(204, (ACAH, "content-type")), None, id="JSON content-type"),
    pytest.param(req("GET", AUTH), preflight_response(204, (ACAH, "Authorization")), None,
                 id="authorization listed"),
    pytest.param(req("GET", AUTH), preflight_response(204, (ACAH, "*")),
                 "preflight authorization", id="star never covers authorization"),
    pytest.param(req("GET", AUTH), preflight_response(204, (ACAH, "*,authorization")), None,
                 id="star plus authorization"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "response", "failed"), PREFLIGHT_CHECK_ROWS)
def test_preflight_check(request_: Request, response: Response, failed: str | None) -> None:
    """The preflight check (spec mode): first failing step, or allowed."""
    verdict = browser_verdict(request_, response, OK_ACTUAL)
    assert (verdict.failed_step.name if verdict.failed_step else None) == failed
    assert verdict.allowed is (failed is None)


@pytest.mark.parametrize("use_cors_preflight", [False, True], ids=["no flag", "use-CORS-preflight"])
@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "credentialed"])
@pytest.mark.parametrize(
    ("allow_methods", "method"),
    [
        pytest.param(["PUT"], "DELETE", id="PUT configured, DELETE asked"),
        pytest.param(["PUT", "PATCH"], "patch", id="PATCH configured, patch asked"),
        pytest.param(["GET"], "PUT", id="default methods, PUT asked"),
    ],
)
def test_debug_refusal_of_a_method_is_refused_by_the_browser_model(
    allow_methods: list[str], method: str, credentials: bool, use_cors_preflight: bool
) -> None:
    """The middleware's debug answer to a method outside the config (2xx, so the console can
    name the method) must still fail the browser's method check, with or without the
    use-CORS-preflight flag: it lists the configured methods in ACAM."""
    from crossorigin import CORSConfig
    from crossorigin._policy.policy import METHOD_NOT_ALLOWED, Policy

    config = CORSConfig(
        allow_origins=[ORIGIN],
        allow_methods=allow_methods,
        allow_credentials=credentials,
        debug=True,
    )
    status, headers, reason = Policy(config).preflight(
        ORIGIN.encode(), True, "allowed", method.encode(), [], False
    )
    assert (status, reason) == (204, METHOD_NOT_ALLOWED)
    answer = Response(status, tuple((n.decode(), v.decode()) for n, v in headers))
    request = req(method, credentials=credentials, use_cors_preflight=use_cors_preflight)
    verdict = browser_verdict(request, answer, OK_ACTUAL)
    assert verdict.failed_step is not None
    assert (verdict.allowed, verdict.failed_step.name) == (False, "preflight allow-methods")


@pytest.mark.parametrize(
    ("credentials", "chromium", "allowed"),
    [
        pytest.param(False, False, False, id="spec: star does not cover authorization"),
        pytest.param(False, True, True, id="chromium: star covers authorization"),
        pytest.param(True, True, False, id="chromium with credentials: star is literal"),
    ],
)
def test_authorization_wildcard_flag(credentials: bool, chromium: bool, allowed: bool) -> None:
    """authorization_covered_by_wildcard models Chromium 156; the default is the spec."""
    request = req("GET", {"authorization": "t"}, credentials=credentials)
    verdict = browser_verdict(
        request,
        preflight_response(204, (ACAH, "*")),
        OK_ACTUAL,
        authorization_covered_by_wildcard=chromium,
    )
    assert verdict.allowed is allowed


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([], 5, id="absent: 5 s"),
        pytest.param(["600"], 600, id="600"),
        pytest.param(["0"], 0, id="zero"),
        pytest.param(["-1"], 5, id="negative is invalid"),
        pytest.param(["1.5"], 5, id="fraction is invalid"),
        pytest.param(["600", "600"], 5, id="two lines are invalid"),
    ],
)
def test_max_age(lines: list[str], expected: int) -> None:
    """Access-Control-Max-Age: delta-seconds, otherwise the 5-second default."""
    response = preflight_response(204, (ACAM, "PUT"), *((ACMA, v) for v in lines))
    assert browser_verdict(req("PUT"), response, OK_ACTUAL).preflight_max_age == expected


# --- exposure -------------------------------------------------------------------------------

BASE = ((ACAO, "*"), ("content-type", "a/b"), ("cache-control", "no"), ("x-total", "1"),
        ("set-cookie", "a=1"), ("date", "now"))  # fmt: skip


@pytest.mark.parametrize(
    ("credentials", "aceh", "expected"),
    [
        pytest.param(False, [], ("cache-control", "content-type"), id="safelisted only"),
        pytest.param(False, ["X-Total"], ("cache-control", "content-type", "x-total"),
                     id="listed without case"),
        pytest.param(False, ["*"],
                     ("access-control-allow-origin", "access-control-expose-headers",
                      "cache-control", "content-type", "date", "x-total"),
                     id="star exposes all but set-cookie"),
        pytest.param(True, ["*"], ("cache-control", "content-type"),
                     id="star is literal with credentials"),
        pytest.param(False, ["set-cookie"], ("cache-control", "content-type"),
                     id="set-cookie never exposed"),
        pytest.param(False, ["x total"], ("cache-control", "content-type"),
                     id="invalid list exposes only safelisted"),
    ],
)  # fmt: skip
def test_exposed_headers(credentials: bool, aceh: list[str], expected: tuple[str, ...]):
    """Safelisted response headers plus Access-Control-Expose-Headers, minus Set-Cookie."""
    response = Response(200, BASE + tuple((ACEH, v) for v in aceh))
    assert exposed_headers(Request(ORIGIN, credentials=credentials), response) == expected


# --- verdict shape --------------------------------------------------------------------------


def test_full_walk_step_names() -> None:
    """An allowed credentialed preflighted request walks every step in order."""
    request = req("PUT", {"x-foo": "1"}, credentials=True)
    pre = preflight_response(204, (ACAM, "PUT"), (ACAH, "x-foo"), (ACMA, "600"))
    verdict = browser_verdict(request, pre, OK_ACTUAL)
    assert [s.name for s in verdict.steps] == [
        "preflight needed", "preflight allow-origin", "preflight allow-credentials",
        "preflight status", "preflight allow-methods", "preflight allow-headers",
        "preflight max-age", "allow-origin", "allow-credentials", "exposed headers",
    ]  # fmt: skip
    assert (verdict.allowed, verdict.failed_step, verdict.preflight_max_age) == (True, None, 600)
    assert all(s.spec.startswith("https://fetch.spec.whatwg.org/#") for s in verdict.steps)


def test_missing_responses_are_errors() -> None:
    """A needed preflight or actual response must be given."""
    with pytest.raises(ValueError, match="preflight"):
        browser_verdict(req("PUT"), None, OK_ACTUAL)
    with pytest.raises(ValueError, match="actual"):
        browser_verdict(req("GET"), None, None)


def test_preflight_given_but_not_needed_is_ignored() -> None:
    """A simple request ignores a preflight response."""
    verdict = browser_verdict(req("GET"), Response(500), OK_ACTUAL)
    assert verdict.allowed
    assert [s.name for s in verdict.steps][:2] == ["preflight needed", "allow-origin"]


# --- properties -----------------------------------------------------------------------------

TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789-_", min_size=1,
                max_size=12)  # fmt: skip


def _scriptable(name: str) -> bool:
    return name.lower() not in FORBIDDEN_REQUEST and not name.lower().startswith(("sec-", "proxy-"))


NAMES = st.lists(TOKEN.filter(_scriptable), max_size=6)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "patch", "PURGE"])


@given(method=METHODS, names=NAMES, credentials=st.booleans())
def test_echoing_server_is_always_allowed(method: str, names: list[str], credentials: bool):
    """A server echoing exactly what the preflight asked for is allowed by the browser."""
    request = req(method, [(n, "v") for n in names], credentials=credentials)
    preflight = preflight_for(request)
    pre = None
    if preflight is not None:
        acrh = dict(preflight.headers).get("access-control-request-headers", "")
        safelisted_for_v = {"accept", "accept-language", "content-language"}
        assert acrh == ",".join(sorted({n.lower() for n in names} - safelisted_for_v))
        pre = preflight_response(204, (ACAM, preflight.method), (ACAH, acrh))
    assert browser_verdict(request, pre, OK_ACTUAL).allowed


@given(method=METHODS, names=NAMES, credentials=st.booleans())
def test_no_acao_is_always_blocked(method: str, names: list[str], credentials: bool) -> None:
    """Without Access-Control-Allow-Origin on the actual response nothing is readable."""
    request = req(method, [(n, "v") for n in names], credentials=credentials)
    preflight = preflight_for(request)
    pre = None if preflight is None else preflight_response(204, (ACAM, "*"), (ACAH, "*"))
    verdict = browser_verdict(request, pre, Response(200, (("content-type", "x/y"),)))
    assert not verdict.allowed
    assert verdict.failed_step is not None
    assert verdict.failed_step == verdict.steps[-1]


OWS = st.sampled_from(["", " ", "\t", " \t "])


@given(tokens=st.lists(TOKEN, min_size=1, max_size=8), data=st.data())
def test_extract_list_tolerates_any_whitespace_and_line_split(tokens: list[str], data: Any):
    """Tokens survive any optional whitespace, empty elements and split across lines."""
    parts = [f"{data.draw(OWS)}{t}{data.draw(OWS)}" for t in tokens]
    cut = data.draw(st.integers(0, len(parts)))
    empties = "," * data.draw(st.integers(0, 2))
    lines = [",".join(parts[:cut]) + empties, ",".join(parts[cut:])]
    headers = tuple((ACAH, line) for line in lines if line)
    assert extract_list(headers, ACAH) == tokens


# --- the shared scenario table agrees with the oracle ---------------------------------------


def _materialise(pairs: dict[str, str], origin: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, v.replace("{origin}", origin)) for k, v in pairs.items())


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_scenario_table_agrees_with_oracle(scenario: Scenario) -> None:
    """Each row's expected responses lead _fetch to the row's browser verdict."""
    origin = {"allowed": ORIGIN, "denied": "https://evil.example", "null": "null"}[
        scenario.origin_kind
    ]
    request = Request.build(origin, scenario.method, scenario.request_headers,
                            credentials=scenario.credentials)  # fmt: skip
    preflight = preflight_for(request)
    assert (None if preflight is None else (preflight.method, ",".join(preflight.header_names)
            or None)) == scenario.preflight_request()  # fmt: skip
    pre = scenario.preflight
    act = scenario.actual
    verdict = browser_verdict(
        request,
        None if pre is None else Response(pre.status, _materialise(pre.headers, origin)),
        None if act is None else Response(act.status, _materialise(act.headers, origin)),
    )
    assert verdict.allowed is scenario.browser_allows


# --- Chromium's console wording -------------------------------------------------------------

PRE = "Response to preflight request doesn't pass access control check: "
HINT = (
    " Have the server send the header with a valid value, or, if an opaque response serves "
    "your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
)
MISSING = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
CONSOLE_ROWS = [
    pytest.param(req(), None, Response(200), MISSING, id="no ACAO"),
    pytest.param(req("PUT"), Response(403), None, PRE + MISSING, id="preflight without ACAO"),
    pytest.param(req(credentials=True), None, Response(200, ((ACAO, "*"),)),
                 "The value of the 'Access-Control-Allow-Origin' header in the response must "
                 "not be the wildcard '*' when the request's credentials mode is 'include'.",
                 id="wildcard with credentials"),
    pytest.param(req(), None, Response(200, ((ACAO, ORIGIN), (ACAO, ORIGIN))),
                 f"The 'Access-Control-Allow-Origin' header contains multiple values "
                 f"'{ORIGIN}, {ORIGIN}', but only one is allowed." + HINT, id="two ACAO lines"),
    pytest.param(req(), None, Response(200, ((ACAO, "invalid.origin"),)),
                 "The 'Access-Control-Allow-Origin' header contains the invalid value "
                 "'invalid.origin'." + HINT, id="invalid ACAO"),
    pytest.param(req(), None, Response(200, ((ACAO, ORIGIN + "/"),)),
                 f"The 'Access-Control-Allow-Origin' header has a value '{ORIGIN}/' that is not "
                 "equal to the supplied origin." + HINT, id="trailing slash"),
    pytest.param(req(credentials=True), None, Response(200, ((ACAO, ORIGIN),)),
                 "The value of the 'Access-Control-Allow-Credentials' header in the response is "
                 "'' which must be 'true' when the request's credentials mode is 'include'.",
                 id="ACAC missing"),
    pytest.param(req("PUT"), Response(301, ((ACAO, ORIGIN),)), None,
                 PRE + "Redirect is not allowed for a preflight request.", id="redirect"),
    pytest.param(req("PUT"), Response(405, ((ACAO, ORIGIN),)), None,
                 PRE + "It does not have HTTP ok status.", id="405"),
    pytest.param(req("PUT"), preflight_response(204), None,
                 "Method PUT is not allowed by Access-Control-Allow-Methods in preflight "
                 "response.", id="method"),
    pytest.param(req("PUT"), preflight_response(204, (ACAM, "P T")), None,
                 "Cannot parse Access-Control-Allow-Methods response header field in preflight "
                 "response.", id="unparsable ACAM"),
    pytest.param(req("GET", {"x-foo": "1"}), preflight_response(204), None,
                 "Request header field x-foo is not allowed by Access-Control-Allow-Headers in "
                 "preflight response.", id="header"),
    pytest.param(req("GET", AUTH), preflight_response(204, (ACAH, "*")), None,
                 "Request header field authorization is not allowed by "
                 "Access-Control-Allow-Headers in preflight response.", id="authorization"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "pre", "actual", "console"), CONSOLE_ROWS)
def test_failed_step_carries_chromium_console_text(
    request_: Request, pre: Response | None, actual: Response | None, console: str
) -> None:
    """A failed step holds Chromium's exact console wording for it."""
    verdict = browser_verdict(request_, pre, actual)
    assert verdict.failed_step is not None
    assert verdict.failed_step.console == console
    assert all(step.console == "" for step in verdict.steps if step.passed)
