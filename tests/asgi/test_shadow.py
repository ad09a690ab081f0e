"""The shadow policy (issue 5 item 3): reported differences, never a changed response."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._asgi.decisions import Decision, Observer
from tests.asgi.raw import Effects, http, scenario_exchange, websocket
from tests.asgi.test_decisions import observed_app
from tests.asgi.test_scenarios import ORIGINS, materialize
from tests.scenarios import SCENARIOS, Scenario

APP = "https://app.example"
OLD = "https://old.example"
EVIL = "https://evil.example"
# Moving from a broad list to a strict one, and turning write protection on.
ACTIVE = CORSConfig(allow_origins=[APP, OLD], allow_methods=["PUT", "DELETE"])
STRICT = CORSConfig(allow_origins=[APP], allow_methods=["PUT"], protect_writes=True)
CROSS = ("sec-fetch-site", "cross-site")


def s(kind: Any, allowed: bool, reason: str, origin: str | None, method: str) -> Decision:
    return Decision(kind, allowed, reason, origin, method, "/t", shadow=True)


def acrm(method: str) -> tuple[str, str]:
    return ("access-control-request-method", method)


ROWS = [
    pytest.param("GET", [("origin", APP)], [], id="both allow"),
    pytest.param("GET", [], [], id="no Origin"),
    pytest.param("GET", [("origin", EVIL)], [], id="both deny"),
    pytest.param(
        "GET", [("origin", OLD)], [s("actual", False, "origin_not_allowed", OLD, "GET")],
        id="dropped origin, actual",
    ),
    pytest.param(
        "OPTIONS", [("origin", OLD), acrm("PUT")],
        [s("preflight", False, "origin_not_allowed", OLD, "PUT")],
        id="dropped origin, preflight",
    ),
    pytest.param(
        "OPTIONS", [("origin", APP), acrm("DELETE")],
        [s("preflight", False, "method_not_allowed", APP, "DELETE")],
        id="dropped method, preflight",
    ),
    pytest.param("OPTIONS", [("origin", APP), acrm("PUT")], [], id="preflight both allow"),
    pytest.param(
        "POST", [CROSS, ("origin", EVIL)],
        [s("write-protection", False, "cross_site", EVIL, "POST")],
        id="cross-site write the shadow would refuse",
    ),
    pytest.param(
        "POST", [CROSS, ("origin", OLD)],
        [
            s("write-protection", False, "cross_site", OLD, "POST"),
            s("actual", False, "origin_not_allowed", OLD, "POST"),
        ],
        id="dropped origin, write",
    ),
    pytest.param("POST", [CROSS, ("origin", APP)], [], id="write from a kept origin"),
    pytest.param("POST", [("sec-fetch-site", "same-origin")], [], id="same-origin write"),
    pytest.param("POST", [], [], id="write without Origin"),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "headers", "records"), ROWS)
async def test_shadow_reports_differences(
    method: str,
    headers: list[tuple[str, str]],
    records: list[Decision],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The shadow reports exactly where it differs, and the response is the active one."""
    seen: list[Decision] = []
    shadowed_effects, plain_effects = Effects(), Effects()
    shadowed = CORSMiddleware(
        shadowed_effects, config=ACTIVE, shadow=STRICT, on_decision=seen.append
    )
    plain = CORSMiddleware(plain_effects, config=ACTIVE)
    with caplog.at_level(logging.WARNING, logger="crossorigin.shadow"):
        got = await http(shadowed, method, "/t", headers)
    want = await http(plain, method, "/t", headers)
    assert (got, shadowed_effects.calls) == (want, plain_effects.calls)
    assert [r for r in seen if r.shadow] == records
    warnings = [r for r in caplog.records if r.name == "crossorigin.shadow"]
    assert [r.levelno for r in warnings] == [logging.WARNING] * len(records)
    for record, warning in zip(records, warnings, strict=True):
        assert f"would deny {record.kind} reason={record.reason} " in warning.getMessage()


@pytest.mark.anyio
async def test_shadow_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """The WARNING names the decision, the reason code and the request, escaped."""
    app = CORSMiddleware(Effects(), config=ACTIVE, shadow=STRICT)
    with caplog.at_level(logging.WARNING, logger="crossorigin.shadow"):
        await http(app, "GET", "/t", [("origin", OLD)])
    assert caplog.messages == [
        "crossorigin: shadow policy would deny actual reason=origin_not_allowed"
        " origin='https://old.example' method='GET' path='/t'"
    ]


LOOSER_ROWS = [
    pytest.param(
        CORSConfig(allow_origins=[APP]), CORSConfig(allow_origins=["*"]), "GET", [("origin", EVIL)],
        200, Decision("actual", True, "allowed", EVIL, "GET", "/t", shadow=True),
        id="shadow would allow an origin",
    ),
    pytest.param(
        CORSConfig(allow_origins=[APP], protect_writes=True), CORSConfig(allow_origins=[APP]),
        "POST", [CROSS, ("origin", EVIL)],
        403, Decision("write-protection", True, "disabled", EVIL, "POST", "/t", shadow=True),
        id="shadow without protection would let the write run",
    ),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("active", "shadow", "method", "headers", "status", "record"), LOOSER_ROWS)
async def test_shadow_reports_what_it_would_allow(
    active: CORSConfig,
    shadow: CORSConfig,
    method: str,
    headers: list[tuple[str, str]],
    status: int,
    record: Decision,
) -> None:
    """A looser shadow reports the requests it would let through; the active one still rules."""
    seen: list[Decision] = []
    effects = Effects()
    app = CORSMiddleware(effects, config=active, shadow=shadow, on_decision=seen.append)
    response = await http(app, method, "/t", headers)
    assert response.status == status
    assert [r for r in seen if r.shadow] == [record]
    assert len(effects.calls) == (1 if status == 200 else 0)


@pytest.mark.anyio
async def test_shadow_websocket_protection() -> None:
    """A shadow with WebSocket protection reports the handshakes it would refuse."""
    seen: list[Decision] = []
    effects = Effects()
    shadow = CORSConfig(allow_origins=[APP], protect_websockets=True)
    app = CORSMiddleware(effects, config=ACTIVE, shadow=shadow, on_decision=seen.append)
    messages = await websocket(app, "/ws", [("origin", EVIL)])
    assert messages[0] == {"type": "websocket.accept"}
    assert effects.calls == [("WEBSOCKET", "/ws")]
    assert seen == [Decision("websocket", False, "cross_origin", EVIL, "GET", "/ws", shadow=True)]


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
async def test_scenarios_unchanged_by_a_shadow(scenario: Scenario) -> None:
    """Every scenario row gets byte-identical responses under a shadow that denies everything."""
    config = materialize(scenario.config)
    origin = ORIGINS[scenario.origin_kind]
    nobody = CORSConfig(allow_origins=["https://nobody.example"], protect_writes=True)
    plain = await scenario_exchange(observed_app(config), scenario, origin)
    shadowed = await scenario_exchange(observed_app(config, shadow=nobody), scenario, origin)
    assert shadowed == plain


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "headers", "failures"),
    [
        pytest.param("GET", [("origin", OLD)], 1, id="actual"),
        pytest.param("OPTIONS", [("origin", OLD), acrm("PUT")], 1, id="preflight"),
        pytest.param("POST", [CROSS, ("origin", EVIL)], 2, id="write, then actual"),
    ],
)
async def test_failing_shadow_never_breaks_a_request(
    method: str,
    headers: list[tuple[str, str]],
    failures: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error while evaluating the shadow is logged; the response is the active one."""

    def broken(*args: Any) -> None:
        raise RuntimeError("shadow bug")

    monkeypatch.setattr(Observer, "_compare", broken)
    want = await http(CORSMiddleware(Effects(), config=ACTIVE), method, "/t", headers)
    with caplog.at_level(logging.ERROR, logger="crossorigin"):
        got = await http(
            CORSMiddleware(Effects(), config=ACTIVE, shadow=STRICT), method, "/t", headers
        )
    assert got == want
    assert (
        caplog.messages
        == ["crossorigin: shadow policy evaluation failed; the request is unaffected"] * failures
    )
