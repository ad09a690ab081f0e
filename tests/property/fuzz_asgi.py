"""Raw-byte ASGI fuzzing of ``CORSMiddleware``: the cases, a driver, and the invariants.

Shared by ``tests/property/test_fuzz_asgi.py`` (a bounded, derandomized budget in CI) and
``scripts/fuzz`` (long local runs that save each finding as a regression row in
``tests/property/fuzz_regressions.json``, which the test suite replays).

A :class:`Case` is plain data (strings only; raw header bytes are kept as latin-1 text, which
maps every byte to one character), so a finding can be written to JSON and replayed exactly.
It names a config shape (public ``*``, exact list, wildcards, regex, credentials, sync and async
predicates, per-route policies, write and WebSocket protection, debug), a shadow config, a
decision hook, the scope (type, method, path, ``root_path``, header lines in any order, case
and number) and what the app does (answer, stream, send the body before the start, start
twice, raise before or after starting, send nothing; with or without its own CORS headers).

Each invariant raises an :class:`InvariantError` whose ``name`` is the invariant's class, so a
regression row says which rule a case broke, not only that it broke one.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from hypothesis import strategies as st

from crossorigin import CORSConfig, CORSMiddleware, Decision, RoutePolicies

# ------------------------------------------------------------------------------- configs

ORIGIN_A = "https://a.example"
ORIGIN_B = "https://b.example"


def _predicate(origin: str, scope: dict[str, Any]) -> bool:
    if "boom" in origin:
        raise RuntimeError("a predicate that fails")  # logged by the middleware, origin denied
    return origin.endswith(".p.example")


async def _async_predicate(origin: str, scope: dict[str, Any]) -> bool:
    await asyncio.sleep(0)
    return _predicate(origin, scope)


EXACT: dict[str, Any] = {
    "allow_origins": [ORIGIN_A, ORIGIN_B],
    "allow_methods": ["GET", "PUT", "DELETE"],
    "allow_headers": ["x-foo", "content-type"],
    "expose_headers": ["x-exposed"],
    "max_age": 600,
}


def _cfg(**kwargs: Any) -> Callable[[], CORSConfig]:
    return lambda: CORSConfig(**kwargs)


CONFIGS: dict[str, Callable[[], CORSConfig | RoutePolicies]] = {
    "public": _cfg(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]),
    "public-minimal": _cfg(allow_origins=["*"]),
    "exact": _cfg(**EXACT),
    "wildcard": _cfg(**{**EXACT, "allow_origins": ["https://*.w.example", "http://localhost:*"]}),
    "regex": _cfg(
        **{**EXACT, "allow_origins": [], "allow_origin_regex": r"https://[a-z]+\.r\.example"}
    ),
    "credentials": _cfg(**EXACT, allow_credentials=True),
    "credentials-any-method": _cfg(
        **{**EXACT, "allow_methods": ["*"], "allow_headers": ["*"]}, allow_credentials=True
    ),
    "predicate-sync": _cfg(
        **{**EXACT, "allow_origins": [ORIGIN_A]}, allow_origin_predicate=_predicate
    ),
    "predicate-async": _cfg(
        **{**EXACT, "allow_origins": [ORIGIN_A]}, allow_origin_predicate=_async_predicate
    ),
    "private-network": _cfg(**EXACT, allow_private_network=True),
    "debug": _cfg(**EXACT, debug=True),
    "protect-writes": _cfg(**EXACT, protect_writes=True),
    "protect-websockets": _cfg(**EXACT, protect_websockets=True),
    "protect-both": _cfg(
        **EXACT, allow_credentials=True, protect_writes=True, protect_websockets=True
    ),
    "routes": lambda: RoutePolicies(
        [
            ("/api/admin/*", None),
            ("/api/*", CORSConfig(**EXACT, allow_credentials=True, protect_writes=True)),
            ("/items/{item:uuid}", CORSConfig(allow_origins=["*"])),
            ("/open", CORSConfig(allow_origins=["*"], allow_methods=["*"])),
        ],
        default=CORSConfig(**EXACT),
    ),
}
SHADOWS = {name: factory for name, factory in CONFIGS.items() if name != "routes"}
"""Shadow configs: every shape but the route table (a shadow is one ``CORSConfig``)."""

# ------------------------------------------------------------------------------- requests

# Origins no config above allows (for a non-public policy they must get no CORS header at all).
NEVER_ALLOWED = [
    "https://evil.example",
    "http://a.example",  # the http:// variant of an allowed origin
    "https://a.example.evil",
    "https://xa.example",
    "https://a.example/",
    "https://q.p.example.evil",
]
ORIGINS = [
    ORIGIN_A,
    ORIGIN_B,
    "https://x.w.example",
    "https://w.example",
    "http://localhost:8080",
    "https://abc.r.example",
    "https://q.p.example",
    "https://boom.p.example",
    "null",
    "https://A.example",
    "https://a.example:443",
    " https://a.example",
    "https://a.example\x00",
    "",
    *NEVER_ALLOWED,
]
METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "options",
    "get",
    "TRACE",
    "CONNECT",
    "M-SEARCH",
    "GET\x00",
    "",
]
ACRMS = [
    "PUT",
    "put",
    "GET",
    "DELETE",
    "PATCH",
    "POST",
    "",
    "PUT, GET",
    "CONNECT",
    " PUT",
    "X" * 300,
]
ACRHS = [
    "x-foo",
    "X-Foo, content-type",
    "",
    ",,,",
    "x-bar",
    "x-foo,x-foo",
    "authorization",
    "x-foo\x00",
    "a" * 5000,
    "x," * 2100,
]
NAMES = [
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
    "access-control-request-private-network",
    "host",
    "sec-fetch-site",
    "sec-fetch-mode",
    "content-type",
    "cookie",
    "authorization",
    "x-foo",
]
PATHS = [
    "/",
    "/api/x",
    "/api/admin/x",
    "/api/admin/x\n",
    "/api/x\n",
    "/items/1B4E28BA-2FA1-11D2-883F-0016D3CCA427",
    "/items/x",
    "/open",
    "/open\n",
    "/open\r",
    "/other",
    "/api\x00",
    "/%0A",
]
ROOT_PATHS = ["", "/api", "/root"]


def _values_for(name: str) -> st.SearchStrategy[str]:
    raw = st.binary(max_size=24).map(lambda b: b.decode("latin-1"))
    by_name = {
        "origin": st.sampled_from(ORIGINS),
        "access-control-request-method": st.sampled_from(ACRMS),
        "access-control-request-headers": st.sampled_from(ACRHS),
        "access-control-request-private-network": st.sampled_from(["true", "True", "false", ""]),
        "sec-fetch-site": st.sampled_from(["same-origin", "same-site", "cross-site", "none", "x"]),
        "host": st.sampled_from(["api.test", "a.example", "", "api.test:80"]),
    }
    return st.one_of(by_name.get(name.lower(), raw), raw) if name.lower() in by_name else raw


@st.composite
def header_lines(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    """Header lines as a server might pass them: mostly lower-case known names, sometimes in
    another case (a server that breaks the ASGI rule), sometimes arbitrary bytes; repeated."""
    lines: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 7))):
        name = draw(
            st.one_of(
                st.sampled_from(NAMES),
                st.binary(min_size=1, max_size=12).map(lambda b: b.decode("latin-1")),
            )
        )
        value = draw(_values_for(name))
        spelling = draw(st.sampled_from(["lower", "lower", "lower", "lower", "title", "upper"]))
        raw = name.encode("latin-1")  # change the case of ASCII letters only, as bytes do
        if spelling == "title":
            name = b"-".join(part[:1].upper() + part[1:] for part in raw.split(b"-")).decode(
                "latin-1"
            )
        elif spelling == "upper":
            name = raw.upper().decode("latin-1")
        lines.append((name, value))
    if draw(st.booleans()):  # most fuzz cases should be CORS requests
        lines.insert(draw(st.integers(0, len(lines))), ("origin", draw(st.sampled_from(ORIGINS))))
    return tuple(lines)


HTTP_APPS = [
    "ok",
    "stream",
    "no-headers-key",
    "read-then-ok",
    "body-first",
    "double-start",
    "start-only",
    "silent",
    "raise-before",
    "raise-after-start",
    "raise-after-body",
]
WS_APPS = ["ok", "silent", "raise-before", "close-first"]
APP_HEADERS = ["plain", "cors-lower", "cors-mixed"]
"""What the app puts in its own ``http.response.start``: only its headers, or also its own
``Access-Control-*`` and ``Vary`` lines in lower case or in mixed case (which the middleware
owns and replaces whatever the case)."""


@dataclass(frozen=True)
class Case:
    config: str
    shadow: str | None
    hook: str
    scope_type: str
    method: str
    path: str
    root_path: str
    headers: tuple[tuple[str, str], ...]
    app: str
    app_headers: str
    denial_extension: bool = False
    """WebSocket scopes: the server offers the ``websocket.http.response`` extension."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["headers"] = [list(pair) for pair in self.headers]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        return cls(**{**data, "headers": tuple((n, v) for n, v in data["headers"])})


def cases(app_headers: list[str] | None = None) -> st.SearchStrategy[Case]:
    scope_type = st.sampled_from(["http"] * 6 + ["websocket"])
    return scope_type.flatmap(
        lambda kind: st.builds(
            Case,
            config=st.sampled_from(sorted(CONFIGS)),
            shadow=st.one_of(st.none(), st.sampled_from(sorted(SHADOWS))),
            hook=st.sampled_from(["record", "record", "raise"]),
            scope_type=st.just(kind),
            method=st.one_of(
                st.sampled_from(METHODS), st.text("ABCGETPOS", min_size=1, max_size=8)
            ),
            path=st.one_of(st.sampled_from(PATHS), st.text(max_size=12).map(lambda t: "/" + t)),
            root_path=st.sampled_from(ROOT_PATHS),
            headers=header_lines(),
            app=st.sampled_from(HTTP_APPS if kind == "http" else WS_APPS),
            app_headers=st.sampled_from(app_headers or APP_HEADERS),
            denial_extension=st.booleans() if kind == "websocket" else st.just(False),
        )
    )


# ------------------------------------------------------------------------------- the app


class AppError(Exception):
    """The app's own exception: the only one allowed to escape the middleware."""


_CORS_LINES = [
    (b"access-control-allow-origin", b"https://app-set.example"),
    (b"access-control-allow-credentials", b"true"),
    (b"access-control-allow-methods", b"DELETE"),
    (b"access-control-max-age", b"99"),
    (b"vary", b"Accept-Encoding"),
]


def _app_header_lines(kind: str) -> list[tuple[bytes, bytes]]:
    lines = [(b"content-type", b"text/plain"), (b"x-exposed", b"1")]
    if kind == "cors-lower":
        lines += _CORS_LINES
    elif kind == "cors-mixed":
        lines += [(name.title(), value) for name, value in _CORS_LINES]
    return lines


@dataclass
class FuzzApp:
    behaviour: str
    app_headers: str
    ran: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)
    """The message objects the app handed to ``send``."""
    copies: list[dict[str, Any]] = field(default_factory=list)
    """Deep copies of them, taken before sending."""
    raised: BaseException | None = None

    async def _send(self, send: Any, message: dict[str, Any]) -> None:
        self.copies.append(copy.deepcopy(message))
        self.sent.append(message)
        await send(message)

    def _raise(self) -> None:
        self.raised = AppError(self.behaviour)
        raise self.raised

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.ran = True
        b = self.behaviour
        if b == "raise-before":
            self._raise()
        if scope["type"] == "websocket":
            if b == "silent":
                return
            await receive()
            if b == "close-first":
                await self._send(send, {"type": "websocket.close", "code": 1000})
                return
            await self._send(
                send, {"type": "websocket.accept", "headers": _app_header_lines(self.app_headers)}
            )
            await self._send(send, {"type": "websocket.send", "text": "hi"})
            await self._send(send, {"type": "websocket.close", "code": 1000})
            return
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": _app_header_lines(self.app_headers),
        }
        if b == "no-headers-key":
            start = {"type": "http.response.start", "status": 204}
        body = {"type": "http.response.body", "body": b"ok"}
        if b == "read-then-ok":
            await receive()
        if b == "silent":
            return
        if b == "body-first":
            await self._send(send, body)
            await self._send(send, start)
            await self._send(send, {"type": "http.response.body", "body": b"again"})
            return
        await self._send(send, start)
        if b == "raise-after-start":
            self._raise()
        if b == "double-start":
            await self._send(
                send, {**start, "status": 201, "headers": list(start.get("headers", []))}
            )
        if b == "start-only":
            return
        if b == "stream":
            await self._send(send, {"type": "http.response.body", "body": b"o", "more_body": True})
        await self._send(send, body)
        if b == "raise-after-body":
            self._raise()


# ------------------------------------------------------------------------------- the driver


@dataclass
class Outcome:
    case: Case
    scope: dict[str, Any]
    app: FuzzApp
    sent: list[dict[str, Any]]
    escaped: BaseException | None
    decisions: list[Decision]
    policy: Any
    """The compiled policy the middleware selected for this request (``None``: no CORS)."""


class _HookError(Exception):
    pass


def scope_of(case: Case) -> dict[str, Any]:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in case.headers]
    scope: dict[str, Any] = {
        "type": case.scope_type,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http" if case.scope_type == "http" else "ws",
        "path": case.path,
        "raw_path": case.path.encode("utf-8", "surrogateescape"),
        "root_path": case.root_path,
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    if case.scope_type == "http":
        scope["method"] = case.method
    else:
        scope["subprotocols"] = []
        if case.denial_extension:
            scope["extensions"] = {"websocket.http.response": {}}
    return scope


def run(case: Case, *, observe: bool = True) -> Outcome:
    """Send *case* through a fresh middleware (with its shadow and hook when *observe*)."""
    decisions: list[Decision] = []

    def hook(decision: Decision) -> None:
        decisions.append(decision)
        if case.hook == "raise":
            raise _HookError("a hook that fails")  # logged by the middleware, never raised

    source = CONFIGS[case.config]()
    kwargs: dict[str, Any] = (
        {"routes": source} if isinstance(source, RoutePolicies) else {"config": source}
    )
    if observe:
        kwargs["shadow"] = None if case.shadow is None else SHADOWS[case.shadow]()
        kwargs["on_decision"] = hook
    app = FuzzApp(case.app, case.app_headers)
    middleware = CORSMiddleware(app, **kwargs)
    scope = scope_of(case)
    sent: list[dict[str, Any]] = []
    incoming = (
        [{"type": "http.request", "body": b"x", "more_body": False}, {"type": "http.disconnect"}]
        if case.scope_type == "http"
        else [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    )

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if len(incoming) > 1 else incoming[0]

    async def send(message: dict[str, Any]) -> None:
        sent.append(copy.deepcopy(message))  # what the server received, at that moment

    escaped: BaseException | None = None
    policy = middleware.select(copy.deepcopy(scope))
    logger = logging.getLogger("crossorigin")
    level, logger.level = (
        logger.level,
        logging.CRITICAL + 1,
    )  # hook and predicate errors are expected
    shadow_logger = logging.getLogger("crossorigin.shadow")
    shadow_level, shadow_logger.level = shadow_logger.level, logging.CRITICAL + 1
    try:
        asyncio.run(middleware(copy.deepcopy(scope), receive, send))
    except BaseException as exc:  # anything that escapes is the finding
        escaped = exc
    finally:
        logger.level = level
        shadow_logger.level = shadow_level
    return Outcome(case, scope, app, sent, escaped, decisions, policy)


# ------------------------------------------------------------------------------- invariants


class InvariantError(AssertionError):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"[{name}] {detail}")
        self.name = name


def _require(ok: bool, name: str, detail: str) -> None:
    if not ok:
        raise InvariantError(name, detail)


PREFLIGHT_ONLY = {
    b"access-control-allow-methods",
    b"access-control-allow-headers",
    b"access-control-max-age",
    b"access-control-allow-private-network",
}
ORIGIN_REASONS = {"origin_not_allowed", "origin_invalid", "origin_null", "origin_multiple"}
ACRH_BUDGET = (4096, 16)
"""Bytes and lines of ``Access-Control-Request-Headers`` a preflight may carry."""


def request_origins(scope: dict[str, Any]) -> list[bytes]:
    """The ``Origin`` lines as the middleware reads them (ASGI names are lower case)."""
    return [value for name, value in scope["headers"] if name == b"origin"]


def is_preflight(scope: dict[str, Any]) -> bool:
    names = {name for name, _ in scope["headers"]}
    return (
        scope["type"] == "http"
        and scope["method"] == "OPTIONS"
        and b"origin" in names
        and b"access-control-request-method" in names
    )


def acrh_over_budget(scope: dict[str, Any]) -> bool:
    values = [v for n, v in scope["headers"] if n == b"access-control-request-headers"]
    return sum(map(len, values)) > ACRH_BUDGET[0] or len(values) > ACRH_BUDGET[1]


def _starts(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kinds = ("http.response.start", "websocket.http.response.start", "websocket.accept")
    return [m for m in sent if m["type"] in kinds]


def _lines(message: dict[str, Any], name: bytes) -> list[bytes]:
    return [v for n, v in message.get("headers", []) if bytes(n).lower() == name]


def _cors_names(message: dict[str, Any]) -> list[bytes]:
    return [
        bytes(n)
        for n, _ in message.get("headers", [])
        if bytes(n).lower().startswith(b"access-control-")
    ]


def check_exceptions(out: Outcome) -> None:
    """No exception escapes the middleware except the app's own."""
    _require(
        out.escaped is None or out.escaped is out.app.raised,
        "exception-escaped",
        f"{type(out.escaped).__name__}: {out.escaped!r}",
    )
    if out.app.raised is not None and out.policy is not None and not out.app.copies:
        # The app failed before starting: the page must see a 500, and the server the error.
        starts = [m for m in out.sent if m["type"] == "http.response.start"]
        if out.case.scope_type == "http":
            _require([m["status"] for m in starts] == [500], "error-response", repr(out.sent))


def check_headers(out: Outcome) -> None:
    """ACAO: at most one, ``*`` or the exact Origin; no ACAC without ACAO; no preflight-only
    headers on a non-preflight; a denied origin gets no ``Access-Control-*`` in any case."""
    if out.policy is None or (out.scope["type"] == "websocket" and out.app.ran):
        # No CORS on this path, or a WebSocket handshake (not subject to CORS) let through:
        # the app's messages go out exactly as it sent them.
        _require(out.sent == out.app.copies, "passthrough", f"{out.sent!r} != {out.app.copies!r}")
        return
    if out.scope["type"] == "websocket":
        # Refused before the app: closed before accept, or an HTTP denial response when the
        # server offers the extension; either way without a single CORS header.
        expected = (
            ["websocket.http.response.start", "websocket.http.response.body"]
            if out.case.denial_extension
            else ["websocket.close"]
        )
        _require([m["type"] for m in out.sent] == expected, "websocket-denial", repr(out.sent))
        for message in out.sent:
            _require(not _cors_names(message), "websocket-denial-cors", repr(message))
        return
    origins = request_origins(out.scope)
    preflight = is_preflight(out.scope)
    denied_origin = (
        bool(origins)
        and not out.policy.public
        and (len(origins) > 1 or origins[0].decode("latin-1") in NEVER_ALLOWED)
    )
    denied_origin |= any(
        not d.shadow
        and not d.allowed
        and d.kind in ("actual", "preflight")
        and d.reason in ORIGIN_REASONS
        for d in out.decisions
    )
    for message in _starts(out.sent):
        acao = _lines(message, b"access-control-allow-origin")
        acac = _lines(message, b"access-control-allow-credentials")
        _require(len(acao) <= 1, "acao-single", repr(message))
        if acao:
            _require(
                acao[0] == b"*" or (len(origins) == 1 and acao[0] == origins[0]),
                "acao-value",
                repr(message),
            )
        _require(
            not acac or (len(acao) == 1 and acac == [b"true"]), "acac-without-acao", repr(message)
        )
        _require(not (acac and acao == [b"*"]), "acac-with-star", repr(message))
        if not preflight:
            extra = [n for n in _cors_names(message) if n.lower() in PREFLIGHT_ONLY]
            _require(not extra, "preflight-headers-on-actual", repr(message))
        if denied_origin:
            _require(not _cors_names(message), "denied-origin-got-cors", repr(message))
        vary = _lines(message, b"vary")
        _require(len(vary) <= 1, "vary-single", repr(message))
        if acao and acao != [b"*"]:
            # An echoed origin varies by Origin, or a cache serves it to another origin.
            tokens = {t.strip().lower() for line in vary for t in line.split(b",")}
            _require(b"origin" in tokens, "vary-origin-missing", repr(message))


def check_app_runs(out: Outcome) -> None:
    """The app runs for every request but a preflight or one refused by protection."""
    refused = any(
        not d.shadow and not d.allowed and d.kind in ("write-protection", "websocket")
        for d in out.decisions
    )
    if out.policy is None:
        expected = True
    elif is_preflight(out.scope):
        expected = False
    else:
        expected = not refused
    _require(out.app.ran is expected, "app-runs" if expected else "app-ran", f"ran={out.app.ran}")
    kinds = {d.kind for d in out.decisions if not d.shadow}
    if "preflight" in kinds:
        _require(is_preflight(out.scope), "preflight-decision-on-actual", repr(out.decisions))


def check_decisions(out: Outcome) -> None:
    """Every decision is well formed; shadow decisions only come with a shadow."""
    for d in out.decisions:
        _require(isinstance(d, Decision), "decision-type", repr(d))
        _require(
            d.kind in ("preflight", "actual", "write-protection", "websocket"),
            "decision-kind",
            repr(d),
        )
        _require(not d.shadow or out.case.shadow is not None, "shadow-without-shadow", repr(d))
        _require(d.path == out.scope["path"], "decision-path", repr(d))


def check_shadow_neutral(out: Outcome) -> None:
    """A shadow config and a decision hook never change what is sent, nor what escapes."""
    baseline = run(out.case, observe=False)
    _require(
        out.sent == baseline.sent, "shadow-changed-response", f"{out.sent!r} != {baseline.sent!r}"
    )
    _require(
        type(out.escaped) is type(baseline.escaped),
        "shadow-changed-exception",
        f"{out.escaped!r} != {baseline.escaped!r}",
    )


def check_not_mutated(out: Outcome) -> None:
    """The app's message objects are exactly as the app built them, after the request."""
    _require(
        out.app.sent == out.app.copies,
        "app-message-mutated",
        f"{out.app.sent!r} != {out.app.copies!r}",
    )


def check_always(out: Outcome) -> None:
    """Every invariant that holds on this branch for every case (see test_fuzz_asgi.py)."""
    check_exceptions(out)
    check_decisions(out)
    check_headers(out)
    check_app_runs(out)
    check_not_mutated(out)
    check_shadow_neutral(out)
