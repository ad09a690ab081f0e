"""What an ``allow_origin_regex`` can do, read from its structure: backtracking and samples.

Two questions are answered here, both at construction time and without running the regex on
anything long:

* :func:`backtracking` -- can matching take time exponential (or of a high polynomial degree)
  in the origin's length? Python's ``re`` backtracks, so a repetition whose body can match the
  same text in several ways (``(a+)+``, ``([a-z0-9]+-?)+``, ``(a|aa)+``) tries every way before
  failing: a 40-character origin can take minutes. The rule is stated in docs/config.md.
* :func:`samples` -- a few short strings the regex is built to match (literal text kept,
  classes and repetitions reduced to their smallest instances), from which the validation
  module derives its canary origins.

The regex is parsed with the standard library's own parser (``re._parser``), so the analysis
sees exactly what ``re`` compiles, flags and all.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

# The standard library's regex parser: re._parser and friends since 3.11, sre_* before (the
# same code under older names, deprecated aliases since). Typed Any: it is private API.
_NEW = sys.version_info >= (3, 11)
_parser: Any = importlib.import_module("re._parser" if _NEW else "sre_parse")
_compiler: Any = importlib.import_module("re._compiler" if _NEW else "sre_compile")
_constants: Any = importlib.import_module("re._constants" if _NEW else "sre_constants")
# Possessive repeats and atomic groups came with 3.11; before, no pattern parses to them.
_ABSENT = object()
_POSSESSIVE_REPEAT: Any = getattr(_constants, "POSSESSIVE_REPEAT", _ABSENT)
_ATOMIC_GROUP: Any = getattr(_constants, "ATOMIC_GROUP", _ABSENT)

ORIGIN_CHARS = "abcdefghijklmnopqrstuvwxyz1234567890-._:/[]+"
"""Every character a valid serialized origin can contain (the middleware applies the regex to
nothing else), in the order samples prefer them."""

MAXREPEAT: int = _constants.MAXREPEAT
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT)
_SINGLE = (_constants.LITERAL, _constants.NOT_LITERAL, _constants.ANY, _constants.IN)
_ZERO_WIDTH = (_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT)
_SAMPLE_LIMIT = 12


class Info(NamedTuple):
    """What one parsed item can match, over :data:`ORIGIN_CHARS`."""

    chars: frozenset[str]
    """Every character it can consume."""
    first: frozenset[str]
    """Every character it can start with."""
    nullable: bool
    """Whether it can match the empty string."""
    variable: bool
    """Whether it can match texts of different lengths (so a neighbour may take over some)."""
    unbounded: bool
    """Whether it contains a repetition without an upper bound."""
    single: bool
    """Whether it matches exactly one character (a literal or a class)."""


_NOTHING = Info(frozenset(), frozenset(), True, False, False, False)


class Finding(NamedTuple):
    """Why a regex is refused: ``kind`` is ``nested`` or ``chained``; ``fragment`` shows it."""

    kind: str
    fragment: str


def backtracking(pattern: re.Pattern[str]) -> Finding | None:
    """A repetition that can backtrack catastrophically, or ``None``.

    * ``nested``: a repetition of at least 3 (or unbounded) whose body can hand text from one
      iteration to the next: some item of variable length in the body is followed (wrapping
      round to the next iteration, past items that may be empty) by an item that can start
      with a character the first can consume. ``([a-z0-9-]+\\.)*`` passes (the ``\\.`` is
      not in the class), ``([a-z0-9]+-?)+`` does not.
    * ``chained``: three or more unbounded repetitions that can share a character, with no
      mandatory character between them that none of them can match (``.*a.*a.*``): cubic
      time or worse.

    Possessive repetitions (``a++``) and atomic groups never backtrack and always pass.
    """
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    return _check(list(parsed), parsed.state, pattern.pattern)


def _check(items: list[Any], state: Any, source: str) -> Finding | None:
    flat = _flatten(items)
    found = _chained(flat, state, source)
    if found is not None:
        return found
    for op, av in flat:
        if op in _REPEATS:
            _, high, body = av
            if (high == MAXREPEAT or high > 2) and _hands_over(_flatten(list(body)), state):
                return Finding("nested", source)
            found = _check(list(body), state, source)
        elif op == _POSSESSIVE_REPEAT:
            found = _check(list(av[2]), state, source)
        elif op == _constants.BRANCH:
            found = next(
                (f for alt in av[1] if (f := _check(list(alt), state, source)) is not None),
                None,
            )
        elif op in (_constants.SUBPATTERN, _ATOMIC_GROUP):
            found = _check(list(av[3] if op == _constants.SUBPATTERN else av), state, source)
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            found = _check(list(av[1]), state, source)
        elif op == _constants.GROUPREF_EXISTS:
            branches = [b for b in av[1:] if b is not None]
            found = next(
                (f for b in branches if (f := _check(list(b), state, source)) is not None), None
            )
        if found is not None:
            return found
    return None


def _flatten(items: Iterable[Any]) -> list[Any]:
    """Groups without flags of their own dissolved into the sequence (they match the same)."""
    out: list[Any] = []
    for op, av in items:
        if op == _constants.SUBPATTERN and not av[1] and not av[2]:
            out.extend(_flatten(av[3]))
        else:
            out.append((op, av))
    return out


def _hands_over(body: list[Any], state: Any) -> bool:
    """Whether a repeated *body* can split the same text between iterations in two ways."""
    infos = [_info(item, state) for item in body]
    count = len(infos)
    for index, item in enumerate(infos):
        if not item.variable:
            continue
        for step in range(1, count + 1):  # wraps round to the next iteration, itself included
            follower = infos[(index + step) % count]
            if item.chars & follower.first:
                return True
            if not follower.nullable:
                break
    return False


def _chained(flat: list[Any], state: Any, source: str) -> Finding | None:
    infos = [_info(item, state) for item in flat]
    loose = [i for i in infos if i.unbounded and i.variable]
    if len(loose) < 3:
        return None
    taken = frozenset().union(*(i.chars for i in loose))
    segment: list[Info] = []
    for info in [*infos, None]:
        barrier = info is None or (info.single and not (info.chars & taken))
        if not barrier:
            assert info is not None
            segment.append(info)
            continue
        repeats = [i for i in segment if i.unbounded and i.variable]
        if any(sum(c in i.chars for i in repeats) >= 3 for c in ORIGIN_CHARS):
            return Finding("chained", source)
        segment = []
    return None


def _info(item: Any, state: Any) -> Info:
    op, av = item
    if op in _SINGLE:
        chars = _single_chars(item, state)
        return Info(chars, chars, False, False, False, True)
    if op in _ZERO_WIDTH:
        return _NOTHING
    if op in _REPEATS or op == _POSSESSIVE_REPEAT:
        low, high, body = av
        inner = _sequence_info(list(body), state)
        return Info(
            inner.chars,
            inner.first,
            low == 0 or inner.nullable,
            (low != high or inner.variable) and op != _POSSESSIVE_REPEAT,
            high == MAXREPEAT or inner.unbounded,
            low == high == 1 and inner.single,
        )
    if op == _constants.SUBPATTERN:
        inner = _sequence_info(list(av[3]), state)
        return inner
    if op == _ATOMIC_GROUP:
        inner = _sequence_info(list(av), state)
        return inner._replace(variable=False)
    if op == _constants.BRANCH:
        alternatives = [_sequence_info(list(alt), state) for alt in av[1]]
        return Info(
            frozenset().union(*(a.chars for a in alternatives)),
            frozenset().union(*(a.first for a in alternatives)),
            any(a.nullable for a in alternatives),
            True,
            any(a.unbounded for a in alternatives),
            False,
        )
    # Back-references and conditionals: anything, of any length.
    every = frozenset(ORIGIN_CHARS)
    return Info(every, every, True, True, True, False)


def _sequence_info(items: list[Any], state: Any) -> Info:
    infos = [_info(item, state) for item in _flatten(items)]
    first: frozenset[str] = frozenset()
    for info in infos:
        first |= info.first
        if not info.nullable:
            break
    return Info(
        frozenset().union(*(i.chars for i in infos)),
        first,
        all(i.nullable for i in infos),
        any(i.variable for i in infos),
        any(i.unbounded for i in infos),
        len(infos) == 1 and infos[0].single,
    )


def _single_chars(item: Any, state: Any) -> frozenset[str]:
    """The origin characters a one-character item matches, as ``re`` itself compiles it
    (classes, categories, case folding); memoised, since the same few items recur."""
    key = (repr(item), state.flags)
    hit = _CHARS.get(key)
    if hit is None:
        compiled = _compiler.compile(_parser.SubPattern(state, [item]), state.flags)
        hit = frozenset(c for c in ORIGIN_CHARS if compiled.fullmatch(c))
        if len(_CHARS) >= 512:
            _CHARS.clear()
        _CHARS[key] = hit
    return hit


_CHARS: dict[tuple[str, int], frozenset[str]] = {}


def samples(pattern: re.Pattern[str]) -> list[str]:
    """Up to a dozen short strings shaped like what *pattern* is written to match.

    Literals are kept; a class gives its first origin character (letters first); ``.`` gives
    both ``.`` (what it usually stands for in a host) and ``a``; a repetition gives its
    smallest count and one more; an alternation each alternative. The strings are candidates
    only: callers keep those the regex really matches.
    """
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    return list(dict.fromkeys(_sequence_samples(list(parsed), parsed.state)))


def _sequence_samples(items: Sequence[Any], state: Any) -> list[str]:
    out = [""]
    for item in items:
        options = _item_samples(item, state)
        out = [head + tail for head in out for tail in options][:_SAMPLE_LIMIT]
    return out


def _item_samples(item: Any, state: Any) -> list[str]:
    op, av = item
    if op == _constants.ANY:
        return [".", "a"]
    if op in _SINGLE:
        chars = _single_chars(item, state)
        return [next((c for c in ORIGIN_CHARS if c in chars), "")]
    if op in _REPEATS or op == _POSSESSIVE_REPEAT:
        low, high, body = av
        counts = sorted({low, min(low + 1, high)} | ({1} if low == 0 and high >= 1 else set()))
        bodies = _sequence_samples(list(body), state)
        return [b * n for n in counts for b in bodies][:_SAMPLE_LIMIT]
    if op == _constants.SUBPATTERN:
        return _sequence_samples(list(av[3]), state)
    if op == _ATOMIC_GROUP:
        return _sequence_samples(list(av), state)
    if op == _constants.BRANCH:
        return [s for alt in av[1] for s in _sequence_samples(list(alt), state)][:_SAMPLE_LIMIT]
    if op == _constants.GROUPREF_EXISTS:
        branches = [b for b in av[1:] if b is not None]
        return [s for b in branches for s in _sequence_samples(list(b), state)][:_SAMPLE_LIMIT]
    return [""]  # anchors, lookarounds, back-references: callers check what matches
