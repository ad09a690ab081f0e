"""Smoke test of the soak test: ``bench/soak.py`` for a few seconds per server.

The real run is ten minutes per server and not part of the suite (docs/performance.md); this
one proves that the servers start, the mixed wrk script checks every response, the memory
sampler sees the server, and the three result files are written.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from bench import soak

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None and not os.environ.get("CI"),
    reason="wrk is not installed (scripts/test installs it; apt-get install wrk)",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the soak for three seconds per server into a temporary directory."""
    out = tmp_path_factory.mktemp("soak")
    assert soak.main(["--minutes", "0.05", "--out", str(out)]) == 0
    return out


def test_every_response_was_checked_and_expected(report: Path) -> None:
    """Both servers answered every request of the mix as expected, without socket errors."""
    data = json.loads((report / "soak.json").read_text())
    assert [r["server"] for r in data["runs"]] == ["granian", "uvicorn"]
    for run in data["runs"]:
        assert run["bad"] == 0, run["first_bad"]
        assert run["ok"] == run["requests"] > 0
        assert run["errors500"] > 0  # the error path was exercised
        assert run["socket_errors"] == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
        assert run["pass"] is True


def test_memory_was_sampled_but_not_judged(report: Path) -> None:
    """Every second gives one RSS sample of the server; seconds are too few for a verdict."""
    data = json.loads((report / "soak.json").read_text())
    for run in data["runs"]:
        assert len(run["samples"]) >= 2
        assert all(rss > 10_000 for _, rss in run["samples"])  # KiB: a live Python server
        assert run["memory"]["pass"] is None


def test_markdown_and_chart(report: Path) -> None:
    """soak.md has one row per server; soak.png is a PNG image."""
    text = (report / "soak.md").read_text()
    assert "| granian |" in text
    assert "| uvicorn |" in text
    assert (report / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_memory_verdict_compares_medians_after_warmup() -> None:
    """Growth is the last ten samples' median against the first ten after the warm-up."""
    flat = [(float(t), 100_000) for t in range(100)]
    assert soak.memory_verdict(flat)["growth"] == 0
    assert soak.memory_verdict(flat)["pass"] is True
    leaking = [(float(t), 100_000 + 200 * t) for t in range(100)]
    verdict = soak.memory_verdict(leaking)
    assert verdict["warmup_s"] == 20.0
    assert verdict["pass"] is False
    warmup_only = [(float(t), 50_000 if t < 20 else 100_000) for t in range(100)]
    assert soak.memory_verdict(warmup_only)["pass"] is True
