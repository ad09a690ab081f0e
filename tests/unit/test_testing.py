"""crossorigin.testing: the public helpers users put in their own test suites."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

from crossorigin import testing
from crossorigin.testing import (
    Request,
    Response,
    assert_cors_allows,
    assert_cors_blocks,
    browser_verdict,
    preflight_request_headers,
)
from tests.apps import routes, scenario_app

with warnings.catch_warnings():
    # Starlette 1.10 deprecates TestClient over httpx in favour of httpx2; users still have it.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ORIGIN = "https://app.example"
CONFIG = {
    "allow_origins": [ORIGIN],
    "allow_methods": ["PUT"],
    "allow_headers": ["x-foo"],
    "expose_headers": ["x-total"],
}


@pytest.fixture
def client() -> TestClient:
    return TestClient(scenario_app(CONFIG))


def test_public_names() -> None:
    """The module's __all__ is sorted and every name exists."""
    assert testing.__all__ == sorted(testing.__all__)
    assert all(hasattr(testing, name) for name in testing.__all__)


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        pytest.param("GET", {}, None, id="simple GET: none"),
        pytest.param(
            "PUT",
            {"Content-Type": "application/json", "X-Foo": "1"},
            {
                "origin": ORIGIN,
                "accept": "*/*",
                "access-control-request-method": "PUT",
                "access-control-request-headers": "content-type,x-foo",
            },
            id="PUT with JSON and a custom header",
        ),
    ],
)
def test_preflight_request_headers(method: str, headers: dict[str, str], expected: object):
    """The exact headers of the preflight a browser would send, or None."""
    assert preflight_request_headers(ORIGIN, method, headers) == expected


def test_assert_cors_allows_returns_the_verdict(client: TestClient) -> None:
    """An allowed preflighted PUT passes and reports the exposed headers."""
    verdict = assert_cors_allows(
        client, "/data", origin=ORIGIN, method="PUT", headers={"x-foo": "1"}, exposes=["X-Total"]
    )
    assert verdict.exposed_headers == ("content-length", "content-type", "x-total")
    assert verdict.preflight_max_age == 600


def test_assert_cors_allows_explains_a_block(client: TestClient) -> None:
    """A blocked request raises AssertionError walking the steps."""
    with pytest.raises(AssertionError, match=r"(?s)would block.*FAIL  preflight allow-origin"):
        assert_cors_allows(client, "/data", origin=ORIGIN, method="DELETE")


def test_assert_cors_allows_checks_exposure(client: TestClient) -> None:
    """A header the page must read but cannot is an assertion error."""
    with pytest.raises(AssertionError, match="script cannot read x-secret"):
        assert_cors_allows(client, "/data", origin=ORIGIN, exposes=["x-secret"])


@pytest.mark.parametrize(
    ("origin", "method", "credentials"),
    [
        pytest.param("https://evil.example", "GET", False, id="denied origin"),
        pytest.param(ORIGIN, "PATCH", False, id="method not allowed"),
        pytest.param(ORIGIN, "GET", True, id="credentials not allowed"),
        pytest.param(ORIGIN, "TRACE", False, id="forbidden method"),
    ],
)
def test_assert_cors_blocks(client: TestClient, origin: str, method: str, credentials: bool):
    """Blocked requests pass assert_cors_blocks."""
    verdict = assert_cors_blocks(
        client, "/data", origin=origin, method=method, credentials=credentials
    )
    assert not verdict.allowed


def test_assert_cors_blocks_fails_when_allowed(client: TestClient) -> None:
    """An allowed request fails assert_cors_blocks."""
    with pytest.raises(AssertionError, match="would allow"):
        assert_cors_blocks(client, "/data", origin=ORIGIN)


def test_works_with_starlettes_middleware() -> None:
    """The helpers judge any server: Starlette's ['*'] + credentials lets an attacker read."""
    app = Starlette(routes=routes())
    app.add_middleware(StarletteCORSMiddleware, allow_origins=["*"], allow_credentials=True)
    with TestClient(app) as starlette_client:
        assert_cors_allows(starlette_client, "/data", origin="https://evil.example",
                           credentials=True)  # fmt: skip


def test_browser_verdict_accepts_test_responses(client: TestClient) -> None:
    """browser_verdict takes TestClient responses directly."""
    response = client.get("/data", headers={"origin": ORIGIN})
    verdict = browser_verdict(Request(ORIGIN), None, response)
    assert (verdict.allowed, verdict.exposed_headers) == (
        True,
        ("content-length", "content-type", "x-total"),
    )
    assert browser_verdict(Request(ORIGIN), None, Response(200)).allowed is False


# --- async clients ---------------------------------------------------------------------------


@pytest.fixture
def async_client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=scenario_app(CONFIG))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.anyio
async def test_async_allows_and_blocks_match_the_sync_verdicts(
    async_client: httpx.AsyncClient, client: TestClient
) -> None:
    """The async variants send the same requests and reach the same verdicts."""
    from crossorigin.testing import assert_cors_allows_async, assert_cors_blocks_async

    kwargs: dict[str, Any] = {
        "origin": ORIGIN, "method": "PUT", "headers": {"x-foo": "1"}, "exposes": ["x-total"],
    }  # fmt: skip
    async with async_client:
        verdict = await assert_cors_allows_async(async_client, "/data", **kwargs)
        blocked = await assert_cors_blocks_async(async_client, "/data", origin="https://evil.example")
        with pytest.raises(AssertionError, match="a browser would block PUT /data"):
            await assert_cors_allows_async(async_client, "/data", origin="https://evil.example", method="PUT")
    assert verdict == assert_cors_allows(client, "/data", **kwargs)
    assert blocked == assert_cors_blocks(client, "/data", origin="https://evil.example")
    assert "x-total" in verdict.exposed_headers
    assert blocked.failed_step is not None


@pytest.mark.anyio
async def test_sync_helper_with_an_async_client_says_what_to_use(async_client: httpx.AsyncClient) -> None:
    async with async_client:
        with pytest.raises(TypeError, match=r"AsyncClient is an async client: use `await assert_cors_allows_async"):
            assert_cors_allows(async_client, "/data", origin=ORIGIN)  # type: ignore[arg-type]
