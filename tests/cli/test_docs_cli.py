"""docs/cli.md: its Python example runs against a live server, and its tables match the code."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crossorigin._cli import commands as _check_cli
from crossorigin._cli import dispatch as _cli
from tests.apps import scenario_app
from tests.asgi.test_scenarios import materialize
from tests.cli.test_outcomes import ERROR_KINDS

Live = Callable[[str, Callable[[], Any]], str]
DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
EXAMPLE_BASE = "http://127.0.0.1:8000"


def section(title: str) -> str:
    start = DOC.index(title)
    following = DOC.find("\n#", start + len(title))
    return DOC[start : following if following >= 0 else len(DOC)]


def first_column(text: str) -> list[str]:
    """The first cell of each body row of the first table in *text*."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1].strip().strip("`"))
    return rows[2:]


def test_python_example_runs(live_server: Live) -> None:
    """The 'From Python' block runs as written, against a live crossorigin server."""
    (code,) = re.findall(r"```python\n(.*?)```", section("## From Python"), re.S)
    assert EXAMPLE_BASE in code
    config = materialize({"allow_origins": ["https://app.example"], "allow_methods": ["PUT"]})
    url = live_server("docs example", lambda: scenario_app(config))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.replace(EXAMPLE_BASE, url), "docs/cli.md", "exec"), {})
    assert out.getvalue().startswith("True None None\n")


def test_exit_code_table_matches_the_code() -> None:
    """Every exit code the CLI defines has a row, and every row is a code the CLI defines."""
    codes = {int(c) for c in first_column(section("### Exit codes and outcomes"))}
    defined = {
        _check_cli.EXIT_OK, _check_cli.EXIT_FINDINGS, _check_cli.EXIT_USAGE,
        _check_cli.EXIT_UNREACHABLE, _check_cli.EXIT_INCONCLUSIVE, _check_cli.EXIT_INTERNAL,
        _check_cli.EXIT_INTERRUPTED, _cli.EXIT_USAGE, _cli.EXIT_BROKEN_PIPE,
    }  # fmt: skip
    assert codes == defined


def test_error_kind_table_matches_the_tests() -> None:
    """The documented error kinds are exactly those the outcome tests accept."""
    assert set(first_column(section("### Error documents").split("```", 2)[2])) == ERROR_KINDS
