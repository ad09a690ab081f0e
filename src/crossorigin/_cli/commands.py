"""``crossorigin check`` and ``crossorigin scan``: the click commands and their text output.

Read this for options, exit codes and rendering; the work is done by ``_check.check`` and
``_scan.scan``. Exit codes: 0 allowed / no findings, 1 blocked / findings, 2 usage error
(click's ``UsageError.exit_code``), 3 server unreachable. Documented in docs/cli.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click

from crossorigin._browser.fetch_rules import is_token
from crossorigin._cli.check import DEFAULT_TIMEOUT, Exchange, Report, Unreachable, check
from crossorigin._cli.scan import SEVERITIES, ScanReport, plan, scan

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_SHOWN = ("access-control-", "vary", "location")
_COLOURS = {"critical": "red", "high": "red", "medium": "yellow", "low": "cyan"}


def _url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL", ctx, param)
    return value


def _origin(value: str, ctx: click.Context, param: click.Parameter) -> str:
    parts = urlsplit(value)
    shaped = parts.scheme and parts.netloc and not parts.path and not parts.query
    if value != "null" and not (shaped and not parts.fragment):
        raise click.BadParameter(
            f"{value!r} is not an origin (scheme://host[:port], no path), or 'null'", ctx, param
        )
    return value


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


def _run(command: click.Command, argv: Sequence[str], prog: str) -> int:
    """Run *command* without letting click exit the process; return the exit code."""
    try:
        result = command.main(args=list(argv), prog_name=prog, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_FINDINGS
    return result if isinstance(result, int) else EXIT_OK


def check_main(argv: list[str]) -> int:
    """``crossorigin check ARGS``: return the exit code."""
    return _run(check_command, argv, "crossorigin check")


def scan_main(argv: list[str]) -> int:
    """``crossorigin scan ARGS``: return the exit code."""
    return _run(scan_command, argv, "crossorigin scan")


_TIMEOUT = click.FloatRange(min=0, min_open=True)
_TIMEOUT_HELP = "Seconds per request."


_CHECK_EPILOG = "Exit codes: 0 allowed, 1 blocked, 2 usage error, 3 server unreachable."
_SCAN_EPILOG = "Exit codes: 0 no findings, 1 findings, 2 usage error, 3 server unreachable."


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
        click.echo(f"Error: {exc}", err=True)
        return EXIT_UNREACHABLE
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
            click.echo(f"Error: {exc}", err=True)
            return EXIT_UNREACHABLE
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _render_scan(report)
    return EXIT_FINDINGS if report.findings else EXIT_OK


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
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    done = "" if report.complete else f" (budget reached: {report.planned} planned)"
    if report.errors:
        done += f"; {report.errors} got no response and are untested"
    click.echo(f"\n{summary}; {report.requests_sent} requests sent{done}.")


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
