"""Value types of the browser oracle: a page's request, a response, the steps and the verdict.

Read with ``_fetch`` (the algorithm); kept apart so the modules stay small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crossorigin._browser.fetch_rules import is_token

HeaderList = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    """What a page asks ``fetch()`` to do: ``fetch(url, {method, headers, credentials})``.

    ``credentials`` is True for ``credentials: "include"``. ``use_cors_preflight`` models the
    use-CORS-preflight flag (an XHR upload listener or a stream body): a preflight even for a
    safelisted method (https://fetch.spec.whatwg.org/#use-cors-preflight-flag).

    .. versionadded:: 0.1
    """

    origin: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    credentials: bool = False
    use_cors_preflight: bool = False

    @classmethod
    def build(
        cls,
        origin: str,
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        credentials: bool = False,
        use_cors_preflight: bool = False,
    ) -> Request:
        """Build a request from a header mapping or pairs (names are matched without case)."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(origin, method, tuple(pairs), credentials, use_cors_preflight)


@dataclass(frozen=True)
class Response:
    """A response as the browser received it: status and the raw header list.

    .. versionadded:: 0.1
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def build(
        cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()
    ) -> Response:
        """Build a response from a header mapping or pairs."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(status, tuple(pairs))


@dataclass(frozen=True)
class Step:
    """One step of the browser's algorithm: its name, outcome, one-sentence reason, spec link.

    ``console`` is, for a failed step, Chromium's wording of the error as its console prints it
    after "has been blocked by CORS policy: " (from Chromium's cors_error_string.cc); empty
    when the step passed or Chromium prints no CORS error for it.

    .. versionadded:: 0.1
    """

    name: str
    passed: bool
    reason: str
    spec: str
    console: str = ""


@dataclass(frozen=True)
class Preflight:
    """The preflight a browser sends: ``(method, ACRH names)`` and the exact request headers."""

    method: str
    header_names: tuple[str, ...]

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """``Accept``, ACRM and ACRH exactly as Fetch builds them (``Origin`` not included)."""
        out = [("accept", "*/*"), ("access-control-request-method", self.method)]
        if self.header_names:
            # Joined by "," without a space: the spec deliberately does not "combine" here
            # (https://fetch.spec.whatwg.org/#cors-preflight-fetch-0 step 5).
            out.append(("access-control-request-headers", ",".join(self.header_names)))
        return tuple(out)


@dataclass(frozen=True)
class Verdict:
    """What the browser decides: allowed or not, every step walked, and what script can read.

    ``failed_step`` is the first failing step (``None`` when allowed). ``exposed_headers`` are
    the lower-case response-header names script can read. ``preflight_max_age`` is the
    seconds the preflight result is cached (``None`` without a successful preflight; before
    the browser's own cap, e.g. 7200 s in Chromium).

    .. versionadded:: 0.1
    """

    allowed: bool
    steps: tuple[Step, ...]
    failed_step: Step | None
    exposed_headers: tuple[str, ...] = ()
    preflight_max_age: int | None = None


class RequestRejected(ValueError):
    """``fetch()`` itself throws a TypeError for this request (e.g. a forbidden method)."""


def header_get(headers: HeaderList, name: str) -> str | None:
    """Fetch's *get*: every value of *name* joined with ", ", or ``None`` when absent.

    https://fetch.spec.whatwg.org/#concept-header-list-get — so two lines of a single-value
    header such as ACAO become ``"a, b"``, which then fails every comparison.
    """
    values = [value for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def extract_list(headers: HeaderList, name: str) -> list[str] | None:
    """Fetch's *extract header list values* for ``#token`` lists (ACAM, ACAH, ACEH).

    Returns ``None`` when the header is absent and raises ``ValueError`` on a parse failure
    (https://fetch.spec.whatwg.org/#extract-header-list-values). Empty elements are skipped as
    RFC 9110 §5.6.1.2 tells recipients to.
    """
    values = [value for key, value in headers if key.lower() == name]
    if not values:
        return None
    out: list[str] = []
    for value in values:
        for element in value.split(","):
            element = element.strip(" \t")
            if not element:
                continue
            if not is_token(element):
                raise ValueError(element)
            out.append(element)
    return out
