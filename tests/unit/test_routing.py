"""RoutePolicies: pattern grammar, first-match-wins, unreachable entries, raw-path matching."""

from __future__ import annotations

import pytest

from crossorigin import ConfigError, CORSConfig, RoutePolicies
from crossorigin._grammar.paths import route_path

OPEN = CORSConfig(allow_origins=["*"])
API = CORSConfig(allow_origins=["https://app.example"], allow_credentials=True)
TABLE = RoutePolicies(
    [
        ("/api/admin/*", None),
        ("/api/*", API),
        ("/items/{item_id}", OPEN),
        ("/files/{rest:path}", OPEN),
        ("/n/{n:int}", OPEN),
        ("/health", None),
        ("/public/*", OPEN),
    ],
    default=API,
)


@pytest.mark.parametrize(
    ("path", "index"),
    [
        pytest.param("/api", 1, id="prefix covers its own base"),
        pytest.param("/api/", 1, id="prefix with trailing slash"),
        pytest.param("/api/items/3", 1, id="prefix covers deeper paths"),
        pytest.param("/apix", None, id="prefix never matches a longer name"),
        pytest.param("/api/admin", 0, id="earlier specific entry wins over the general one"),
        pytest.param("/api/admin/users", 0, id="earlier specific prefix wins"),
        pytest.param("/items/42", 2, id="template one segment"),
        pytest.param("/items/42/x", None, id="template does not cross segments"),
        pytest.param("/items/", None, id="template needs a non-empty segment"),
        pytest.param("/files/a/b/c.txt", 3, id="path convertor spans segments"),
        pytest.param("/n/12", 4, id="int convertor"),
        pytest.param("/n/x", None, id="int convertor rejects letters"),
        pytest.param("/health", 5, id="exact"),
        pytest.param("/health/", None, id="exact is exact: trailing slash differs"),
        pytest.param("/x", None, id="no entry: default"),
        # flask-cors CVE-2024-6866: matching was case-insensitive, the router is not.
        pytest.param("/API/admin/x", None, id="CVE case: upper case is another path"),
        pytest.param("/Health", None, id="CVE case: exact path case-sensitive"),
        # flask-cors CVE-2024-6844: '+' was unquoted to a space before matching.
        pytest.param("/public+x", None, id="CVE plus: '+' is not a space nor a slash"),
        pytest.param("/items/a+b", 2, id="CVE plus: '+' stays a literal character"),
        # ../ and // are not normalised: the router sees them too, so the policy of the
        # literal path applies, exactly like the route that will answer.
        pytest.param("/public/../api/admin/x", 6, id="CVE traversal: '..' is not resolved"),
        pytest.param("/api/admin/../../public/x", 0, id="CVE traversal: no escape upward"),
        pytest.param("//api/admin/x", None, id="double slash is another path"),
    ],
)
def test_first_match(path: str, index: int | None) -> None:
    """The first entry whose pattern matches the raw route path applies."""
    assert TABLE.index_for(path) == index


def test_declaration_order_not_length_decides() -> None:
    """CVE-2024-6839: entries are tried in the order written, never longest first."""
    table = RoutePolicies([("/a/b/*", OPEN), ("/a/*", None)], default=None)
    assert table.config_for("/a/b/c") is OPEN
    assert table.config_for("/a/c") is None


def test_config_for_returns_default_and_none() -> None:
    """``config_for`` gives the entry's config, None for "no CORS", or the default."""
    assert TABLE.config_for("/api/x") is API
    assert TABLE.config_for("/health") is None
    assert TABLE.config_for("/elsewhere") is API


@pytest.mark.parametrize(
    ("routes", "messages"),
    [
        pytest.param(
            [("/api/*", None), ("/api/admin/*", OPEN)],
            ["crossorigin: incompatible routes entry '/api/admin/*': is unreachable: the earlier"
             " '/api/*' matches every path it matches; put '/api/admin/*' before '/api/*'"],
            id="shadowed prefix",
        ),
        pytest.param(
            [("/api/*", None), ("/api/items/{id}", OPEN)],
            ["crossorigin: incompatible routes entry '/api/items/{id}': is unreachable: the earlier"
             " '/api/*' matches every path it matches; put '/api/items/{id}' before '/api/*'"],
            id="template under an earlier prefix",
        ),
        pytest.param(
            [("/items/{a}", None), ("/items/7", OPEN)],
            ["crossorigin: incompatible routes entry '/items/7': is unreachable: the earlier"
             " '/items/{a}' matches every path it matches; put '/items/7' before '/items/{a}'"],
            id="exact under an earlier template",
        ),
        pytest.param(
            [("/items/{a}", None), ("/items/{b}", OPEN)],
            ["crossorigin: incompatible routes entry '/items/{b}': matches exactly the same paths"
             " as the earlier '/items/{a}'; remove one of them"],
            id="same template twice",
        ),
        pytest.param(
            [("/h", None), ("/h", OPEN)],
            ["crossorigin: incompatible routes entry '/h': matches exactly the same paths as the"
             " earlier '/h'; remove one of them"],
            id="duplicate exact",
        ),
        pytest.param(
            [("api/*", None)],
            ["crossorigin: invalid routes entry 'api/*': a path pattern starts with '/'; write e.g."
             " '/api/*', '/health' or '/items/{item_id}'"],
            id="no leading slash",
        ),
        pytest.param(
            [("/a*", None), ("/a/*/b", None)],
            ["crossorigin: invalid routes entry '/a*': '*' is allowed only as a final '/*'; use a"
             " template such as '/items/{item_id}' for one segment",
             "crossorigin: invalid routes entry '/a/*/b': '*' is allowed only as a final '/*'; use"
             " a template such as '/items/{item_id}' for one segment"],
            id="stars elsewhere, both reported",
        ),
        pytest.param(
            [("/i/{x:slug}", None)],
            ["crossorigin: invalid routes entry '/i/{x:slug}': unknown convertor 'slug'; use one of"
             " float, int, path, str, uuid"],
            id="unknown convertor",
        ),
        pytest.param(
            [("/i/{x", None)],
            ["crossorigin: invalid routes entry '/i/{x': unbalanced '{' or '}'"],
            id="unbalanced brace",
        ),
        pytest.param(
            [("/i", {"allow_origins": ["*"]})],
            ["crossorigin: invalid routes entry '/i': maps to neither a CORSConfig nor None"],
            id="not a config",
        ),
    ],
)  # fmt: skip
def test_table_problems(routes: list[tuple[str, object]], messages: list[str]) -> None:
    """Invalid, duplicate and unreachable entries fail at construction, all at once."""
    with pytest.raises(ConfigError) as info:
        RoutePolicies(routes)  # type: ignore[arg-type]
    assert [p.message for p in info.value.problems] == messages


def test_specific_before_general_is_fine() -> None:
    """Carving an exception out of a prefix is written specific-first and is valid."""
    table = RoutePolicies({"/api/webhooks/*": None, "/api/*": API})
    assert [p for p, _ in table.routes] == ["/api/webhooks/*", "/api/*"]


def test_equality_and_hash() -> None:
    """Tables with the same entries and default are equal and hash alike."""
    again = RoutePolicies(list(TABLE.routes), default=API)
    assert again == TABLE
    assert hash(again) == hash(TABLE)
    assert RoutePolicies([("/a", None)]) != RoutePolicies([("/a", OPEN)])


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        pytest.param("/api/x", "", "/api/x", id="no root path"),
        pytest.param("/v1/api/x", "/v1", "/api/x", id="root path stripped"),
        pytest.param("/v1", "/v1", "", id="path equals root path"),
        pytest.param("/v10/api", "/v1", "/v10/api", id="root path must end at a slash"),
        pytest.param("/other", "/v1", "/other", id="path outside root path kept"),
    ],
)
def test_route_path_like_starlette(path: str, root_path: str, expected: str) -> None:
    """The matched path is Starlette's ``get_route_path``: path minus root_path."""
    from starlette.routing import get_route_path

    scope = {"path": path, "root_path": root_path}
    assert route_path(scope) == expected
    assert route_path(scope) == get_route_path(scope)


def test_shared_static_part_is_not_unreachable() -> None:
    """A template that only shares the prefix's static text reaches paths the prefix does not."""
    table = RoutePolicies([("/api/*", OPEN), ("/api{version}/items", None)], default=API)
    assert table.index_for("/apiv2/items") == 1
    assert table.index_for("/api/items") == 0


@pytest.mark.parametrize(
    ("routes", "path", "index"),
    [
        pytest.param([("/api{v}/*", OPEN), ("/api", None)], "/api", 1, id="parametrised prefix: its literal part alone"),
        pytest.param([("/api{v}/*", OPEN), ("/api/x", None)], "/api/x", 1, id="parametrised prefix: below its literal part"),
        pytest.param([("/api{v}/*", OPEN), ("/api/{x}", None)], "/api/1", 1, id="parametrised prefix: template below its literal part"),
        pytest.param([("/api/*", OPEN), ("/api{v}/*", None)], "/apiv2/x", 1, id="parametrised prefix after the plain one"),
        pytest.param([("/api/*", OPEN), ("/api{v}/*", None)], "/api/x", 0, id="plain prefix still first for its own paths"),
    ],
)
def test_parametrised_prefix_is_not_its_literal_part(
    routes: list[tuple[str, CORSConfig | None]], path: str, index: int
) -> None:
    """A prefix with a parameter covers neither its literal part nor what lies below it
    ('/api{v}/*' never matches '/api' or '/api/x'), so a later entry there is reachable."""
    assert RoutePolicies(routes).index_for(path) == index


def test_parametrised_prefix_still_covers_what_it_matches() -> None:
    """An exact path that a parametrised prefix does match is still refused as unreachable."""
    with pytest.raises(ConfigError, match="'/apiv2': is unreachable"):
        RoutePolicies([("/api{v}/*", OPEN), ("/apiv2", None)])
