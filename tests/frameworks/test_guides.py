"""Every ``python`` block of docs/frameworks/ and docs/migrating/, and the README's quickstart,
runs as it is in a fresh interpreter (the first block of each framework guide also serves the
probe set under a real server: test_frameworks.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.frameworks.servers import ROOT, environment

DOCS = [*sorted((ROOT / "docs" / "frameworks").glob("*.md")), *sorted((ROOT / "docs" / "migrating").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def blocks() -> list[pytest.param]:  # type: ignore[valid-type]
    found = []
    for path in DOCS:
        for index, match in enumerate(BLOCK.finditer(path.read_text())):
            found.append(pytest.param(match.group(1), id=f"{path.parent.name}/{path.stem}-{index}"))
    readme = ROOT.joinpath("README.md").read_text()
    quickstart = readme[readme.index("## Quickstart") :]
    match = BLOCK.search(quickstart)
    assert match is not None
    found.append(pytest.param(match.group(1), id="README-quickstart"))
    return found


def test_every_framework_has_a_guide() -> None:
    names = {p.stem for p in (ROOT / "docs" / "frameworks").glob("*.md")}
    assert names >= {
        "fastapi", "starlette", "litestar", "quart", "django-asgi", "falcon", "blacksheep",
        "sanic", "flask", "django-wsgi",
    }


@pytest.mark.parametrize("code", blocks())
def test_snippet_runs(code: str, tmp_path: Path) -> None:
    (tmp_path / "snippet.py").write_text(code)
    done = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, env=environment(tmp_path),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_async_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    """docs/testing.md's async example is a test file: pytest runs it and it passes."""
    text = (ROOT / "docs" / "testing.md").read_text()
    [code] = [m.group(1) for m in BLOCK.finditer(text) if "assert_cors_allows_async" in m.group(1)]
    (tmp_path / "test_cors_example.py").write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_cors_example.py"],
        cwd=tmp_path, env=environment(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
