"""``crossorigin lab`` without a browser: policy JSON, the snippet, the prediction, the endpoints.

The page itself, in Chromium, Firefox ESR and WebKitGTK, is tested in
tests/browser/test_lab_page.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossorigin import CORSConfig, CORSMiddleware
from crossorigin._cli.demo import Demo, lab_main, run
from crossorigin._cli.lab import LOG_SIZE, Lab
from crossorigin._cli.lab_api import (
    check_policy,
    disagreements,
    fastapi_snippet,
    fetch_request,
    predict,
    scan_origins,
)
from tests.demo_server import ipv6_loopback, running_demo

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(scope="module")
def lab() -> Iterator[Demo]:
    with running_demo() as running:
        yield running


@pytest.fixture
def reset(lab: Demo) -> Iterator[None]:
    start = httpx.get(lab.lab_url + "/_lab/policy").json()["policy"]
    yield
    assert httpx.put(lab.lab_url + "/_lab/policy", json={"policy": start}).json()["applied"]


# --- policies as JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "want"),
    [
        pytest.param(
            {"allow_origins": ["https://*.github.io"], "allow_credentials": True},
            [
                (
                    "allow_origins",
                    "prohibited",
                    "crossorigin: prohibited allow_origins entry 'https://*.github.io':"
                    " 'github.io' is a public suffix: anyone can register a subdomain of it;"
                    " list the exact origins, or set dangerously_allow_public_suffix_wildcards=True",
                )
            ],
            id="public-suffix wildcard with credentials",
        ),
        pytest.param(
            {"allow_origins": ["https://a.example"], "allow_origin": ["x"]},
            [
                (
                    "allow_origin",
                    "invalid",
                    "crossorigin: invalid field 'allow_origin': is not a CORSConfig field;"
                    " remove it or use one of "
                    # Every field JSON can set, whatever fields later versions add.
                    + ", ".join(
                        sorted(
                            f.name
                            for f in dataclasses.fields(CORSConfig)
                            if f.name != "allow_origin_predicate"
                        )
                    ),
                )
            ],
            id="unknown field",
        ),
        pytest.param(
            {"allow_origins": ["*"], "allow_origin_predicate": "f"},
            [
                (
                    "allow_origin_predicate",
                    "invalid",
                    "crossorigin: invalid field 'allow_origin_predicate': a Python callable"
                    " cannot be set from JSON; remove it",
                )
            ],
            id="predicate",
        ),
        pytest.param(
            ["https://a.example"],
            [
                (
                    "",
                    "invalid",
                    'crossorigin: invalid policy ["https://a.example"]: must be a JSON object of'
                    ' CORSConfig fields; write e.g. {"allow_origins": ["https://app.example"]}',
                )
            ],
            id="not an object",
        ),
        pytest.param(
            {"allow_origins": "https://a.example", "max_age": "x"},
            [
                (
                    "allow_origins",
                    "invalid",
                    "crossorigin: invalid allow_origins 'https://a.example': must be a list of"
                    " strings, not a single string; write ['https://a.example']",
                ),
                (
                    "max_age",
                    "invalid",
                    "crossorigin: invalid max_age 'x': must be a whole number of seconds from 0 to"
                    " 86400; use 0 to disable preflight caching, or None to let browsers use 5 s",
                ),
            ],
            id="wrong JSON types",
        ),
    ],
)
def test_check_policy_lists_every_problem_at_its_field(
    data: object, want: list[tuple[str, str, str]]
) -> None:
    config, problems = check_policy(data)
    assert config is None
    assert [(p["field"], p["reason"], p["message"]) for p in problems] == want


def test_check_policy_builds_the_config() -> None:
    config, problems = check_policy({"allow_origins": ["https://a.example"], "max_age": None})
    assert problems == []
    assert config == CORSConfig(allow_origins=["https://a.example"], max_age=None)


# --- the FastAPI snippet ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(CORSConfig(allow_origins=["https://a.example"]), id="one origin"),
        pytest.param(
            CORSConfig(
                allow_origins=["https://*.example.com", "http://localhost:*"],
                allow_methods=["GET", "PATCH"],
                allow_headers=["authorization"],
                allow_credentials=True,
                allow_origin_regex=r"https://app-\d+\.example\.org",
                expose_headers=["x-request-id"],
                max_age=None,
                preflight_status=200,
                protect_writes=True,
                protection_exempt_paths=["/hooks"],
                public_origin="https://api.example",
            ),
            id="many fields",
        ),
        pytest.param(
            CORSConfig(
                allow_origins=["https://*.github.io"],
                allow_credentials=True,
                dangerously_allow_public_suffix_wildcards=True,
            ),
            id="dangerous option",
        ),
    ],
)
def test_fastapi_snippet_runs_and_serves_the_same_policy(config: CORSConfig) -> None:
    """The snippet is runnable FastAPI code whose middleware gets an equal CORSConfig."""
    code = fastapi_snippet(config)
    namespace: dict[str, Any] = {}
    exec(compile(code, "<snippet>", "exec"), namespace)
    (middleware,) = namespace["app"].user_middleware
    assert middleware.cls is CORSMiddleware
    assert middleware.kwargs["config"] == config


def test_fastapi_snippet_leaves_defaults_out() -> None:
    code = fastapi_snippet(CORSConfig(allow_origins=["https://a.example"]))
    assert code.splitlines()[6:10] == [
        "    CORSMiddleware,",
        "    config=CORSConfig(",
        '        allow_origins=["https://a.example"],',
        "    ),",
    ]


@pytest.mark.parametrize(
    ("origins", "want"),
    [
        pytest.param(["https://a.example"], ["https://a.example"], id="exact"),
        pytest.param(["https://*.example.com"], ["https://lab.example.com"], id="wildcard"),
        pytest.param(["http://localhost:*"], ["http://localhost:8443"], id="any port"),
        pytest.param(["*"], ["http://localhost:3000"], id="star: the lab's own origin"),
    ],
)
def test_scan_origins(origins: list[str], want: list[str]) -> None:
    config = CORSConfig(allow_origins=origins)
    assert scan_origins(config, "http://localhost:3000") == want


# --- the prediction --------------------------------------------------------------------------

ORIGIN = "http://app.localhost:3000"
URL = "http://127.0.0.1:8000/lab/api/items?run=r1"


def _request(**changes: Any) -> dict[str, Any]:
    base = {
        "origin": ORIGIN,
        "method": "GET",
        "url": URL,
        "headers": [],
        "body_kind": "none",
        "credentials": "same-origin",
    }
    return {**base, **changes}


def _record(kind: str, status: int, headers: list[list[str]]) -> dict[str, Any]:
    return {"kind": kind, "status": status, "response_header_list": headers}


def test_prediction_of_a_refused_preflight_names_chromium_console_text() -> None:
    request = _request(method="PUT")
    records = [_record("preflight", 403, [["vary", "Origin"]])]
    prediction = predict(request, records, authorization_covered_by_wildcard=True)
    assert prediction["allowed"] is False
    assert [(s["name"], s["passed"]) for s in prediction["steps"]] == [
        ("preflight needed", True),
        ("preflight allow-origin", False),
    ]
    assert prediction["console"] == (
        f"Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy:"
        " Response to preflight request doesn't pass access control check: No"
        " 'Access-Control-Allow-Origin' header is present on the requested resource."
    )


def test_prediction_of_a_readable_response_lists_the_readable_headers() -> None:
    headers = [
        ["content-type", "application/json"],
        ["x-request-id", "1"],
        ["x-lab-private", "no"],
        ["access-control-allow-origin", ORIGIN],
        ["access-control-expose-headers", "x-request-id"],
    ]
    prediction = predict(
        _request(), [_record("actual", 200, headers)], authorization_covered_by_wildcard=True
    )
    assert (prediction["allowed"], prediction["exposed"]) == (
        True,
        ["content-type", "x-request-id"],
    )
    report = {"origin": ORIGIN, "outcome": "allowed", "headers": [["content-type", "x"]]}
    assert disagreements(_request(), prediction, report) == [
        "the model predicts readable headers content-type, x-request-id, but the script could"
        " read content-type"
    ]


@pytest.mark.parametrize(
    ("request_", "records", "report", "want"),
    [
        pytest.param(
            _request(method="PUT"),
            [_record("actual", 200, [["access-control-allow-origin", ORIGIN]])],
            "allowed",
            ["the model expects a preflight, but the server received none"],
            id="missing preflight",
        ),
        pytest.param(
            _request(),
            [_record("actual", 200, [])],
            "allowed",
            ["the model predicts a TypeError, but the browser let the script read the response"],
            id="browser more permissive than the model",
        ),
        pytest.param(
            _request(),
            [_record("actual", 200, [["access-control-allow-origin", ORIGIN]])],
            "blocked",
            ["the model predicts readable, but the browser raised a TypeError"],
            id="browser stricter than the model",
        ),
        pytest.param(
            _request(body_kind="text"), [], "blocked", [], id="GET with a body throws at once"
        ),
        pytest.param(
            _request(headers=[["X Bad", "1"]]), [], "blocked", [], id="invalid header name"
        ),
        pytest.param(_request(method="TRACE"), [], "blocked", [], id="forbidden method"),
    ],
)
def test_disagreements_are_named(
    request_: dict[str, Any], records: list[dict[str, Any]], report: str, want: list[str]
) -> None:
    prediction = predict(request_, records, authorization_covered_by_wildcard=True)
    browser = {"origin": ORIGIN, "outcome": report, "headers": []}
    assert disagreements(request_, prediction, browser) == want


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        pytest.param("form", ("content-type", "application/x-www-form-urlencoded;charset=UTF-8")),
        pytest.param("text", ("content-type", "text/plain;charset=UTF-8")),
    ],
)
def test_body_kinds_add_the_browser_content_type(kind: str, header: tuple[str, str]) -> None:
    assert fetch_request(_request(method="POST", body_kind=kind)).headers == (header,)


# --- the servers -----------------------------------------------------------------------------


def _put(lab: Demo, policy: object, **kwargs: Any) -> httpx.Response:
    return httpx.put(lab.lab_url + "/_lab/policy", json={"policy": policy}, **kwargs)


def _preflight(lab: Demo, origin: str, run: str) -> httpx.Response:
    return httpx.options(
        f"{lab.api_url}/lab/api/items?run={run}",
        headers={"origin": origin, "access-control-request-method": "PUT"},
    )


@pytest.mark.usefixtures("reset")
def test_invalid_policy_is_never_applied(lab: Demo) -> None:
    version = httpx.get(lab.lab_url + "/_lab/policy").json()["version"]
    answer = _put(lab, {"allow_origins": ["https://a.example", "https://*"]}).json()
    assert (answer["valid"], answer["applied"], answer["version"]) == (False, False, version)
    assert [p["field"] for p in answer["problems"]] == ["allow_origins"]
    assert _preflight(lab, "https://a.example", "inv").status_code == 403
    assert _preflight(lab, lab.page_url, "inv").status_code == 204


@pytest.mark.usefixtures("reset")
def test_valid_policy_is_applied_to_the_next_request(lab: Demo) -> None:
    version = httpx.get(lab.lab_url + "/_lab/policy").json()["version"]
    answer = _put(lab, {"allow_origins": ["https://a.example"], "allow_methods": ["PUT"]}).json()
    assert (answer["valid"], answer["applied"], answer["version"]) == (True, True, version + 1)
    response = _preflight(lab, "https://a.example", "ok")
    assert (response.status_code, response.headers["access-control-allow-origin"]) == (
        204,
        "https://a.example",
    )
    assert _preflight(lab, lab.page_url, "ok").status_code == 403
    # The same policy again changes nothing.
    again = _put(lab, {"allow_origins": ["https://a.example"], "allow_methods": ["PUT"]}).json()
    assert again["version"] == version + 1


@pytest.mark.usefixtures("reset")
def test_scan_endpoint(lab: Demo) -> None:
    dangerous = {
        "allow_origins": ["https://*.github.io"],
        "allow_credentials": True,
        "dangerously_allow_public_suffix_wildcards": True,
    }
    assert _put(lab, dangerous).json()["applied"]
    report = httpx.post(lab.lab_url + "/_lab/scan", json={}, timeout=60).json()
    assert report["trusted_origins"] == ["https://lab.github.io"]
    assert [(f["severity"], f["class"], f["origin"]) for f in report["findings"]] == [
        ("critical", "sibling subdomain", "https://attacker.github.io")
    ]
    assert _put(lab, {"allow_origins": [lab.page_url], "allow_credentials": True}).json()["applied"]
    assert httpx.post(lab.lab_url + "/_lab/scan", json={}, timeout=60).json()["findings"] == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "error"),
    [
        pytest.param("PUT", "policy", {"content": b"{"}, 415, "send application/json", id="not JSON type"),
        pytest.param("PUT", "policy", {"content": b"nope", "headers": {"content-type": "application/json"}},
                     400, "the body is not JSON: Expecting value: line 1 column 1 (char 0)", id="bad JSON"),
        pytest.param("PUT", "policy", {"json": {"x": 1}}, 400, 'send {"policy": {...CORSConfig fields...}}', id="no policy"),
        pytest.param("PUT", "policy", {"json": {"policy": {}}, "headers": {"origin": "https://evil.example"}},
                     403, "the lab's endpoints answer only {page}", id="foreign origin"),
        pytest.param("PUT", "policy", {"json": {"policy": {}}, "headers": {"host": "evil.example"}},
                     403, "the lab answers only loopback host names", id="DNS rebinding"),
        pytest.param("PUT", "policy", {"content": b"[" + b" " * 70000 + b"]", "headers": {"content-type": "application/json"}},
                     413, "the body is larger than 65536 bytes", id="too large"),
        pytest.param("POST", "explain", {"json": {"run": "x", "request": {"origin": 1}}}, 400,
                     "request.origin must be a string", id="bad request shape"),
        pytest.param("POST", "explain", {"json": {"run": "x", "request": _request(), "report": {"outcome": "maybe"}}}, 400,
                     "report.outcome must be 'allowed' or 'blocked'", id="bad report"),
        pytest.param("DELETE", "policy", {}, 404, "no endpoint DELETE /lab/_lab/policy", id="unknown endpoint"),
    ],
)  # fmt: skip
def test_endpoints_refuse_bad_input_without_a_500(
    lab: Demo, method: str, path: str, kwargs: dict[str, Any], status: int, error: str
) -> None:
    response = httpx.request(method, f"{lab.lab_url}/_lab/{path}", **kwargs)
    assert (response.status_code, response.json()) == (
        status,
        {"error": error.replace("{page}", lab.page_url)},
    )


def test_page_routes(lab: Demo) -> None:
    for path, content_type in [
        ("", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/frame", "text/html; charset=utf-8"),
        ("/frame.js", "text/javascript; charset=utf-8"),
    ]:
        response = httpx.get(lab.lab_url + path)
        assert (response.status_code, response.headers["content-type"]) == (200, content_type)
    assert httpx.get(lab.lab_url + "/nothing").status_code == 404
    assert httpx.post(lab.lab_url).status_code == 404


def test_lab_settings_list_the_loopback_origins(lab: Demo) -> None:
    html = httpx.get(lab.lab_url).text
    blob = html.split('<script type="application/json" id="settings">')[1].split("</script>")[0]
    settings = json.loads(blob)
    port = lab.page_port
    want = [
        ("localhost", f"http://localhost:{port}"),
        ("127.0.0.1", f"http://127.0.0.1:{port}"),
        ("[::1]", f"http://[::1]:{port}"),
        ("app.localhost", f"http://app.localhost:{port}"),
        ("null", "null"),
    ]
    if not ipv6_loopback():
        del want[2]  # no [::1] on this machine: the lab does not offer that origin
    assert [(o["id"], o["origin"]) for o in settings["origins"]] == want
    assert settings["api"] == f"{lab.api_url}/lab/api"
    # The form edits every CORSConfig field but the callable predicate.
    every = {f.name for f in dataclasses.fields(CORSConfig)} - {"allow_origin_predicate"}
    assert set(settings["defaults"]) == every


# --- bounded log, loopback only --------------------------------------------------------------


@pytest.mark.anyio
async def test_request_log_is_bounded() -> None:
    lab = Lab(3000, 8000, ipv6=False, log_size=5)
    transport = httpx.ASGITransport(app=lab.api_dispatch(lab.api_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        for n in range(12):
            await client.get(f"/lab/api/items?run=n{n}", headers={"origin": lab.page})
    assert len(lab.log) == 5
    assert [r["run"] for r in lab.log.for_run("n11")] == ["n11"]
    assert lab.log.for_run("n6") == []
    assert LOG_SIZE == 1000


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_refuses_to_bind_beyond_loopback(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Neither the command line nor run() binds anything but loopback."""
    assert lab_main(["--host", host, "--api-port", "0", "--page-port", "0"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(ValueError, match=re.escape("(loopback only)")):
        run(0, 0, host=host)


def test_command_prints_the_lab_url_and_stops() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossorigin", "lab", "--api-port", "0", "--page-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0] == "crossorigin lab is running (loopback only):\n"
        lab_url = lines[1].split()[1]
        assert re.fullmatch(r"http://localhost:\d+/lab", lab_url)
        assert lines[3] == "Press Ctrl-C to stop.\n"
        assert httpx.get(lab_url).status_code == 200
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out, err) == (0, "crossorigin lab stopped.\n", "")


def test_lab_loads_nothing_from_the_network(lab: Demo) -> None:
    """No CDN: every element that loads something names the lab's own server (or data:).

    The frames' URLs come from the settings, all loopback (test above).
    """
    html = httpx.get(lab.lab_url).text
    tags = re.findall(r"<(?:script|link|img|iframe|style)\b[^>]*>", html)
    assert len(tags) == 4  # the icon, the style, the settings and the page script
    for tag in tags:
        for url in re.findall(r"""(?:src|href)=["']([^"']*)""", tag):
            assert url.startswith(("/", "data:")), tag
            assert not url.startswith("//"), tag
    assert "@import" not in html
    assert "url(" not in html
    frame = httpx.get(lab.lab_url + "/frame").text
    assert re.findall(r'src="([^"]+)"', frame) == ["/lab/frame.js"]


def test_records_never_show_cookie_values(lab: Demo) -> None:
    """Cookies are per host, not per port: the records say how many came, not their values."""
    httpx.get(
        f"{lab.api_url}/lab/api/items?run=cookies",
        headers={"origin": lab.page_url, "cookie": "session=s3cret; other=x"},
    )
    request = {**_request(), "origin": lab.page_url}
    report = {"origin": lab.page_url, "outcome": "allowed", "headers": []}
    answer = httpx.post(
        lab.lab_url + "/_lab/explain", json={"run": "cookies", "request": request, "report": report}
    ).json()
    (record,) = answer["records"]
    assert ["cookie", "(2 cookies, values hidden)"] in record["request_header_list"]
    assert record["cookie"] is True
    assert "s3cret" not in json.dumps(answer)
