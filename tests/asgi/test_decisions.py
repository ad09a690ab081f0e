"""The on_decision hook (issue 5 item 4): one record per decision, never in the way."""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any

import pytest
from starlette.applications import Starlette

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._asgi.decisions import Decision
from crossorigin._types import Scope
from tests.apps import routes
from tests.asgi.raw import Effects, http, scenario_exchange, websocket
from tests.asgi.test_scenarios import ORIGINS, materialize
from tests.scenarios import SCENARIOS, Scenario

APP = "https://app.example"
EVIL = "https://evil.example"
CORS: dict[str, Any] = {"allow_origins": [APP], "allow_methods": ["PUT"]}
PROTECT: dict[str, Any] = {**CORS, "protect_writes": True, "protect_websockets": True}


def d(
    kind: Any, allowed: bool, reason: str, origin: str | None, method: str, path: str = "/t"
) -> Decision:
    return Decision(kind, allowed, reason, origin, method, path)


def preflight(origin: str, method: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("origin", origin), ("access-control-request-method", method), *extra]


HTTP_ROWS = [
    pytest.param(
        CORS, "OPTIONS", preflight(APP, "PUT"),
        [d("preflight", True, "allowed", APP, "PUT")],
        id="preflight allowed",
    ),
    pytest.param(
        CORS, "OPTIONS", preflight(EVIL, "PUT"),
        [d("preflight", False, "origin_not_allowed", EVIL, "PUT")],
        id="preflight from a disallowed origin",
    ),
    pytest.param(
        CORS, "OPTIONS", preflight(APP, "DELETE"),
        [d("preflight", False, "method_not_allowed", APP, "DELETE")],
        id="preflight for a method not allowed",
    ),
    pytest.param(
        CORS, "OPTIONS", preflight(APP, "PUT", ("access-control-request-headers", "x-foo")),
        [d("preflight", False, "header_not_allowed", APP, "PUT")],
        id="preflight for a header not allowed",
    ),
    pytest.param(
        CORS, "OPTIONS",
        [("origin", APP), ("access-control-request-method", "PUT")]
        + [("access-control-request-headers", "x-a")] * 17,
        [d("preflight", False, "acrh_too_large", APP, "PUT")],
        id="preflight with too many ACRH lines",
    ),
    pytest.param(
        CORS, "OPTIONS", [("access-control-request-headers", "x" * 5000)], [],
        id="acrh budget only for preflights: no Origin, no decision",
    ),
    pytest.param(
        CORS, "OPTIONS", [("origin", APP), ("access-control-request-headers", "x" * 5000)],
        [d("actual", True, "allowed", APP, "OPTIONS")],
        id="acrh budget only for preflights: Origin without ACRM is an actual request",
    ),
    pytest.param(
        CORS, "OPTIONS", preflight(APP, "P" * 65),
        [d("preflight", False, "method_invalid", APP, "")],
        id="acrm over its bound is not recorded verbatim",
    ),
    pytest.param(
        CORS, "GET", [("origin", APP)], [d("actual", True, "allowed", APP, "GET")],
        id="actual allowed",
    ),
    pytest.param(
        CORS, "GET", [("origin", EVIL)], [d("actual", False, "origin_not_allowed", EVIL, "GET")],
        id="actual from a disallowed origin",
    ),
    pytest.param(
        CORS, "GET", [("origin", "https://APP.example")],
        [d("actual", False, "origin_invalid", "https://APP.example", "GET")],
        id="actual from a malformed origin",
    ),
    pytest.param(
        CORS, "GET", [("origin", APP), ("origin", APP)],
        [d("actual", False, "origin_multiple", APP, "GET")],
        id="actual with two Origin lines",
    ),
    pytest.param(CORS, "GET", [], [], id="no Origin, no decision"),
    pytest.param(
        {"allow_origins": ["*"]}, "GET", [("origin", EVIL)],
        [d("actual", True, "allowed", EVIL, "GET")],
        id="public config allows every origin",
    ),
    pytest.param(
        CORS, "OPTIONS", [("origin", APP)], [d("actual", True, "allowed", APP, "OPTIONS")],
        id="OPTIONS without ACRM is an actual request",
    ),
    pytest.param(
        PROTECT, "POST", [("sec-fetch-site", "cross-site"), ("origin", EVIL)],
        [d("write-protection", False, "cross_site", EVIL, "POST")],
        id="refused write: one record, no actual",
    ),
    pytest.param(
        PROTECT, "POST", [("sec-fetch-site", "cross-site"), ("origin", APP)],
        [
            d("write-protection", True, "allowed", APP, "POST"),
            d("actual", True, "allowed", APP, "POST"),
        ],
        id="allowed write: protection then CORS",
    ),
    pytest.param(
        PROTECT, "POST", [], [d("write-protection", True, "no_origin", None, "POST")],
        id="write without Origin",
    ),
    pytest.param(
        PROTECT, "GET", [("origin", EVIL)], [d("actual", False, "origin_not_allowed", EVIL, "GET")],
        id="safe methods get no write-protection record",
    ),
    pytest.param(
        CORS, "POST", [("origin", EVIL)], [d("actual", False, "origin_not_allowed", EVIL, "POST")],
        id="protection off: no write-protection record",
    ),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("config", "method", "headers", "records"), HTTP_ROWS)
async def test_http_records(
    config: dict[str, Any], method: str, headers: list[tuple[str, str]], records: list[Decision]
) -> None:
    """The hook receives exactly the row's records, in order."""
    seen: list[Decision] = []
    app = CORSMiddleware(Effects(), config=CORSConfig(**config), on_decision=seen.append)
    await http(app, method, "/t", headers)
    assert seen == records


WS_ROWS = [
    pytest.param(
        [("origin", EVIL)], [d("websocket", False, "cross_origin", EVIL, "GET", "/ws")],
        id="websocket refused",
    ),
    pytest.param(
        [("origin", "http://api.test")],
        [d("websocket", True, "same_origin", "http://api.test", "GET", "/ws")],
        id="websocket same origin",
    ),
    pytest.param(
        [], [d("websocket", True, "no_origin", None, "GET", "/ws")], id="websocket without Origin"
    ),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("headers", "records"), WS_ROWS)
async def test_websocket_records(headers: list[tuple[str, str]], records: list[Decision]) -> None:
    """WebSocket handshakes get one record each."""
    seen: list[Decision] = []
    app = CORSMiddleware(Effects(), config=CORSConfig(**PROTECT), on_decision=seen.append)
    await websocket(app, "/ws", headers)
    assert seen == records


@pytest.mark.anyio
async def test_hook_exceptions_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """A failing hook is logged at ERROR and the request is answered as usual."""

    def broken(decision: Decision) -> None:
        raise RuntimeError("metrics backend down")

    effects = Effects()
    app = CORSMiddleware(effects, config=CORSConfig(**PROTECT), on_decision=broken)
    with caplog.at_level(logging.ERROR, logger="crossorigin"):
        allowed = await http(app, "GET", "/t", [("origin", APP)])
        refused = await http(app, "POST", "/t", [("origin", EVIL)])
    assert (allowed.status, allowed.header_dict()["access-control-allow-origin"]) == (200, APP)
    assert (refused.status, effects.calls) == (403, [("GET", "/t")])
    messages = [r.getMessage() for r in caplog.records if r.name == "crossorigin"]
    assert messages == ["crossorigin: on_decision hook raised; ignored"] * 2


@pytest.mark.anyio
async def test_predicate_runs_once_per_request_with_a_hook() -> None:
    """Observing a decision does not evaluate the active policy a second time."""
    calls: list[str] = []

    def predicate(origin: str, scope: Scope) -> bool:
        calls.append(origin)
        return True

    config = CORSConfig(allow_origin_predicate=predicate)
    app = CORSMiddleware(Effects(), config=config, on_decision=lambda decision: None)
    await http(app, "GET", "/t", [("origin", APP)])
    assert calls == [APP]


def test_no_observer_without_hook_or_shadow() -> None:
    """Without a hook or a shadow the middleware keeps no observer (the zero-cost path)."""
    app = CORSMiddleware(Effects(), config=CORSConfig(**CORS))
    assert app._observer is None


def test_decision_is_frozen() -> None:
    """Records are immutable and hashable, so hooks can keep or count them safely."""
    record = d("actual", True, "allowed", APP, "GET")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.allowed = False  # type: ignore[misc]
    assert hash(record) == hash(d("actual", True, "allowed", APP, "GET"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"on_decision": 42}, "on_decision must be callable, not int", id="hook"),
        pytest.param(
            {"shadow": {"allow_origins": [APP]}},
            "shadow must be a crossorigin.CORSConfig, not dict",
            id="shadow",
        ),
    ],
)
def test_wrong_types_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """A hook that is not callable or a shadow that is not a CORSConfig fails at construction."""
    with pytest.raises(TypeError, match=f"^{message}$"):
        CORSMiddleware(Effects(), config=CORSConfig(**CORS), **kwargs)


class AsyncCallable:
    async def __call__(self, decision: Decision) -> None:
        return None


async def async_hook(decision: Decision) -> None:
    return None


@pytest.mark.parametrize(
    "hook",
    [
        pytest.param(async_hook, id="async def"),
        pytest.param(functools.partial(async_hook), id="partial of an async def"),
        pytest.param(AsyncCallable(), id="object with an async __call__"),
    ],
)
def test_async_decision_hook_refused(hook: Any) -> None:
    """An async on_decision would never be awaited: refused at construction, clearly."""
    with pytest.raises(TypeError) as caught:
        CORSMiddleware(Effects(), config=CORSConfig(**CORS), on_decision=hook)
    assert str(caught.value) == (
        "on_decision must be a plain function, not an async one (it is called inline and never"
        " awaited); hand the decision to your async code yourself, e.g."
        " queue.put_nowait(decision)"
    )


@pytest.mark.anyio
async def test_async_decision_hook_in_disguise_is_closed_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A plain function returning a coroutine passes construction; at run time the coroutine
    is closed (no "never awaited" warning) and the mistake is logged, the request unaffected."""
    created: list[Any] = []

    def disguised(decision: Decision) -> Any:
        coroutine = async_hook(decision)
        created.append(coroutine)
        return coroutine

    app = CORSMiddleware(Effects(), config=CORSConfig(**CORS), on_decision=disguised)
    with caplog.at_level(logging.ERROR, logger="crossorigin"):
        response = await http(app, "GET", "/t", [("origin", APP)])
    assert response.header_dict()["access-control-allow-origin"] == APP
    assert [c.cr_frame for c in created] == [None]  # closed
    messages = [r.getMessage() for r in caplog.records if r.name == "crossorigin"]
    assert messages == ["crossorigin: on_decision returned an awaitable; it was not awaited"]


def observed_app(config: dict[str, Any], **options: Any) -> Starlette:
    app = Starlette(routes=routes())
    app.add_middleware(CORSMiddleware, config=CORSConfig(**config), **options)
    return app


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
async def test_scenarios_unchanged_by_a_hook(scenario: Scenario) -> None:
    """Every scenario row gets byte-identical responses with a hook, one record per request."""
    config = materialize(scenario.config)
    origin = ORIGINS[scenario.origin_kind]
    seen: list[Decision] = []
    plain = await scenario_exchange(observed_app(config), scenario, origin)
    hooked_app = observed_app(config, on_decision=seen.append)
    hooked = await scenario_exchange(hooked_app, scenario, origin)
    assert hooked == plain
    kinds = ["preflight"] * (scenario.preflight is not None) + ["actual"] * (
        scenario.actual is not None
    )
    assert [r.kind for r in seen] == kinds
    assert all(r.origin == origin and not r.shadow for r in seen)


@pytest.mark.anyio
async def test_prometheus_example_counts_decisions() -> None:
    """examples/prometheus_metrics.py turns records into labelled counters, shadow ones too."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "examples" / "prometheus_metrics.py"
    spec = importlib.util.spec_from_file_location("example_prometheus_counts", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await http(module.app, "GET", "/", [("origin", "https://legacy.example.com")])
    await http(module.app, "POST", "/", [("sec-fetch-site", "cross-site"), ("origin", EVIL)])
    text = module.exposition()
    for line in (
        'kind="actual",allowed="true",reason="allowed",shadow="false"} 1.0',
        'kind="actual",allowed="false",reason="origin_not_allowed",shadow="true"} 1.0',
        'kind="write-protection",allowed="false",reason="cross_site",shadow="false"} 1.0',
    ):
        assert line in text
