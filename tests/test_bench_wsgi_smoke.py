"""Smoke test of the WSGI benchmark: ``bench/wsgi.py --quick`` runs every implementation in a
fresh interpreter (Django's settings are process-wide) and writes its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_writes_every_row(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "wsgi.py"), "--quick", "--out", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "wsgi.json").read_text())
    for framework, other in (("flask", "flask-cors"), ("django", "django-cors-headers")):
        assert [row["id"] for row in data[framework]] == [
            "no Origin", "GET allowed", "GET denied origin", "preflight allowed", "preflight denied origin",
        ]
        for row in data[framework]:
            assert set(row["ns"]) == {"bare", other, "crossorigin"}
            assert all(ns > 0 for ns in row["ns"].values())
    text = (tmp_path / "wsgi.md").read_text()
    assert "| preflight denied origin |" in text
