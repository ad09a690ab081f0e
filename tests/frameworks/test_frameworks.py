"""Each framework guide's recipe, run as ``main.py`` under a real server on 127.0.0.1, answers
the shared probe set (tests/frameworks/probe.py). FastAPI also runs under hypercorn and granian."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.frameworks.probe import Framework, probe
from tests.frameworks.servers import serve


def json_error(response: httpx.Response) -> bool:
    return response.json() == {"error": "internal"}


def plain_500(response: httpx.Response) -> bool:
    return response.text == "Internal Server Error"


def html_500(marker: str) -> Callable[[httpx.Response], bool]:
    def check(response: httpx.Response) -> bool:
        return response.headers["content-type"].startswith("text/html") and marker in response.text

    return check


FRAMEWORKS = [
    Framework("fastapi", json_error, servers=("uvicorn", "hypercorn", "granian")),
    Framework("starlette", plain_500),
    Framework(
        "litestar",
        lambda r: r.json() == {"status_code": 500, "detail": "Internal Server Error"},
    ),
    Framework("quart", html_500("Internal Server Error")),
    Framework("django-asgi", html_500("Server Error (500)"), target="main:application", websocket=False, lifespan=False),
    Framework(
        "falcon",
        lambda r: r.json() == {"title": "500 Internal Server Error"},
        error_vary="Accept, Origin",
    ),
    Framework("blacksheep", lambda r: r.text == "Internal Server Error"),
    Framework("sanic", lambda r: r.text.startswith("⚠️ 500 — Internal Server Error\n")),
    Framework("flask", html_500("Internal Server Error"), interface="wsgi", servers=("waitress",), websocket=False, lifespan=False),
    Framework("django-wsgi", html_500("Server Error (500)"), target="main:application", interface="wsgi", servers=("waitress",), websocket=False, lifespan=False),
]
CASES = [
    pytest.param(fw, server, id=f"{fw.guide}-{server}") for fw in FRAMEWORKS for server in fw.servers
]


@pytest.mark.parametrize(("framework", "server"), CASES)
def test_guide_recipe_under_a_real_server(framework: Framework, server: str, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(framework.recipe())
    with serve(server, tmp_path, target=framework.target, interface=framework.interface, env=framework.env) as running:
        probe(running.base_url, framework)
