"""Generated pictures under docs/ are current; ``scripts/regen-docs`` rewrites them.

No test writes them (a test run leaves the tree clean): these only compare. The browser matrix
is compared by the browser suite itself (tests/browser/conftest.py).
"""

from __future__ import annotations

import json

import pytest
from bench.plot import IMAGES, RESULTS

from tests.generated_docs import DIGEST, demo_sources_digest

STALE = "stale: run scripts/regen-docs and commit the result"


def test_demo_screenshot_matches_the_demo_sources() -> None:
    """The page, its runner or the config fields changed since docs/demo.png was taken."""
    recorded = DIGEST.read_text(encoding="utf-8").split()[0]
    assert recorded == demo_sources_digest(), f"docs/demo.png is {STALE}"


def test_micro_chart_shows_the_latest_results() -> None:
    """Every overhead in bench/results/latest.json is written on docs/images/bench-micro.svg."""
    chart = (IMAGES / "bench-micro.svg").read_text(encoding="utf-8")
    for row in json.loads((RESULTS / "latest.json").read_text())["scenarios"]:
        for value in row["overhead_ns"].values():
            if value:
                assert f"{value:,.0f}" in chart, f"docs/images/bench-micro.svg is {STALE}"


def test_e2e_chart_shows_the_latest_results() -> None:
    """Every throughput of bench/results/e2e*.json is written on docs/images/bench-e2e.svg."""
    chart = (IMAGES / "bench-e2e.svg").read_text(encoding="utf-8")
    for path in sorted(RESULTS.glob("e2e*.json")):
        for row in json.loads(path.read_text())["rows"]:
            for rps in row["rps"].values():
                assert f"{rps / 1000:.1f}k" in chart, f"docs/images/bench-e2e.svg is {STALE}"


def test_browser_matrix_page_is_what_the_suite_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read back docs/browser-matrix.md's cells, render them as the browser suite would: same page.

    So the suite's comparison passes for an unchanged run, and fails for one changed verdict.
    """
    from tests.browser import conftest as matrix

    text = matrix.MATRIX.read_text(encoding="utf-8")
    engines = next(line for line in text.splitlines() if line.startswith("Engines: "))
    versions = dict(part.split(": ", 1) for part in engines[len("Engines: ") : -1].split("; "))
    table = [line for line in text.splitlines() if line.startswith("| ")]
    columns = [c.strip() for c in table[0].strip("|").split("|")][1:]
    verdicts: dict[tuple[str, str], str] = {}
    rows = []
    for line in table[2:]:
        row, *cells = (c.strip() for c in line.strip("|").split("|"))
        rows.append(row)
        verdicts.update({(row, name): cell for name, cell in zip(columns, cells, strict=True) if cell != "-"})
    monkeypatch.setattr(matrix, "VERSIONS", versions)
    monkeypatch.setattr(matrix, "VERDICTS", verdicts)
    monkeypatch.setattr(matrix, "ROW_ORDER", rows)
    assert matrix.render_matrix() == text

    flipped = dict(verdicts)
    first = (rows[0], columns[0])
    flipped[first] = "blocked" if verdicts[first] == "allowed" else "allowed"
    monkeypatch.setattr(matrix, "VERDICTS", flipped)
    assert matrix._without_versions(matrix.render_matrix()) != matrix._without_versions(text)
    monkeypatch.setattr(matrix, "VERSIONS", dict.fromkeys(versions, "newer"))
    monkeypatch.setattr(matrix, "VERDICTS", verdicts)
    assert matrix._without_versions(matrix.render_matrix()) == matrix._without_versions(text)
