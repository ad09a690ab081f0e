"""``crossorigin check`` and ``crossorigin scan``: the click commands and their text output.

Read this for options, exit codes and rendering; the work is done by ``_check.check`` and
``_scan.scan``. Exit codes (docs/cli.md, "Exit codes"): 0 allowed / clean scan, 1 blocked /
findings, 2 usage error, 3 server unreachable or timed out, 4 scan inconclusive (cut short by
``--budget``, or requests unanswered or answered with server errors), 5 internal error,
130 interrupted. With ``--json`` every outcome prints exactly one JSON object on stdout:
the report, or ``{"schema_version", "command", "error": {"kind", "message"}}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click

from crossorigin._browser.fetch_rules import is_token
from crossorigin._cli.check import (
    DEFAULT_TIMEOUT,
    SCHEMA_VERSION,
    Exchange,
    Report,
    Unreachable,
    check,
)
from crossorigin._cli.scan import SEVERITIES, ScanReport, plan, scan
from crossorigin._grammar.origins import _suggest, parse_origin

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_INCONCLUSIVE, EXIT_INTERNAL, EXIT_INTERRUPTED = 4, 5, 130
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_SHOWN = ("access-control-", "vary", "location")
_COLOURS = {"critical": "red", "high": "red", "medium": "yellow", "low": "cyan"}


def _url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL", ctx, param)
    return value


def _origin(value: str, ctx: click.Context, param: click.Parameter) -> str:
    if value == "null" or parse_origin(value) is not None:
        return value
    # Browsers only send serialized origins (https://fetch.spec.whatwg.org/#origin-header):
    # lower case, no default port, no path. Checking another spelling would test a request no
    # browser makes, and its suggested config would be one crossorigin refuses.
    suggestion = _suggest(value)
    hint = f"; did you mean {suggestion!r}?" if parse_origin(suggestion) is not None else ""
    raise click.BadParameter(
        f"{value!r} is not an origin as browsers send it (scheme://host[:port] in lower case, "
        f"no default port, no path or trailing slash), nor 'null'{hint}",
        ctx,
        param,
    )


def _origin_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_origin(v, ctx, param) for v in value)
    return _origin(value, ctx, param)


def _headers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    out = []
    for raw in values:
        name, _, value = raw.partition(":")
        name = name.strip()
        if not is_token(name):
            raise click.BadParameter(f"{raw!r} is not NAME or 'NAME: value'", ctx, param)
        out.append((name, value.strip(" \t")))
    return tuple(out)


class CommandError(Exception):
    """An outcome without a report: printed as ``Error: ...`` or, with ``--json``, as the
    error document; *kind* is one of docs/cli.md's error kinds."""

    def __init__(self, kind: str, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code


def error_document(command: str, kind: str, message: str) -> str:
    """The ``--json`` document of an outcome without a report."""
    error = {"kind": kind, "message": message}
    document = {"schema_version": SCHEMA_VERSION, "command": command, "error": error}
    return json.dumps(document, indent=2)


def _run(command: click.Command, argv: Sequence[str], prog: str) -> int:
    """Run *command* without letting click exit the process; return the exit code."""
    as_json = "--json" in argv
    name = command.name or prog
    try:
        result = command.main(args=list(argv), prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help
        return exc.exit_code
    except SystemExit as exc:
        # Without standalone mode click calls sys.exit only for a closed stdout (EPIPE); let
        # the entry point end quietly with its broken-pipe code instead of click's 1.
        raise BrokenPipeError("stdout was closed") from exc
    except click.ClickException as exc:
        failure = CommandError("usage", exc.format_message(), EXIT_USAGE)
        if not as_json:
            exc.show()  # click's own rendering: usage line and "Error: ..."
            return EXIT_USAGE
    except CommandError as exc:
        failure = exc
    except (click.Abort, KeyboardInterrupt):
        failure = CommandError("interrupted", "interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # a bug in crossorigin: still one outcome, with the traceback
        traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc}"
        failure = CommandError("internal", message, EXIT_INTERNAL)
    else:
        return result if isinstance(result, int) else EXIT_OK
    if as_json:
        click.echo(error_document(name, failure.kind, failure.message))
    click.echo(f"Error: {failure.message}", err=True)
    return failure.exit_code


def check_main(argv: list[str]) -> int:
    """``crossorigin check ARGS``: return the exit code."""
    return _run(check_command, argv, "crossorigin check")


def scan_main(argv: list[str]) -> int:
    """``crossorigin scan ARGS``: return the exit code."""
    return _run(scan_command, argv, "crossorigin scan")


_TIMEOUT = click.FloatRange(min=0, min_open=True)
_TIMEOUT_HELP = "Seconds per request."


_CHECK_EPILOG = (
    "Exit codes: 0 allowed, 1 blocked, 2 usage error, 3 server unreachable or timed out, "
    "5 internal error."
)
_SCAN_EPILOG = (
    "Exit codes: 0 no findings (every attack origin tested), 1 findings, 2 usage error, "
    "3 server unreachable or timed out, 4 inconclusive (budget reached, or requests "
    "unanswered or answered with server errors), 5 internal error."
)


@click.command("check", context_settings=_CONTEXT, epilog=_CHECK_EPILOG)
@click.argument("url", callback=_url)
@click.option(
    "--origin",
    required=True,
    callback=_origin_option,
    metavar="ORIGIN",
    help="The page's origin, e.g. https://app.example.",
)
@click.option(
    "--method",
    default="GET",
    show_default=True,
    metavar="METHOD",
    help="Method as fetch() gets it.",
)
@click.option(
    "--header",
    "-H",
    "headers",
    multiple=True,
    callback=_headers,
    metavar="NAME[: VALUE]",
    help="A header the page sets (repeatable).",
)
@click.option("--credentials", is_flag=True, help='As fetch(url, {credentials: "include"}).')
@click.option(
    "--chromium",
    is_flag=True,
    help="Model Chromium: '*' in Access-Control-Allow-Headers also covers Authorization.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (docs/cli.md).")
@click.option(
    "--timeout",
    type=_TIMEOUT,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help=_TIMEOUT_HELP,
)
def check_command(
    url: str,
    origin: str,
    method: str,
    headers: tuple[tuple[str, str], ...],
    credentials: bool,
    chromium: bool,
    as_json: bool,
    timeout: float,
) -> int:
    """Explain whether a browser at ORIGIN may fetch URL, step by step, and how to fix it."""
    try:
        report = asyncio.run(
            check(
                url,
                origin=origin,
                method=method,
                headers=headers,
                credentials=credentials,
                timeout=timeout,
                authorization_covered_by_wildcard=chromium,
            )
        )
    except Unreachable as exc:
        raise CommandError(exc.kind, str(exc), EXIT_UNREACHABLE) from exc
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _render_check(report)
    return EXIT_OK if report.allowed else EXIT_FINDINGS


def _render_check(report: Report) -> None:
    request = report.request
    creds = " with credentials" if request.credentials else ""
    click.echo(f"{request.method} {report.url}\nfrom {request.origin}{creds}\n")
    for label, exchange in (("preflight", report.preflight), ("request", report.actual)):
        if exchange is not None:
            line = _evidence(exchange, all_sent=True)
            click.echo(click.style(f"  {label:<9}  {line}", dim=True))
    if report.preflight is not None or report.actual is not None:
        click.echo()
    width = max(len(step.name) for step in report.verdict.steps)
    for step in report.verdict.steps:
        mark = click.style("PASS", fg="green") if step.passed else click.style("FAIL", fg="red")
        click.echo(f"  {mark}  {step.name:<{width}}  {step.reason}")
        click.echo(click.style(f"        {'':<{width}}  {step.spec}", dim=True))
    for note in report.notes:
        click.echo(f"\nNote: {note}")
    if report.allowed:
        click.echo(
            "\n" + click.style("ALLOWED", fg="green", bold=True) + ": a browser would "
            "let the page read this response."
        )
        return
    failed = report.verdict.failed_step
    name = failed.name if failed else "?"
    click.echo(
        "\n"
        + click.style("BLOCKED", fg="red", bold=True)
        + f": a browser would block this request at step '{name}'."
    )
    if report.chromium_console:
        click.echo(f"Chromium's console says: {report.chromium_console}")
    if report.fix is not None:
        click.echo(f"Fix: {report.fix.summary}")
        if report.fix.config is not None:
            click.echo(f"  crossorigin: {report.fix.config}")
            click.echo(f"  FastAPI:     {report.fix.fastapi}")


@click.command("scan", context_settings=_CONTEXT, epilog=_SCAN_EPILOG)
@click.argument("url", callback=_url)
@click.option(
    "--trusted-origin",
    "trusted",
    multiple=True,
    required=True,
    callback=_origin_option,
    help="An origin the API trusts (repeatable); attack origins imitate it.",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Most requests to send.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Most requests in flight.",
)
@click.option(
    "--timeout",
    type=_TIMEOUT,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help=_TIMEOUT_HELP,
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (docs/cli.md).")
def scan_command(
    url: str,
    trusted: tuple[str, ...],
    budget: int,
    concurrency: int,
    timeout: float,
    as_json: bool,
) -> int:
    """Probe URL's CORS policy with attack origins derived from each trusted origin."""
    if "null" in trusted:
        raise click.BadParameter("'null' cannot be trusted", param_hint="'--trusted-origin'")
    total = min(budget, 2 * len(plan(trusted)) + 1)
    with _progress(total, enabled=not as_json and sys.stderr.isatty()) as advance:
        try:
            report = asyncio.run(
                scan(
                    url,
                    trusted_origins=trusted,
                    budget=budget,
                    concurrency=concurrency,
                    timeout=timeout,
                    progress=advance,
                )
            )
        except Unreachable as exc:
            raise CommandError(exc.kind, str(exc), EXIT_UNREACHABLE) from exc
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _render_scan(report)
    return _SCAN_EXIT[report.outcome]


_SCAN_EXIT = {"findings": EXIT_FINDINGS, "clean": EXIT_OK, "inconclusive": EXIT_INCONCLUSIVE}


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _n: None
        return
    with click.progressbar(length=total, label="scanning", file=sys.stderr) as bar:
        yield bar.update


def _render_scan(report: ScanReport) -> None:
    click.echo(f"scan {report.url}\ntrusted: {', '.join(report.trusted_origins)}\n")
    reflect_any = any(f.kind == "reflect-any" for f in report.findings)
    if reflect_any:
        click.echo(
            "The server accepts an unrelated origin, so it probably reflects any Origin: "
            "every finding below is that one bug.\n"
        )
    for finding in report.findings:
        label = click.style(
            f"{finding.severity.upper():<8}", fg=_COLOURS[finding.severity], bold=True
        )
        click.echo(f"{label}  [{finding.kind}] {_short(finding.title)}")
        if reflect_any and finding.kind != "reflect-any":
            continue
        click.echo(f"          evidence: {_short(_evidence(finding.evidence), 400)}")
        click.echo(f"          fix: {finding.fix}\n")
    counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or _nothing_found(report)
    done = "" if report.complete else f" (budget reached: {report.planned} planned)"
    if report.errors:
        done += f"; {report.errors} got no response and are untested"
    if report.server_errors:
        done += f"; {report.server_errors} got a server error (5xx) and are untested"
    click.echo(f"\n{summary}; {report.requests_sent} requests sent{done}.")
    if report.outcome == "inconclusive":
        click.echo(
            click.style("INCONCLUSIVE", fg="yellow", bold=True)
            + f": {_inconclusive_reason(report)}"
        )


def _nothing_found(report: ScanReport) -> str:
    # "no findings" only when it means something: every planned request sent and evaluated.
    if report.conclusive:
        return "no findings"
    evaluated = report.requests_sent - report.errors - report.server_errors
    return (
        f"nothing found in the {evaluated} requests evaluated" if evaluated else "nothing evaluated"
    )


def _inconclusive_reason(report: ScanReport) -> str:
    if report.server_errors and report.server_errors + report.errors >= report.requests_sent:
        return (
            "the scan could not evaluate the CORS policy: every response was a server error "
            "(5xx) or missing, so the application failed before its CORS policy showed; "
            "fix the server (see its log) and scan again."
        )
    reasons = []
    if not report.complete:
        reasons.append(
            f"--budget stopped it after {report.requests_sent} of {report.planned} requests"
        )
    if report.server_errors:
        reasons.append(f"{report.server_errors} requests got a server error (5xx)")
    if report.errors:
        reasons.append(f"{report.errors} requests got no response")
    return (
        f"the scan is partial: {'; '.join(reasons)}. Nothing found in the requests that were "
        "evaluated does not make the policy safe."
    )


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CLIENT_HEADERS = {"host", "accept-encoding", "connection", "user-agent", "content-length"}


def _evidence(exchange: Exchange, *, all_sent: bool = False) -> str:
    """One line: the request's relevant headers and the response's CORS headers."""
    sent = "; ".join(
        f"{k}: {v}"
        for k, v in exchange.request_headers
        if (all_sent and k.lower() not in _CLIENT_HEADERS)
        or k.lower() in {"origin", "cookie"}
        or k.lower().startswith(_SHOWN[0])
    )
    got = "; ".join(
        f"{k}: {v}" for k, v in exchange.response_headers if k.lower().startswith(_SHOWN)
    )
    return f"{exchange.method} with {sent} -> {exchange.status} {got or '(no CORS headers)'}"
