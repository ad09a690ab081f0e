"""docs/deployment.md's "Try it here" recipe runs as it is: a fleet on a private Redis."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import free_port, redis_binary

ROOT = Path(__file__).resolve().parents[2]


def recipe() -> str:
    text = (ROOT / "docs" / "deployment.md").read_text()
    section = text.split("## Try it here", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_recipe_runs(tmp_path: Path) -> None:
    if redis_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI: .ci/run must install it")
        pytest.skip("redis-server is not installed")
    # The recipe calls the console scripts; point them at this checkout's interpreter and code.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, module in (("crossorigin", "crossorigin"), ("uvicorn", "uvicorn")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "REDIS_PORT": str(free_port()),
        "A": str(free_port()),
        "B": str(free_port()),
    }
    process = subprocess.Popen(
        ["bash", "-c", recipe()], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=180)
    finally:
        # Whatever happened, nothing the recipe started outlives the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        subprocess.run(["redis-cli", "-p", env["REDIS_PORT"], "shutdown", "nosave"],
                       capture_output=True, check=False, timeout=10)  # fmt: skip
    assert process.returncode == 0, output
    lines = [line for line in output.splitlines() if line.startswith("allowed:")]
    assert lines == ["allowed: 8 of 8", "allowed: 0 of 8"], output
