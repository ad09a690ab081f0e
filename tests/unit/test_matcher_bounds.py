"""OriginMatcher's request-time bounds: length cap before hashing and the bounded verdict memo."""

from __future__ import annotations

import pytest

from crossorigin._grammar.matcher import MEMO_SIZE, OriginMatcher
from crossorigin._grammar.origins import MAX_ORIGIN, parse_pattern


def _matcher(*patterns: str) -> OriginMatcher:
    return OriginMatcher((parse_pattern(p) for p in patterns), None)


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        pytest.param(b"https://app.example.com", True, id="subdomain allowed"),
        pytest.param(b"https://a.b.example.com", True, id="deeper subdomain allowed"),
        pytest.param(b"https://example.com", False, id="apex denied"),
        pytest.param(b"http://app.example.com", False, id="other scheme denied"),
        pytest.param(b"https://app.example.com.evil", False, id="suffix trick denied"),
    ],
)
def test_memoised_verdict_equals_first_verdict(origin: bytes, expected: bool) -> None:
    """A memoised verdict is the verdict the full match gave the first time."""
    matcher = _matcher("https://*.example.com")
    assert matcher.matches(origin) is expected
    assert matcher.matches(bytes(bytearray(origin))) is expected


def test_memo_stays_bounded() -> None:
    """A flood of distinct origins never grows the memo past MEMO_SIZE entries."""
    matcher = _matcher("https://*.example.com")
    for i in range(4 * MEMO_SIZE):
        matcher.matches(b"https://host%d.example.org" % i)
    assert len(matcher._memo) <= MEMO_SIZE


def test_overlong_origin_refused_before_any_work() -> None:
    """An origin longer than MAX_ORIGIN is refused and not memoised."""
    matcher = _matcher("https://*.example.com")
    origin = b"https://" + b"a" * MAX_ORIGIN + b".example.com"
    assert matcher.matches(origin) is False
    assert matcher._memo == {}
