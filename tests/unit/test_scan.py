"""crossorigin._cli.scan: the attack origins derived from a trusted origin, and the plan."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossorigin._cli.scan import attack_origins, plan
from crossorigin._grammar.origins import parse_origin

A63 = "a" * 63
ATTACKER = "crossorigin-attacker.example"


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        pytest.param(
            "https://app.example.com",
            [
                ("reflect-any", "https://crossorigin-attacker.example"),
                ("null", "null"),
                ("prefix", "https://app.example.com.crossorigin-attacker.example"),
                ("suffix", "https://attackerexample.com"),
                ("substring", "https://app.example.co"),
                ("unescaped dot", "https://appxexample.com"),
                ("other scheme", "http://app.example.com"),
                ("other port", "https://app.example.com:444"),
                ("sibling subdomain", "https://attacker.example.com"),
                ("special characters", "https://app.example.com_.crossorigin-attacker.example"),
                ("special characters", "https://app.example.com`.crossorigin-attacker.example"),
                ("special characters", "https://app.example.com}.crossorigin-attacker.example"),
                ("user-info confusion", "https://app.example.com@crossorigin-attacker.example"),
                ("very long", f"https://app.example.com.{A63}.{A63}.{A63}.{'a' * 16}.{ATTACKER}"),
            ],
            id="https subdomain",
        ),
        pytest.param(
            "http://localhost:3000",
            [
                ("reflect-any", "https://crossorigin-attacker.example"),
                ("null", "null"),
                ("prefix", "http://localhost.crossorigin-attacker.example:3000"),
                ("suffix", "http://attackerlocalhost:3000"),
                ("substring", "http://localhos:3000"),
                ("other scheme", "https://localhost:3000"),
                ("other port", "http://localhost:3001"),
                ("sibling subdomain", "http://attacker.localhost:3000"),
                ("special characters", "http://localhost_.crossorigin-attacker.example:3000"),
                ("special characters", "http://localhost`.crossorigin-attacker.example:3000"),
                ("special characters", "http://localhost}.crossorigin-attacker.example:3000"),
                ("user-info confusion", "http://localhost:3000@crossorigin-attacker.example"),
                ("very long", f"http://localhost.{A63}.{A63}.{A63}.{'a' * 22}.{ATTACKER}:3000"),
            ],
            id="http localhost with port, no dot",
        ),
    ],
)
def test_attack_origins(trusted: str, expected: list[tuple[str, str]]) -> None:
    """Each class yields its attack origin, in order, never the trusted origin itself."""
    assert [(a.kind, a.origin) for a in attack_origins(trusted)] == expected


@pytest.mark.parametrize(
    ("trusted", "other_port"),
    [
        pytest.param("http://app.example", "http://app.example:81", id="http default port"),
        pytest.param("https://[::1]:8443", "https://[::1]:8444", id="ipv6 literal"),
    ],
)
def test_other_port(trusted: str, other_port: str) -> None:
    """The other-port class is the next port, from the scheme's default when elided."""
    by_kind = {a.kind: a.origin for a in attack_origins(trusted)}
    assert by_kind["other port"] == other_port


def test_plan_interleaves_and_deduplicates() -> None:
    """Trusted origins take turns, and an origin shared by two is probed once."""
    attacks = plan(["https://a.example", "https://b.example"])
    assert [a.origin for a in attacks[:4]] == [
        "https://crossorigin-attacker.example",
        "null",
        "https://a.example.crossorigin-attacker.example",
        "https://b.example.crossorigin-attacker.example",
    ]
    origins = [a.origin for a in attacks]
    assert len(origins) == len(set(origins))
    assert "https://a.example" not in origins


_LABEL = st.text("abz09-", min_size=1, max_size=63).filter(
    lambda label: label[0] != "-" and label[-1] != "-"
)
_TRUSTED = st.builds(
    lambda scheme, labels, port: f"{scheme}://{'.'.join(labels)}{port}",
    st.sampled_from(["http", "https"]),
    st.lists(_LABEL, min_size=1, max_size=6).filter(lambda ls: len(".".join(ls)) <= 253),
    st.sampled_from(["", ":3000", ":8443"]),
).filter(lambda origin: parse_origin(origin) is not None)
# Classes whose origin is deliberately not a serialized origin (they probe the server's parser).
_PARSER_PROBES = {"null", "special characters", "user-info confusion"}


def _host(origin: str) -> str:
    authority = origin.split("://", 1)[1].rsplit("@", 1)[-1]
    return authority.rsplit(":", 1)[0] if authority.rsplit(":", 1)[-1].isdigit() else authority


@settings(max_examples=300, deadline=None)
@given(_TRUSTED)
@example(f"https://{'b' * 63}.{'c' * 63}.{'d' * 63}.{'e' * 59}")  # a 253-character host
@example(f"https://{'b' * 63}.example.com")  # "unescaped dot" would make a 70-char label
@example("http://a")  # "substring" would leave no host
def test_attack_hosts_fit_in_dns(trusted: str) -> None:
    """Every attack host is one DNS can hold (labels of 1-63, at most 253 characters), so no
    finding rests on an origin no attacker could serve a page from (RFC 1035 §2.3.4)."""
    for attack in attack_origins(trusted):
        if attack.origin == "null":
            continue
        host = _host(attack.origin)
        assert len(host) <= 253, attack
        assert all(1 <= len(label) <= 63 for label in host.split(".")), attack
        if attack.kind not in _PARSER_PROBES:
            assert parse_origin(attack.origin) is not None, attack


def test_very_long_is_the_longest_name_under_the_attacker() -> None:
    """The very-long class is exactly 253 characters and outside the trusted host's subtree."""
    (attack,) = [a for a in attack_origins("https://app.example.com") if a.kind == "very long"]
    host = _host(attack.origin)
    assert (len(host), host.endswith(".crossorigin-attacker.example")) == (253, True)
    assert not host.endswith(".app.example.com")
