"""Real-browser conformance: every scenario in Chromium, Firefox ESR and WebKitGTK.

The browser is the only honest judge of CORS headers. Each test opens a page on one origin,
runs ``fetch()`` against the API on another, and asserts three things: the browser's verdict
(the page read the response, or the fetch rejected), what the page could read (status,
exposed headers, body), and exactly what the server received and sent (preflights counted,
every ``access-control-*`` header and ``vary``). For the table rows it also holds the engine
against ``crossorigin._browser.fetch``, the browser side of Fetch written from the standard: given the
exact responses the server sent, the oracle must predict the engine's verdict, the headers
the page could read and (Chromium) the console's wording. The rows of tests/scenarios.py run as they
are; the cases a table row cannot express (caches, redirects, sub-domains, console messages)
follow. Where engines legitimately differ, the expectation is per engine and says why.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from crossorigin._browser.fetch import Request, Response, browser_verdict
from crossorigin._browser.fetch_types import Verdict
from tests.browser.conftest import Api, Exchange, Topology
from tests.browser.engines import Engine
from tests.conftest import cors_headers
from tests.scenarios import ALLOWED, DENIED, NULL, PREFLIGHT_VARY, SCENARIOS, Scenario

pytestmark = pytest.mark.browser

# The page side of every test: one or more fetch() calls, optionally from a sandboxed iframe
# (an opaque origin, so the request carries ``Origin: null``).
FETCH = """async (a) => {
  const call = async (a) => {
    try {
      const init = {method: a.method, headers: a.headers, credentials: a.credentials,
                    signal: AbortSignal.timeout(5000)};
      if (a.body !== null) init.body = a.body;
      const r = await fetch(a.url, init);
      const headers = {};
      r.headers.forEach((v, k) => { headers[k] = v; });
      return {ok: r.ok, status: r.status, headers, body: await r.text()};
    } catch (e) { return {error: String(e)}; }
  };
  if (a.cookie) document.cookie = a.cookie;
  if (!a.sandboxed) {
    const out = [];
    for (let i = 0; i < a.times; i++) out.push(await call(a));
    return out;
  }
  return await new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.sandbox = "allow-scripts";
    window.addEventListener("message", (e) => resolve([JSON.parse(e.data)]), {once: true});
    frame.srcdoc = "<script>(" + call.toString() + ")(" + JSON.stringify(a) +
      ").then((r) => parent.postMessage(JSON.stringify(r), '*'))</" + "script>";
    document.body.appendChild(frame);
  });
}"""

ENGINE_NAMES = ("chromium", "firefox", "webkit")


def fetch(
    session: Any,
    page: str,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    credentials: bool = False,
    cookie: str | None = None,
    sandboxed: bool = False,
    times: int = 1,
) -> list[dict[str, Any]]:
    """Open *page* and fetch *url* from it *times* times; one result dict per fetch."""
    body = None if method.upper() in ("GET", "HEAD") else "x"
    arg = {
        "url": url,
        "method": method,
        "headers": headers or {},
        "credentials": "include" if credentials else "same-origin",
        "body": body,
        "cookie": cookie,
        "sandboxed": sandboxed,
        "times": times,
    }
    results: list[dict[str, Any]] = session.run(page + "/", FETCH, arg)
    return results


def allowed(result: dict[str, Any]) -> bool:
    return "error" not in result


def split(exchanges: list[Exchange]) -> tuple[list[Exchange], list[Exchange]]:
    """(preflights, actual requests)"""
    preflights = [e for e in exchanges if e.is_preflight]
    return preflights, [e for e in exchanges if not e.is_preflight]


# -- the shared scenario table -------------------------------------------------------------


def materialize(config: dict[str, Any], topo: Topology) -> dict[str, Any]:
    """Replace the table's topology placeholders with this suite's page origin."""
    substitutions = {
        "{allowed}": topo.allowed,
        "{allowed_regex}": re.escape(topo.allowed),
        "{allowed_any_port}": "http://localhost:*",
    }

    def sub(value: Any) -> Any:
        if isinstance(value, str):
            return substitutions.get(value, value)
        if isinstance(value, list):
            return [sub(v) for v in value]
        return value

    return {key: sub(value) for key, value in config.items()}


# Console text naming the failure, per engine, for the table's debug rows. WebKit reports no
# reason to WebDriver (and only "TypeError: Load failed" to the page), so its entry is None and
# the test asserts that it indeed said nothing we could read.
DEBUG_CONSOLE: dict[str, dict[str, str | None]] = {
    "debug names a missing method": {
        "chromium": r"Method DELETE is not allowed by Access-Control-Allow-Methods",
        # Firefox names the header that lacks the method, not the method itself.
        "firefox": r"Did not find method in CORS header .Access-Control-Allow-Methods.",
        "webkit": None,
    },
    "debug names a missing header": {
        "chromium": r"Request header field x-bar is not allowed by Access-Control-Allow-Headers",
        "firefox": r"header .x-bar. is not allowed according to header"
        r" .Access-Control-Allow-Headers",
        "webkit": None,
    },
}


def run_row(
    session: Any, topo: Topology, api: Api, token: str, row: Scenario, *, strict: bool = False
) -> dict[str, Any]:
    """Run one table row in *session*; assert the server side and the oracle; return the result.

    The oracle (``crossorigin._browser.fetch``, Fetch's browser side written from the standard) judges
    the exact responses the server sent; it must agree with the engine's verdict and with what
    the page could read. *strict*: the engine enforces that ``*`` never covers Authorization.
    """
    api.configure(materialize(row.config, topo))
    page = {ALLOWED: topo.allowed, DENIED: topo.denied, NULL: topo.allowed}[row.origin_kind]
    origin = "null" if row.origin_kind == NULL else page
    # Credentialed calls go same-site (localhost:P) so the cookie set by the page travels.
    base = topo.same_site_api if row.credentials else topo.cross_site_api
    cookie = f"s{token}=1; path=/" if row.credentials else None
    (result,) = fetch(
        session,
        page,
        f"{base}{row.path}?u={token}",
        method=row.method,
        headers=row.request_headers,
        credentials=row.credentials,
        cookie=cookie,
        sandboxed=row.origin_kind == NULL,
    )

    preflights, actuals = split(api.seen(token))
    if row.preflight is None:
        assert preflights == []
    else:
        (preflight,) = preflights
        method, acrh = row.preflight_request() or ("", None)
        assert preflight.request["origin"] == origin
        assert preflight.request["access-control-request-method"] == method
        assert preflight.request.get("access-control-request-headers") == acrh
        assert preflight.status == row.preflight.status
        assert cors_headers(preflight.response) == expected(row.preflight.headers, origin)
    if row.actual is None:
        assert actuals == []
    else:
        (actual,) = actuals
        assert actual.request["origin"] == origin
        assert actual.status == row.actual.status
        assert cors_headers(actual.response) == expected(row.actual.headers, origin)
        if row.credentials:
            assert f"s{token}=1" in actual.request.get("cookie", "")
    oracle = judge(row, origin, preflights, actuals, strict=strict)
    assert oracle.allowed == allowed(result), (oracle.failed_step, result)
    if allowed(result):
        assert sorted(result["headers"]) == sorted(oracle.exposed_headers), oracle
    elif oracle.failed_step and oracle.failed_step.console and "error" in result:
        CHROMIUM_WORDING[row.id] = oracle.failed_step.console
    return result


# What the oracle says Chromium prints for a blocked row (checked against its console).
CHROMIUM_WORDING: dict[str, str] = {}


def judge(
    row: Scenario,
    origin: str,
    preflights: list[Exchange],
    actuals: list[Exchange],
    *,
    strict: bool,
) -> Verdict:
    """The oracle's verdict on the responses this server really sent."""

    def response(exchanges: list[Exchange]) -> Response | None:
        return (
            Response(exchanges[0].status, tuple(exchanges[0].response.multi_items()))
            if exchanges
            else None
        )

    request = Request.build(origin, row.method, row.request_headers, credentials=row.credentials)
    return browser_verdict(
        request,
        response(preflights),
        response(actuals),
        authorization_covered_by_wildcard=not strict,
    )


def expected(headers: dict[str, str], origin: str) -> dict[str, str]:
    return {k: v.replace("{origin}", origin) for k, v in headers.items()}


def check_readable(row: Scenario, result: dict[str, Any]) -> None:
    """The page sees the real status, and exactly the exposed headers (Fetch main fetch)."""
    assert row.actual is not None
    assert result["status"] == row.actual.status
    if row.path != "/data":
        return
    exposed = row.actual.headers.get("access-control-expose-headers", "")
    names = {name.strip() for name in exposed.split(",") if name.strip()}
    everything = "*" in names and not row.credentials
    assert ("x-total" in result["headers"]) == (everything or "x-total" in names)
    assert ("x-secret" in result["headers"]) == everything
    assert result["headers"]["content-type"] == "application/json"  # safelisted, always
    if row.credentials:
        assert '"cookie":' in result["body"]


@pytest.mark.parametrize("row", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_scenario(
    engine: Engine, topology: Topology, api: Api, token: str, row: Scenario, verdict: Any
) -> None:
    """The browser's verdict and the server's exact headers match the table row."""
    with engine.session(fresh=row.credentials) as session:
        result = run_row(session, topology, api, token, row)
        assert allowed(result) == row.browser_allows, result
        if row.browser_allows:
            check_readable(row, result)
        else:
            assert set(result) == {"error"}
        note = ""
        wording = CHROMIUM_WORDING.pop(row.id, "")
        if engine.name == "chromium" and wording:
            # Compare the first sentence: later ones (hints) change between Chromium releases.
            first = wording.split(". ")[0]
            assert session.wait_console(re.escape(first)), (wording, session.console)
        if row.id in DEBUG_CONSOLE:
            pattern = DEBUG_CONSOLE[row.id][engine.name]
            if pattern is None:
                assert not any("x-bar" in m or "DELETE" in m for m in session.console)
                note = "no reason given"
            else:
                message = session.wait_console(pattern)
                assert message, session.console
                match = re.search(pattern, message)
                assert match
                note = f"console: {match.group(0)}"
        verdict(row.id, engine.name, allowed(result), note)


# -- preflight cache -----------------------------------------------------------------------

MAX_AGE_ROWS = [
    pytest.param(600, "600", id="max_age 600 caches the preflight"),
    pytest.param(0, "0", id="max_age 0 preflights every time"),
]
FETCHES = 5


@pytest.mark.parametrize(("max_age", "header"), MAX_AGE_ROWS)
def test_preflight_cache(
    engine: Engine,
    topology: Topology,
    api: Api,
    token: str,
    max_age: int,
    header: str,
    verdict: Any,
) -> None:
    """Identical PUTs: the preflight is cached under max_age 600, never under max_age 0.

    Only what the server's answer guarantees is asserted, not how many requests an engine
    sends before its preflight cache is filled (Firefox preflights the first two or three of
    these sequential requests, depending on a race inside the engine): under ``max_age`` 600
    there are fewer preflights than requests and the first request is preflighted; under
    ``max_age`` 0 every request is preflighted, right before it. Every preflight gets exactly
    the same headers.
    """
    api.configure(
        {"allow_origins": [topology.allowed], "allow_methods": ["PUT"], "max_age": max_age}
    )
    url = f"{topology.cross_site_api}/data?u={token}"
    with engine.session() as session:
        results = fetch(session, topology.allowed, url, method="PUT", times=FETCHES)
    assert [allowed(r) for r in results] == [True] * FETCHES
    seen = api.seen(token)
    sent, actuals = split(seen)
    # The note states the property, not the count: the count is the engine's race.
    note = f"fewer than {FETCHES} preflights" if max_age else f"{FETCHES} preflights"
    verdict(f"max_age {max_age}: {FETCHES} identical PUTs", engine.name, True, note)
    assert len(actuals) == FETCHES
    assert seen[0].is_preflight
    if max_age:
        assert 1 <= len(sent) < FETCHES
    else:
        assert [e.is_preflight for e in seen] == [True, False] * FETCHES
    for preflight in sent:
        assert preflight.status == 204  # preflight_status defaults to 204
        assert cors_headers(preflight.response) == {
            "access-control-allow-origin": topology.allowed,
            "access-control-allow-methods": "PUT",
            "access-control-max-age": header,
            "vary": PREFLIGHT_VARY,
        }
    for actual in actuals:
        assert actual.method == "PUT"
        assert cors_headers(actual.response) == {
            "access-control-allow-origin": topology.allowed,
            "vary": "Origin",
        }


# -- Vary and the HTTP cache ---------------------------------------------------------------


def test_vary_origin_keeps_cached_response_per_origin(
    engine: Engine, topology: Topology, api: Api, token: str, verdict: Any
) -> None:
    """A response cached for origin A is not reused for origin B (Vary: Origin).

    Without ``Vary: Origin`` Chromium and Firefox serve A's cached answer to B, whose fetch then
    fails the CORS check (observed by breaking the header on purpose); WebKitGTK refetches
    anyway, so there only the server-side assertion catches the missing header.
    """
    api.configure({"allow_origins": [topology.allowed, topology.denied]})
    url = f"{topology.cross_site_api}/cacheable?u={token}"
    with engine.session() as session:
        (first,) = fetch(session, topology.allowed, url)
        (second,) = fetch(session, topology.denied, url)
    verdict("cacheable GET from A then B (Vary)", engine.name, allowed(second))
    assert allowed(first), first
    assert allowed(second), second
    assert first["body"] == f'{{"origin":"{topology.allowed}"}}'
    assert second["body"] == f'{{"origin":"{topology.denied}"}}'
    _, actuals = split(api.seen(token))
    assert [a.request["origin"] for a in actuals] == [topology.allowed, topology.denied]
    for exchange, origin in zip(actuals, [topology.allowed, topology.denied], strict=True):
        assert exchange.status == 200
        assert exchange.response["cache-control"] == "public, max-age=600"
        assert cors_headers(exchange.response) == {
            "access-control-allow-origin": origin,
            "vary": "Origin",
        }


# -- redirects -----------------------------------------------------------------------------

REDIRECT_ROWS = [
    pytest.param("same-origin", "allowed", True, id="same-origin redirect keeps the origin"),
    pytest.param("cross-origin", "allowed", False, id="cross-origin redirect, origin list"),
    pytest.param("cross-origin", "*", True, id="cross-origin redirect, public config"),
]


@pytest.mark.parametrize(("hop", "origins", "allows"), REDIRECT_ROWS)
def test_redirect(
    engine: Engine,
    topology: Topology,
    api: Api,
    token: str,
    hop: str,
    origins: str,
    allows: bool,
    verdict: Any,
) -> None:
    """A 307 carries the CORS headers; after a cross-origin hop the Origin is ``null``.

    Fetch: the CORS check runs on the redirect response too, and a redirect to another origin
    taints the request origin, so the second hop sends ``Origin: null``, which only ``*``
    allows (https://fetch.spec.whatwg.org/#serializing-a-request-origin).
    """
    api.configure({"allow_origins": [topology.allowed if origins == "allowed" else "*"]})
    target_base = topology.cross_site_api if hop == "same-origin" else topology.same_site_api
    target = f"{target_base}/data?u={token}"
    url = f"{topology.cross_site_api}/redirect?u={token}&to={target.replace('&', '%26')}"
    with engine.session(fresh=False) as session:
        (result,) = fetch(session, topology.allowed, url)
    verdict(f"redirect: {hop} hop, allow_origins {origins}", engine.name, allowed(result))
    assert allowed(result) == allows, result
    first, second = api.seen(token)
    assert (first.path, first.status, second.path) == ("/redirect", 307, "/data")
    assert first.request["origin"] == topology.allowed
    hop_origin = topology.allowed if hop == "same-origin" else "null"
    assert second.request["origin"] == hop_origin
    public = {"access-control-allow-origin": "*"}  # the static '*' answer has no Vary
    echoed = {"access-control-allow-origin": topology.allowed, "vary": "Origin"}
    assert cors_headers(first.response) == (public if origins == "*" else echoed)
    if origins == "*":
        assert cors_headers(second.response) == public
    elif hop == "same-origin":
        assert cors_headers(second.response) == echoed
    else:
        assert cors_headers(second.response) == {"vary": "Origin"}  # null is not listed
    if allows:
        assert result["status"] == 200


# -- wildcard sub-domains ------------------------------------------------------------------

SUBDOMAIN_ROWS = [
    pytest.param("app", "page", True, id="subdomain wildcard allows app.localhost"),
    pytest.param("a.b", "page", True, id="subdomain wildcard allows a.b.localhost"),
    pytest.param(None, "page", False, id="subdomain wildcard does not match localhost"),
    pytest.param("app", "other", False, id="subdomain wildcard on another port"),
]


@pytest.mark.parametrize(("label", "server", "allows"), SUBDOMAIN_ROWS)
def test_wildcard_subdomains(
    engine: Engine,
    topology: Topology,
    api: Api,
    token: str,
    label: str | None,
    server: str,
    allows: bool,
    verdict: Any,
) -> None:
    """``http://*.localhost:F`` matches sub-domains of localhost on that port only.

    All three engines resolve ``*.localhost`` to loopback (Chromium and Firefox by rule,
    WebKitGTK through the system resolver here).
    """
    api.configure({"allow_origins": [f"http://*.localhost:{topology.page_port}"]})
    port = topology.page_port if server == "page" else topology.other_port
    page = f"http://{label}.localhost:{port}" if label else f"http://localhost:{port}"
    with engine.session(fresh=False) as session:
        (result,) = fetch(session, page, f"{topology.cross_site_api}/data?u={token}")
    row = f"page http://{label + '.' if label else ''}localhost:{server.upper()}"
    verdict(row, engine.name, allowed(result))
    assert allowed(result) == allows, result
    (actual,) = api.seen(token)
    assert (actual.request["origin"], actual.status) == (page, 200)
    acao = {"access-control-allow-origin": page} if allows else {}
    assert cors_headers(actual.response) == {**acao, "vary": "Origin"}


# -- debug off: the console can only say the preflight failed ------------------------------


def test_without_debug_the_console_names_no_header(
    engine: Engine, topology: Topology, api: Api, token: str, verdict: Any
) -> None:
    """Debug off: a 403 preflight; Chromium/Firefox say only that the preflight failed."""
    api.configure({"allow_origins": [topology.allowed], "allow_headers": ["x-foo"]})
    with engine.session(fresh=False) as session:
        (result,) = fetch(
            session,
            topology.allowed,
            f"{topology.cross_site_api}/data?u={token}",
            headers={"x-bar": "1"},
        )
        verdict("debug off: header not allowed (console)", engine.name, allowed(result))
        assert not allowed(result)
        (preflight,) = split(api.seen(token))[0]
        assert (preflight.status, cors_headers(preflight.response)) == (
            403,
            {"vary": PREFLIGHT_VARY},
        )
        if engine.name == "chromium":
            assert session.wait_console(r"preflight request doesn't pass access control check"), (
                session.console
            )
        elif engine.name == "firefox":
            assert session.wait_console(
                r"CORS preflight response did not succeed|Status code: 403"
            ), session.console
        assert not any("x-bar" in message for message in session.console)


# -- Authorization: crossorigin echoes names, so spec-strict engines pass too ---------------

AUTHORIZATION_ROWS = [s for s in SCENARIOS if "authorization" in s.request_headers]


async def literal_star(scope: Scope, receive: Receive, send: Send) -> None:
    """Not crossorigin: a server answering ``Access-Control-Allow-Headers: *`` literally."""
    headers = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-headers", b"*"),
        (b"access-control-max-age", b"0"),
        (b"content-type", b"text/plain"),
    ]
    status = 204 if scope["method"] == "OPTIONS" else 200
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if status == 204 else b"ok"})


# Fetch step 7.6 says a literal ``*`` never covers Authorization; these engines do not enforce
# it yet (shared/spec/browser-testing.md), spec-strict Firefox does.
LITERAL_STAR_ALLOWS = {"chromium": True, "firefox": True, "webkit": True, "firefox-strict": False}


def literal_star_case(
    session: Any, engine_name: str, topology: Topology, api: Api, token: str
) -> bool:
    api.use_app(literal_star)
    (result,) = fetch(
        session,
        topology.allowed,
        f"{topology.cross_site_api}/data?u={token}",
        headers={"authorization": "Bearer t"},
    )
    preflights, actuals = split(api.seen(token))
    assert preflights[0].request["access-control-request-headers"] == "authorization"
    # The oracle, told which rule this engine follows, predicts its verdict.
    row = Scenario("literal star", {}, request_headers={"authorization": "Bearer t"})
    oracle = judge(
        row, topology.allowed, preflights, actuals, strict=engine_name == "firefox-strict"
    )
    assert oracle.allowed == allowed(result), oracle.failed_step
    return allowed(result)


def test_literal_star_authorization_control(
    engine: Engine, topology: Topology, api: Api, token: str, verdict: Any
) -> None:
    """Control (not crossorigin): what each engine does with a literal ``*`` for Authorization."""
    with engine.session(fresh=False) as session:
        verdict_allowed = literal_star_case(session, engine.name, topology, api, token)
    verdict(
        "control: literal * ACAH with Authorization (not crossorigin)", engine.name, verdict_allowed
    )
    assert verdict_allowed == LITERAL_STAR_ALLOWS[engine.name]


@pytest.mark.parametrize("row", [pytest.param(s, id=s.id) for s in AUTHORIZATION_ROWS])
def test_authorization_in_spec_strict_firefox(
    strict_firefox: Engine, topology: Topology, api: Api, token: str, row: Scenario, verdict: Any
) -> None:
    """Spec-strict Firefox agrees with the table on every Authorization row."""
    with strict_firefox.session() as session:
        result = run_row(session, topology, api, token, row, strict=True)
    verdict(row.id, strict_firefox.name, allowed(result))
    assert allowed(result) == row.browser_allows, result


def test_literal_star_blocked_in_spec_strict_firefox(
    strict_firefox: Engine, topology: Topology, api: Api, token: str, verdict: Any
) -> None:
    """The pref is in force: strict Firefox blocks a literal ``*`` for Authorization."""
    with strict_firefox.session() as session:
        verdict_allowed = literal_star_case(session, strict_firefox.name, topology, api, token)
    verdict(
        "control: literal * ACAH with Authorization (not crossorigin)",
        "firefox-strict",
        verdict_allowed,
    )
    assert verdict_allowed is False
