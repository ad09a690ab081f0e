"""CORSConfig.from_env: every field, strict parsing, every error names its variable."""

from __future__ import annotations

import re

import pytest

from crossorigin import ConfigError, CORSConfig


def test_every_field_from_env() -> None:
    """Each field but the predicate has a variable; lists accept JSON or commas."""
    env = {
        "CORS_ALLOW_ORIGINS": '["https://a.example", "https://*.b.example"]',
        "CORS_ALLOW_METHODS": "PUT, DELETE",
        "CORS_ALLOW_HEADERS": "x-api-key,authorization",
        "CORS_ALLOW_CREDENTIALS": "true",
        "CORS_ALLOW_ORIGIN_REGEX": r"https://[a-z]+\.c\.example",
        "CORS_EXPOSE_HEADERS": "x-total",
        "CORS_MAX_AGE": "120",
        "CORS_ALLOW_PRIVATE_NETWORK": "1",
        "CORS_PREFLIGHT_STATUS": "200",
        "CORS_DEBUG": "FALSE",
        "CORS_DANGEROUSLY_ALLOW_INSECURE_ORIGINS": "0",
        "CORS_DANGEROUSLY_ALLOW_PUBLIC_SUFFIX_WILDCARDS": "false",
        "CORS_PROTECT_WRITES": "true",
        "CORS_PROTECT_WEBSOCKETS": "true",
        "CORS_PROTECTION_EXEMPT_PATHS": "/webhooks/stripe",
        "CORS_PUBLIC_ORIGIN": "https://api.example",
        "OTHER_VARIABLE": "ignored",
    }
    config = CORSConfig.from_env(environ=env)
    assert config == CORSConfig(
        allow_origins=["https://a.example", "https://*.b.example"],
        allow_methods=["PUT", "DELETE"],
        allow_headers=["x-api-key", "authorization"],
        allow_credentials=True,
        allow_origin_regex=re.compile(r"https://[a-z]+\.c\.example"),
        expose_headers=["x-total"],
        max_age=120,
        allow_private_network=True,
        preflight_status=200,
        protect_writes=True,
        protect_websockets=True,
        protection_exempt_paths=["/webhooks/stripe"],
        public_origin="https://api.example",
    )


def test_prefix_and_defaults() -> None:
    """Another prefix works, unset variables keep the defaults, ``none`` omits max-age."""
    config = CORSConfig.from_env(
        "APP_CORS_", {"APP_CORS_ALLOW_ORIGINS": "*", "APP_CORS_MAX_AGE": "none"}
    )
    assert config == CORSConfig(allow_origins=["*"], max_age=None)


def test_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without *environ*, the process environment is read."""
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example")
    assert CORSConfig.from_env().allow_origins == ("https://a.example",)


@pytest.mark.parametrize(
    ("env", "messages"),
    [
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "yes"},
            ["crossorigin: invalid CORS_ALLOW_CREDENTIALS 'yes': is not a boolean; write true or false"],
            id="boolean is strict",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_MAX_AGE": "10m"},
            ["crossorigin: invalid CORS_MAX_AGE '10m': is not a whole number; write a whole number,"
             " or none to omit the header"],
            id="integer is strict",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_PREFLIGHT_STATUS": "-204"},
            ["crossorigin: invalid CORS_PREFLIGHT_STATUS '-204': is not a whole number; write a"
             " whole number"],
            id="no sign",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": '["https://a.example"'},
            ["crossorigin: invalid CORS_ALLOW_ORIGINS '[\"https://a.example\"': is not a JSON array"
             " (Expecting ',' delimiter); write e.g. [\"https://a.example\"] or a,b"],
            id="broken JSON",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "[1, 2]"},
            ["crossorigin: invalid CORS_ALLOW_ORIGINS '[1, 2]': must be a JSON array of strings"],
            id="JSON of numbers",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_ORIGIN": "https://a.example"},
            ["crossorigin: invalid CORS_ALLOW_ORIGIN 'https://a.example': is not a crossorigin"
             " setting; did you mean CORS_ALLOW_ORIGINS?"],
            id="typo in a variable name",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_ORIGIN_PREDICATE": "x"},
            ["crossorigin: invalid CORS_ALLOW_ORIGIN_PREDICATE 'x': is not a crossorigin setting;"
             " did you mean CORS_ALLOW_ORIGIN_REGEX?"],
            id="a function cannot come from the environment",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "https://a.example/", "CORS_ALLOW_CREDENTIALS": "true"},
            ["crossorigin: CORS_ALLOW_ORIGINS: invalid allow_origins entry 'https://a.example/': an"
             " origin has no path, query or trailing slash; did you mean 'https://a.example'?"],
            id="config problems name the variable",
        ),
        pytest.param(
            {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true", "CORS_DEBUG": "on"},
            ["crossorigin: invalid CORS_DEBUG 'on': is not a boolean; write true or false",
             "crossorigin: CORS_ALLOW_ORIGINS: incompatible allow_origins '*': '*' with"
             " allow_credentials=True would let every site read responses with the user's cookies;"
             " list the trusted origins explicitly, or set allow_credentials=False"],
            id="parse and config problems together",
        ),
    ],
)  # fmt: skip
def test_errors(env: dict[str, str], messages: list[str]) -> None:
    """Every problem is reported at once and names the variable to change."""
    with pytest.raises(ConfigError) as info:
        CORSConfig.from_env(environ=env)
    assert [p.message for p in info.value.problems] == messages


def test_comma_separated_string_is_a_list_not_substring_matching() -> None:
    """The deployment classic: a comma-separated variable becomes a list of origins."""
    config = CORSConfig.from_env(
        environ={"CORS_ALLOW_ORIGINS": "https://a.example,https://b.example"}
    )
    assert config.allow_origins == ("https://a.example", "https://b.example")


def test_pydantic_settings_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pydantic-settings model whose fields feed CORSConfig (docs/configuration-from-env.md)."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class CORSSettings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="CORS_")
        allow_origins: list[str] = []
        allow_methods: list[str] = ["GET"]
        allow_credentials: bool = False
        max_age: int | None = 600

    monkeypatch.setenv("CORS_ALLOW_ORIGINS", '["https://a.example"]')
    monkeypatch.setenv("CORS_ALLOW_CREDENTIALS", "true")
    config = CORSConfig(**CORSSettings().model_dump())
    assert config == CORSConfig(allow_origins=["https://a.example"], allow_credentials=True)
