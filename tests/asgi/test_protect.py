"""Cross-origin write protection (issue 5 item 1): every branch, and proof the route never runs."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._grammar.origins import parse_origin
from crossorigin._types import Scope
from tests.asgi.raw import Effects, http

APP = "https://app.example"
EVIL = "https://evil.example"
BASE: dict[str, Any] = {
    "allow_origins": [APP],
    "protect_writes": True,
    "protection_exempt_paths": ["/hello/", "/webhook"],
}
DENIED_BODY = b"Forbidden: cross-origin request"
DENIED_HEADERS = {"content-type": "text/plain; charset=utf-8", "content-length": "31"}


def sfs(value: str) -> tuple[str, str]:
    return ("sec-fetch-site", value)


def origin(value: str) -> tuple[str, str]:
    return ("origin", value)


# (method, path, headers, host, expected status, reason code)
ROWS = [
    # Safe methods are never checked.
    pytest.param(
        "GET",
        "/t",
        [sfs("cross-site"), origin(EVIL)],
        "api.test",
        200,
        None,
        id="GET cross-site passes",
    ),
    pytest.param(
        "HEAD",
        "/t",
        [sfs("cross-site"), origin(EVIL)],
        "api.test",
        200,
        None,
        id="HEAD cross-site passes",
    ),
    pytest.param(
        "OPTIONS",
        "/t",
        [sfs("cross-site"), origin(EVIL)],
        "api.test",
        200,
        None,
        id="OPTIONS without ACRM goes to the app",
    ),
    # Sec-Fetch-Site first.
    pytest.param(
        "POST",
        "/t",
        [sfs("same-origin"), origin("https://api.test")],
        "api.test",
        200,
        "same_origin",
        id="sfs same-origin passes",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("same-origin"), origin(EVIL)],
        "api.test",
        200,
        "same_origin",
        id="sfs same-origin is trusted over Origin",
    ),
    pytest.param(
        "POST", "/t", [sfs("none")], "api.test", 200, "user_initiated", id="sfs none passes"
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("same-site"), origin(APP)],
        "api.test",
        200,
        "allowed",
        id="sfs same-site from an allowed origin passes",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site"), origin(APP)],
        "api.test",
        200,
        "allowed",
        id="sfs cross-site from an allowed origin passes",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site"), origin(EVIL)],
        "api.test",
        403,
        "cross_site",
        id="sfs cross-site from a disallowed origin is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("same-site"), origin("https://evil.api.test")],
        "api.test",
        403,
        "cross_site",
        id="sfs same-site from a disallowed origin is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site")],
        "api.test",
        403,
        "cross_site",
        id="sfs cross-site without Origin is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site"), origin("null")],
        "api.test",
        403,
        "cross_site",
        id="sfs cross-site from the null origin is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site"), origin("http://api.test")],
        "api.test",
        403,
        "cross_site",
        id="sfs cross-site wins over an Origin matching Host",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("bogus"), origin(EVIL)],
        "api.test",
        403,
        "cross_site",
        id="unknown sfs value is treated as cross-site",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("bogus"), origin(APP)],
        "api.test",
        200,
        "allowed",
        id="unknown sfs value from an allowed origin passes",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("same-origin"), sfs("cross-site"), origin(EVIL)],
        "api.test",
        403,
        "cross_site",
        id="two sfs lines are not same-origin",
    ),
    pytest.param(
        "POST",
        "/t",
        [sfs("cross-site"), origin(APP), origin(APP)],
        "api.test",
        403,
        "cross_site",
        id="sfs cross-site with two Origin lines is refused",
    ),
    # No Sec-Fetch-Site: Origin against Host.
    pytest.param("POST", "/t", [], "api.test", 200, "no_origin", id="no sfs and no Origin passes"),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test")],
        "api.test",
        200,
        "same_origin",
        id="Origin equal to Host passes",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("https://api.test")],
        "api.test",
        200,
        "same_origin",
        id="scheme is not compared with Host",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("https://api.test")],
        "api.test:443",
        200,
        "same_origin",
        id="default port in Host",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test:8080")],
        "api.test:8080",
        200,
        "same_origin",
        id="explicit port in both",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test")],
        "API.Test",
        200,
        "same_origin",
        id="Host compared case-insensitively",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://[::1]:8000")],
        "[::1]:8000",
        200,
        "same_origin",
        id="IPv6 host",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test:8080")],
        "api.test",
        403,
        "cross_origin",
        id="other port is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test")],
        "api.test:8080",
        403,
        "cross_origin",
        id="Host port without Origin port is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test.evil.example")],
        "api.test",
        403,
        "cross_origin",
        id="suffix host is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://evil@api.test")],
        "api.test",
        403,
        "cross_origin",
        id="userinfo in Origin is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test/")],
        "api.test",
        403,
        "cross_origin",
        id="Origin with a path is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test")],
        None,
        403,
        "cross_origin",
        id="no Host line is refused",
    ),
    pytest.param(
        "POST",
        "/t",
        [origin("http://api.test"), origin("http://api.test")],
        "api.test",
        403,
        "cross_origin",
        id="two Origin lines are refused",
    ),
    pytest.param(
        "POST", "/t", [origin(APP)], "api.test", 200, "allowed", id="allowed origin passes"
    ),
    pytest.param(
        "POST",
        "/t",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="disallowed origin is refused",
    ),
    pytest.param(
        "POST", "/t", [origin("null")], "api.test", 403, "cross_origin", id="null origin is refused"
    ),
    # Every non-safe method, whatever its case.
    pytest.param("PUT", "/t", [origin(EVIL)], "api.test", 403, "cross_origin", id="PUT is checked"),
    pytest.param(
        "DELETE", "/t", [origin(EVIL)], "api.test", 403, "cross_origin", id="DELETE is checked"
    ),
    pytest.param(
        "PATCH", "/t", [origin(EVIL)], "api.test", 403, "cross_origin", id="PATCH is checked"
    ),
    pytest.param(
        "post",
        "/t",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="lower-case post is checked",
    ),
    pytest.param(
        "get",
        "/t",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="lower-case get is not a safe method",
    ),
    # Exempt paths are exact (GO-2025-3955).
    pytest.param(
        "POST",
        "/webhook",
        [sfs("cross-site"), origin(EVIL)],
        "api.test",
        200,
        "exempt_path",
        id="exempt path passes",
    ),
    pytest.param(
        "POST",
        "/hello/",
        [origin(EVIL)],
        "api.test",
        200,
        "exempt_path",
        id="exempt path with slash passes",
    ),
    pytest.param(
        "POST",
        "/hello",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="exempt slash path does not cover the path without it",
    ),
    pytest.param(
        "POST",
        "/webhook/",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="exempt path does not cover the path with a slash",
    ),
    pytest.param(
        "POST",
        "/hello/x",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="exempt path does not cover sub-paths",
    ),
    pytest.param(
        "POST",
        "/HELLO/",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="exempt path is case-sensitive",
    ),
    pytest.param(
        "POST",
        "/webhook/../t",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="dot segments are not resolved",
    ),
    pytest.param(
        "POST",
        "//webhook",
        [origin(EVIL)],
        "api.test",
        403,
        "cross_origin",
        id="double slash is not the exempt path",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "headers", "host", "status", "reason"), ROWS)
async def test_write_protection(
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    host: str | None,
    status: int,
    reason: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The row's request gets the row's status; a refused one never reaches the route."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**BASE))
    with caplog.at_level(logging.DEBUG, logger="crossorigin"):
        response = await http(app, method, path, headers, host=host)
    assert response.status == status
    if status == 403:
        assert effects.calls == []
        assert response.body == DENIED_BODY
        assert response.header_dict() == DENIED_HEADERS
        assert f"write-protection denied reason={reason} " in caplog.text
    else:
        assert effects.calls == [(method, path)]


async def _predicate(origin: str, scope: Scope) -> bool:
    return origin == "https://partner.example"


CONFIG_ROWS = [
    pytest.param(
        {"allow_origins": [APP]},
        [sfs("cross-site"), origin(EVIL)],
        200,
        id="off by default: the route runs",
    ),
    pytest.param(
        {"allow_origins": ["*"], "protect_writes": True},
        [sfs("cross-site"), origin(EVIL)],
        403,
        id="'*' trusts no origin for writes",
    ),
    pytest.param(
        {"allow_origins": ["*"], "protect_writes": True},
        [sfs("same-origin")],
        200,
        id="'*' still lets same-origin writes through",
    ),
    pytest.param(
        {"allow_origins": ["https://*.app.example"], "protect_writes": True},
        [sfs("cross-site"), origin("https://eu.app.example")],
        200,
        id="wildcard pattern is trusted",
    ),
    pytest.param(
        {"allow_origin_regex": r"https://(eu|us)\.app\.example", "protect_writes": True},
        [origin("https://us.app.example")],
        200,
        id="regex is trusted",
    ),
    pytest.param(
        {"allow_origin_predicate": _predicate, "protect_writes": True},
        [sfs("cross-site"), origin("https://partner.example")],
        200,
        id="predicate allows",
    ),
    pytest.param(
        {"allow_origin_predicate": _predicate, "protect_writes": True},
        [sfs("cross-site"), origin(EVIL)],
        403,
        id="predicate denies",
    ),
    pytest.param(
        {"protect_writes": True},
        [sfs("cross-site"), origin(APP)],
        403,
        id="protection-only config refuses every cross-site write",
    ),
    pytest.param(
        {"protect_writes": True},
        [origin("http://api.test")],
        200,
        id="protection-only config passes same-origin",
    ),
    pytest.param(
        {"allow_origins": [APP], "protect_websockets": True},
        [sfs("cross-site"), origin(EVIL)],
        200,
        id="websocket protection alone leaves HTTP alone",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("config", "headers", "status"), CONFIG_ROWS)
async def test_write_protection_per_config(
    config: dict[str, Any], headers: list[tuple[str, str]], status: int
) -> None:
    """Which origins a config trusts for writes: its allowed origins, except '*'."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**config))
    response = await http(app, "POST", "/t", headers)
    assert response.status == status
    assert len(effects.calls) == (1 if status == 200 else 0)


PROXY = {"allow_origins": [APP], "protect_writes": True, "public_origin": "https://shop.example"}
PROXY_ROWS = [
    pytest.param("https://shop.example", 200, id="public origin passes"),
    pytest.param("http://backend:8000", 403, id="Host is no longer trusted"),
    pytest.param("http://shop.example", 403, id="scheme is compared with the public origin"),
    pytest.param("https://shop.example:8443", 403, id="port is compared with the public origin"),
    pytest.param(APP, 200, id="allowed origin still passes"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("origin_value", "status"), PROXY_ROWS)
async def test_public_origin_replaces_host(origin_value: str, status: int) -> None:
    """Behind a proxy, Origin is compared with public_origin, not with the rewritten Host."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**PROXY))
    response = await http(app, "POST", "/t", [origin(origin_value)], host="backend:8000")
    assert response.status == status
    assert len(effects.calls) == (1 if status == 200 else 0)


ROOT_ROWS = [
    pytest.param("/api/webhook", 200, id="exempt path below root_path passes"),
    pytest.param("/api/hello", 403, id="root_path does not widen the exemption"),
    pytest.param("/webhook", 200, id="path outside root_path is compared as is"),
    pytest.param("/apiwebhook", 403, id="root_path is a whole segment"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "status"), ROOT_ROWS)
async def test_exempt_paths_as_the_router_sees_them(path: str, status: int) -> None:
    """Exempt paths are compared with the path minus root_path, as Starlette's router does."""
    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**BASE))
    response = await http(app, "POST", path, [origin(EVIL)], root_path="/api")
    assert response.status == status


@pytest.mark.anyio
async def test_refused_write_carries_no_cors_headers() -> None:
    """A refused write gets exactly content-type and content-length: no CORS, no Vary."""
    app = CORSMiddleware(Effects(), config=CORSConfig(allow_origins=["*"], protect_writes=True))
    response = await http(app, "DELETE", "/t", [sfs("cross-site"), origin(EVIL)])
    assert (response.status, response.header_dict()) == (403, DENIED_HEADERS)


@pytest.mark.anyio
async def test_allowed_write_keeps_its_cors_headers() -> None:
    """A write that passes protection gets the usual CORS headers."""
    app = CORSMiddleware(Effects(), config=CORSConfig(**BASE))
    response = await http(app, "POST", "/t", [sfs("cross-site"), origin(APP)])
    headers = response.header_dict()
    assert (response.status, headers["access-control-allow-origin"], headers["vary"]) == (
        200,
        APP,
        "Origin",
    )


def test_origin_parser_rejects_what_go_once_accepted() -> None:
    """The strict parser used for same-origin checks refuses userinfo (golang/go#78563)."""
    assert parse_origin("http://evil@api.test") is None


def _doc_blocks() -> list[str]:
    text = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(_doc_blocks())))
async def test_security_doc_examples_run(index: int) -> None:
    """Every Python example of docs/security.md builds an app that refuses a cross-site POST."""
    app = Starlette(
        routes=[Route("/t", lambda request: PlainTextResponse("done"), methods=["POST"])]
    )
    namespace = {
        "CORSConfig": CORSConfig,
        "CORSMiddleware": CORSMiddleware,
        "app": app,
        "count_decision": lambda decision: None,
    }
    exec(_doc_blocks()[index], namespace)
    response = await http(app, "POST", "/t", [sfs("cross-site"), origin(EVIL)])
    # The first example protects; the shadow example only reports (the route runs).
    assert response.status == (403 if index == 0 else 200)
