"""The engine fixtures' rules for a missing browser: a loud skip locally, a failure under CI."""

from __future__ import annotations

import pytest

from tests.browser import conftest, engines


@pytest.fixture
def missing_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.Chromium, "binary", "/nonexistent/chromium")


@pytest.mark.usefixtures("missing_chromium")
def test_missing_engine_is_a_loud_skip_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CI, an absent binary skips with a message that names it."""
    monkeypatch.delenv("CI", raising=False)
    with (
        pytest.warns(UserWarning, match="BROWSER TESTS NOT RUN in chromium"),
        pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium is missing"),
    ):
        next(conftest._start("chromium"))


@pytest.mark.usefixtures("missing_chromium")
def test_missing_engine_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """With CI set, an absent binary is a failure, never a skip."""
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium is missing"):
        next(conftest._start("chromium"))


def test_every_engine_name_is_known() -> None:
    """The fixture's engine ids map to engine classes; unknown names are refused."""
    assert [engines.make(name).name for name in [*conftest.ENGINES, "firefox-strict"]] == [
        "chromium",
        "firefox",
        "webkit",
        "firefox-strict",
    ]
    with pytest.raises(ValueError, match="opera"):
        engines.make("opera")
