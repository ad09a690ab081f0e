"""Origin store entries: validation on write (one row per rule), re-validation on read,
snapshot compile and expiry, policy documents, SQLite URLs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crossorigin import ConfigError, CORSConfig, RoutePolicies
from crossorigin._policy.policy import ALLOWED, ALLOWED_BY_STORE, Policy, capped_max_age
from crossorigin._store._backend import redact
from crossorigin._store._document import dump_document, parse_document
from crossorigin._store._entries import StoreEntry, compile_snapshot, new_entry
from crossorigin._store._sqlite import sqlite_path

NOW = 1_900_000_000.0
FUTURE = datetime.fromtimestamp(NOW + 60, timezone.utc)
PAST = datetime.fromtimestamp(NOW - 60, timezone.utc)

# (id, origin, keyword arguments, exact messages)
REFUSED = [
    ("trailing slash", "https://a.example/", {},
     ["crossorigin: invalid origin 'https://a.example/': an origin has no path, query or trailing slash; did you mean 'https://a.example'?"]),
    ("upper case", "HTTPS://A.example", {},
     ["crossorigin: invalid origin 'HTTPS://A.example': browsers send origins in lower case, with IDN hosts in punycode; did you mean 'https://a.example'?"]),
    ("default port", "https://a.example:443", {},
     ["crossorigin: invalid origin 'https://a.example:443': browsers omit the default port 443 of https; did you mean 'https://a.example'?"]),
    ("null", "null", {},
     ["crossorigin: prohibited origin 'null': the null origin is sent by sandboxed iframes, file: pages and redirects, so any site can forge it; remove it; allow_origins=['*'] is the only way to serve null origins"]),
    ("star", "*", {},
     ["crossorigin: invalid origin '*': a store holds origins, not '*'; for a public API set allow_origins=['*'] in the config instead"]),
    ("plain http", "http://a.example", {},
     ["crossorigin: prohibited origin 'http://a.example': with credentials, a plain-http origin lets network attackers read responses; use https, or set dangerously_allow_insecure_origins=True (crossorigin origins add --dangerously-allow-insecure-origins)"]),
    ("public suffix wildcard", "https://*.github.io", {},
     ["crossorigin: prohibited origin 'https://*.github.io': 'github.io' is a public suffix: anyone can register a subdomain of it; list the exact origins, or set dangerously_allow_public_suffix_wildcards=True (crossorigin origins add --dangerously-allow-public-suffix-wildcards)"]),
    ("too long", "https://" + "a" * 400, {},
     [f"crossorigin: invalid origin {'https://' + 'a' * 32 + '...'!r}: is 408 characters long; no origin is longer than 326"]),
    ("not a string", 42, {}, ["crossorigin: invalid origin 42: must be a string"]),
    ("naive expiry", "https://a.example", {"expires": datetime(2030, 1, 1)},
     ["crossorigin: invalid expires datetime.datetime(2030, 1, 1, 0, 0): must be an aware datetime (with a time zone); e.g. datetime(2030, 1, 1, tzinfo=timezone.utc)"]),
    ("expiry in the past", "https://a.example", {"expires": PAST},
     [f"crossorigin: invalid expires {PAST!r}: is in the past; give a future time"]),
    ("tenant with a newline", "https://a.example", {"tenant": "a\nb"},
     ["crossorigin: invalid tenant 'a\\nb': must be at most 200 characters, without control characters"]),
    ("two problems at once", "https://a.example/", {"note": 5},
     ["crossorigin: invalid origin 'https://a.example/': an origin has no path, query or trailing slash; did you mean 'https://a.example'?",
      "crossorigin: invalid note 5: must be a string or None"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("origin", "kwargs", "messages"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused_on_write(origin: object, kwargs: dict[str, object], messages: list[str]) -> None:
    """Every rule refuses its entry with CORSConfig's wording, all problems at once."""
    with pytest.raises(ConfigError) as info:
        new_entry(origin, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert [p.message for p in info.value.problems] == messages


ACCEPTED = [
    ("exact", "https://shop.customer.example", {}, "https://shop.customer.example"),
    ("port", "https://a.example:8443", {}, "https://a.example:8443"),
    ("subdomain wildcard", "https://*.customer.example", {}, "https://*.customer.example"),
    ("any port", "http://localhost:*", {}, "http://localhost:*"),
    ("loopback http", "http://127.0.0.1:3000", {}, "http://127.0.0.1:3000"),
    ("http with the flag", "http://a.example", {"dangerously_allow_insecure_origins": True}, "http://a.example"),
    ("public suffix with the flag", "https://*.github.io", {"dangerously_allow_public_suffix_wildcards": True}, "https://*.github.io"),
    ("future expiry", "https://a.example", {"expires": FUTURE, "tenant": "t", "note": "n"}, "https://a.example"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("origin", "kwargs", "stored"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED]
)
def test_accepted_on_write(origin: str, kwargs: dict[str, object], stored: str) -> None:
    entry = new_entry(origin, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert entry.origin == stored
    assert entry.added == datetime.fromtimestamp(NOW, timezone.utc)


def test_rows_are_validated_again_when_read() -> None:
    """Rows another tool wrote that break the rules are skipped, each with its reason."""
    rows = [
        StoreEntry("https://good.example"),
        StoreEntry("https://bad.example/path"),
        StoreEntry("null"),
        StoreEntry("https://" + "a" * 65536),
        StoreEntry("http://plain.example"),
        StoreEntry(b"https://bytes.example"),  # type: ignore[arg-type]
        StoreEntry("https://*.good.example"),
    ]
    snap = compile_snapshot(7, rows, None, 5, now=NOW)
    assert snap.version == 7
    assert [e.origin for e, _ in snap.entries] == ["https://good.example", "https://*.good.example"]
    assert [e.origin[:30] for e, _ in snap.rejected] == [
        "https://bad.example/path", "null", "https://" + "a" * 22, "http://plain.example",
        b"https://bytes.example",
    ]  # fmt: skip
    assert snap.stored.matcher.exact == {b"https://good.example"}
    assert snap.stored.matcher.matches(b"https://x.good.example")
    assert snap.size == 2


def test_expiry() -> None:
    """Expired entries are left out; the earliest future expiry is when to compile again."""
    rows = [
        StoreEntry("https://gone.example", expires=PAST),
        StoreEntry("https://soon.example", expires=FUTURE),
        StoreEntry("https://later.example", expires=FUTURE + timedelta(hours=1)),
        StoreEntry("https://forever.example"),
    ]
    snap = compile_snapshot(1, rows, None, 5, now=NOW)
    assert snap.stored.matcher.exact == {
        b"https://soon.example", b"https://later.example", b"https://forever.example"
    }  # fmt: skip
    assert snap.next_expiry == FUTURE.timestamp()
    after = snap.recompiled(5, FUTURE.timestamp())
    assert after.stored.matcher.exact == {b"https://later.example", b"https://forever.example"}
    assert after.next_expiry == (FUTURE + timedelta(hours=1)).timestamp()
    assert after.version == 1


def test_unchanged_rows_are_not_parsed_again() -> None:
    rows = [StoreEntry("https://a.example")]
    first = compile_snapshot(1, rows, None, 5, now=NOW)
    second = compile_snapshot(2, rows, None, 5, previous=first, now=NOW)
    assert second.entries[0][1] is first.entries[0][1]


STATIC = "https://static.example"
STORED = "https://tenant.example"


def stored(*origins: str, max_age: int = 5) -> object:
    return compile_snapshot(1, [StoreEntry(o) for o in origins], None, max_age, now=NOW).stored


@pytest.mark.parametrize(
    ("config_max_age", "cap", "sent"),
    [(600, 5, b"5"), (3, 5, b"3"), (None, 5, None), (None, 2, b"2"), (600, 0, b"0")],
)
def test_max_age_is_capped_for_policies_taking_stored_origins(
    config_max_age: int | None, cap: int, sent: bytes | None
) -> None:
    config = CORSConfig(allow_origins=[STATIC], allow_stored_origins=True, max_age=config_max_age)
    policy = Policy(config, stored(STORED, max_age=cap))  # type: ignore[arg-type]
    for origin in (STATIC, STORED):
        headers = dict(policy.preflight(origin.encode(), True, ALLOWED, b"GET", [], False).headers)
        assert headers.get(b"access-control-max-age") == sent
    assert capped_max_age(config_max_age, cap) == (None if sent is None else int(sent))


def test_stored_origins_join_only_policies_that_opt_in() -> None:
    snap = stored(STORED)
    taking = Policy(CORSConfig(allow_origins=[STATIC], allow_stored_origins=True), snap)  # type: ignore[arg-type]
    other = Policy(CORSConfig(allow_origins=[STATIC], max_age=600), snap)  # type: ignore[arg-type]
    assert taking.matcher.matches(STORED.encode())
    assert not other.matcher.matches(STORED.encode())
    assert taking.allowed_reason(STORED.encode()) == ALLOWED_BY_STORE
    assert taking.allowed_reason(STATIC.encode()) == ALLOWED
    assert (
        dict(other.preflight(STATIC.encode(), True, ALLOWED, b"GET", [], False).headers)[
            b"access-control-max-age"
        ]
        == b"600"
    )


CONFIG_DOC = '{"allow_origins": ["https://app.example"], "allow_credentials": true}'
TABLE_DOC = (
    '{"routes": [["/admin/*", null], ["/api/*", {"allow_origins": ["https://app.example"],'
    ' "allow_stored_origins": true}]], "default": null}'
)


def test_documents_round_trip() -> None:
    config = parse_document(CONFIG_DOC)
    assert config == CORSConfig(allow_origins=["https://app.example"], allow_credentials=True)
    table = parse_document(TABLE_DOC)
    assert isinstance(table, RoutePolicies)
    assert table.config_for("/admin/x") is None
    assert table.config_for("/api/x") == CORSConfig(
        allow_origins=["https://app.example"], allow_stored_origins=True
    )
    for source in (config, table):
        assert parse_document(dump_document(source)) == source


BAD_DOCS = [
    ("not JSON", "{", ["crossorigin: invalid document None: is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"]),
    ("every problem of a config", '{"allow_origins": ["https://a.example/"], "max_age": -1, "nope": 1}',
     ["policy: crossorigin: invalid nope 1: is not a CORSConfig field",
      "policy: crossorigin: invalid allow_origins entry 'https://a.example/': an origin has no path, query or trailing slash; did you mean 'https://a.example'?",
      "policy: crossorigin: invalid max_age -1: must be a whole number of seconds from 0 to 86400; use 0 to disable preflight caching, or None to let browsers use 5 s"]),
    ("a predicate", '{"allow_origins": ["https://a.example"], "allow_origin_predicate": "f"}',
     ["policy: crossorigin: invalid allow_origin_predicate 'f': a function cannot be distributed as JSON; use allow_stored_origins=true and the origin store instead"]),
    ("problems in two routes", '{"routes": [["/a/*", {"allow_origins": ["*"], "allow_credentials": true}], ["api", null]]}',
     ["route '/a/*': crossorigin: incompatible allow_origins '*': '*' with allow_credentials=True would let every site read responses with the user's cookies; list the trusted origins explicitly, or set allow_credentials=False",
      "crossorigin: invalid routes entry 'api': a path pattern starts with '/'; write e.g. '/api/*', '/health' or '/items/{item_id}'"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "messages"), [r[1:] for r in BAD_DOCS], ids=[r[0] for r in BAD_DOCS]
)
def test_bad_documents_report_every_problem(text: str, messages: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_document(text)
    assert [p.message for p in info.value.problems] == messages


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lib/app/origins.db", "/var/lib/app/origins.db"),
        ("sqlite:////var/lib/app/origins.db", "/var/lib/app/origins.db"),
        ("sqlite:origins.db", "origins.db"),
        ("sqlite:data/origins.db", "data/origins.db"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["sqlite://host/x.db", "sqlite:", "sqlite://"])
def test_bad_sqlite_urls(url: str) -> None:
    with pytest.raises(ValueError, match="crossorigin: invalid origin store URL"):
        sqlite_path(url)


def test_passwords_are_redacted() -> None:
    assert redact("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert (
        redact("postgresql://u:p@h/db?sslmode=require") == "postgresql://u:***@h/db?sslmode=require"
    )
