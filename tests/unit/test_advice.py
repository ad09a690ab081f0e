"""crossorigin._browser.advice: the fix sentence and config line for each failing step."""

from __future__ import annotations

import pytest

from crossorigin._browser.advice import Fix, config_line, suggest_fix
from crossorigin._browser.fetch import (
    Request,
    RequestRejected,
    Response,
    browser_verdict,
    preflight_for,
)

ORIGIN = "https://app.example"
ACAO = ("access-control-allow-origin", ORIGIN)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(Request(ORIGIN), 'CORSConfig(allow_origins=["https://app.example"])',
                     id="simple GET"),
        pytest.param(Request.build(ORIGIN, "PUT", {"Content-Type": "application/json", "X-B": "1",
                                              "authorization": "t"}, credentials=True),
                     'CORSConfig(allow_origins=["https://app.example"], allow_methods=["PUT"], '
                     'allow_headers=["authorization", "x-b"], allow_credentials=True)',
                     id="method, headers and credentials; content-type never listed"),
        pytest.param(Request.build(ORIGIN, "POST", {"x-a": "1"}),
                     'CORSConfig(allow_origins=["https://app.example"], allow_headers=["x-a"])',
                     id="safelisted method not listed"),
        pytest.param(Request("null"), None, id="null origin cannot be allowed"),
    ],
)  # fmt: skip
def test_config_line(request_: Request, expected: str | None) -> None:
    """The smallest CORSConfig allowing the request."""
    assert config_line(request_, preflight_for(request_)) == expected


def fix_for(request: Request, pre: Response | None, actual: Response | None) -> Fix | None:
    verdict = browser_verdict(request, pre, actual)
    step = verdict.failed_step
    failed = pre if step is not None and step.name.startswith("preflight") else actual
    try:
        preflight = preflight_for(request)
    except RequestRejected:
        preflight = None
    return suggest_fix(request, preflight, verdict, failed)


@pytest.mark.parametrize(
    ("request_", "pre", "actual", "starts"),
    [
        pytest.param(Request(ORIGIN), None, Response(200), "The server does not allow origin",
                     id="no ACAO"),
        pytest.param(Request(ORIGIN, credentials=True), None,
                     Response(200, (("access-control-allow-origin", "*"),)),
                     "'Access-Control-Allow-Origin: *' never works with credentials",
                     id="star with credentials"),
        pytest.param(Request(ORIGIN), None, Response(200, (ACAO, ACAO)),
                     "Two layers set Access-Control-Allow-Origin", id="two ACAO lines"),
        pytest.param(Request(ORIGIN), None,
                     Response(200, (("access-control-allow-origin", ORIGIN + "/"),)),
                     "The server allows 'https://app.example/' instead of", id="trailing slash"),
        pytest.param(Request(ORIGIN, credentials=True), None, Response(200, (ACAO,)),
                     "Send 'Access-Control-Allow-Credentials: true'", id="no ACAC"),
        pytest.param(Request(ORIGIN, "PUT"), Response(403), None, "The preflight got 403",
                     id="refused preflight"),
        pytest.param(Request(ORIGIN, "PUT"), Response(302, (ACAO,)), None,
                     "The preflight was redirected", id="redirected preflight"),
        pytest.param(Request(ORIGIN, "PUT"), Response(405, (ACAO,)), None, "The preflight got 405",
                     id="405 preflight"),
        pytest.param(Request(ORIGIN, "patch"), Response(204, (ACAO, ("access-control-allow-methods",
                     "PATCH"))), None, "The page sends method 'patch'", id="lower-case patch"),
        pytest.param(Request.build(ORIGIN, "GET", {"authorization": "t"}),
                     Response(204, (ACAO, ("access-control-allow-headers", "*"))), None,
                     "List 'authorization' by name", id="authorization under star"),
        pytest.param(Request("null"), None, Response(200), "The page's origin is 'null'",
                     id="null origin"),
        pytest.param(Request(ORIGIN, "TRACE"), None, None, "Change the fetch() call",
                     id="forbidden method"),
    ],
)  # fmt: skip
def test_fix_sentence(
    request_: Request, pre: Response | None, actual: Response | None, starts: str
) -> None:
    """Each failure gets the advice for its cause."""
    fix = fix_for(request_, pre, actual)
    assert fix is not None
    assert fix.summary.startswith(starts)


def test_no_fix_when_allowed() -> None:
    """An allowed request needs no fix."""
    assert fix_for(Request(ORIGIN), None, Response(200, (ACAO,))) is None


def test_fastapi_line() -> None:
    """The FastAPI line wraps the config line in add_middleware."""
    assert Fix("s", "CORSConfig()").fastapi == (
        "app.add_middleware(CORSMiddleware, config=CORSConfig())"
    )
    assert Fix("s", None).fastapi is None
