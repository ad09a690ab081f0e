"""The ONE table of named CORS scenarios, shared by the ASGI, CLI and browser tests.

A row says what a page does (``fetch(path, {method, headers, credentials})`` from an allowed,
a denied or a ``null`` origin), with which server config, and what must happen: the exact
preflight answer (or none), the exact actual response (or none: blocked before it is sent),
and the browser's verdict. Values may contain ``{origin}``, replaced by the page's origin, and
configs may contain ``{allowed}``, replaced by the allowed origin of the test's topology.

The test app behind every row (see :func:`tests.apps.scenario_app`) serves ``/data`` for every
method (JSON, ``x-total: 42``, ``x-secret: s``), ``/boom`` (raises), ``/teapot`` (418),
``/get-only`` (GET only, so other methods get 405) and nothing else (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossorigin._browser.fetch import preflight_for
from crossorigin._browser.fetch_types import Request

ALLOWED = "allowed"
DENIED = "denied"
NULL = "null"

SAFELISTED_CONTENT_TYPES = {
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
}
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@dataclass(frozen=True)
class Expect:
    """An exact response: status and every ``access-control-*`` header plus ``vary``."""

    status: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Scenario:
    id: str
    config: dict[str, Any]
    method: str = "GET"
    request_headers: dict[str, str] = field(default_factory=dict)
    credentials: bool = False
    origin_kind: str = ALLOWED
    path: str = "/data"
    preflight: Expect | None = None
    actual: Expect | None = None
    browser_allows: bool = True

    def preflight_request(self) -> tuple[str, str | None] | None:
        """``(ACRM, ACRH or None)`` a browser sends first, or ``None`` when no preflight.

        Computed by crossorigin's model of the browser side of Fetch (``crossorigin._browser.fetch``),
        which the browser suite checks against real engines.
        """
        preflight = preflight_for(
            Request.build(
                "https://page.example",
                self.method,
                self.request_headers,
                credentials=self.credentials,
            )
        )
        if preflight is None:
            return None
        return preflight.method, ",".join(preflight.header_names) or None


def ok(status: int = 200, **headers: str) -> Expect:
    """Expected actual response; keyword names use ``_`` for ``-``."""
    return Expect(status, {k.replace("_", "-"): v for k, v in headers.items()})


def preflight_ok(**headers: str) -> Expect:
    return Expect(
        204, {**{k.replace("_", "-"): v for k, v in headers.items()}, "vary": PREFLIGHT_VARY}
    )


PREFLIGHT_DENIED = Expect(403, {"vary": PREFLIGHT_VARY})

A = {
    "allow_origins": ["{allowed}"],
    "allow_methods": ["PUT", "DELETE"],
    "allow_headers": ["x-foo", "content-type"],
    "expose_headers": ["x-total"],
    "max_age": 600,
}
C = {
    "allow_origins": ["{allowed}"],
    "allow_credentials": True,
    "allow_methods": ["PUT"],
    "allow_headers": ["authorization", "x-foo"],
    "expose_headers": ["x-total"],
    "max_age": 600,
}
P = {
    "allow_origins": ["*"],
    "allow_methods": ["*"],
    "allow_headers": ["*"],
    "expose_headers": ["*"],
}

ACAO = "access_control_allow_origin"
ECHO = "{origin}"

SCENARIOS: list[Scenario] = [
    # --- simple requests ---------------------------------------------------------------------
    Scenario(
        "simple GET allowed",
        A,
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "simple GET denied origin",
        A,
        origin_kind=DENIED,
        actual=ok(vary="Origin"),
        browser_allows=False,
    ),
    Scenario(
        "simple form POST allowed",
        A,
        method="POST",
        request_headers={"content-type": "application/x-www-form-urlencoded"},
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "simple POST denied origin still runs",
        A,
        method="POST",
        request_headers={"content-type": "text/plain"},
        origin_kind=DENIED,
        actual=ok(vary="Origin"),
        browser_allows=False,
    ),
    Scenario(
        "public GET",
        P,
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
    ),
    Scenario(
        "public GET from null origin",
        P,
        origin_kind=NULL,
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
    ),
    Scenario(
        "null origin denied by explicit list",
        A,
        origin_kind=NULL,
        actual=ok(vary="Origin"),
        browser_allows=False,
    ),
    Scenario(
        "safelisted method POST needs no listing",
        {**A, "allow_methods": ["PUT"]},
        method="POST",
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    # --- preflighted requests ----------------------------------------------------------------
    Scenario(
        "preflight PUT allowed",
        A,
        method="PUT",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="PUT",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "preflight DELETE allowed",
        A,
        method="DELETE",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="DELETE",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "preflight denied origin",
        A,
        method="PUT",
        origin_kind=DENIED,
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "preflight method not allowed",
        A,
        method="PATCH",
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "custom method allowed",
        {**A, "allow_methods": ["PURGE"]},
        method="PURGE",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="PURGE",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "lower-case method is a different method",
        {**A, "allow_methods": ["PATCH"]},
        method="patch",
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "any method with star",
        P,
        method="PATCH",
        preflight=preflight_ok(
            access_control_allow_origin="*",
            access_control_allow_methods="*",
            access_control_max_age="600",
        ),
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
    ),
    Scenario(
        "JSON POST needs no content-type listing",
        {**A, "allow_headers": []},
        method="POST",
        request_headers={"content-type": "application/json"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_headers="content-type",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "custom header allowed",
        A,
        method="GET",
        request_headers={"x-foo": "1"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_headers="x-foo",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "custom header not allowed",
        A,
        method="GET",
        request_headers={"x-bar": "1"},
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "two custom headers, one not allowed",
        A,
        method="PUT",
        request_headers={"x-foo": "1", "x-bar": "2"},
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "star headers allow any custom header",
        P,
        method="GET",
        request_headers={"x-anything": "1"},
        preflight=preflight_ok(
            access_control_allow_origin="*",
            access_control_allow_headers="x-anything",
            access_control_max_age="600",
        ),
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
    ),
    Scenario(
        "authorization with explicit list",
        {**A, "allow_headers": ["authorization"]},
        method="GET",
        request_headers={"authorization": "Bearer t"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_headers="authorization",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "authorization with star is echoed",
        P,
        method="GET",
        request_headers={"authorization": "Bearer t"},
        preflight=preflight_ok(
            access_control_allow_origin="*",
            access_control_allow_headers="authorization",
            access_control_max_age="600",
        ),
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
    ),
    Scenario(
        "authorization not allowed",
        A,
        method="GET",
        request_headers={"authorization": "Bearer t"},
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    Scenario(
        "headers and method together",
        A,
        method="DELETE",
        request_headers={"content-type": "application/json", "x-foo": "1"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="DELETE",
            access_control_allow_headers="content-type,x-foo",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "max_age unset omits the header",
        {**A, "max_age": None},
        method="PUT",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO, access_control_allow_methods="PUT"
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "max_age zero",
        {**A, "max_age": 0},
        method="PUT",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="PUT",
            access_control_max_age="0",
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "preflight status 200 when configured",
        {**A, "preflight_status": 200},
        method="PUT",
        preflight=Expect(
            200,
            {
                "access-control-allow-origin": ECHO,
                "access-control-allow-methods": "PUT",
                "access-control-max-age": "600",
                "vary": PREFLIGHT_VARY,
            },
        ),
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    # --- credentials -------------------------------------------------------------------------
    Scenario(
        "credentialed GET",
        C,
        credentials=True,
        actual=ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "credentialed PUT with authorization",
        C,
        method="PUT",
        credentials=True,
        request_headers={"authorization": "Bearer t", "x-foo": "1"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_allow_methods="PUT",
            access_control_allow_headers="authorization,x-foo",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "credentialed request to public config is blocked",
        P,
        credentials=True,
        actual=ok(access_control_allow_origin="*", access_control_expose_headers="*"),
        browser_allows=False,
    ),
    Scenario(
        "credentialed request without allow_credentials is blocked",
        A,
        credentials=True,
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
        browser_allows=False,
    ),
    Scenario(
        "credentialed any method echoes it",
        {**C, "allow_methods": ["*"], "allow_headers": ["*"]},
        method="PATCH",
        credentials=True,
        request_headers={"x-a": "1", "x-b": "2"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_allow_methods="PATCH",
            access_control_allow_headers="x-a,x-b",
            access_control_max_age="600",
        ),
        actual=ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    # --- errors and other statuses ----------------------------------------------------------
    Scenario(
        "route raises keeps CORS headers",
        A,
        path="/boom",
        actual=ok(
            500,
            access_control_allow_origin=ECHO,
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "404 keeps CORS headers",
        A,
        path="/missing",
        actual=ok(
            404,
            access_control_allow_origin=ECHO,
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "405 keeps CORS headers",
        A,
        method="DELETE",
        path="/get-only",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="DELETE",
            access_control_max_age="600",
        ),
        actual=ok(
            405,
            access_control_allow_origin=ECHO,
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "preflight to a missing route succeeds",
        A,
        method="PUT",
        path="/missing",
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_methods="PUT",
            access_control_max_age="600",
        ),
        actual=ok(
            404,
            access_control_allow_origin=ECHO,
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    Scenario(
        "418 keeps CORS headers",
        A,
        path="/teapot",
        actual=ok(
            418,
            access_control_allow_origin=ECHO,
            access_control_expose_headers="x-total",
            vary="Origin",
        ),
    ),
    # --- origin patterns ---------------------------------------------------------------------
    Scenario(
        "regex origin",
        {**A, "allow_origins": [], "allow_origin_regex": "{allowed_regex}"},
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    Scenario(
        "any-port pattern",
        {**A, "allow_origins": ["{allowed_any_port}"]},
        actual=ok(
            access_control_allow_origin=ECHO, access_control_expose_headers="x-total", vary="Origin"
        ),
    ),
    # --- debug mode --------------------------------------------------------------------------
    Scenario(
        "debug names a missing method",
        {**C, "debug": True},
        method="DELETE",
        credentials=True,
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_allow_methods="PUT",
        ),
        browser_allows=False,
    ),
    Scenario(
        "debug names a missing header",
        {**C, "debug": True},
        method="PUT",
        credentials=True,
        request_headers={"x-bar": "1"},
        preflight=preflight_ok(
            access_control_allow_origin=ECHO,
            access_control_allow_credentials="true",
            access_control_allow_methods="PUT",
            access_control_allow_headers="authorization,x-foo",
            access_control_max_age="600",
        ),
        browser_allows=False,
    ),
    Scenario(
        "debug never helps a denied origin",
        {**C, "debug": True},
        method="PUT",
        origin_kind=DENIED,
        credentials=True,
        preflight=PREFLIGHT_DENIED,
        browser_allows=False,
    ),
    # --- exposure ----------------------------------------------------------------------------
    Scenario(
        "no exposed headers",
        {**A, "expose_headers": []},
        actual=ok(access_control_allow_origin=ECHO, vary="Origin"),
    ),
]

BY_ID = {scenario.id: scenario for scenario in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS), "scenario ids must be unique"
