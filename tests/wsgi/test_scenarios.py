"""Every row of tests/scenarios.py through the WSGI middleware: the same statuses and the exact
same CORS header sets as the ASGI middleware (tests/asgi/test_scenarios.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.asgi.test_scenarios import ORIGINS, expected, materialize
from tests.conftest import cors_headers
from tests.scenarios import SCENARIOS, Scenario
from tests.wsgi.apps import scenario_app


def run(scenario: Scenario) -> None:
    app = scenario_app(materialize(scenario.config))
    origin = ORIGINS[scenario.origin_kind]
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url="http://api.test") as client:
        preflight = scenario.preflight_request()
        assert (preflight is not None) == (scenario.preflight is not None), "row/preflight mismatch"
        if preflight is not None and scenario.preflight is not None:
            method, acrh = preflight
            headers = {"origin": origin, "access-control-request-method": method}
            if acrh:
                headers["access-control-request-headers"] = acrh
            response = client.options(scenario.path, headers=headers)
            assert response.status_code == scenario.preflight.status
            assert cors_headers(response.headers) == expected(scenario.preflight, origin)
            assert response.content == b""
        if scenario.actual is None:
            return
        headers = {"origin": origin, **scenario.request_headers}
        if scenario.credentials:
            headers["cookie"] = "session=1"
        response = client.request(scenario.method, scenario.path, headers=headers)
        assert response.status_code == scenario.actual.status
        assert cors_headers(response.headers) == expected(scenario.actual, origin)


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    """The WSGI middleware answers the row's requests with exactly the row's headers."""
    run(scenario)
