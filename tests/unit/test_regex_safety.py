"""``allow_origin_regex`` safety: the credential rules of ``allow_origins`` and backtracking.

A regex used to skip every rule an ``allow_origins`` entry gets with credentials (``.*``,
unescaped dots, ``http://``, public-suffix wildcards), and any regex was accepted however it
backtracked. Rows here pin each class with its exact message; the properties check that a regex
written for the same origins as an entry gets the same verdict as the entry.
"""

from __future__ import annotations

import itertools
import re
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossorigin import ConfigError, CORSConfig
from crossorigin._config.validate import _escape_dots
from crossorigin._grammar.regex import backtracking, samples

# Possessive repeats and atomic groups are regex syntax since Python 3.11.
NEEDS_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="regex syntax of Python 3.11+")

C = {"allow_credentials": True}
CANARY = "https://o7fa8o7b.invalid"
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""No deadline: the first credentialed config loads the Public Suffix List (about 0.1 s), and the
machine may be busy; nothing here is about time."""
ANY_ORIGIN = (
    f"it matches any origin (such as {CANARY!r}); with allow_credentials=True that would let"
    " every site read responses with the user's cookies; list the trusted origins explicitly, or"
    " set allow_credentials=False"
)
PLAIN_HTTP = (
    "with credentials, a plain-http origin lets network attackers read responses; use https, or"
    " set dangerously_allow_insecure_origins=True"
)
NESTED = (
    "a repetition inside a repetition can split the same text in many ways, so some origins of a"
    " few dozen characters take minutes to match (catastrophic backtracking); make each repeated"
    " part start or end with a character its inner repetition cannot match, e.g."
    " '([a-z0-9-]+\\.)*', use a possessive quantifier ('++'), or set"
    " dangerously_allow_backtracking_regex=True"
)
CHAINED = (
    "three or more unbounded repetitions can take the same characters, so matching a long"
    " origin takes cubic time or worse; use classes that exclude the separators, e.g."
    " '[a-z0-9-]+' instead of '.*', or set dangerously_allow_backtracking_regex=True"
)


def message(reason: str, value: object, text: str, field: str = "allow_origin_regex") -> str:
    return f"crossorigin: {reason} {field} {value!r}: {text}"


# (kwargs, field, reason, message): the only problem the kwargs produce.
PROBLEMS = [
    pytest.param(
        {**C, "allow_origin_regex": ".*"},
        "allow_origin_regex",
        "incompatible",
        message("incompatible", ".*", ANY_ORIGIN),
        id="regex credentials: any origin, like '*'",
    ),
    pytest.param(
        {**C, "allow_origin_regex": re.compile("https://.*")},
        "allow_origin_regex",
        "incompatible",
        message("incompatible", re.compile("https://.*"), ANY_ORIGIN),
        id="regex credentials: any https origin, compiled pattern",
    ),
    pytest.param(
        {"allow_origin_regex": ".*", "allow_private_network": True},
        "allow_private_network",
        "incompatible",
        message(
            "incompatible",
            True,
            "private network access cannot be granted to every origin (allow_origin_regex"
            f" matches {CANARY!r}); list the trusted origins explicitly",
            "allow_private_network",
        ),
        id="regex private network: any origin, like '*'",
    ),
    pytest.param(
        {**C, "allow_origin_regex": r"http://app\.a\.example"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            r"http://app\.a\.example",
            f"it matches 'http://app.a.example': {PLAIN_HTTP}",
        ),
        id="regex credentials: plain http",
    ),
    pytest.param(
        {**C, "allow_origin_regex": r"https?://app\.a\.example"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            r"https?://app\.a\.example",
            "it matches 'http://app.a.example': with credentials, a plain-http origin lets"
            " network attackers read responses; did you mean 'https://app\\\\.a\\\\.example'?"
            " Or set dangerously_allow_insecure_origins=True",
        ),
        id="regex credentials: http variant of an https origin, did you mean",
    ),
    pytest.param(
        {**C, "allow_origin_regex": "https://app.a.example"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            "https://app.a.example",
            "it matches 'https://appxa.example': an unescaped '.' matches any character; did you"
            " mean 'https://app\\\\.a\\\\.example'?",
        ),
        id="regex credentials: unescaped dots, did you mean",
    ),
    pytest.param(
        {**C, "allow_origin_regex": "https://app.a.example(:[0-9]+)?"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            "https://app.a.example(:[0-9]+)?",
            "it matches 'https://appxa.example': an unescaped '.' matches any character; did you"
            " mean 'https://app\\\\.a\\\\.example(:[0-9]+)?'?",
        ),
        id="regex credentials: unescaped dots, did you mean keeps the rest",
    ),
    pytest.param(
        {**C, "allow_origin_regex": r"https://.*a\.example"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            r"https://.*a\.example",
            "it matches 'https://evil-a.example', which is neither 'a.example' nor one of its"
            " subdomains: anyone can register such a look-alike domain; match whole labels, e.g."
            " '([a-z0-9-]+\\\\.)*a\\\\.example'",
        ),
        id="regex credentials: look-alike prefix",
    ),
    pytest.param(
        {**C, "allow_origin_regex": r"https://app\.a\.example.*"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            r"https://app\.a\.example.*",
            "it matches 'https://app.a.example.evil.invalid', which is neither 'a.example' nor"
            " one of its subdomains: anyone can register such a look-alike domain; match whole"
            " labels, e.g. '([a-z0-9-]+\\\\.)*a\\\\.example'",
        ),
        id="regex credentials: look-alike suffix",
    ),
    pytest.param(
        {**C, "allow_origin_regex": r"https://[a-z0-9-]+\.github\.io"},
        "allow_origin_regex",
        "prohibited",
        message(
            "prohibited",
            r"https://[a-z0-9-]+\.github\.io",
            "it matches 'https://o7fa8o7b.github.io': 'github.io' is a public suffix: anyone can"
            " register a subdomain of it; list the exact origins, or set"
            " dangerously_allow_public_suffix_wildcards=True",
        ),
        id="regex credentials: public suffix sibling",
    ),
    *(
        pytest.param(
            {"allow_origin_regex": regex},
            "allow_origin_regex",
            "prohibited",
            message("prohibited", regex, NESTED),
            id=f"regex backtracking: nested {regex}",
        )
        for regex in [
            r"https://([a-z0-9]+-?)+\.example\.com",
            "(a+)+",
            "(a*)*",
            "(a|aa)+",
            r"https://([a-z]+\.[a-z]+)*\.example\.com",
            r"https://(.+\.)*example\.com",
            r"https://([a-z0-9]{1,63}-?){1,10}\.example\.com",
        ]
    ),
    pytest.param(
        {"allow_origin_regex": r"https://.*a.*a.*\.example\.com"},
        "allow_origin_regex",
        "prohibited",
        message("prohibited", r"https://.*a.*a.*\.example\.com", CHAINED),
        id="regex backtracking: three chained repetitions",
    ),
]


@pytest.mark.parametrize(("kwargs", "field", "reason", "text"), PROBLEMS)
def test_regex_problem(kwargs: dict[str, Any], field: str, reason: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CORSConfig(**kwargs)
    assert [(p.field, p.reason, p.message) for p in caught.value.problems] == [
        (field, reason, text)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({**C, "allow_origin_regex": r"https://app\.a\.example"}, id="exact"),
        pytest.param(
            {**C, "allow_origin_regex": r"https://([a-z0-9-]+\.)*app\.a\.example"},
            id="subdomains, delimited repetition",
        ),
        pytest.param(
            {**C, "allow_origin_regex": r"https://([a-z0-9]+(-[a-z0-9]+)*\.)+a\.example"},
            id="strict labels, nested but unambiguous",
        ),
        pytest.param({**C, "allow_origin_regex": r"https://.*\.a\.example"}, id="any subdomain"),
        pytest.param({**C, "allow_origin_regex": r"http://localhost(:\d+)?"}, id="loopback http"),
        pytest.param(
            {**C, "allow_origin_regex": r"https?://(localhost|127\.0\.0\.1)(:[0-9]+)?"},
            id="loopback either scheme",
        ),
        pytest.param(
            {**C, "allow_origin_regex": r"https://pr-[0-9]+\.preview\.a\.example"},
            id="preview deployments",
        ),
        pytest.param({**C, "allow_origin_regex": r"https://(www\.)?a\.example"}, id="optional www"),
        pytest.param(
            {
                **C,
                "allow_origin_regex": r"https?://app\.a\.example",
                "dangerously_allow_insecure_origins": True,
            },
            id="http opt-in",
        ),
        pytest.param(
            {
                **C,
                "allow_origin_regex": r"https://[a-z0-9-]+\.github\.io",
                "dangerously_allow_public_suffix_wildcards": True,
            },
            id="public suffix opt-in",
        ),
        pytest.param({"allow_origin_regex": ".*"}, id="any origin without credentials"),
        pytest.param(
            {"allow_origin_regex": "https://app.a.example"}, id="unescaped without credentials"
        ),
        pytest.param(
            {
                "allow_origin_regex": r"https://([a-z0-9]+-?)+\.a\.example",
                "dangerously_allow_backtracking_regex": True,
            },
            id="backtracking opt-in",
        ),
        pytest.param(
            {**C, "allow_origin_regex": r"https://([a-z0-9]+-?)++\.a\.example"},
            id="possessive repetition",
            marks=NEEDS_311,
        ),
        pytest.param(
            {**C, "allow_origin_regex": r"https://(?>[a-z0-9]+-?)+\.a\.example"},
            id="atomic group",
            marks=NEEDS_311,
        ),
        pytest.param(
            {**C, "allow_origin_regex": r"https://.*-.*\.a\.example"}, id="two chained repetitions"
        ),
    ],
)
def test_regex_valid(kwargs: dict[str, Any]) -> None:
    CORSConfig(**kwargs)


@pytest.mark.parametrize(
    "regex",
    [
        ".*",
        "https://.*",
        "https://app.example.com",
        r"https://.*example\.com",
        r"http://app\.example\.com",
        r"https://[a-z0-9-]+\.github\.io",
    ],
)
def test_regex_credentials_never_reflects_an_attacker_origin(regex: str) -> None:
    """Each regex that used to reflect an attacker's origin with credentials is refused, and
    the same regex without credentials is accepted as Starlette accepts it."""
    with pytest.raises(ConfigError) as caught:
        CORSConfig(allow_origin_regex=regex, allow_credentials=True)
    assert {p.field for p in caught.value.problems} == {"allow_origin_regex"}
    CORSConfig(allow_origin_regex=regex)


def test_regex_backtracking_opt_in_still_refuses_any_origin_with_credentials() -> None:
    """The option lifts the backtracking rule only; the short random canaries still run."""
    with pytest.raises(ConfigError) as caught:
        CORSConfig(
            allow_origin_regex="https://([a-z0-9.]+-?)+",
            allow_credentials=True,
            dangerously_allow_backtracking_regex=True,
        )
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("allow_origin_regex", "incompatible")
    ]


def test_regex_star_config_still_incompatible_only() -> None:
    """With allow_origins=['*'] the regex gets the one 'already allows' problem, nothing more."""
    with pytest.raises(ConfigError) as caught:
        CORSConfig(allow_origins=["*"], allow_origin_regex="(a+)+")
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("allow_origin_regex", "incompatible")
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("https://app.a.example", r"https://app\.a\.example", id="bare dots"),
        pytest.param(r"https://.*\.a.example", r"https://.*\.a\.example", id="repeated dot kept"),
        pytest.param(r"https://[.a-z]+.example", r"https://[.a-z]+\.example", id="class kept"),
        pytest.param(r"https://a\.b", r"https://a\.b", id="escaped kept"),
        pytest.param(r"https://a.?b.{2}", r"https://a.?b.{2}", id="quantified kept"),
    ],
)
def test_regex_unescaped_dot_suggestion(source: str, expected: str) -> None:
    assert _escape_dots(source) == expected


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        pytest.param(
            "https://app.example.com",
            [
                "https://app.example.com",
                "https://app.exampleacom",
                "https://appaexample.com",
                "https://appaexampleacom",
            ],
            id="dots stand for dots first",
        ),
        pytest.param(
            r"https?://[a-z]+\.a\.example(:\d+)?",
            [
                "http://a.a.example",
                "http://a.a.example:1",
                "http://a.a.example:11",
                "http://aa.a.example",
                "http://aa.a.example:1",
                "http://aa.a.example:11",
                "https://a.a.example",
                "https://a.a.example:1",
                "https://a.a.example:11",
            ],
            id="smallest counts and one more",
        ),
        pytest.param("https://(ab|cd)e|f", ["https://abe", "https://cde", "f"], id="alternatives"),
    ],
)
def test_regex_samples(regex: str, expected: list[str]) -> None:
    assert samples(re.compile(regex)) == expected


# -- properties: a regex written for the same origins as an allow_origins entry gets the same
#    verdict as the entry, with credentials.

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
SUFFIX = st.sampled_from(["com", "org", "example", "co.uk", "github.io", "vercel.app"])
DOMAIN = st.builds(
    lambda labels, suffix: ".".join([*labels, suffix]),
    st.lists(LABEL, min_size=1, max_size=3),
    SUFFIX,
)
HOST = st.one_of(
    DOMAIN,
    st.sampled_from(["localhost", "127.0.0.1", "10.0.0.7", "[::1]", "app.localhost"]),
)
SCHEME = st.sampled_from(["https", "http"])
PORT = st.sampled_from(["", ":8443", ":3000"])


def reasons(**kwargs: Any) -> list[str]:
    try:
        CORSConfig(allow_credentials=True, **kwargs)
    except ConfigError as error:
        return sorted(p.reason for p in error.problems)
    return []


@SETTINGS
@given(scheme=SCHEME, host=HOST, port=PORT)
def test_regex_credentials_exact_origin_same_verdict_as_entry(
    scheme: str, host: str, port: str
) -> None:
    origin = f"{scheme}://{host}{port}"
    assert reasons(allow_origin_regex=re.escape(origin)) == reasons(allow_origins=[origin])


@SETTINGS
@given(scheme=SCHEME, domain=DOMAIN)
def test_regex_credentials_subdomain_wildcard_same_verdict_as_entry(
    scheme: str, domain: str
) -> None:
    regex = f"{scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.{re.escape(domain)}"
    assert reasons(allow_origin_regex=regex) == reasons(allow_origins=[f"{scheme}://*.{domain}"])


@SETTINGS
@given(scheme=SCHEME, domain=DOMAIN)
def test_regex_credentials_unescaped_exact_origin_refused(scheme: str, domain: str) -> None:
    """Writing an exact origin as a regex without escaping its dots is always refused."""
    problems = reasons(allow_origin_regex=f"{scheme}://{domain}")
    assert "prohibited" in problems


@pytest.mark.parametrize(
    ("regex", "kind"),
    [
        pytest.param(r"(x+x+)+y", "nested", id="two repetitions in a repetition"),
        pytest.param(r"(a?a)+", "nested", id="optional then the same character"),
        pytest.param(r"([a-z]+a)+", "nested", id="class then a character it contains"),
        pytest.param(r"(\.a?)+", None, id="delimited optional"),
        pytest.param(r"(a|b)+", None, id="single characters"),
        pytest.param(r"(?i)https://APP\.a\.example", None, id="flags"),
        pytest.param(r"https://[a-z]+\.[a-z]+\.[a-z]+", None, id="separated chain"),
        pytest.param(r"https://.*\..*\..*", "chained", id="dot-separated wildcards"),
    ],
)
def test_regex_backtracking_rule(regex: str, kind: str | None) -> None:
    found = backtracking(re.compile(regex))
    assert (found.kind if found else None) == kind


# -- property: the backtracking rule misses no ambiguous repetition. If some string splits into
#    iterations of (B)+ in two ways, its k-fold repetition splits in 2**k ways, and re tries them
#    all before failing: exponential. Checked by brute force over short strings.

INF = 99
CLASSES = {"a": "a", "b": "b", ".": r"\.", "ab": "[ab]", "a.": "[a.]", "ab.": "[ab.]"}
QUANTIFIERS = {
    (1, 1): "",
    (0, 1): "?",
    (0, INF): "*",
    (1, INF): "+",
    (2, 2): "{2}",
    (1, 2): "{1,2}",
}
ITEM = st.tuples(st.sampled_from(sorted(CLASSES)), st.sampled_from(sorted(QUANTIFIERS)))


def _ways(items: list[tuple[str, tuple[int, int]]], text: str) -> int:
    """How many ways the sequence of (class, (min, max)) items matches all of *text*."""
    if not items:
        return 1 if not text else 0
    (chars, (low, high)), rest = items[0], items[1:]
    total = 0
    for n in range(low, min(high, len(text)) + 1):
        if all(c in chars for c in text[:n]):
            total += _ways(rest, text[n:])
    return total


def _parses(items: list[tuple[str, tuple[int, int]]], text: str) -> int:
    """How many ways *text* splits into one or more non-empty iterations of the items."""
    counts = [1] + [0] * len(text)
    for end in range(1, len(text) + 1):
        counts[end] = sum(counts[start] * _ways(items, text[start:end]) for start in range(end))
    return counts[len(text)]


STRINGS = ["".join(p) for n in range(1, 6) for p in itertools.product("ab.", repeat=n)]


@SETTINGS
@given(st.lists(ITEM, min_size=1, max_size=3))
def test_regex_backtracking_rule_misses_no_ambiguous_repetition(
    items: list[tuple[str, tuple[int, int]]],
) -> None:
    body = "".join(CLASSES[chars] + QUANTIFIERS[q] for chars, q in items)
    regex = f"(?:{body})+"
    ambiguous = next((s for s in STRINGS if _parses(items, s) >= 2), None)
    if ambiguous is not None:
        found = backtracking(re.compile(regex))
        assert found is not None, f"{regex!r} splits {ambiguous!r} in two ways"
