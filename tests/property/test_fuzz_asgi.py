"""Fuzzing the middleware with raw-byte ASGI scopes through every config shape.

Each example is a :class:`~tests.property.fuzz_asgi.Case`: a config shape (public ``*``, exact
list, wildcards, regex, credentials, sync and async predicates, per-route policies, write and
WebSocket protection, debug), a shadow config and a decision hook (one that records, one that
raises), raw header lines (random names, values, duplicates and case), methods, paths and what
the app does (including sending the body before the start, starting twice and raising). The
invariants (``fuzz_asgi.check_*``):

* no exception escapes the middleware except the app's own (and then the page gets a 500);
* at most one ``Access-Control-Allow-Origin``, and it is ``*`` or the request's exact ``Origin``;
  no ``Access-Control-Allow-Credentials`` without it, never with ``*``;
  an echoed origin comes with ``Vary: Origin`` (one ``Vary`` line);
* no preflight-only header (ACAM, ACAH, ACMA, ACAPN) on a request that is not a preflight;
* a denied origin gets no ``Access-Control-*`` header, in any case spelling;
* the app runs for every request but a preflight or one refused by protection;
* the shadow config and the hook never change a response;
* the app's message objects are never mutated.

The budget is fixed and the examples derandomized, so CI runs the same cases every time;
``scripts/fuzz --minutes N`` searches longer and saves what it finds in
``fuzz_regressions.json``, whose rows are replayed here.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from tests.property import fuzz_asgi as f

CI = settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The known-bug classes below must fail fast and deterministically: no shrinking.
KNOWN = settings(CI, max_examples=150, phases=[Phase.explicit, Phase.generate])
REGRESSIONS = Path(__file__).with_name("fuzz_regressions.json")


def _case(**changes: Any) -> f.Case:
    base = f.Case(
        config="exact",
        shadow=None,
        hook="record",
        scope_type="http",
        method="GET",
        path="/",
        root_path="",
        headers=(("origin", f.ORIGIN_A),),
        app="ok",
        app_headers="plain",
    )
    return f.Case(**{**base.__dict__, **changes})


@CI
@given(f.cases())
@example(_case())
@example(_case(headers=(("origin", "https://evil.example"),), app_headers="cors-lower"))
@example(
    _case(
        method="OPTIONS", headers=(("origin", f.ORIGIN_A), ("access-control-request-method", "PUT"))
    )
)
@example(_case(config="credentials", headers=(("origin", f.ORIGIN_A), ("origin", f.ORIGIN_A))))
@example(_case(config="public", app="raise-before", shadow="exact"))
@example(_case(config="routes", path="/api/admin/x\n", app_headers="cors-lower"))
@example(
    _case(config="predicate-async", headers=(("origin", "https://boom.p.example"),), hook="raise")
)
@example(
    _case(
        config="protect-both", scope_type="websocket", headers=(("origin", "https://evil.example"),)
    )
)
@example(
    _case(
        config="protect-websockets",
        scope_type="websocket",
        headers=(("origin", "https://evil.example"),),
        denial_extension=True,
    )
)
def test_fuzz_invariants(case: f.Case) -> None:
    """Every invariant that holds today, for every case (the module docstring lists them)."""
    f.check_always(f.run(case))


def _rows() -> list[Any]:
    data = json.loads(REGRESSIONS.read_text(encoding="utf-8"))
    return [pytest.param(f.Case.from_json(row["case"]), id=row["id"]) for row in data["rows"]]


@pytest.mark.parametrize("case", _rows())
def test_fuzz_regressions(case: f.Case) -> None:
    """Cases found by ``scripts/fuzz`` (and hand-written ones) hold every invariant."""
    f.check_always(f.run(case))


# -- invariants pinned on their own as well (each was a bug once: message mutation, case-sensitive
#    header ownership, an ACRH budget applied before the request was known to be a preflight) --


@KNOWN
@given(f.cases())
@example(_case())
def test_fuzz_app_messages_never_mutated(case: f.Case) -> None:
    """The app's own message objects (its ``http.response.start`` dict) are left as built:
    an app reusing one prebuilt message must not carry one request's headers to the next."""
    f.check_not_mutated(f.run(case))


@KNOWN
@given(f.cases(app_headers=["cors-mixed"]))
@example(_case(headers=(("origin", "https://evil.example"),), app_headers="cors-mixed"))
def test_fuzz_app_cors_headers_in_any_case(case: f.Case) -> None:
    """An app that sends ``Access-Control-*`` or ``Vary`` in mixed case (Django's ASGI handler
    keeps the case; servers pass it on) gets the same header invariants as in lower case."""
    out = f.run(case)
    f.check_exceptions(out)
    f.check_headers(out)


@KNOWN
@given(f.cases())
@example(_case(method="OPTIONS", headers=(("access-control-request-headers", "a" * 5000),)))
def test_fuzz_non_preflight_with_large_acrh_reaches_the_app(case: f.Case) -> None:
    """A request that is not a preflight reaches the app whatever its ACRH (the budget is a
    preflight's), and no preflight decision is recorded for it."""
    f.check_app_runs(f.run(case))


# -- scripts/fuzz ----------------------------------------------------------------------------


def _script() -> Any:
    path = Path(__file__).parents[2] / "scripts" / "fuzz"
    loader = importlib.machinery.SourceFileLoader("scripts_fuzz", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_fuzz_script_saves_each_finding_once(tmp_path: Path) -> None:
    """``scripts/fuzz`` appends a finding as a replayable row, once per invariant and case."""
    script = _script()
    out = tmp_path / "rows.json"
    out.write_text(REGRESSIONS.read_text(encoding="utf-8"), encoding="utf-8")
    before = json.loads(out.read_text(encoding="utf-8"))["rows"]
    finding = {"made-up": (_case(config="credentials"), "[made-up] ...")}
    assert script.save(out, finding) == 1
    assert script.save(out, finding) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert rows[: len(before)] == before
    (new,) = rows[len(before) :]
    assert new["id"] == "made-up-1"
    assert new["invariant"] == "made-up"
    assert f.Case.from_json(new["case"]) == _case(config="credentials")


def test_fuzz_script_runs_for_its_budget(tmp_path: Path) -> None:
    """A short run finds nothing on a correct middleware and leaves the rows file as it was."""
    script = _script()
    out = tmp_path / "rows.json"
    out.write_text(REGRESSIONS.read_text(encoding="utf-8"), encoding="utf-8")
    assert script.main(["--minutes", "0.02", "--seed", "1", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == REGRESSIONS.read_text(encoding="utf-8")
