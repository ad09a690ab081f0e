"""Every Python and shell example in README.md, README-PYPI.md, CONTRIBUTING.md and docs/**/*.md runs.

New pages are picked up automatically. A fenced block tagged ``python`` runs in a namespace
shared with the earlier Python blocks of the same page (as a reader following the page would
have them), so each test replays the page's earlier blocks first. Blocks tagged ``bash``,
``sh``, ``shell`` or ``console`` run command by command (``console`` lines starting with ``$ ``
are commands, the lines after them the output shown). Other tags (``text``, ``json``, ...)
are not code.

Directives are HTML comments directly above a block (invisible on the page and on the site):

``<!-- doc-test: skip REASON -->``
    Do not run the block; REASON is required and says why running is impossible here (it
    installs packages, serves forever, needs a remote host, ...).
``<!-- doc-test: prelude`` + Python lines + ``-->``
    Python run before the block, for fragments that use names the page never defines
    (``app``, a config being replaced, ...).
``<!-- doc-test: tmpdir PATH -->``
    For a shell block: PATH (say ``/var/lib/myapp``) in the commands becomes a fresh temporary
    directory, so commands that write files run for real.
``<!-- doc-test: server MODULE:FACTORY URL [exit=N] -->``
    Serve ``FACTORY()`` (an ASGI app, see tests/docs_servers.py) on a free
    loopback port, replace URL's origin in the commands by the server's, and expect exit status
    N (default 0); every output line shown in the block (other than one with ``...``) must
    appear in the real output, with the server's origin written back as URL's. A Python block
    with a server has URL's origin replaced in its code (and is not replayed by later blocks).

A Python block that defines ``test_*`` functions (docs/testing.md) has them called too.

Shell commands that run without a directive: ``crossorigin ...`` and ``python -m crossorigin
...`` with ``--help``. Any other command needs a directive, so a new example is never silently
left out.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import logging
import os
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [
        *(p for p in (ROOT / n for n in ("README.md", "README-PYPI.md", "CONTRIBUTING.md")) if p.exists()),
        *(ROOT / "docs").rglob("*.md"),
    ]
)
SHELL = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<lang>[\w+-]*)[^\n]*$")
DIRECTIVE = re.compile(r"<!--\s*doc-test:\s*(?P<body>.*?)-->", re.S)


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None = None
    prelude: str = ""
    server: tuple[str, str, int] | None = None  # factory, URL, expected exit status
    tmpdir: str | None = None  # a path the commands use, replaced by a temporary directory
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def parse(page: Path) -> list[Block]:
    """The fenced blocks of *page* with the directives written directly above each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"].lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]]
        block = Block(page, i + 1, lang, "\n".join(body) + "\n")
        _directives(block, _comment_above(lines, i))
        blocks.append(block)
        i = end + 1
    return blocks


def _comment_above(lines: list[str], fence: int) -> str:
    """The HTML comments between the previous non-blank, non-comment line and the fence."""
    j = fence - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0 or not lines[j].strip().endswith("-->"):
        return ""
    start = j
    while start >= 0 and "<!--" not in lines[start]:
        start -= 1
    above = "\n".join(lines[max(start, 0) : j + 1])
    earlier = _comment_above(lines, start) if start > 0 else ""
    return earlier + "\n" + above


def _directives(block: Block, comments: str) -> None:
    for match in DIRECTIVE.finditer(comments):
        body = match["body"].strip()
        kind, _, rest = body.partition(" ") if "\n" not in body.split(" ", 1)[0] else body.partition("\n")
        kind = kind.strip()
        if kind == "skip":
            if not rest.strip():
                block.problems.append("a skip directive needs a reason")
            block.skip = rest.strip()
        elif kind == "prelude":
            block.prelude += rest.strip("\n") + "\n"
        elif kind == "tmpdir":
            block.tmpdir = rest.strip()
            if not block.tmpdir:
                block.problems.append("tmpdir needs the PATH the commands use")
        elif kind == "server":
            parts = rest.split()
            expected = 0
            for part in parts[2:]:
                if part.startswith("exit="):
                    expected = int(part[5:])
            if len(parts) < 2:
                block.problems.append("server needs MODULE:FACTORY and URL")
            else:
                block.server = (parts[0], parts[1], expected)
        else:
            block.problems.append(f"unknown directive {kind!r}")


BLOCKS = [block for page in PAGES for block in parse(page) if block.lang in SHELL | {"python", "py"}]


def test_pages_are_found() -> None:
    """The collector sees the README and every docs page (a moved docs/ would empty it)."""
    assert ROOT / "README.md" in PAGES
    assert len([p for p in PAGES if p.parent.name == "docs"]) >= 10
    assert sum(block.lang == "python" for block in BLOCKS) >= 20


# -- Python blocks -------------------------------------------------------------------------

PYTHON = [b for b in BLOCKS if b.lang in {"python", "py"}]


def _execute(code: str, namespace: dict[str, Any], where: str) -> None:
    # dont_inherit: this module's `from __future__ import annotations` must not leak into the page.
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    if compiled.co_flags & 0x80:  # CO_COROUTINE: the block awaits at top level
        asyncio.run(eval(compiled, namespace))
    else:
        exec(compiled, namespace)


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_example(block: Block, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The block runs after the page's earlier blocks; test functions it defines pass too."""
    assert not block.problems, block.problems
    if block.skip is not None:
        pytest.skip(block.skip)
    monkeypatch.chdir(tmp_path)  # a block that writes a file writes it here
    for name in [n for n in os.environ if n.startswith("CORS_")]:
        monkeypatch.delenv(name)
    saved_environ = dict(os.environ)
    # A real module: frameworks (FastAPI, Litestar, pydantic) resolve annotations through
    # sys.modules[__name__].
    module = types.ModuleType(f"doc_example_{block.page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(_logging_restored())
            code = block.code
            if block.server is not None:
                factory, url, _ = block.server
                code = code.replace(_origin(url), stack.enter_context(_server(factory)))
            for earlier in PYTHON:
                if earlier is block:
                    break
                if earlier.page == block.page and earlier.skip is None and earlier.server is None:
                    _execute(earlier.prelude + earlier.code, namespace, earlier.id)
            _execute(block.prelude, namespace, f"{block.id} (prelude)")
            before = set(namespace)
            _execute(code, namespace, block.id)
            for name in sorted(set(namespace) - before):
                if name.startswith("test_") and callable(namespace[name]):
                    namespace[name]()
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        _forget_django_settings()


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Put logging back as it was: pages call basicConfig, and frameworks (Django, Sanic)
    apply dictConfig, which may disable existing loggers such as ``crossorigin``."""
    loggers = [logging.getLogger(), *(
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    )]
    saved = [(lg, lg.level, lg.propagate, lg.disabled, list(lg.handlers)) for lg in loggers]
    try:
        yield
    finally:
        for lg, level, propagate, disabled, handlers in saved:
            lg.setLevel(level)
            lg.propagate, lg.disabled, lg.handlers[:] = propagate, disabled, handlers
        for lg in logging.Logger.manager.loggerDict.values():
            if isinstance(lg, logging.Logger) and lg not in loggers:
                lg.disabled = False


def _forget_django_settings() -> None:
    """Each page configures Django its own way; settings are process-wide, so reset them."""
    if "django.conf" in sys.modules:
        from django.conf import settings
        from django.utils.functional import empty

        settings._wrapped = empty


# -- shell blocks --------------------------------------------------------------------------

SHELLS = [b for b in BLOCKS if b.lang in SHELL]


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, output lines shown after it) for each command of the block."""
    lines = block.code.splitlines()
    result: list[tuple[str, list[str]]] = []
    if block.lang == "console":
        for line in lines:
            if line.startswith("$ "):
                result.append((line[2:], []))
            elif result:
                result[-1][1].append(line)
        return result
    return [(line, []) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _argv(command: str) -> list[str]:
    words = shlex.split(command, comments=True)
    if words[:3] == ["python", "-m", "crossorigin"]:
        words = words[3:]
    elif words[:1] == ["crossorigin"]:
        words = words[1:]
    else:
        raise AssertionError(
            f"{command!r} is not a crossorigin command: add a doc-test directive above the block"
        )
    return [sys.executable, "-m", "crossorigin", *words]


@contextlib.contextmanager
def _server(factory: str) -> Iterator[str]:
    from tests.uvicorn_thread import serve

    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    with serve(app) as port:
        yield f"http://127.0.0.1:{port}"


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@pytest.mark.parametrize("block", SHELLS, ids=[b.id for b in SHELLS])
def test_shell_example(block: Block, tmp_path: Path) -> None:
    assert not block.problems, block.problems
    if block.skip is not None:
        pytest.skip(block.skip)
    steps = commands(block)
    assert steps, "a shell block without commands: tag it `text`"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "COLUMNS": "200"}
    with contextlib.ExitStack() as stack:
        documented = local = ""
        expected = 0
        if block.server is not None:
            factory, url, expected = block.server
            documented = _origin(url)
            local = stack.enter_context(_server(factory))
        for command, shown in steps:
            if block.tmpdir is not None:
                command = command.replace(block.tmpdir, str(tmp_path))
            argv = _argv(command.replace(documented, local) if documented else command)
            if block.server is None and block.tmpdir is None:
                assert "--help" in argv, f"{command!r} needs a server or skip directive"
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
            output = done.stdout + done.stderr
            assert done.returncode == expected, f"{command!r} exited {done.returncode}:\n{output}"
            if documented:
                output = output.replace(local, documented)
            actual = {line.rstrip() for line in output.splitlines()}
            for line in shown:
                if line.strip() and "..." not in line and "…" not in line:
                    assert line.rstrip() in actual, f"{line!r} not in the output:\n{output}"


# -- the collector itself ------------------------------------------------------------------


def test_collector_reads_directives(tmp_path: Path) -> None:
    """Directives attach to the block right below them; a skip needs a reason."""
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- doc-test: prelude\nx = 1\n-->\n```python\nprint(x)\n```\n\n"
        "<!-- doc-test: skip -->\n```bash\nrm -rf /\n```\n\n"
        "text\n\n```console\n$ crossorigin --help\nusage\n```\n\n"
        "<!-- doc-test: server tests.docs_servers:local_api http://127.0.0.1:8000 exit=1 -->\n"
        "  ```sh\n  crossorigin check http://127.0.0.1:8000/items --origin http://a.example\n  ```\n"
        "<!-- doc-test: frobnicate -->\n```python\npass\n```\n",
        encoding="utf-8",
    )
    first, second, third, fourth, fifth = parse(page)
    assert (first.lang, first.prelude, first.code, first.problems) == ("python", "x = 1\n", "print(x)\n", [])
    assert (second.skip, second.problems) == ("", ["a skip directive needs a reason"])
    assert (third.skip, third.prelude, commands(third)) == (None, "", [("crossorigin --help", ["usage"])])
    assert fourth.server == ("tests.docs_servers:local_api", "http://127.0.0.1:8000", 1)
    assert commands(fourth) == [("crossorigin check http://127.0.0.1:8000/items --origin http://a.example", [])]
    assert fifth.problems == ["unknown directive 'frobnicate'"]


def test_only_crossorigin_commands_run() -> None:
    with pytest.raises(AssertionError, match="not a crossorigin command"):
        _argv("pip install crossorigin")
    assert _argv("python -m crossorigin check --help")[1:] == ["-m", "crossorigin", "check", "--help"]
