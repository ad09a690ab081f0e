"""Each framework guide's recipe, run as ``main.py`` under a real server on 127.0.0.1, answers
the shared probe set (tests/frameworks/probe.py). FastAPI also runs under hypercorn and granian."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.frameworks.probe import Framework, probe
from tests.frameworks.servers import serve


def json_error(response: httpx.Response) -> bool:
    return response.json() == {"error": "internal"}


def plain_500(response: httpx.Response) -> bool:
    return response.text == "Internal Server Error"


FRAMEWORKS = [
    Framework("fastapi", json_error, servers=("uvicorn", "hypercorn", "granian")),
]
CASES = [
    pytest.param(fw, server, id=f"{fw.guide}-{server}") for fw in FRAMEWORKS for server in fw.servers
]


@pytest.mark.parametrize(("framework", "server"), CASES)
def test_guide_recipe_under_a_real_server(framework: Framework, server: str, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(framework.recipe())
    with serve(server, tmp_path, target=framework.target, interface=framework.interface, env=framework.env) as running:
        probe(running.base_url, framework)
