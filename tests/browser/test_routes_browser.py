"""Route policies (behaviour.md B39-B41) in real browsers: one open and one credentialed path of the same API."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from crossorigin import CORSConfig, CORSMiddleware, RoutePolicies
from tests.apps import data
from tests.browser.conftest import Api, Topology
from tests.browser.engines import Engine
from tests.browser.test_browser import allowed, fetch
from tests.conftest import cors_headers

pytestmark = pytest.mark.browser


def serve_two_paths(api: Api, page: str) -> None:
    app = Starlette(routes=[Route("/open/data", data), Route("/private/data", data)])
    credentialed = CORSConfig(
        allow_origins=[page], allow_credentials=True, expose_headers=["x-total"]
    )
    routes = RoutePolicies([("/private/*", credentialed)], default=CORSConfig(allow_origins=["*"]))
    app.add_middleware(CORSMiddleware, routes=routes)
    api.use_app(app)


@pytest.mark.parametrize(
    ("path", "page", "credentials", "allows", "expected"),
    [
        pytest.param("/open/data", "allowed", False, True, {"access-control-allow-origin": "*"},
                     id="open path, no credentials: allowed with *"),
        pytest.param("/open/data", "denied", False, True, {"access-control-allow-origin": "*"},
                     id="open path from any page: allowed with *"),
        pytest.param("/open/data", "allowed", True, False, {"access-control-allow-origin": "*"},
                     id="open path with credentials: blocked, * never carries cookies"),
        pytest.param("/private/data", "allowed", True, True,
                     {"access-control-allow-origin": "{page}", "access-control-allow-credentials": "true",
                      "access-control-expose-headers": "x-total", "vary": "Origin"},
                     id="credentialed path from its frontend: allowed with the cookie"),
        pytest.param("/private/data", "denied", True, False, {"vary": "Origin"},
                     id="credentialed path from another page: blocked"),
    ],
)  # fmt: skip
def test_open_and_credentialed_paths(
    engine: Engine,
    topology: Topology,
    api: Api,
    token: str,
    path: str,
    page: str,
    credentials: bool,
    allows: bool,
    expected: dict[str, str],
) -> None:
    """Each path of one API answers with its own policy, and the browser agrees."""
    serve_two_paths(api, topology.allowed)
    origin = topology.allowed if page == "allowed" else topology.denied
    url = f"{topology.same_site_api}{path}?u={token}"
    with engine.session(fresh=True) as session:
        (result,) = fetch(
            session,
            origin,
            url,
            credentials=credentials,
            cookie="session=1" if credentials else None,
        )
    assert allowed(result) == allows, result
    (exchange,) = api.seen(token)
    assert exchange.status == 200
    want = {k: v.replace("{page}", origin) for k, v in expected.items()}
    assert cors_headers(exchange.response) == want
    if allows and credentials:
        assert exchange.request.get("cookie") == "session=1"
        assert result["headers"]["x-total"] == "42"
