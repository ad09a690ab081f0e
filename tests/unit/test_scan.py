"""crossorigin._cli.scan: the attack origins derived from a trusted origin, and the plan."""

from __future__ import annotations

import pytest

from crossorigin._cli.scan import attack_origins, plan

LONG = ("a" * 63 + ".") * 4


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
                ("very long", f"https://{LONG}app.example.com"),
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
                ("very long", f"http://{LONG}localhost:3000"),
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
