"""Release metadata: what PyPI shows and what the classifiers promise stay true."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LINK = re.compile(r"\]\((?P<target>[^)\s]+)")
HTML_LINK = re.compile(r"""(?:href|src)=["'](?P<target>[^"']+)""")


def pythons_under_test() -> set[str]:
    """The versions scripts/test runs: this one plus CROSSORIGIN_PYTHONS' default list."""
    script = (ROOT / "scripts" / "test").read_text()
    match = re.search(r'CROSSORIGIN_PYTHONS-([0-9. ]+)\}', script)
    assert match, "scripts/test no longer names its other Pythons"
    return {"3.11", *match[1].split()}


def test_pypi_description_has_only_absolute_links() -> None:
    """PyPI cannot resolve a relative link: every link of the long description is absolute."""
    readme = ROOT / PROJECT["readme"]
    text = readme.read_text()
    targets = [m["target"] for m in [*LINK.finditer(text), *HTML_LINK.finditer(text)]]
    relative = [t for t in targets if not re.match(r"^(https://|mailto:|#)", t)]
    assert relative == []
    assert "pip install crossorigin" in text


def test_classifiers_name_each_tested_python() -> None:
    classifiers = PROJECT["classifiers"]
    declared = {c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert declared == pythons_under_test()
    lowest = min(pythons_under_test(), key=lambda v: tuple(map(int, v.split("."))))
    assert PROJECT["requires-python"] == f">={lowest}"


def test_license_is_pep_639_only() -> None:
    """``license`` is an SPDX expression with its file; no license classifier beside it."""
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_project_urls_are_absolute() -> None:
    for name, url in PROJECT.get("urls", {}).items():
        assert url.startswith("https://"), name


def test_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(PROJECT['version'])}\]", changelog, re.M)
