"""The public API: one sorted, complete ``__all__``, public ``__module__`` names and a light
import (as httpx ``tests/test_exported_members.py`` does)."""

from __future__ import annotations

import collections.abc
import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import crossorigin

SRC = Path(crossorigin.__file__).resolve().parent.parent
HEAVY = ("starlette", "fastapi", "publicsuffixlist", "httpx", "uvicorn", "sqlite3", "redis", "psycopg")


LAZY = {"check", "Report", "Verdict", "OriginStore", "StoreEntry", "StoreStatus", "StoreUnavailable"}
"""Exported through the module ``__getattr__`` (they need the [cli] extra's httpx)."""


def public_names() -> set[str]:
    """Names a user could import from ``crossorigin``, minus ``__future__`` features."""
    return LAZY | {
        name
        for name, value in vars(crossorigin).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and type(value).__name__ != "_Feature"  # from __future__ import annotations
    }


def test_all_is_sorted() -> None:
    """__all__ is sorted, without duplicates."""
    assert crossorigin.__all__ == sorted(set(crossorigin.__all__))


def test_all_is_complete() -> None:
    """__all__ lists exactly the public names of the package."""
    assert set(crossorigin.__all__) == public_names()


def test_all_names_resolve() -> None:
    """Every name in __all__ can be imported, the lazy ones included."""
    for name in crossorigin.__all__:
        assert getattr(crossorigin, name) is not None


def test_dir_lists_the_lazy_exports() -> None:
    """dir(crossorigin) lists every public name, the lazy ones included, without loading them."""
    listed = dir(crossorigin)
    assert set(crossorigin.__all__) | {"__version__"} <= set(listed)
    assert listed == sorted(listed)
    code = (
        "import crossorigin, sys; dir(crossorigin); print('crossorigin._cli.check' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "False"


def test_contract_names_are_exported() -> None:
    """The names the contract promises are all importable."""
    assert {
        "CORSConfig",
        "CORSMiddleware",
        "ConfigError",
        "ConfigProblem",
        "OriginPredicate",
    } <= set(crossorigin.__all__)


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, id=name) for name in crossorigin.__all__],
)
def test_public_module_name(name: str) -> None:
    """Public classes and functions say they live in ``crossorigin``; aliases are typing aliases."""
    value = getattr(crossorigin, name)
    if typing.get_origin(value) is not None:
        # Type aliases (Callable[...]) cannot carry a __module__ of their own. Asked first: on
        # Python 3.10 a collections.abc alias passes inspect.isclass and forwards __module__.
        assert not inspect.isfunction(value)
    else:
        assert inspect.isclass(value) or inspect.isfunction(value)
        assert value.__module__ == "crossorigin"
        assert ".. versionadded::" in (value.__doc__ or "")


def test_aliases_are_not_classes_on_any_python() -> None:
    """The two public aliases are told apart from classes on 3.10 too (regression)."""
    for alias in (crossorigin.DecisionHook, crossorigin.OriginPredicate):
        assert typing.get_origin(alias) is collections.abc.Callable


def test_version_without_installed_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """From a source checkout that was never installed, __version__ is pyproject's version."""
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    pyproject = Path(__file__).parent.parent / "pyproject.toml"
    declared = next(
        line.split('"')[1] for line in pyproject.read_text().splitlines() if line.startswith("version")
    )
    assert crossorigin.__version__ == declared


def test_version_is_lazy() -> None:
    """__version__ is available, and unknown attributes raise AttributeError."""
    assert isinstance(crossorigin.__version__, str)
    with pytest.raises(AttributeError):
        _ = crossorigin.no_such_name  # type: ignore[attr-defined]


def test_import_is_light() -> None:
    """``import crossorigin`` imports no framework and not the public-suffix list."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import crossorigin; print(crossorigin.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=SRC.parent,
        check=True,
        timeout=60,
    )
    assert Path(result.stdout.strip()).resolve().parent == SRC / "crossorigin"
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "crossorigin" in imported  # the probe sees the package itself
    assert sorted(m for m in imported if m.split(".")[0] in HEAVY) == []
