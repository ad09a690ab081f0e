"""Properties of the origin store's compile: stored origins joined to static rules match exactly
what either matches (against the brute-force reference), and entries that pass validation on
write pass it again on read, unchanged."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossorigin import ConfigError
from crossorigin._grammar.matcher import OriginMatcher
from crossorigin._grammar.origins import parse_pattern
from crossorigin._store._entries import compile_snapshot, new_entry
from tests.property.strategies import near_misses, origins, patterns, ref_matches

# No deadline: the machine running the suite may be busy (the first wildcard check also loads
# the public-suffix list).
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    st.lists(patterns(), max_size=4),
    st.lists(patterns(), max_size=4),
    st.data(),
)
def test_union_matches_what_either_matches(
    static: list[str], stored: list[str], data: st.DataObject
) -> None:
    pool = [*static, *stored]
    candidates = [data.draw(origins())]
    if pool:
        candidates.append(data.draw(near_misses(data.draw(st.sampled_from(pool)))))
    a = OriginMatcher((parse_pattern(p) for p in static if p != "*"), None)
    b = OriginMatcher((parse_pattern(p) for p in stored if p != "*"), None)
    joined = a.union(b)
    for origin in candidates:
        expected = ref_matches([p for p in pool if p != "*"], None, origin)
        assert joined.matches(origin.encode()) is expected


@SETTINGS
@given(patterns())
def test_written_entries_read_back_unchanged(text: str) -> None:
    try:
        entry = new_entry(text, dangerously_allow_insecure_origins=True,
                          dangerously_allow_public_suffix_wildcards=True)  # fmt: skip
    except ConfigError:
        assert text == "*"
        return
    assert entry.origin == text  # valid patterns are already canonical
    snap = compile_snapshot(1, [entry], None, 5)
    assert snap.rejected == ()
    assert [e for e, _ in snap.entries] == [entry]
