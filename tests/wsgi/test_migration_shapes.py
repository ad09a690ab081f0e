"""The flask-cors and django-cors-headers failure shapes named in docs/migrating/, against the
WSGI middleware: each must not happen here."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from crossorigin import ConfigError, CORSConfig, RoutePolicies
from crossorigin.wsgi import CORSMiddleware
from tests.conftest import cors_headers
from tests.wsgi.apps import scenario_wsgi_app

ORIGIN = "https://app.example.com"
OPEN = CORSConfig(allow_origins=[ORIGIN], allow_credentials=True)


def get(app: Any, path: str, **headers: str) -> httpx.Response:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://api.test") as client:
        return client.request(headers.pop("method", "GET"), path, headers=headers)


def routed(table: dict[str, CORSConfig | None]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return CORSMiddleware(app, routes=RoutePolicies(table))


def test_log_lines_escape_the_request_path(caplog: pytest.LogCaptureFixture) -> None:
    """CVE-2024-1681 shape: a CR/LF in the path cannot forge a log line."""
    caplog.set_level(logging.DEBUG, logger="crossorigin")
    app = CORSMiddleware(scenario_wsgi_app, config=OPEN)
    get(app, "/data%0D%0AFAKE%20LINE", origin="https://evil.example")
    [record] = [r for r in caplog.records if r.name == "crossorigin"]
    message = record.getMessage()
    assert "\n" not in message
    assert "\r" not in message
    assert r"path='/data\r\nFAKE LINE'" in message


def test_private_network_access_is_off_by_default() -> None:
    """CVE-2024-6221 shape: no Access-Control-Allow-Private-Network unless configured."""
    app = CORSMiddleware(scenario_wsgi_app, config=OPEN)
    response = get(
        app, "/data", method="OPTIONS", origin=ORIGIN,
        **{"access-control-request-method": "GET", "access-control-request-private-network": "true"},
    )  # fmt: skip
    assert response.status_code == 204
    assert "access-control-allow-private-network" not in response.headers
    with pytest.raises(ConfigError):
        CORSConfig(allow_origins=["*"], allow_private_network=True)


def test_route_tables_match_in_order_and_refuse_unreachable_entries() -> None:
    """CVE-2024-6839 shape: no 'longest pattern wins'; a shadowed entry is a ConfigError."""
    with pytest.raises(ConfigError, match="/api/admin/"):
        RoutePolicies([("/api/*", OPEN), ("/api/admin/*", None)])
    app = routed({"/api/admin/*": None, "/api/*": OPEN})
    assert cors_headers(get(app, "/api/admin/users", origin=ORIGIN).headers) == {}
    assert cors_headers(get(app, "/api/items", origin=ORIGIN).headers)["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/API/items", id="CVE-2024-6866 shape: case-sensitive"),
        pytest.param("/public+api/items", id="CVE-2024-6844 shape: + is not a space"),
    ],
)
def test_paths_match_exactly(path: str) -> None:
    app = routed({"/api/*": OPEN, "/public api/*": OPEN})
    assert cors_headers(get(app, path, origin=ORIGIN).headers) == {}


def test_origin_regex_must_match_the_whole_origin() -> None:
    """django-cors-headers' re.match: an unanchored regex also matched longer hosts."""
    config = CORSConfig(allow_origin_regex=r"https://.*\.example\.com", allow_credentials=True)
    app = CORSMiddleware(scenario_wsgi_app, config=config)
    assert "access-control-allow-origin" not in get(app, "/data", origin="https://x.example.com.evil.net").headers
    assert get(app, "/data", origin="https://x.example.com").headers["access-control-allow-origin"] == "https://x.example.com"
