"""Hypothesis properties of the lab's input handling: any JSON in, an answer out, never a crash.

The lab's endpoints pass the page's JSON to these functions; an exception would be a 500.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossorigin import CORSConfig
from crossorigin._cli.lab_api import (
    DEFAULTS,
    BadInput,
    browser_report,
    check_policy,
    disagreements,
    fastapi_snippet,
    lab_request,
    predict,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=30), st.floats()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
origins = st.sampled_from(
    ["https://a.example", "http://localhost:3000", "https://*.example.com", "*", "null", "x"]
)
field_values = st.one_of(json_values, st.lists(origins, max_size=3))
policies = st.dictionaries(
    st.one_of(st.sampled_from(sorted(DEFAULTS)), st.text(max_size=10)), field_values, max_size=5
)


@SETTINGS
@given(st.one_of(policies, json_values))
def test_check_policy_answers_any_json(data: Any) -> None:
    """A config and no problems, or no config and problems that each name a field or ''."""
    config, problems = check_policy(data)
    assert (config is None) == bool(problems)
    for problem in problems:
        assert set(problem) == {"field", "reason", "message"}
        assert problem["message"].startswith("crossorigin: ")
        assert problem["field"] in {"", *DEFAULTS} or problem["field"] in data
    if config is not None:
        namespace: dict[str, Any] = {}
        exec(compile(fastapi_snippet(config), "<snippet>", "exec"), namespace)
        (middleware,) = namespace["app"].user_middleware
        assert middleware.kwargs["config"] == config


header_lists = st.lists(st.lists(st.text(max_size=12), min_size=2, max_size=2), max_size=3)
requests = st.fixed_dictionaries(
    {
        "origin": st.sampled_from(["http://localhost:3000", "null", "http://app.localhost:3000"]),
        "method": st.one_of(st.sampled_from(["GET", "PUT", "patch", "TRACE", "OPTIONS"]), st.text(max_size=8)),
        "url": st.just("http://127.0.0.1:8000/lab/api/items?run=r"),
        "headers": header_lists,
        "body_kind": st.sampled_from(["none", "json", "form", "text"]),
        "credentials": st.sampled_from(["omit", "same-origin", "include"]),
    }
)  # fmt: skip
records = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["preflight", "actual", "not-cors"]),
            "status": st.one_of(st.none(), st.integers(100, 599)),
            "response_header_list": st.lists(
                st.tuples(
                    st.sampled_from(
                        [
                            "access-control-allow-origin",
                            "access-control-allow-methods",
                            "access-control-allow-headers",
                            "access-control-allow-credentials",
                            "access-control-expose-headers",
                            "x-request-id",
                        ]
                    ),
                    st.one_of(
                        st.sampled_from(["*", "null", "http://localhost:3000", "true", "PUT"]),
                        st.text(max_size=10),
                    ),
                ).map(list),
                max_size=4,
            ),
        }
    ),
    max_size=2,
)


@SETTINGS
@given(requests, records, st.sampled_from(["allowed", "blocked"]), header_lists, st.booleans())
def test_prediction_answers_any_records(
    request: dict[str, Any],
    seen: list[dict[str, Any]],
    outcome: str,
    readable: list[list[str]],
    covered: bool,
) -> None:
    """Whatever the server recorded and the browser reported, a prediction and a verdict."""
    checked = lab_request(request)
    prediction = predict(checked, seen, authorization_covered_by_wildcard=covered)
    assert prediction["allowed"] in (True, False, None)
    assert (prediction["allowed"] is None) == (prediction["steps"] == [])
    if prediction["allowed"] is False:
        assert not prediction["steps"][-1]["passed"]
    report = browser_report({"origin": request["origin"], "outcome": outcome, "headers": readable})
    assert isinstance(disagreements(checked, prediction, report), list)


@SETTINGS
@given(json_values)
def test_request_and_report_shapes_are_checked(data: Any) -> None:
    """Malformed request or report JSON is a BadInput (a 400), nothing else."""
    for check in (lab_request, browser_report):
        with contextlib.suppress(BadInput):
            check(data)


def test_defaults_are_the_config_defaults() -> None:
    config, problems = check_policy({"allow_origins": ["https://a.example"]})
    assert problems == []
    assert config == CORSConfig(allow_origins=["https://a.example"])
    with pytest.raises(BadInput, match="request must be a JSON object"):
        lab_request([])
