"""RoutePolicies against Starlette's and FastAPI's own routers, over random templates and paths.

A route policy is only safe if it applies to exactly the requests its route runs for. These
properties compare ``RoutePolicies`` with the real thing (``starlette.routing.Route``, ``Mount``,
``compile_path``, ``get_route_path`` and a FastAPI app built from ``APIRouter(prefix=...)`` and
``include_router``) on random templates (literal segments, ``{x}``, ``{x:int}``, ``{x:float}``,
``{x:uuid}``, ``{x:path}``) and on paths derived from them, then mutated the ways a server can
hand them over: control characters (``\\n``, ``\\r``, ``\\t``, NUL) anywhere including at the end,
percent-decoded non-ASCII text, upper- and lower-case hex, trailing slashes and a ``root_path``.

What must hold:

* ``route_path(scope)`` is Starlette's ``get_route_path(scope)``, for every path and root path.
* An exact or template entry matches exactly when ``Route(template).matches(scope)`` is not
  ``Match.NONE``; a table of such entries picks the same first entry as the router picks route.
* A prefix entry ``'/base/*'`` matches a **superset** of ``Mount('/base')`` and of every route
  whose template starts with ``'/base/'``. This is deliberate, not a gap: the prefix also covers
  ``/base`` itself (which the router redirects to ``/base/``) and paths below ``/base/`` with a
  newline in them (``/base/a\\nb``), which ``Mount`` refuses (its ``{path:path}`` is ``.*``
  without DOTALL) but ``Route('/base/{name}')`` runs. Without a newline after the base it is
  exactly ``Route('/base')`` or ``Mount('/base')``.
* An entry refused as unreachable really is: every path the later entry matches, the earlier
  one matches too.

The budget is fixed and the examples derandomized, so CI runs the same cases every time.
"""

from __future__ import annotations

import ast
import asyncio
import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount, Route, compile_path, get_route_path

from crossorigin import ConfigError, CORSConfig, RoutePolicies
from crossorigin._grammar.paths import route_path

SETTINGS = settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CONFIG = CORSConfig(allow_origins=["https://app.example"])

# A tiny vocabulary so that templates overlap and derived paths collide with other templates.
LITERALS = ["api", "base", "a", "items", "v1", "x.y", "a+b", "é"]
CONVERTORS = ["", ":str", ":int", ":float", ":uuid", ":path"]
CONTROL = ["\n", "\r", "\t", "\x00"]
# What a server may leave in ``scope["path"]`` after percent-decoding: non-ASCII text, U+FFFD
# for invalid UTF-8, and percent signs with upper- or lower-case hex (a decoded ``%252F``).
NOISE = ["é", "\ufffd", "%2F", "%2f", "%0A", "%0a", "+", " ", ".", "..", "-", "Z", "/"]
ROOT_PATHS = ["", "/root", "/api", "/base", "/api/"]
EARLIER = re.compile(r"the earlier ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
UUIDS = ["1b4e28ba-2fa1-11d2-883f-0016d3cca427", "00000000000000000000000000000000"]


def _noise_text(min_size: int = 0) -> st.SearchStrategy[str]:
    return st.lists(
        st.sampled_from(["a", "b", "1", "0", *CONTROL, *NOISE]), min_size=min_size, max_size=4
    ).map("".join)


@st.composite
def templates(draw: st.DrawFn, *, allow_path: bool = True) -> str:
    """A Starlette path template: ``/``-separated literals and parameters, some glued together."""
    convertors = CONVERTORS if allow_path else CONVERTORS[:-1]
    parts: list[str] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["literal", "literal", "param", "glued"]))
        if kind == "literal":
            parts.append(draw(st.sampled_from(LITERALS)))
        elif kind == "param":
            parts.append(f"{{p{i}{draw(st.sampled_from(convertors))}}}")
        else:  # '/api{version}/items': a parameter sharing its segment with a literal
            parts.append(
                draw(st.sampled_from(LITERALS)) + f"{{p{i}{draw(st.sampled_from(convertors))}}}"
            )
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "", "/"]))


def _renumber(template: str) -> str:
    """Give every parameter a distinct name (Starlette refuses duplicates)."""
    counter = iter(range(100))
    return re.sub(r"\{p\d+", lambda m: f"{{q{next(counter)}", template)


@st.composite
def uuid_values(draw: st.DrawFn) -> str:
    value = draw(st.sampled_from(UUIDS))
    if draw(st.booleans()):
        value = value.upper()
    if draw(st.booleans()):
        value = value.replace("-", "")
    if draw(st.booleans()):  # mixed case, one character at a time
        value = "".join(c.upper() if draw(st.booleans()) else c for c in value)
    return value


def _value(convertor: str) -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=1, max_size=3)
    return {
        "": st.one_of(st.sampled_from(LITERALS), _noise_text(1)),
        ":str": st.one_of(st.sampled_from(LITERALS), _noise_text(1)),
        ":int": digits,
        ":float": st.one_of(digits, st.tuples(digits, digits).map(".".join)),
        ":uuid": uuid_values(),
        ":path": st.lists(st.sampled_from(["a", "b/c", "", "é", "\n", "x.y"]), max_size=3).map(
            "/".join
        ),
    }[convertor]


@st.composite
def paths_for(draw: st.DrawFn, template: str) -> str:
    """A path the template's route would run for, then (usually) mutated."""
    out: list[str] = []
    end = 0
    for match in re.finditer(r"\{[^}]*\}", template):
        out.append(template[end : match.start()])
        name = match.group()[1:-1]
        convertor = name[name.index(":") :] if ":" in name else ""
        out.append(draw(_value(convertor)))
        end = match.end()
    out.append(template[end:])
    path = "".join(out)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(_mutate(path))
    return path


@st.composite
def _mutate(draw: st.DrawFn, path: str) -> str:
    how = draw(st.sampled_from(["insert", "append", "slash", "unslash", "replace", "case", "cut"]))
    at = draw(st.integers(0, len(path)))
    if how == "insert":
        return path[:at] + draw(st.sampled_from(CONTROL + NOISE)) + path[at:]
    if how == "append":  # the %0A that escaped its route policy, and its cousins
        return path + draw(st.sampled_from(CONTROL))
    if how == "slash":
        return path + "/"
    if how == "unslash":
        return path.rstrip("/") or "/"
    if how == "replace" and at < len(path):
        return path[:at] + draw(st.sampled_from(["a", "1", "/", "-", "\n"])) + path[at + 1 :]
    if how == "case":
        return path.swapcase()
    return path[:at]


@st.composite
def scopes(draw: st.DrawFn, template: str) -> dict[str, Any]:
    """An HTTP scope whose route path derives from *template*, sometimes under a root path."""
    path = draw(st.one_of(paths_for(template), _noise_text().map(lambda t: "/" + t)))
    root = draw(st.sampled_from(ROOT_PATHS))
    if root and draw(st.booleans()):
        path = root + path  # mounted: the server puts root_path in front of the path
    return {"type": "http", "method": "GET", "path": path, "root_path": root}


def _endpoint(request: Request) -> Response:
    return Response()


def _matches(route: Route | Mount, scope: dict[str, Any]) -> bool:
    return route.matches(dict(scope))[0] is not Match.NONE


def _index(table: RoutePolicies, scope: dict[str, Any]) -> int | None:
    return table.index_for(route_path(scope))


# ------------------------------------------------------------------------- properties


@SETTINGS
@given(st.data())
def test_route_path_is_get_route_path(data: st.DataObject) -> None:
    """``route_path`` (of route policies and of protection's exempt paths) is Starlette's
    ``get_route_path`` for every path and root path."""
    scope = data.draw(templates().flatmap(scopes))
    assert route_path(scope) == get_route_path(scope)


ROUTE_ROWS = [
    # (template, path, the router runs it): the first five once ran the route under another
    # policy; the others pin what '$' without DOTALL does and does not forgive.
    ("/api/admin/secret", "/api/admin/secret\n", True),
    ("/api/transfer", "/api/transfer\n", True),
    ("/items/{item:uuid}", "/items/1B4E28BA-2FA1-11D2-883F-0016D3CCA427", True),
    ("/items/{item:uuid}", "/items/1b4e28ba2fa111d2883f0016d3cca427", True),
    ("/items/{item:uuid}", "/items/1b4e28ba-2fa1-11d2-883f-0016d3cca427\n", True),
    ("/files/{rest:path}", "/files/a\n", True),
    ("/files/{rest:path}", "/files/a\nb", False),
    ("/n/{n:int}", "/n/1\n", True),
    ("/n/{x:float}", "/n/1.5\n", True),
    ("/a/{name}", "/a/x\ny", True),
    ("/a/{name}", "/a/\n", True),
    ("/a", "/a\r", False),
    ("/a", "/a\x00", False),
    ("/a", "/a\n\n", False),
    ("/a", "/A", False),
]


@SETTINGS
@given(st.data())
def test_template_entry_matches_exactly_what_route_matches(data: st.DataObject) -> None:
    """One exact or template entry matches a scope iff Starlette's ``Route`` does."""
    template = data.draw(templates(), label="template")
    scope = data.draw(scopes(template), label="scope")
    table = RoutePolicies([(template, CONFIG)])
    route = Route(template, _endpoint)
    event(f"route runs: {_matches(route, scope)}")
    assert (_index(table, scope) == 0) is _matches(route, scope)
    # The compiled regex is Starlette's own, up to group names.
    starlette_regex = compile_path(template)[0]
    assert (starlette_regex.match(route_path(scope)) is not None) is _matches(route, scope)


@pytest.mark.parametrize(("template", "path", "runs"), ROUTE_ROWS)
def test_template_regression_rows(template: str, path: str, runs: bool) -> None:
    """Rows that once differed from the router (a final newline, UUID spellings) agree now."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    assert _matches(Route(template, _endpoint), scope) is runs
    assert (RoutePolicies([(template, CONFIG)]).index_for(path) == 0) is runs


@st.composite
def template_tables(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(templates(), min_size=1, max_size=4, unique=True))


def _first(routes: list[Any], scope: dict[str, Any]) -> int | None:
    return next((i for i, r in enumerate(routes) if _matches(r, scope)), None)


@SETTINGS
@given(st.data())
def test_table_picks_the_route_the_router_picks(data: st.DataObject) -> None:
    """A table of templates picks the same first entry as Starlette's router picks a route.

    When the table refuses an entry as unreachable, the refusal is checked instead: whatever
    path the later route runs for, the earlier one runs for too.
    """
    table_templates = data.draw(template_tables(), label="templates")
    chosen = data.draw(st.sampled_from(table_templates), label="source")
    scope = data.draw(scopes(chosen), label="scope")
    routes = [Route(t, _endpoint) for t in table_templates]
    try:
        table = RoutePolicies([(t, CONFIG) for t in table_templates])
    except ConfigError as exc:
        for problem in exc.problems:
            assert problem.reason == "incompatible", problem
            later = table_templates.index(str(problem.value))
            found = EARLIER.search(problem.message)
            assert found is not None, problem
            earlier = table_templates.index(ast.literal_eval(found.group(1)))
            if _matches(routes[later], scope):
                assert _matches(routes[earlier], scope), (problem.message, scope)
        return
    event(f"route picked: {_first(routes, scope) is not None}")
    assert _index(table, scope) == _first(routes, scope)


@st.composite
def bases(draw: st.DrawFn) -> str:
    return draw(templates(allow_path=False)).rstrip("/")


@SETTINGS
@given(st.data())
def test_prefix_entry_covers_mount_and_routes_below_it(data: st.DataObject) -> None:
    """``'/base/*'`` matches a superset of ``Mount('/base')`` and of routes below ``/base/``.

    Without a newline after the base it is exactly ``Route('/base')`` or ``Mount('/base')``.
    """
    base = data.draw(bases(), label="base")
    below = data.draw(templates(), label="below")
    template = _renumber(base + "/" + below.lstrip("/"))
    scope = data.draw(st.one_of(scopes(template), scopes(base)), label="scope")
    table = RoutePolicies([(base + "/*", CONFIG)])
    mount = Mount(base, routes=[])
    route_below = Route(template, _endpoint)
    route_base = Route(base, _endpoint)
    matched = _index(table, scope) == 0
    event(f"mount runs: {_matches(mount, scope)}, prefix matches: {matched}")
    if _matches(mount, scope) or _matches(route_below, scope):
        assert matched, scope
    path = route_path(scope)
    if "\n" not in path:
        assert matched is (_matches(route_base, scope) or _matches(mount, scope)), scope


@SETTINGS
@given(st.data())
def test_mixed_table_agrees_without_newlines(data: st.DataObject) -> None:
    """Prefix and template entries together: same first entry as Route/Mount pairs, when the
    path holds no newline (with one, a prefix may only match more, see the module docstring)."""
    entries: list[tuple[str, list[Any]]] = []
    for _ in range(data.draw(st.integers(1, 4), label="size")):
        if data.draw(st.booleans()):
            base = data.draw(bases())
            entries.append((base + "/*", [Route(base, _endpoint), Mount(base, routes=[])]))
        else:
            template = data.draw(templates())
            entries.append((template, [Route(template, _endpoint)]))
    source = data.draw(st.sampled_from([e[0].removesuffix("/*") for e in entries]))
    scope = data.draw(scopes(source), label="scope")
    patterns = [pattern for pattern, _ in entries]
    try:
        table = RoutePolicies([(pattern, CONFIG) for pattern in patterns])
    except ConfigError as exc:
        # A refusal as unreachable must be true of the entries themselves: every path the
        # later one matches, the earlier one matches too.
        path = route_path(scope)
        for problem in exc.problems:
            assert problem.reason == "incompatible", problem
            found = EARLIER.search(problem.message)
            assert found is not None, problem
            earlier = RoutePolicies([(ast.literal_eval(found.group(1)), CONFIG)])
            later = RoutePolicies([(str(problem.value), CONFIG)])
            if later.index_for(path) == 0:
                assert earlier.index_for(path) == 0, (problem.message, path)
        return
    if "\n" in route_path(scope):
        return
    expected = next(
        (i for i, (_, routes) in enumerate(entries) if any(_matches(r, scope) for r in routes)),
        None,
    )
    event(f"an entry matched: {expected is not None}")
    assert _index(table, scope) == expected


# ------------------------------------------------------------------------------ FastAPI


def _fastapi_app(prefix: str, templates_: list[str]) -> FastAPI:
    router = APIRouter(prefix=prefix)
    for i, template in enumerate(templates_):

        def endpoint(request: Request, i: int = i) -> Response:
            return Response(headers={"x-route": str(i)})

        router.add_api_route(template, endpoint, methods=["GET"])
    app = FastAPI(redirect_slashes=False)
    app.include_router(router)
    return app


def _fastapi_route(app: FastAPI, scope: dict[str, Any]) -> int | None:
    """Which endpoint the FastAPI app actually runs for *scope* (None: 404)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    full = {
        "http_version": "1.1",
        "scheme": "http",
        "query_string": b"",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "raw_path": scope["path"].encode("utf-8"),
        **scope,
    }
    asyncio.run(app(full, receive, send))
    headers = dict(sent[0]["headers"])
    return int(headers[b"x-route"]) if b"x-route" in headers else None


@st.composite
def prefixes(draw: st.DrawFn) -> str:
    return "/" + "/".join(draw(st.lists(st.sampled_from(LITERALS), min_size=1, max_size=2)))


@settings(SETTINGS, max_examples=80)
@given(st.data())
def test_fastapi_router_prefix_and_include_router(data: st.DataObject) -> None:
    """Entries written as ``prefix + template`` select the route a FastAPI app really runs,
    for routes declared on ``APIRouter(prefix=...)`` and mounted with ``include_router``;
    ``'prefix/*'`` covers every one of them."""
    prefix = data.draw(prefixes(), label="prefix")
    table_templates = data.draw(template_tables(), label="templates")
    app = _fastapi_app(prefix, table_templates)
    full = [prefix + t for t in table_templates]
    scope = data.draw(st.sampled_from(full).flatmap(scopes), label="scope")
    ran = _fastapi_route(app, scope)
    event(f"fastapi ran a route: {ran is not None}")
    if ran is not None:
        assert RoutePolicies([(prefix + "/*", CONFIG)]).index_for(route_path(scope)) == 0
    try:
        table = RoutePolicies([(t, CONFIG) for t in full])
    except ConfigError:
        return
    assert _index(table, scope) == ran
