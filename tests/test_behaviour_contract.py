"""docs/behaviour.md is the contract others cite: its rules are numbered once, in order, and
every "behaviour.md Bn" anywhere in the repository names a rule that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = (ROOT / "docs" / "behaviour.md").read_text(encoding="utf-8")
RULES = [int(n) for n in re.findall(r"^- \*\*B(\d+)\. ", CONTRACT, re.M)]
PROSE = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
CITING = [
    *PROSE,
    *sorted(ROOT.glob("src/**/*.py")),
    *sorted(ROOT.glob("tests/**/*.py")),
    *sorted(ROOT.glob("bench/*.py")),
]
# Citations a reader cannot open: the project's contract replaced them.
# Assembled from parts so that this file does not itself contain a citation it forbids.
_HOUSE, _ISSUE = "house" + r" rules?", "iss" + r"ues?"
UNREACHABLE = re.compile(rf"conformance (C\d|items? \d|\d\.\d)|{_HOUSE} \d|\b{_ISSUE} #?\d", re.I)


def test_rules_are_numbered_once_in_order() -> None:
    """B1, B2, ... each defined once, in order, with no gap."""
    assert list(range(1, len(RULES) + 1)) == RULES


@pytest.mark.parametrize("path", CITING, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_citation_names_a_rule(path: Path) -> None:
    """Each 'behaviour.md B12' (and each further 'B13' in the same parenthesis) exists."""
    text = path.read_text(encoding="utf-8")
    for cited in re.findall(r"behaviour\.md\)?,? ((?:B\d+(?:[-\u2013]B\d+)?(?:, )?)+)", text):
        for number in re.findall(r"B(\d+)", cited):
            assert int(number) in RULES, f"{path.name}: B{number} is not a rule"


@pytest.mark.parametrize("path", PROSE, ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_cites_only_what_readers_can_open(path: Path) -> None:
    """README and docs cite behaviour.md or public specs, never an internal reference."""
    found = [m.group(0) for m in UNREACHABLE.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
