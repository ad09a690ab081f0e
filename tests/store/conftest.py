"""Fixtures for the origin store: private Redis and PostgreSQL servers, one each per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.services import PostgresServer, RedisServer, postgres_bindir, redis_binary


def _missing(what: str, package: str) -> None:
    # In CI a missing server is a broken install step, never a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: .ci/run must apt-get install {package}")
    pytest.skip(f"{what} is not installed here (apt-get install {package})")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if redis_binary() is None:
        _missing("redis-server", "redis-server")
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if postgres_bindir() is None:
        _missing("PostgreSQL", "postgresql")
    server = PostgresServer()
    server.init()
    server.start()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A fresh key prefix on the session's server: tests never see each other's entries."""
    return f"{redis_server.url}?key_prefix=t{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database on the session's server."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"drop database {name} with (force)")
