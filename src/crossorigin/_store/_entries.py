"""Store entries: validated and canonicalised when written, validated again when read.

An entry is an exact origin or one of the patterns ``allow_origins`` accepts. A store does not
know which policies will use it, so its entries are checked with the rules of a credentialed
policy (the strictest): a plain-``http`` origin other than loopback, or a wildcard under a
public suffix, is refused unless the writer set the matching ``dangerously_*`` flag, which is
stored with the entry. The messages are the ones ``CORSConfig`` gives for ``allow_origins``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, NamedTuple

from crossorigin._config import validate as _validate
from crossorigin._errors import ConfigError, ConfigProblem, problem
from crossorigin._grammar.matcher import OriginMatcher
from crossorigin._grammar.origins import MAX_ORIGIN, OriginPattern, PatternError, parse_pattern
from crossorigin._policy.policy import StoredOrigins

MAX_TENANT = 200
"""Longest tenant name, in characters."""
MAX_NOTE = 1000
"""Longest note, in characters."""


class StoreEntry(NamedTuple):
    """One allowed origin (or origin pattern) in an :class:`~crossorigin.OriginStore`.

    Attributes:
        origin: the canonical origin or pattern, as ``allow_origins`` spells it.
        tenant: who the origin belongs to (free text, for listing and bulk removal).
        note: free text.
        expires: when the entry stops allowing its origin (aware UTC datetime), or ``None``.
        added: when it was written (aware UTC datetime).
        dangerously_allow_insecure_origins: a plain-``http`` origin other than loopback was
            accepted on purpose.
        dangerously_allow_public_suffix_wildcards: a wildcard under a public suffix was
            accepted on purpose.

    .. versionadded:: 0.2
    """

    origin: str
    tenant: str | None = None
    note: str | None = None
    expires: datetime | None = None
    added: datetime | None = None
    dangerously_allow_insecure_origins: bool = False
    dangerously_allow_public_suffix_wildcards: bool = False

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON object (``expires``/``added`` in ISO 8601, UTC)."""
        out: dict[str, Any] = {"origin": self.origin}
        for name in ("tenant", "note"):
            out[name] = getattr(self, name)
        out["expires"] = None if self.expires is None else _iso(self.expires)
        out["added"] = None if self.added is None else _iso(self.added)
        if self.dangerously_allow_insecure_origins:
            out["dangerously_allow_insecure_origins"] = True
        if self.dangerously_allow_public_suffix_wildcards:
            out["dangerously_allow_public_suffix_wildcards"] = True
        return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def to_epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def from_epoch(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def stored_entry(
    origin: Any, tenant: Any, note: Any, expires: Any, added: Any, insecure: Any, public_suffix: Any
) -> StoreEntry:
    """An entry from a backend's raw columns (epoch seconds, 0/1 flags), as every backend reads
    them. A value of the wrong kind is kept as it is, so that validation on read rejects it."""
    return StoreEntry(origin, tenant, note, _moment(expires), _moment(added),
                      _flag(insecure), _flag(public_suffix))  # fmt: skip


def _moment(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return from_epoch(float(value))
        except (OverflowError, OSError, ValueError):
            return value
    return value


def _flag(value: Any) -> Any:
    return bool(value) if value in (0, 1) else value


def check_origin(
    text: object,
    problems: list[ConfigProblem],
    *,
    insecure: bool = False,
    public_suffix: bool = False,
) -> OriginPattern | None:
    """Parse one entry's origin with ``allow_origins``'s rules; append problems, or return it."""
    if not isinstance(text, str):
        problems.append(problem("origin", text, "invalid", "must be a string"))
        return None
    if len(text) > MAX_ORIGIN:
        problems.append(
            problem("origin", text[:40] + "...", "invalid",
                    f"is {len(text)} characters long; no origin is longer than {MAX_ORIGIN}")
        )  # fmt: skip
        return None
    if text.strip() == "*":
        problems.append(
            problem(
                "origin",
                text,
                "invalid",
                "a store holds origins, not '*'",
                "for a public API set allow_origins=['*'] in the config instead",
            )
        )
        return None
    try:
        pattern = parse_pattern(text)
    except PatternError as exc:
        problems.append(problem("origin", text, exc.reason, exc.what, exc.fix))
        return None
    shown = show(pattern)
    if pattern.scheme == "http" and not pattern.is_loopback and not insecure:
        problems.append(
            problem(
                "origin",
                shown,
                "prohibited",
                "with credentials, a plain-http origin lets network attackers read responses",
                "use https, or set dangerously_allow_insecure_origins=True"
                " (crossorigin origins add --dangerously-allow-insecure-origins)",
            )
        )
        return None
    if (
        pattern.kind == "subdomains"
        and not pattern.is_loopback
        and not public_suffix
        and _validate._is_public_suffix(pattern.host)
    ):
        problems.append(
            problem(
                "origin",
                shown,
                "prohibited",
                f"{pattern.host!r} is a public suffix: anyone can register a subdomain of it",
                "list the exact origins, or set dangerously_allow_public_suffix_wildcards=True"
                " (crossorigin origins add --dangerously-allow-public-suffix-wildcards)",
            )
        )
        return None
    return pattern


def show(pattern: OriginPattern) -> str:
    """The canonical text of a pattern (what ``allow_origins`` would list)."""
    return _validate._show(pattern)


def _check_text(name: str, value: object, limit: int, problems: list[ConfigProblem]) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        problems.append(problem(name, value, "invalid", "must be a string or None"))
    elif len(value) > limit or any(ord(c) < 32 and c != "\t" for c in value):
        problems.append(
            problem(
                name,
                value[:40] + ("..." if len(value) > 40 else ""),
                "invalid",
                f"must be at most {limit} characters, without control characters",
            )
        )


def check_entry(entry: StoreEntry, problems: list[ConfigProblem]) -> OriginPattern | None:
    """Check every field of *entry* (when written, and again when read)."""
    before = len(problems)
    pattern = check_origin(
        entry.origin,
        problems,
        insecure=entry.dangerously_allow_insecure_origins is True,
        public_suffix=entry.dangerously_allow_public_suffix_wildcards is True,
    )
    _check_text("tenant", entry.tenant, MAX_TENANT, problems)
    _check_text("note", entry.note, MAX_NOTE, problems)
    for name in ("expires", "added"):
        value = getattr(entry, name)
        if value is not None and (
            not isinstance(value, datetime)
            or value.tzinfo is None
            or not math.isfinite(value.timestamp())
        ):
            problems.append(
                problem(name, value, "invalid", "must be an aware datetime (with a time zone)",
                        "e.g. datetime(2030, 1, 1, tzinfo=timezone.utc)")
            )  # fmt: skip
    for name in ("dangerously_allow_insecure_origins", "dangerously_allow_public_suffix_wildcards"):
        if not isinstance(getattr(entry, name), bool):
            problems.append(problem(name, getattr(entry, name), "invalid", "must be True or False"))
    return pattern if len(problems) == before else None


def new_entry(
    origin: str,
    *,
    tenant: str | None = None,
    note: str | None = None,
    expires: datetime | None = None,
    dangerously_allow_insecure_origins: bool = False,
    dangerously_allow_public_suffix_wildcards: bool = False,
    now: float | None = None,
) -> StoreEntry:
    """A validated, canonical entry to write; raises :class:`ConfigError` with every problem."""
    now = time.time() if now is None else now
    entry = StoreEntry(
        origin,
        tenant,
        note,
        expires,
        from_epoch(now),
        dangerously_allow_insecure_origins,
        dangerously_allow_public_suffix_wildcards,
    )
    problems: list[ConfigProblem] = []
    pattern = check_entry(entry, problems)
    if isinstance(expires, datetime) and expires.tzinfo is not None and expires.timestamp() <= now:
        problems.append(
            problem("expires", expires, "invalid", "is in the past", "give a future time")
        )
    if problems or pattern is None:
        raise ConfigError(problems)
    return entry._replace(origin=show(pattern))


class Snapshot:
    """One version of the store as a process sees it: the valid entries, compiled. Immutable.

    ``stored`` is what the policies use; ``next_expiry`` is when the earliest entry that is
    still valid expires (the watcher recompiles then, without reading the store).
    """

    __slots__ = (
        "by_id",
        "entries",
        "next_expiry",
        "patterns",
        "policy",
        "rejected",
        "stored",
        "version",
    )

    def __init__(
        self,
        version: int,
        entries: tuple[tuple[StoreEntry, OriginPattern], ...],
        policy: str | None,
        rejected: tuple[tuple[StoreEntry, str], ...],
        max_age: int,
        now: float,
        patterns: dict[tuple[str, bool, bool], OriginPattern] | None = None,
    ) -> None:
        self.version = version
        self.entries = entries
        self.policy = policy
        self.rejected = rejected
        #: Parsed origins by (origin, insecure flag, public-suffix flag), reused by the next
        #: compile so that unchanged rows are not parsed again.
        self.patterns = patterns if patterns is not None else {}
        #: Valid entries by object identity: a backend that hands back the same entry object
        #: for an unchanged row spares the next compile every check of that row (the entries
        #: are alive as long as this snapshot, so an id is never reused meanwhile).
        self.by_id = {id(entry): pattern for entry, pattern in entries}
        exact: list[bytes] = []
        others: list[OriginPattern] = []
        next_expiry = math.inf
        for entry, pattern in entries:
            expires = entry.expires
            if expires is not None:
                at = expires.timestamp()
                if at <= now:
                    continue
                next_expiry = min(next_expiry, at)
            if pattern.kind == "exact":
                # Valid entries are canonical: the text is what browsers send.
                exact.append(entry.origin.encode("ascii"))
            else:
                others.append(pattern)
        self.next_expiry = next_expiry
        matcher = OriginMatcher(others, None)
        matcher.exact = frozenset(exact)
        self.stored = StoredOrigins(matcher, max_age, version)

    @property
    def size(self) -> int:
        """How many entries allow their origin now (valid and not expired)."""
        m = self.stored.matcher
        return len(m.exact) + len(m._any_port) + sum(len(p) for p in m._subdomains.values())

    def recompiled(self, max_age: int, now: float) -> Snapshot:
        """The same entries with expiry re-evaluated at *now* (no store access)."""
        return Snapshot(
            self.version, self.entries, self.policy, self.rejected, max_age, now, self.patterns
        )


def _fields_problem(entry: StoreEntry) -> bool:
    """Whether a field other than the origin needs the full check (cheap test for the common
    case of plain strings, aware datetimes and booleans)."""
    tenant, note, expires, added = entry.tenant, entry.note, entry.expires, entry.added
    return not (
        (
            tenant is None
            or (type(tenant) is str and len(tenant) <= MAX_TENANT and tenant.isprintable())
        )
        and (note is None or (type(note) is str and len(note) <= MAX_NOTE and note.isprintable()))
        and (expires is None or (type(expires) is datetime and expires.tzinfo is not None))
        and (added is None or (type(added) is datetime and added.tzinfo is not None))
        and type(entry.dangerously_allow_insecure_origins) is bool
        and type(entry.dangerously_allow_public_suffix_wildcards) is bool
    )


def compile_snapshot(
    version: int,
    rows: Iterable[StoreEntry],
    policy: str | None,
    max_age: int,
    previous: Snapshot | None = None,
    now: float | None = None,
) -> Snapshot:
    """Validate every row again (origins unchanged since *previous* are not parsed again) and
    compile.

    A row that breaks the rules (written by another tool, or by an older version) is left out
    and reported in ``rejected`` with its problems.
    """
    known = {} if previous is None else previous.patterns
    same = {} if previous is None else previous.by_id
    patterns: dict[tuple[str, bool, bool], OriginPattern] = {}
    good: list[tuple[StoreEntry, OriginPattern]] = []
    bad: list[tuple[StoreEntry, str]] = []
    for row in rows:
        pattern = same.get(id(row))
        if pattern is not None:  # the very entry of the previous snapshot: already checked
            patterns[(row.origin, row[5], row[6])] = pattern
            good.append((row, pattern))
            continue
        origin = row.origin
        key = (origin, row.dangerously_allow_insecure_origins, row[6])
        pattern = known.get(key) if type(origin) is str else None
        if pattern is None or _fields_problem(row):
            problems: list[ConfigProblem] = []
            pattern = check_entry(row, problems)
            if pattern is None:
                bad.append((row, "; ".join(p.message for p in problems)))
                continue
            if show(pattern) != origin:
                # Valid but not canonical: it would never match what browsers send.
                bad.append((row, f"crossorigin: invalid origin {origin!r}: not canonical"))
                continue
        patterns[key] = pattern
        good.append((row, pattern))
    return Snapshot(
        version,
        tuple(good),
        policy,
        tuple(bad),
        max_age,
        time.time() if now is None else now,
        patterns,
    )
