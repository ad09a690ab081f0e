"""Smoke test of the microbenchmark: ``bench/micro.py --quick`` runs and writes its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import micro
from bench._scenarios import scenarios


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the quick benchmark once into a temporary directory."""
    out = tmp_path_factory.mktemp("bench")
    assert micro.main(["--quick", "--out", str(out)]) == 0
    return out


def test_json_has_every_scenario(report: Path) -> None:
    """latest.json lists every scenario, in order, with a number per implementation."""
    data = json.loads((report / "latest.json").read_text())
    assert [r["id"] for r in data["scenarios"]] == [s.id for s in scenarios()]
    for row in data["scenarios"]:
        assert row["ns"]["bare"] > 0
        assert row["ns"]["crossorigin"] > 0
        assert (row["ns"]["starlette"] is None) == (row["baseline"] is not None)


def test_json_top_level_shape(report: Path) -> None:
    """latest.json holds meta, scenarios, memory, import_time and targets, and nothing else."""
    data = json.loads((report / "latest.json").read_text())
    assert set(data) == {"meta", "scenarios", "memory", "import_time", "targets"}
    assert data["meta"]["quick"] is True
    assert [m["id"] for m in data["memory"]] == [s.id for s in scenarios() if s.adversarial]
    assert data["import_time"]["importtime_cumulative_us"] > 0


def test_every_target_has_a_verdict(report: Path) -> None:
    """Each target carries a name, a limit and a PASS/FAIL verdict (quick mode asserts none)."""
    data = json.loads((report / "latest.json").read_text())
    assert len(data["targets"]) >= len(data["scenarios"])
    for target in data["targets"]:
        assert set(target) == {"name", "value", "limit", "unit", "pass"}
        assert target["pass"] in (True, False)


def test_markdown_lists_rows_and_targets(report: Path) -> None:
    """latest.md has one table row per scenario and one PASS/FAIL line per target."""
    text = (report / "latest.md").read_text()
    data = json.loads((report / "latest.json").read_text())
    for row in data["scenarios"]:
        assert f"| {row['id']} |" in text
    verdicts = [line for line in text.splitlines() if line.startswith(("- PASS", "- FAIL"))]
    assert len(verdicts) == len(data["targets"])


def test_plot_draws_both_charts_from_the_results(tmp_path: Path) -> None:
    """``micro.py --plot``'s charts: one SVG per kind of result, naming every scenario."""
    pytest.importorskip("matplotlib")
    from bench import plot

    written = plot.plot(plot.RESULTS, tmp_path)
    assert [p.name for p in written] == ["bench-micro.svg", "bench-e2e.svg"]
    micro_svg = written[0].read_text()
    assert micro_svg.startswith("<?xml")
    for row in json.loads((plot.RESULTS / "latest.json").read_text())["scenarios"]:
        assert row["id"] in micro_svg
    assert "granian" in written[1].read_text()
