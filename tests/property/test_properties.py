"""Hypothesis properties: parsers and matcher against brute-force references; normalisation."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crossorigin import CORSConfig
from crossorigin._grammar.headers import MAX_ACRH_BYTES, split_acrh
from crossorigin._grammar.matcher import OriginMatcher
from crossorigin._grammar.origins import Origin, PatternError, parse_origin, parse_pattern
from tests.property import strategies as s

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9a-z]+")


@SETTINGS
@given(s.origins())
def test_valid_origins_parse_to_their_parts(origin: str) -> None:
    """Every serialized origin parses, to the same parts as the reference parser finds."""
    ref = s.ref_parse_origin(origin)
    assert ref is not None
    assert parse_origin(origin) == Origin(ref.scheme, ref.host, ref.port)
    assert parse_origin(origin.encode("ascii")) == parse_origin(origin)


@SETTINGS
@given(st.one_of(s.origins().flatmap(s._mutations), st.text(max_size=40), s.origins()))
@example("https://a.example:443")
@example("http://[::ffff:1.2.3.4]")
@example("http://1.2.3.04")
@example("http://a.0x1f")
def test_origin_parser_agrees_with_reference(text: str) -> None:
    """parse_origin accepts exactly what the brute-force reference parser accepts."""
    ref = s.ref_parse_origin(text)
    expected = None if ref is None else Origin(ref.scheme, ref.host, ref.port)
    assert parse_origin(text) == expected


@SETTINGS
@given(s.origins())
def test_valid_origin_is_a_valid_exact_pattern(origin: str) -> None:
    """Every wildcard-free serialized origin is accepted as an exact pattern of itself."""
    pattern = parse_pattern(origin)
    assert pattern.kind == "exact"
    assert OriginMatcher([pattern], None).matches(origin.encode("ascii"))


@SETTINGS
@given(st.binary(max_size=400))
def test_parse_origin_never_raises_on_bytes(value: bytes) -> None:
    """Arbitrary bytes either parse to a valid origin or give None, never an exception."""
    parsed = parse_origin(value)
    if parsed is not None:
        assert s.ref_parse_origin(value.decode("ascii")) is not None


@SETTINGS
@given(st.text(max_size=60))
def test_parse_pattern_raises_only_pattern_error(text: str) -> None:
    """parse_pattern either returns a pattern or raises PatternError with a one-line reason."""
    error: PatternError | None = None
    try:
        parse_pattern(text)
    except PatternError as exc:
        error = exc
    if error is not None:
        assert error.reason in {"invalid", "prohibited"}
        assert error.what
        assert "\n" not in error.what + error.fix


@st.composite
def pattern_sets_and_origins(draw: st.DrawFn) -> tuple[list[str], str | None, str]:
    pats = draw(st.lists(s.patterns(), min_size=1, max_size=6))
    regex = draw(st.sampled_from([None, None, r"https://[ab]+\.a", r"ws://.*"]))
    origin = draw(
        st.one_of(
            s.origins(),
            st.sampled_from(pats).flatmap(s.near_misses),
            st.sampled_from(pats).flatmap(s.near_misses),
        )
    )
    return pats, regex, origin


@SETTINGS
@given(pattern_sets_and_origins())
def test_matcher_agrees_with_reference(case: tuple[list[str], str | None, str]) -> None:
    """OriginMatcher gives the brute-force answer for random pattern sets and near misses."""
    pats, regex, origin = case
    matcher = OriginMatcher(
        [parse_pattern(p) for p in pats], re.compile(regex) if regex is not None else None
    )
    raw = origin.encode("utf-8")
    assert matcher.matches(raw) is s.ref_matches(pats, regex, origin)


@SETTINGS
@given(st.lists(s.patterns(), min_size=1, max_size=6), st.data())
def test_matcher_allows_what_patterns_generate(pats: list[str], data: st.DataObject) -> None:
    """An origin built from a pattern (a label for '*.', any port for ':*') always matches."""
    pattern = data.draw(st.sampled_from(pats))
    scheme, rest = pattern.split("://", 1)
    if rest.endswith(":*"):
        rest = rest[:-2] + data.draw(st.sampled_from(["", ":1", ":3000"]))
    if rest.startswith("*."):
        rest = data.draw(s.labels) + rest[1:]
    origin = f"{scheme}://{rest}"
    if s.ref_parse_origin(origin) is None:
        return  # e.g. ":443" put back onto an https wildcard; not a serialized origin
    matcher = OriginMatcher([parse_pattern(p) for p in pats], None)
    assert matcher.matches(origin.encode("ascii"))


@SETTINGS
@given(s.configs())
def test_config_normalisation_is_idempotent(kwargs: dict[str, Any]) -> None:
    """CORSConfig(**c.as_dict()) == c, with the same hash, for every valid config."""
    config = CORSConfig(**kwargs)
    again = CORSConfig(**config.as_dict())
    assert again == config
    assert hash(again) == hash(config)
    assert again.as_dict() == config.as_dict()


@SETTINGS
@given(s.configs())
def test_config_fields_are_sorted_unique_tuples(kwargs: dict[str, Any]) -> None:
    """Every collection field is normalised to a sorted tuple without duplicates."""
    config = CORSConfig(**kwargs)
    for value in (
        config.allow_origins,
        config.allow_methods,
        config.allow_headers,
        config.expose_headers,
    ):
        assert isinstance(value, tuple)
        assert list(value) == sorted(set(value))
    assert all(h == h.lower() for h in config.allow_headers + config.expose_headers)


acrh_lines = st.lists(
    st.one_of(
        st.binary(max_size=80),
        st.lists(
            st.sampled_from([b"x-a", b"X-B", b"", b" ", b"\t", b"a b", b"\xff"]), max_size=20
        ).map(b",".join),
    ),
    max_size=20,
)


@SETTINGS
@given(acrh_lines)
def test_split_acrh_never_raises_and_is_bounded(lines: list[bytes]) -> None:
    """split_acrh returns None or lower-case tokens no longer in total than its input."""
    names = split_acrh(lines)
    if names is None:
        return
    assert sum(map(len, lines)) <= MAX_ACRH_BYTES
    assert all(TOKEN.fullmatch(name) for name in names)
    assert sum(map(len, names)) <= sum(map(len, lines))


@SETTINGS
@given(st.lists(st.sampled_from([b"x-a", b"content-type", b"x-b"]), min_size=1, max_size=8))
def test_split_acrh_browser_form_round_trips(names: list[bytes]) -> None:
    """A browser-shaped ACRH value splits back into exactly its names."""
    assert split_acrh([b",".join(names)]) == names


@st.composite
def near_miss_patterns(draw: st.DrawFn) -> str:
    """A pattern a user might plausibly write wrong: case, slash, path, default port, spaces."""
    pattern = draw(s.patterns())
    edit = draw(st.sampled_from(["upper", "slash", "path", "default port", "space", "no scheme"]))
    if edit == "upper":
        return pattern.upper()
    if edit == "slash":
        return pattern + "/"
    if edit == "path":
        return pattern + "/app?x=1#y"
    if edit == "default port":
        scheme, rest = pattern.split("://", 1)
        if rest.endswith(":*"):
            return pattern
        if rest.rfind(":") > rest.rfind("]"):
            rest = rest.rsplit(":", 1)[0]
        return f"{scheme}://{rest}:{s.DEFAULT_PORTS.get(scheme, 443)}"
    if edit == "space":
        return f" {pattern} "
    # Random character edits find garbage whose hints are wrong too; those cases are pinned
    # in tests/unit/test_origins.py (test_did_you_mean_hint_is_valid).
    return pattern.split("://", 1)[1]


@SETTINGS
@given(near_miss_patterns())
def test_did_you_mean_hints_are_valid_patterns(text: str) -> None:
    """Whenever a PatternError suggests "did you mean X?", X is itself a valid pattern."""
    error: PatternError | None = None
    try:
        parse_pattern(text)
    except PatternError as exc:
        error = exc
    if error is None or not error.fix.startswith("did you mean "):
        return
    suggestion = error.fix.removeprefix("did you mean ").removesuffix("?")[1:-1]
    assert parse_pattern(suggestion).kind != "any"
