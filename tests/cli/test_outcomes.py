"""Every outcome of `crossorigin check` / `scan` against real servers: message, exit code, --json.

One row of docs/cli.md's "Outcomes" table per test (named after the row). Servers are uvicorn on
127.0.0.1 (tests/cli/conftest.py); the command-line entry points run in subprocesses where the
process boundary is the behaviour (closed pipes, a missing extra).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crossorigin import CORSConfig
from crossorigin._cli.commands import check_main, scan_main
from crossorigin._cli.dispatch import main as crossorigin_main
from tests.apps import scenario_app
from tests.asgi.test_scenarios import materialize

Live = Callable[[str, Callable[[], Any]], str]
ALLOWED = "https://app.example"
SRC = Path(__file__).resolve().parents[2] / "src"
ERROR_KEYS = {"schema_version", "command", "error"}
ERROR_KINDS = {"usage", "unreachable", "timeout", "missing-dependency", "interrupted", "internal"}
Scope = dict[str, Any]


async def error_app(scope: Scope, receive: Any, send: Any) -> None:
    """Answers 500 to every request, OPTIONS included, without any CORS header."""
    if scope["type"] != "http":
        return
    body = b"Internal Server Error"
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def slow_app(scope: Scope, receive: Any, send: Any) -> None:
    """Answers after 3 s: longer than the --timeout the tests give."""
    if scope["type"] != "http":
        return
    await asyncio.sleep(3)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


SUBDOMAINS = re.compile(r"https://([a-z0-9-]+\.)*app\.example\.com")


async def regex_app(scope: Scope, receive: Any, send: Any) -> None:
    """Hand-rolled credentialed CORS with a correct regex: app.example.com and its subdomains."""
    if scope["type"] != "http":
        return
    origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
    headers = [(b"vary", b"Origin")]
    if SUBDOMAINS.fullmatch(origin):
        headers += [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
        ]
        if scope["method"] == "OPTIONS":
            headers += [
                (b"access-control-allow-methods", b"PUT"),
                (b"access-control-allow-headers", b"content-type"),
            ]
    status = 204 if scope["method"] == "OPTIONS" else 200
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def one_json(main: Callable[[list[str]], int], argv: list[str], capsys: Any) -> tuple[int, Any]:
    """Run with --json; stdout must hold exactly one JSON object and nothing else."""
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    document, end = json.JSONDecoder().raw_decode(out)
    assert out[end:].strip() == "", "more than one JSON object on stdout"
    assert isinstance(document, dict)
    return code, document


def assert_error(document: Any, command: str, kind: str) -> str:
    assert set(document) == ERROR_KEYS
    assert (document["schema_version"], document["command"]) == (1, command)
    assert set(document["error"]) == {"kind", "message"}
    assert document["error"]["kind"] == kind
    assert kind in ERROR_KINDS
    message: str = document["error"]["message"]
    assert message
    return message


def run_cli(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossorigin", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), **env},
        timeout=60,
        check=False,
    )


# --- check: server errors -------------------------------------------------------------------


def test_check_server_error_without_cors_headers(live_server: Live, capsys: Any) -> None:
    """A 500 without CORS headers is reported as the server's error, not as a missing origin."""
    url = live_server("error", lambda: error_app)
    assert check_main([url + "/data", "--origin", ALLOWED]) == 1
    out = capsys.readouterr().out
    assert "add it to allow_origins" not in out
    assert "Fix: The server answered 500 (a server error)" in out
    assert "the error response carries no CORS headers" in out
    assert "crossorigin's middleware sends its 500 with the CORS headers" in out


def test_check_server_error_json(live_server: Live, capsys: Any) -> None:
    """--json: blocked (exit 1) at allow-origin, the fix names the server error."""
    url = live_server("error", lambda: error_app)
    code, report = one_json(check_main, [url + "/data", "--origin", ALLOWED], capsys)
    assert (code, report["allowed"], report["failed_step"]) == (1, False, "allow-origin")
    assert report["actual"]["response"]["status"] == 500
    assert report["fix"]["summary"].startswith("The server answered 500 (a server error)")


def test_check_preflight_server_error(live_server: Live, capsys: Any) -> None:
    """A preflight answered 500 names the server error on OPTIONS."""
    url = live_server("error", lambda: error_app)
    code, report = one_json(check_main, [url + "/data", "--origin", ALLOWED, "--method", "PUT"],
                            capsys)  # fmt: skip
    assert (code, report["failed_step"]) == (1, "preflight allow-origin")
    assert report["fix"]["summary"].startswith("The preflight got 500 (a server error)")


def test_check_crossorigin_keeps_headers_on_500(live_server: Live, capsys: Any) -> None:
    """Behind crossorigin, a route that raises gives a 500 the page can read: check allows it."""
    config = materialize({"allow_origins": ["{allowed}"]})
    url = live_server("crossorigin boom", lambda: scenario_app(config))
    code, report = one_json(check_main, [url + "/boom", "--origin", ALLOWED], capsys)
    assert (code, report["allowed"], report["actual"]["response"]["status"]) == (0, True, 500)


# --- scan: server errors, budget, attack origins ---------------------------------------------


def test_scan_server_errors_everywhere_is_inconclusive(live_server: Live, capsys: Any) -> None:
    """A server answering 500 to everything: exit 4 and "could not evaluate", never "no findings"."""
    url = live_server("error", lambda: error_app)
    assert scan_main([url + "/data", "--trusted-origin", ALLOWED]) == 4
    out = capsys.readouterr().out
    assert "INCONCLUSIVE: the scan could not evaluate the CORS policy" in out
    assert "no findings" not in out
    assert "\nnothing evaluated; " in out
    assert "got a server error (5xx) and are untested" in out


def test_scan_server_errors_json(live_server: Live, capsys: Any) -> None:
    """--json: outcome inconclusive, every request counted as a server error."""
    url = live_server("error", lambda: error_app)
    code, report = one_json(scan_main, [url + "/data", "--trusted-origin", ALLOWED], capsys)
    assert code == 4
    assert (report["outcome"], report["conclusive"], report["complete"]) == (
        "inconclusive", False, True,
    )  # fmt: skip
    assert report["server_errors"] == report["requests_sent"]
    assert report["findings"] == []


async def preflight_error_app(scope: Scope, receive: Any, send: Any) -> None:
    """Exact-origin CORS on GET, but a 500 without CORS headers on every OPTIONS."""
    if scope["type"] != "http":
        return
    if scope["method"] == "OPTIONS":
        await error_app(scope, receive, send)
        return
    headers = [(b"vary", b"Origin")]
    if dict(scope["headers"]).get(b"origin") == ALLOWED.encode():
        headers.append((b"access-control-allow-origin", ALLOWED.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def test_scan_some_server_errors_is_partial(live_server: Live, capsys: Any) -> None:
    """Preflights answered 500: their attack origins are untested, so the scan is partial (4)."""
    url = live_server("preflight error", lambda: preflight_error_app)
    code, report = one_json(scan_main, [url + "/data", "--trusted-origin", ALLOWED], capsys)
    preflights = (report["requests_sent"] - 1) // 2
    assert (code, report["outcome"], report["complete"], report["errors"]) == (
        4, "inconclusive", True, 0,
    )  # fmt: skip
    assert (report["server_errors"], report["findings"]) == (preflights, [])
    assert scan_main([url + "/data", "--trusted-origin", ALLOWED]) == 4
    out = capsys.readouterr().out
    assert f"INCONCLUSIVE: the scan is partial: {preflights} requests got a server error" in out


def test_scan_cut_by_budget_is_inconclusive(live_server: Live, capsys: Any) -> None:
    """A clean but partial scan (--budget) exits 4 and says it is partial."""
    config = materialize({"allow_origins": ["{allowed}"], "allow_credentials": True})
    url = live_server("crossorigin exact credentials", lambda: scenario_app(config))
    assert scan_main([url + "/data", "--trusted-origin", ALLOWED, "--budget", "5"]) == 4
    out = capsys.readouterr().out
    assert "INCONCLUSIVE: the scan is partial: --budget stopped it after 5 of" in out
    assert "\nnothing found in the 5 requests evaluated; 5 requests sent (budget reached" in out
    code, report = one_json(
        scan_main, [url + "/data", "--trusted-origin", ALLOWED, "--budget", "5"], capsys
    )
    assert (code, report["outcome"], report["complete"], report["requests_sent"]) == (
        4, "inconclusive", False, 5,
    )  # fmt: skip


def test_scan_complete_clean_scan_exits_0(live_server: Live, capsys: Any) -> None:
    """The same server with the whole plan sent: clean, exit 0."""
    config = materialize({"allow_origins": ["{allowed}"], "allow_credentials": True})
    url = live_server("crossorigin exact credentials", lambda: scenario_app(config))
    code, report = one_json(scan_main, [url + "/data", "--trusted-origin", ALLOWED], capsys)
    assert (code, report["outcome"], report["conclusive"]) == (0, "clean", True)


def test_scan_correct_subdomain_regex_has_no_findings(live_server: Live, capsys: Any) -> None:
    """A correct credentialed regex for app.example.com and its subdomains: no false finding."""
    url = live_server("regex", lambda: regex_app)
    code, report = one_json(
        scan_main, [url + "/data", "--trusted-origin", "https://app.example.com"], capsys
    )
    assert (code, report["findings"], report["outcome"]) == (0, [], "clean")


def test_scan_sends_only_hosts_dns_can_hold(live_server: Live, capsys: Any) -> None:
    """Every Origin the scan puts on the wire has labels of at most 63 and at most 253 chars."""
    seen: list[str] = []

    async def recording_app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(dict(scope["headers"]).get(b"origin", b"").decode("latin-1"))
        await regex_app(scope, receive, send)

    url = live_server("recording", lambda: recording_app)
    assert scan_main([url + "/data", "--trusted-origin", "https://app.example.com"]) == 0
    capsys.readouterr()
    hosts = [o.split("://", 1)[1].rsplit("@", 1)[-1].split(":")[0] for o in seen if o != "null"]
    assert len(seen) > 20
    assert max(len(h) for h in hosts) == 253  # the very-long class, at the limit
    assert all(len(label) <= 63 for h in hosts for label in h.split("."))


# --- timeouts and unreachable servers --------------------------------------------------------


@pytest.mark.parametrize("main", [check_main, scan_main], ids=["check", "scan"])
def test_timeout_names_its_reason(main: Any, live_server: Live, capsys: Any) -> None:
    """A timeout prints 'timed out after N s', never an empty reason; exit 3."""
    url = live_server("slow", lambda: slow_app) + "/data"
    flag = "--origin" if main is check_main else "--trusted-origin"
    assert main([url, flag, ALLOWED, "--timeout", "0.5"]) == 3
    err = capsys.readouterr().err
    assert err == f"Error: could not reach {url}: timed out after 0.5 s waiting for the response\n"


def test_timeout_json(live_server: Live, capsys: Any) -> None:
    """--json: the timeout is an error document of kind 'timeout'."""
    url = live_server("slow", lambda: slow_app) + "/data"
    code, document = one_json(check_main, [url, "--origin", ALLOWED, "--timeout", "0.5"], capsys)
    assert code == 3
    message = assert_error(document, "check", "timeout")
    assert message.endswith("timed out after 0.5 s waiting for the response")


@pytest.mark.parametrize("main", [check_main, scan_main], ids=["check", "scan"])
def test_unreachable_json(main: Any, refused_url: str, capsys: Any) -> None:
    """--json: a refused connection is an error document of kind 'unreachable', exit 3."""
    flag = "--origin" if main is check_main else "--trusted-origin"
    code, document = one_json(main, [refused_url, flag, ALLOWED, "--timeout", "5"], capsys)
    assert code == 3
    message = assert_error(document, main.__name__.removesuffix("_main"), "unreachable")
    assert message.startswith(f"could not reach {refused_url}: ")
    assert message != f"could not reach {refused_url}: "


# --- origins as browsers send them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "suggestion"),
    [
        pytest.param("https://App.Example", "https://app.example", id="upper case"),
        pytest.param("HTTPS://app.example", "https://app.example", id="upper-case scheme"),
        pytest.param("https://app.example:443", "https://app.example", id="default port"),
        pytest.param("https://app.example/", None, id="trailing slash"),
    ],
)
def test_origin_not_as_browsers_send_it_is_a_usage_error(
    origin: str, suggestion: str | None, capsys: Any
) -> None:
    """--origin must be a serialized origin (browsers send nothing else): exit 2, did you mean."""
    assert check_main(["http://127.0.0.1:1/x", "--origin", origin]) == 2
    err = capsys.readouterr().err
    assert "is not an origin as browsers send it" in err
    if suggestion is not None:
        assert f"did you mean {suggestion!r}?" in err
        assert CORSConfig(allow_origins=[suggestion])  # the suggestion is a config we accept


def test_trusted_origin_upper_case_is_a_usage_error(capsys: Any) -> None:
    """scan --trusted-origin follows the same rule."""
    code, document = one_json(
        scan_main, ["http://127.0.0.1:1/x", "--trusted-origin", "https://App.example"], capsys
    )
    assert code == 2
    assert "did you mean 'https://app.example'?" in assert_error(document, "scan", "usage")


def test_suggested_config_crossorigin_refuses_is_not_printed(
    live_server: Live, capsys: Any
) -> None:
    """A fix that would be a ConfigError (plain http with credentials) is explained instead."""
    config = materialize({"allow_origins": ["{allowed}"]})
    url = live_server("crossorigin exact", lambda: scenario_app(config))
    argv = [url + "/data", "--origin", "http://other.example", "--credentials"]
    code, report = one_json(check_main, argv, capsys)
    assert code == 1
    assert (report["fix"]["config"], report["fix"]["fastapi"]) == (None, None)
    assert "No crossorigin config allows this request as sent" in report["fix"]["summary"]
    assert "dangerously_allow_insecure_origins" in report["fix"]["summary"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--origin", ALLOWED], id="allowed simple GET"),
        pytest.param(["--origin", "https://other.example", "--credentials"], id="credentials"),
        pytest.param(["--origin", "https://other.example", "--method", "patch",
                      "-H", "X-Api-Key: 1", "-H", "Authorization: t"], id="preflight"),
        pytest.param(["--origin", "http://localhost:3000", "--credentials"], id="loopback"),
    ],
)  # fmt: skip
def test_every_printed_config_is_accepted(argv: list[str], live_server: Live, capsys: Any) -> None:
    """Whatever the request, a config line check prints builds a CORSConfig."""
    config = materialize({"allow_origins": ["{allowed}"]})
    url = live_server("crossorigin exact", lambda: scenario_app(config))
    _, report = one_json(check_main, [url + "/data", *argv], capsys)
    if report["fix"] is not None and report["fix"]["config"] is not None:
        built = eval(report["fix"]["config"], {"CORSConfig": CORSConfig})
        assert isinstance(built, CORSConfig)


# --- --json: one object for every outcome -----------------------------------------------------


@pytest.mark.parametrize(
    ("main", "argv", "command"),
    [
        pytest.param(check_main, ["http://127.0.0.1:1/x"], "check", id="missing option"),
        pytest.param(check_main, ["ftp://h/x", "--origin", ALLOWED], "check", id="bad URL"),
        pytest.param(check_main, ["http://127.0.0.1:1/x", "--origin", ALLOWED, "--nope"], "check",
                     id="unknown option"),
        pytest.param(scan_main, ["http://127.0.0.1:1/x", "--trusted-origin", "null"], "scan",
                     id="null trusted"),
        pytest.param(scan_main, ["http://127.0.0.1:1/x", "--trusted-origin", ALLOWED,
                                 "--budget", "0"], "scan", id="zero budget"),
    ],
)  # fmt: skip
def test_usage_errors_json(main: Any, argv: list[str], command: str, capsys: Any) -> None:
    """--json: a usage error is one error document on stdout, exit 2 (message also on stderr)."""
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert_error(json.loads(captured.out), command, "usage")
    assert captured.err.startswith("Error: ")


def test_dispatcher_unknown_command_json(capsys: Any) -> None:
    """--json reaches the dispatcher too: an unknown command is a usage error document."""
    assert crossorigin_main(["nope", "--json"]) == 2
    assert_error(json.loads(capsys.readouterr().out), "nope", "usage")


def test_internal_error_json(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """A bug inside check is still one JSON object (kind 'internal'), exit 5, traceback on stderr."""

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("crossorigin._cli.commands.check", broken)
    code, document = one_json(check_main, ["http://127.0.0.1:1/x", "--origin", ALLOWED], capsys)
    assert code == 5
    assert "simulated bug" in assert_error(document, "check", "internal")


def test_interrupted_json(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Ctrl-C during a scan is one JSON object (kind 'interrupted'), exit 130."""

    async def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("crossorigin._cli.commands.scan", interrupted)
    argv = ["http://127.0.0.1:1/x", "--trusted-origin", ALLOWED]
    code, document = one_json(scan_main, argv, capsys)
    assert code == 130
    assert_error(document, "scan", "interrupted")


# --- the extra and the process boundary -------------------------------------------------------

_BLOCK_HTTPX = "import sys; sys.modules['httpx'] = None; "


def test_lazy_check_without_cli_extra_names_the_extra() -> None:
    """crossorigin.check without httpx: an ImportError saying pip install 'crossorigin[cli]'."""
    code = (
        _BLOCK_HTTPX + "import crossorigin\n"
        "try:\n    crossorigin.check\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc.name, '|', exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kind, rest = proc.stdout.split(" ", 1)
    assert kind == "ImportError"
    assert rest.startswith("httpx | crossorigin.check needs the optional dependencies")
    assert "pip install 'crossorigin[cli]'" in rest


def test_cli_without_extra_json() -> None:
    """`crossorigin check --json` without httpx: one error document, kind missing-dependency."""
    code = _BLOCK_HTTPX + "from crossorigin._cli.dispatch import main; raise SystemExit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "check", "http://127.0.0.1:1/x", "--origin", ALLOWED,
         "--json"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )  # fmt: skip
    assert proc.returncode == 2
    message = assert_error(json.loads(proc.stdout), "check", "missing-dependency")
    assert "pip install 'crossorigin[cli]'" in message
    assert "pip install 'crossorigin[cli]'" in proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--help"], id="crossorigin --help"),
        pytest.param(["check", "--help"], id="crossorigin check --help"),
        pytest.param(["scan", "--help"], id="crossorigin scan --help"),
    ],
)
def test_closed_pipe_is_quiet(argv: list[str]) -> None:
    """`crossorigin --help | head -1`: no BrokenPipeError traceback; exit 141 (SIGPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: EPIPE on every write
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crossorigin", *argv], stdout=write_end,
            stderr=subprocess.PIPE, text=True, timeout=60, check=False,
            env={**os.environ, "PYTHONPATH": str(SRC)},
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_help_first_line() -> None:
    """`crossorigin --help` still prints the usage (the pipe handling changes nothing else)."""
    proc = run_cli("--help")
    assert (proc.returncode, proc.stdout.splitlines()[0]) == (
        0, "usage: crossorigin <command> [options]",
    )  # fmt: skip
