"""`crossorigin check` and `crossorigin scan` against live uvicorn servers: exit codes, --json."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

from crossorigin._cli.commands import check_main, scan_main
from crossorigin._cli.dispatch import main as crossorigin_main
from crossorigin._cli.scan import scan
from tests.apps import routes, scenario_app
from tests.asgi.test_scenarios import materialize
from tests.cli.conftest import config_key
from tests.conftest import cors_headers
from tests.scenarios import SCENARIOS, Scenario

Live = Callable[[str, Callable[[], Any]], str]
ALLOWED = "https://app.example"
ORIGINS = {"allowed": ALLOWED, "denied": "https://evil.example", "null": "null"}
SRC = Path(__file__).resolve().parents[2] / "src"

CHECK_KEYS = {
    "schema_version", "command", "url", "origin", "method", "request_headers", "credentials",
    "allowed", "failed_step", "chromium_console", "steps", "exposed_headers",
    "preflight_max_age", "preflight", "actual", "fix", "notes",
}  # fmt: skip
SCAN_KEYS = {
    "schema_version", "command", "url", "trusted_origins", "requests_sent", "requests_planned",
    "budget", "complete", "errors", "server_errors", "conclusive", "outcome", "findings",
}  # fmt: skip
FINDING_KEYS = {"severity", "class", "origin", "title", "evidence", "fix"}


def crossorigin_server(live: Live, config: dict[str, Any]) -> str:
    """A live server running tests.apps.scenario_app behind crossorigin's middleware."""
    config = materialize(config)
    return live(config_key(config), lambda: scenario_app(config))


def starlette_star_credentials(live: Live) -> str:
    """Starlette's own middleware with the known-bad ["*"] + credentials configuration."""

    def make() -> Starlette:
        app = Starlette(routes=routes())
        app.add_middleware(
            StarletteCORSMiddleware, allow_origins=["*"], allow_credentials=True,
            allow_methods=["*"], allow_headers=["*"],
        )  # fmt: skip
        return app

    return live("starlette * + credentials", make)


async def handmade_app(scope: Any, receive: Any, send: Any) -> None:
    """Hand-rolled CORS as seen in the wild: echoes one origin without Vary, ACAH '*'."""
    if scope["type"] != "http":
        return
    request_headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    headers = []
    if request_headers.get("origin") == ALLOWED:
        headers.append((b"access-control-allow-origin", ALLOWED.encode()))
    status = 200
    if scope["method"] == "OPTIONS":
        headers += [
            (b"access-control-allow-headers", b"*"),
            (b"access-control-allow-methods", b"*"),
        ]
        status = 204
    if scope["path"] == "/old":
        status = 308
        headers.append((b"location", b"/data"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def run_json(main: Callable[[list[str]], int], argv: list[str], capsys: Any) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def check_argv(scenario: Scenario, url: str) -> list[str]:
    argv = [url + scenario.path, "--origin", ORIGINS[scenario.origin_kind]]
    argv += ["--method", scenario.method]
    for name, value in scenario.request_headers.items():
        argv += ["--header", f"{name}: {value}"]
    return argv + (["--credentials"] if scenario.credentials else [])


# --- check: every scenario row through the CLI ----------------------------------------------


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_check_scenario(scenario: Scenario, live_server: Live, capsys: Any) -> None:
    """The CLI sends the row's requests and exits 0 exactly when the row's browser allows."""
    url = crossorigin_server(live_server, scenario.config)
    code, report = run_json(check_main, check_argv(scenario, url), capsys)
    assert (code, report["allowed"]) == (0 if scenario.browser_allows else 1,
                                         scenario.browser_allows)  # fmt: skip
    origin = ORIGINS[scenario.origin_kind]
    if scenario.preflight is not None:
        response = report["preflight"]["response"]
        expected = {k: v.replace("{origin}", origin) for k, v in scenario.preflight.headers.items()}
        assert response["status"] == scenario.preflight.status
        assert cors_headers(dict(response["headers"])) == expected
    else:
        assert report["preflight"] is None
    if scenario.actual is None:
        assert report["actual"] is None
    else:
        assert report["actual"]["response"]["status"] == scenario.actual.status


def test_check_json_schema(live_server: Live, capsys: Any) -> None:
    """--json emits schema_version 1 with exactly the documented keys."""
    url = crossorigin_server(live_server, {"allow_origins": [ALLOWED], "allow_methods": ["PUT"]})
    code, report = run_json(
        check_main, [url + "/data", "--origin", ALLOWED, "--method", "PUT", "-H", "X-Foo: 1"],
        capsys,
    )  # fmt: skip
    assert code == 1
    assert set(report) == CHECK_KEYS
    assert (report["schema_version"], report["command"]) == (1, "check")
    assert report["failed_step"] == "preflight allow-origin"
    assert report["chromium_console"] == (
        f"Access to fetch at '{url}/data' from origin '{ALLOWED}' has been blocked by CORS "
        "policy: Response to preflight request doesn't pass access control check: No "
        "'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert all(set(step) == {"name", "passed", "reason", "spec"} for step in report["steps"])
    assert set(report["preflight"]) == {"request", "response"}
    assert set(report["preflight"]["request"]) == {"method", "url", "headers"}
    sent = dict(report["preflight"]["request"]["headers"])
    assert (sent["origin"], sent["access-control-request-method"]) == (ALLOWED, "PUT")
    assert sent["access-control-request-headers"] == "x-foo"
    assert "cookie" not in sent
    assert report["fix"] == {
        "summary": report["fix"]["summary"],
        "config": 'CORSConfig(allow_origins=["https://app.example"], allow_methods=["PUT"], '
        'allow_headers=["x-foo"])',
        "fastapi": "app.add_middleware(CORSMiddleware, config=CORSConfig(allow_origins="
        '["https://app.example"], allow_methods=["PUT"], allow_headers=["x-foo"]))',
    }


def test_check_text_report(live_server: Live, capsys: Any) -> None:
    """Plain output (not a TTY): PASS/FAIL per step, the verdict, the fix and no colour codes."""
    url = crossorigin_server(live_server, {"allow_origins": [ALLOWED]})
    code = check_main([url + "/data", "--origin", ALLOWED, "--credentials"])
    out = capsys.readouterr().out
    assert code == 1
    assert "\x1b[" not in out
    assert "  PASS  allow-origin" in out
    assert "  FAIL  allow-credentials" in out
    assert "BLOCKED: a browser would block this request at step 'allow-credentials'." in out
    assert "Chromium's console says: Access to fetch at" in out
    assert 'CORSConfig(allow_origins=["https://app.example"], allow_credentials=True)' in out


def test_credentialed_check_against_starlette_star(live_server: Live, capsys: Any) -> None:
    """Starlette reflects any origin with credentials when a cookie is sent: check says allowed."""
    url = starlette_star_credentials(live_server)
    code, report = run_json(
        check_main, [url + "/data", "--origin", "https://evil.example", "--credentials"], capsys
    )
    assert (code, report["allowed"]) == (0, True)
    sent = dict(report["actual"]["request"]["headers"])
    assert sent["cookie"] == "crossorigin-check=1"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["http://127.0.0.1:1/x"], "Missing option '--origin'", id="missing origin"),
        pytest.param(["ftp://h/x", "--origin", ALLOWED], "is not an http(s) URL", id="bad URL"),
        pytest.param(["http://127.0.0.1:1/x", "--origin", ALLOWED + "/"], "is not an origin",
                     id="origin with path"),
        pytest.param(["http://127.0.0.1:1/x", "--origin", ALLOWED, "-H", "bad name: 1"],
                     "is not NAME", id="bad header name"),
        pytest.param(["http://127.0.0.1:1/x", "--origin", ALLOWED, "--timeout", "0"],
                     "--timeout", id="zero timeout"),
        pytest.param(["http://127.0.0.1:1/x", "--origin", ALLOWED, "--nope"], "No such option",
                     id="unknown option"),
    ],
)  # fmt: skip
def test_check_usage_errors(argv: list[str], message: str, capsys: Any) -> None:
    """Usage errors exit 2 with click's 'Error: ...' on stderr."""
    assert check_main(argv) == 2
    err = capsys.readouterr().err
    assert "Error:" in err
    assert message in err


def test_check_unreachable(refused_url: str, capsys: Any) -> None:
    """A server that cannot be reached exits 3."""
    assert check_main([refused_url, "--origin", ALLOWED, "--timeout", "5"]) == 3
    assert capsys.readouterr().err.startswith("Error: could not reach")


def test_check_help(capsys: Any) -> None:
    """--help exits 0 and lists the options."""
    assert check_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(opt in out for opt in ("--origin", "--method", "--header", "--credentials"))


@pytest.mark.parametrize(
    ("flags", "code", "failed_step"),
    [
        pytest.param([], 1, "preflight authorization", id="spec: star does not cover it"),
        pytest.param(["--chromium"], 0, None, id="chromium: star covers it"),
    ],
)
def test_check_authorization_under_star(
    flags: list[str], code: int, failed_step: str | None, live_server: Live, capsys: Any
) -> None:
    """--chromium models Chromium 156, where ACAH '*' also covers Authorization."""
    url = live_server("handmade", lambda: handmade_app)
    argv = [url + "/data", "--origin", ALLOWED, "-H", "Authorization: Bearer t", *flags]
    exit_code, report = run_json(check_main, argv, capsys)
    assert (exit_code, report["failed_step"]) == (code, failed_step)


def test_check_notes_a_redirect(live_server: Live, capsys: Any) -> None:
    """A redirecting response is judged as the first hop, with a note to check the target."""
    url = live_server("handmade", lambda: handmade_app)
    exit_code, report = run_json(check_main, [url + "/old", "--origin", ALLOWED], capsys)
    assert (exit_code, report["actual"]["response"]["status"]) == (0, 308)
    assert report["notes"] == [
        "The response redirects to /data; the browser follows it and runs the CORS check "
        "again there (with Origin: null after a cross-origin hop). Check that URL too."
    ]


# --- scan -----------------------------------------------------------------------------------


def test_scan_flags_starlette_star_with_credentials(live_server: Live, capsys: Any) -> None:
    """Starlette's ['*'] + credentials lets any attacker origin read with cookies: critical."""
    url = starlette_star_credentials(live_server)
    code, report = run_json(
        scan_main, [url + "/data", "--trusted-origin", "https://app.example.com"], capsys
    )
    assert code == 1
    assert set(report) == SCAN_KEYS
    assert (report["schema_version"], report["command"], report["complete"]) == (1, "scan", True)
    by_class = {f["class"]: f for f in report["findings"]}
    assert by_class["reflect-any"]["severity"] == "critical"
    assert by_class["null"]["severity"] == "critical"
    assert all(set(f) == FINDING_KEYS for f in report["findings"])
    evidence = by_class["reflect-any"]["evidence"]
    got = dict(evidence["response"]["headers"])
    assert got["access-control-allow-origin"] == "https://crossorigin-attacker.example"
    assert got["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(
            {"allow_origins": ["https://app.example.com"], "allow_credentials": True,
             "allow_methods": ["PUT"]},
            id="exact origin with credentials",
        ),
        pytest.param({"allow_origins": ["*"], "allow_methods": ["*"]}, id="public star"),
    ],
)  # fmt: skip
def test_scan_safe_crossorigin_configs_have_no_findings(
    config: dict[str, Any], live_server: Live, capsys: Any
) -> None:
    """Exact origins, or a public '*' without credentials, give no attacker a read: exit 0."""
    url = crossorigin_server(live_server, config)
    code, report = run_json(
        scan_main, [url + "/data", "--trusted-origin", "https://app.example.com"], capsys
    )
    assert (code, report["findings"], report["complete"]) == (0, [], True)


def test_scan_subdomain_wildcard_is_reported_as_sibling(live_server: Live, capsys: Any) -> None:
    """'https://*.example.com' with credentials: only the sibling-subdomain class is reported."""
    config = {"allow_origins": ["https://*.example.com"], "allow_credentials": True}
    url = crossorigin_server(live_server, config)
    code, report = run_json(
        scan_main, [url + "/data", "--trusted-origin", "https://app.example.com"], capsys
    )
    assert code == 1
    assert {(f["class"], f["severity"]) for f in report["findings"]} == {
        ("sibling subdomain", "critical")
    }


def test_scan_anonymous_reflection_is_medium(live_server: Live, capsys: Any) -> None:
    """A regex that accepts any subdomain without credentials: readable anonymously, medium."""
    config = {"allow_origin_regex": r"https://[a-z]+\.example\.com"}
    url = crossorigin_server(live_server, config)
    code, report = run_json(
        scan_main, [url + "/data", "--trusted-origin", "https://app.example.com"], capsys
    )
    assert code == 1
    assert {(f["class"], f["severity"]) for f in report["findings"]} == {
        ("sibling subdomain", "medium")
    }


def test_scan_reports_missing_vary_as_low(live_server: Live, capsys: Any) -> None:
    """An origin-dependent ACAO without Vary: Origin is a low finding (cache confusion)."""
    url = live_server("handmade", lambda: handmade_app)
    code, report = run_json(scan_main, [url + "/data", "--trusted-origin", ALLOWED], capsys)
    assert code == 1
    assert [(f["class"], f["severity"], f["origin"]) for f in report["findings"]] == [
        ("missing vary", "low", ALLOWED)
    ]


def test_scan_budget_bounds_requests(live_server: Live, capsys: Any) -> None:
    """--budget caps the requests sent; the report says the plan was not completed."""
    url = starlette_star_credentials(live_server)
    code, report = run_json(
        scan_main,
        [url + "/data", "--trusted-origin", ALLOWED, "--budget", "5", "--concurrency", "2"],
        capsys,
    )
    assert (code, report["requests_sent"], report["budget"], report["complete"]) == (
        1, 5, 5, False,
    )  # fmt: skip


def test_scan_text_report(live_server: Live, capsys: Any) -> None:
    """Plain output names the severity, the class, the evidence and the fix."""
    url = starlette_star_credentials(live_server)
    assert scan_main([url + "/data", "--trusted-origin", ALLOWED, "--budget", "3"]) == 1
    out = capsys.readouterr().out
    assert "CRITICAL  [reflect-any] https://crossorigin-attacker.example can read" in out
    assert "evidence: GET with origin: https://crossorigin-attacker.example" in out
    assert "fix: Allow exact origins only" in out
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["http://127.0.0.1:1/x"], "Missing option '--trusted-origin'",
                     id="no trusted origin"),
        pytest.param(["http://127.0.0.1:1/x", "--trusted-origin", "null"], "cannot be trusted",
                     id="null trusted"),
        pytest.param(["http://127.0.0.1:1/x", "--trusted-origin", ALLOWED, "--budget", "0"],
                     "--budget", id="zero budget"),
    ],
)  # fmt: skip
def test_scan_usage_errors(argv: list[str], message: str, capsys: Any) -> None:
    """Usage errors exit 2."""
    assert scan_main(argv) == 2
    assert message in capsys.readouterr().err


def test_scan_unreachable(refused_url: str, capsys: Any) -> None:
    """A server that cannot be reached exits 3 instead of reporting no findings."""
    assert scan_main([refused_url, "--trusted-origin", ALLOWED]) == 3


# --- the installed entry points ---------------------------------------------------------------


def test_dispatcher_runs_check(live_server: Live, capsys: Any) -> None:
    """`crossorigin check` through the lead's dispatcher returns check's exit code."""
    url = crossorigin_server(live_server, {"allow_origins": [ALLOWED]})
    assert crossorigin_main(["check", url + "/data", "--origin", ALLOWED]) == 0
    assert "ALLOWED" in capsys.readouterr().out


def test_python_dash_m_subprocess(live_server: Live) -> None:
    """`python -m crossorigin scan ... --json` in a subprocess: exit code and JSON on stdout."""
    url = starlette_star_credentials(live_server)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = ["scan", url + "/data", "--trusted-origin", ALLOWED, "--budget", "3", "--json"]
    proc = subprocess.run(
        [sys.executable, "-m", "crossorigin", *argv], capture_output=True, text=True, env=env,
        timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["severity"] == "critical"


def test_scan_progress_counts_every_request() -> None:
    """scan() calls progress once per request sent, the reachability check included."""
    ticks: list[int] = []
    app = scenario_app(materialize({"allow_origins": ["{allowed}"]}))
    report = asyncio.run(
        scan("http://api.test/data", trusted_origins=[ALLOWED], budget=7,
             transport=httpx.ASGITransport(app=app), progress=ticks.append)
    )  # fmt: skip
    assert (sum(ticks), report.requests_sent, report.errors) == (7, 7, 0)
