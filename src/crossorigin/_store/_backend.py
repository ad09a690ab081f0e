"""The boundary every origin-store backend implements (provisional copy; the store owns it)."""

from __future__ import annotations

import abc
import re
from collections.abc import AsyncIterator
from typing import NamedTuple


class StoredOrigin(NamedTuple):
    origin: str
    tenant: str | None = None
    note: str | None = None
    expires: float | None = None
    added: float = 0.0


class StoreUnavailableError(ConnectionError):
    """The store could not be reached or answered with an error; *reason* never holds a password."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"crossorigin: origin store {url} unavailable: {reason}")
        self.url = url
        self.reason = reason


class StoreBackend(abc.ABC):
    redacted_url: str

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def version(self) -> int: ...

    @abc.abstractmethod
    async def load(self) -> tuple[int, list[StoredOrigin], str | None]: ...

    @abc.abstractmethod
    async def add(self, entry: StoredOrigin) -> int: ...

    @abc.abstractmethod
    async def remove(self, origin: str, tenant: str | None = None) -> int: ...

    @abc.abstractmethod
    async def put_policy(self, document: str) -> int: ...

    def changes(self) -> AsyncIterator[None] | None:
        return None


_PASSWORD = re.compile(r"(?<=://)([^/@:]*):([^/@]*)@")
_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&]*")


def redact(url: str) -> str:
    """*url* with any password replaced by ``***`` (user names are kept: they help debugging)."""
    url = _PASSWORD.sub(lambda m: f"{m.group(1)}:***@", url)
    return _PASSWORD_PARAM.sub(r"\1***", url)
