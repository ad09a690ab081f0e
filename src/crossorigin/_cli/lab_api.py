"""The lab's logic without servers: policies as JSON, the FastAPI snippet, the prediction.

Read this for what ``crossorigin lab`` computes; ``lab.py`` serves it. Everything here is a
pure function of JSON-like values, so it is tested without a browser:

- :func:`check_policy` turns the editor's JSON object into a :class:`CORSConfig`, or into every
  problem found (``ConfigError``'s problems, plus unknown fields), each tied to its field;
- :func:`fastapi_snippet` writes the FastAPI code of a policy (only the fields that differ from
  the defaults);
- :func:`predict` asks the Fetch model (``crossorigin._browser.fetch``) what the browser must
  do with the responses the server really sent, step by step with Chromium's console text,
  and :func:`disagreements` holds that prediction against what the browser reported;
- :func:`scan_origins` picks the trusted origins the scanner imitates;
- :func:`echo_app` is the API's app: it answers every method and path with what it received.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from crossorigin._browser.fetch import (
    Request,
    RequestRejected,
    Response,
    Step,
    Verdict,
    browser_verdict,
    preflight_for,
)
from crossorigin._browser.fetch_rules import is_token
from crossorigin._config.config import CORSConfig
from crossorigin._errors import ConfigError
from crossorigin._types import Receive, Scope, Send

DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(CORSConfig) if f.name != "allow_origin_predicate"
}
"""Every field the lab edits, with its default (a callable predicate cannot come from JSON)."""

LIST_FIELDS = (
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "protection_exempt_paths",
)
BODY_KINDS = ("none", "json", "form", "text")
CREDENTIALS_MODES = ("omit", "same-origin", "include")
SAFELISTED_CONTENT_TYPES = {
    "form": "application/x-www-form-urlencoded;charset=UTF-8",
    "text": "text/plain;charset=UTF-8",
}
"""The Content-Type a browser sets itself for a URLSearchParams or a string body."""
CHROMIUM_CLIENT_HINTS = frozenset(
    {"save-data", "dpr", "width", "viewport-width", "device-memory", "intervention"}
)
"""Request headers Chromium sends without a preflight; the standard (and the model) does not."""


class BadInput(ValueError):
    """A lab request whose JSON does not have the expected shape (answered with a 400)."""


def initial_policy(page_origin: str) -> dict[str, Any]:
    """The lab's starting policy: the lab page's origin, with credentials."""
    return {
        **json_defaults(),
        "allow_origins": [page_origin],
        "allow_methods": ["GET", "POST", "PUT", "DELETE"],
        "allow_headers": ["authorization", "x-lab-token"],
        "allow_credentials": True,
        "expose_headers": ["x-request-id"],
    }


def json_defaults() -> dict[str, Any]:
    """The editable fields' defaults as JSON values (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in DEFAULTS.items()}


def check_policy(data: object) -> tuple[CORSConfig | None, list[dict[str, Any]]]:
    """Build a :class:`CORSConfig` from the editor's JSON object, or list every problem.

    A field missing from *data* takes its default. Each problem is ``{"field", "reason",
    "message"}``; ``message`` follows ConfigError's grammar and ends with the fix.
    """
    if not isinstance(data, dict):
        message = (
            f"crossorigin: invalid policy {_short(data)}: must be a JSON object of CORSConfig"
            ' fields; write e.g. {"allow_origins": ["https://app.example"]}'
        )
        return None, [{"field": "", "reason": "invalid", "message": message}]
    problems: list[dict[str, Any]] = []
    for name in data:
        if name == "allow_origin_predicate":
            problems.append(_problem(name, "a Python callable cannot be set from JSON; remove it"))
        elif name not in DEFAULTS:
            problems.append(
                _problem(
                    name,
                    "is not a CORSConfig field; remove it or use one of "
                    + ", ".join(sorted(DEFAULTS)),
                )
            )
    if problems:
        return None, problems
    try:
        config = CORSConfig(**data)
    except ConfigError as exc:
        return None, [
            {"field": p.field, "reason": p.reason, "message": p.message} for p in exc.problems
        ]
    except (TypeError, ValueError) as exc:  # defensive: validation should have caught it
        return None, [{"field": "", "reason": "invalid", "message": f"crossorigin: {exc}"}]
    return config, []


def _problem(name: str, what: str) -> dict[str, Any]:
    return {
        "field": name,
        "reason": "invalid",
        "message": f"crossorigin: invalid field {name!r}: {what}",
    }


def _short(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the FastAPI snippet -----------------------------------------------------------------------


def fastapi_snippet(config: CORSConfig) -> str:
    """Runnable FastAPI code serving *config* (fields equal to their default are left out)."""
    lines = []
    for name, default in DEFAULTS.items():
        value = getattr(config, name)
        if isinstance(value, re.Pattern):
            value = value.pattern
        if _same(value, default):
            continue
        lines.append(f"        {name}={_python(value)},")
    return "\n".join(
        [
            "from fastapi import FastAPI",
            "",
            "from crossorigin import CORSConfig, CORSMiddleware",
            "",
            "app = FastAPI()",
            "app.add_middleware(",
            "    CORSMiddleware,",
            "    config=CORSConfig(",
            *lines,
            "    ),",
            ")",
            "",
        ]
    )


def _same(value: object, default: object) -> bool:
    if isinstance(value, tuple) and isinstance(default, tuple):
        return sorted(value) == sorted(default)
    return value == default


def _python(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_python(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a Python string literal too
    return repr(value)


# -- the scanner's trusted origins -------------------------------------------------------------


def scan_origins(config: CORSConfig, fallback: str) -> list[str]:
    """Concrete origins the policy trusts, for the scanner to imitate (*fallback* if none).

    A subdomain wildcard ``https://*.example.com`` stands for ``https://lab.example.com`` and
    an any-port pattern for port 8443, so the scanner's attack origins derive from them.
    """
    out: list[str] = []
    for entry in config.allow_origins:
        if entry in ("*", "null"):
            continue
        origin = entry.replace("://*.", "://lab.", 1)
        if origin.endswith(":*"):
            origin = origin[:-2] + ":8443"
        if origin not in out:
            out.append(origin)
    return out or [fallback]


# -- the prediction ----------------------------------------------------------------------------


def lab_request(data: object) -> dict[str, Any]:
    """Validate the request builder's description (raises :class:`BadInput`)."""
    if not isinstance(data, dict):
        raise BadInput("the request must be a JSON object")
    out: dict[str, Any] = {}
    for key in ("origin", "method", "url", "body_kind", "credentials"):
        value = data.get(key)
        if not isinstance(value, str):
            raise BadInput(f"request.{key} must be a string")
        out[key] = value
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers
    ):
        raise BadInput("request.headers must be a list of [name, value] pairs")
    out["headers"] = [(n, v) for n, v in headers]
    if out["body_kind"] not in BODY_KINDS:
        raise BadInput(f"request.body_kind must be one of {', '.join(BODY_KINDS)}")
    if out["credentials"] not in CREDENTIALS_MODES:
        raise BadInput(f"request.credentials must be one of {', '.join(CREDENTIALS_MODES)}")
    return out


def fetch_request(request: dict[str, Any]) -> Request:
    """The Fetch model of the builder's request, with the Content-Type the browser adds."""
    headers = list(request["headers"])
    implied = SAFELISTED_CONTENT_TYPES.get(request["body_kind"])
    if implied and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("content-type", implied))
    return Request.build(
        request["origin"],
        request["method"],
        headers,
        credentials=request["credentials"] == "include",
    )


def predict(
    request: dict[str, Any],
    records: list[dict[str, Any]],
    *,
    authorization_covered_by_wildcard: bool,
) -> dict[str, Any]:
    """What the Fetch model says the browser does, given the responses the server really sent.

    Returns ``{"allowed", "steps", "exposed", "console", "needs_preflight", "notes"}``; when a
    response the model needs is missing (the server saw no such request), ``allowed`` is
    ``None`` and ``notes`` says which.
    """
    model = fetch_request(request)
    notes: list[str] = []
    refusal = _thrown_before_sending(model, request["body_kind"])
    if refusal is not None:
        step = Step("request", False, refusal, "https://fetch.spec.whatwg.org/#dom-request")
        return _prediction(Verdict(False, (step,), step), request, None, notes)
    try:
        preflight = preflight_for(model)
    except RequestRejected:
        preflight = None
    pre = next((r for r in records if r.get("kind") == "preflight"), None)
    actual = next((r for r in records if r.get("kind") != "preflight"), None)
    if preflight is not None and pre is None:
        note = "the model expects a preflight, but the server received none"
        if preflight.header_names and set(preflight.header_names) <= CHROMIUM_CLIENT_HINTS:
            note += (
                " (known difference: Chromium safelists the client-hint headers"
                f" {', '.join(preflight.header_names)}; the model follows the standard)"
            )
        notes.append(note)
        return _incomplete(request, preflight is not None, notes)
    if preflight is None and pre is not None:
        notes.append("the model expects no preflight, but the server received one")
    try:
        verdict = browser_verdict(
            model,
            _response(pre),
            _response(actual),
            authorization_covered_by_wildcard=authorization_covered_by_wildcard,
        )
    except ValueError:
        notes.append("the model expects the actual request, but the server received none")
        return _incomplete(request, preflight is not None, notes)
    return _prediction(verdict, request, preflight is not None, notes)


def _thrown_before_sending(model: Request, body_kind: str) -> str | None:
    """Why ``fetch()`` throws at once for this request (before any CORS step), if it does."""
    prefix = "fetch() throws a TypeError before sending anything: "
    if body_kind != "none" and model.method.upper() in ("GET", "HEAD"):
        return prefix + f"a {model.method.upper()} request cannot have a body."
    for name, value in model.headers:
        if not is_token(name):
            return prefix + f"{name!r} is not a valid header name."
        if any(c in value for c in "\0\r\n"):
            return prefix + f"the value of {name!r} contains NUL, CR or LF."
    return None


def _response(record: dict[str, Any] | None) -> Response | None:
    if record is None or record.get("status") is None:
        return None
    pairs = [(str(n), str(v)) for n, v in record.get("response_header_list", [])]
    return Response.build(int(record["status"]), pairs)


def _incomplete(request: dict[str, Any], needs: bool, notes: list[str]) -> dict[str, Any]:
    return {
        "allowed": None,
        "steps": [],
        "exposed": [],
        "console": None,
        "needs_preflight": needs,
        "notes": notes,
    }


def _prediction(
    verdict: Verdict, request: dict[str, Any], needs: bool | None, notes: list[str]
) -> dict[str, Any]:
    failed = verdict.failed_step
    console = None
    if failed is not None and failed.console:
        url = request["url"]
        console = (
            f"Access to fetch at '{url}' from origin '{request['origin']}' has been blocked by"
            f" CORS policy: {failed.console}"
        )
    return {
        "allowed": verdict.allowed,
        "steps": [
            {
                "name": s.name,
                "passed": s.passed,
                "reason": s.reason,
                "spec": s.spec,
                "console": s.console,
            }
            for s in verdict.steps
        ],
        "exposed": list(verdict.exposed_headers),
        "console": console,
        "needs_preflight": needs,
        "notes": notes,
    }


def browser_report(data: object) -> dict[str, Any]:
    """Validate what the page's frame reported (raises :class:`BadInput`)."""
    if not isinstance(data, dict) or data.get("outcome") not in ("allowed", "blocked"):
        raise BadInput("report.outcome must be 'allowed' or 'blocked'")
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers
    ):
        raise BadInput("report.headers must be a list of [name, value] pairs")
    origin = data.get("origin")
    if not isinstance(origin, str):
        raise BadInput("report.origin must be a string")
    return {"outcome": data["outcome"], "headers": headers, "origin": origin}


def disagreements(
    request: dict[str, Any], prediction: dict[str, Any], report: dict[str, Any]
) -> list[str]:
    """Every way the browser's report differs from the prediction (each one is a bug)."""
    out = list(prediction["notes"])
    if report["origin"] != request["origin"]:
        out.append(
            f"the request was meant to come from {request['origin']}, but the browser ran it"
            f" from {report['origin']}"
        )
    allowed = prediction["allowed"]
    if allowed is not None and allowed != (report["outcome"] == "allowed"):
        out.append(
            f"the model predicts {'readable' if allowed else 'a TypeError'}, but the browser"
            f" {'let the script read the response' if not allowed else 'raised a TypeError'}"
        )
    if allowed and report["outcome"] == "allowed":
        seen = sorted({name.lower() for name, _ in report["headers"]})
        if seen != sorted(prediction["exposed"]):
            out.append(
                f"the model predicts readable headers {', '.join(prediction['exposed']) or 'none'},"
                f" but the script could read {', '.join(seen) or 'none'}"
            )
    return out


# -- the API's app -----------------------------------------------------------------------------

_COUNTER = itertools.count(1)


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every request with what it received; sends one exposed-able and one private header.

    ``X-Request-Id`` is what ``expose_headers`` usually lists; ``X-Lab-Private`` shows that an
    unlisted header stays unreadable.
    """
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")[: 4096 - len(body)]
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    payload = {
        "method": scope["method"],
        "path": scope["path"],
        "content_type": headers.get("content-type"),
        "body": body.decode("utf-8", "replace")[:200],
    }
    data = json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode("ascii")),
                (b"x-request-id", f"lab-{next(_COUNTER)}".encode("ascii")),
                (b"x-lab-private", b"not in expose_headers"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data if scope["method"] != "HEAD" else b""})


def problem_fields(problems: Iterable[dict[str, Any]]) -> list[str]:
    """The fields named by *problems*, in order, without repeats (tests and the page)."""
    out: list[str] = []
    for problem in problems:
        if problem["field"] not in out:
            out.append(problem["field"])
    return out
