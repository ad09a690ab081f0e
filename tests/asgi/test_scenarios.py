"""Every row of tests/scenarios.py, in process: exact status and exact CORS header set."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.apps import scenario_app
from tests.conftest import cors_headers
from tests.scenarios import ALLOWED, DENIED, SCENARIOS, Expect, Scenario

ORIGINS = {ALLOWED: "https://app.example", DENIED: "https://evil.example", "null": "null"}
SUBSTITUTIONS = {
    "{allowed}": "https://app.example",
    "{allowed_regex}": r"https://app\.example",
    "{allowed_any_port}": "https://app.example:*",
}


def materialize(config: dict[str, Any]) -> dict[str, Any]:
    """Replace the topology placeholders of a scenario config."""

    def sub(value: Any) -> Any:
        if isinstance(value, str):
            return SUBSTITUTIONS.get(value, value)
        if isinstance(value, list):
            return [sub(v) for v in value]
        return value

    return {key: sub(value) for key, value in config.items()}


def expected(expect: Expect, origin: str) -> dict[str, str]:
    return {k: v.replace("{origin}", origin) for k, v in expect.headers.items()}


async def run(scenario: Scenario) -> None:
    app = scenario_app(materialize(scenario.config))
    origin = ORIGINS[scenario.origin_kind]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        preflight = scenario.preflight_request()
        assert (preflight is not None) == (scenario.preflight is not None), "row/preflight mismatch"
        if preflight is not None and scenario.preflight is not None:
            method, acrh = preflight
            headers = {"origin": origin, "access-control-request-method": method}
            if acrh:
                headers["access-control-request-headers"] = acrh
            response = await client.options(scenario.path, headers=headers)
            assert response.status_code == scenario.preflight.status
            assert cors_headers(response.headers) == expected(scenario.preflight, origin)
            assert response.content == b""
        if scenario.actual is None:
            return
        headers = {"origin": origin, **scenario.request_headers}
        if scenario.credentials:
            headers["cookie"] = "session=1"
        response = await client.request(scenario.method, scenario.path, headers=headers)
        assert response.status_code == scenario.actual.status
        assert cors_headers(response.headers) == expected(scenario.actual, origin)


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
async def test_scenario(scenario: Scenario) -> None:
    """The middleware answers the row's requests with exactly the row's headers."""
    await run(scenario)


def test_scenario_ids_are_readable() -> None:
    """Row ids are short sentences, usable as test ids in every suite."""
    for scenario in SCENARIOS:
        assert re.fullmatch(r"[a-z0-9 ,*_\-]+", scenario.id.lower()), scenario.id
