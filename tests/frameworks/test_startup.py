"""An invalid configuration never yields a server that claims to be up (docs/frameworks/starlette.md,
"Start-up errors").

Each case writes a ``main.py`` and starts it as a user would (``uvicorn main:app``) in a real
process on 127.0.0.1. The server must exit by itself, non-zero, and print the ``ConfigError``
text. The lazy ``add_middleware`` path fails the ASGI lifespan start-up
(``lifespan.startup.failed``); every other path raises at import time.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from tests.frameworks.servers import run_until_exit, serve

# The ConfigError line every case must print (["*"] with credentials).
MESSAGE = "crossorigin: incompatible allow_origins '*': '*' with allow_credentials=True"

APPS = {
    "starlette-add_middleware-kwargs": """
        from starlette.applications import Starlette
        from crossorigin import CORSMiddleware
        app = Starlette()
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    """,
    "fastapi-add_middleware-kwargs": """
        from fastapi import FastAPI
        from crossorigin import CORSMiddleware
        app = FastAPI()
        app.add_middleware(
            CORSMiddleware, allow_origins=["*"], allow_credentials=True,
            allow_methods=["*"], allow_headers=["*"],
        )
    """,
    "fastapi-middleware-list-kwargs": """
        from fastapi import FastAPI
        from starlette.middleware import Middleware
        from crossorigin import CORSMiddleware
        app = FastAPI(middleware=[
            Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
        ])
    """,
    "fastapi-add_middleware-config": """
        from fastapi import FastAPI
        from crossorigin import CORSConfig, CORSMiddleware
        app = FastAPI()
        app.add_middleware(
            CORSMiddleware, config=CORSConfig(allow_origins=["*"], allow_credentials=True)
        )
    """,
    "fastapi-install": """
        from fastapi import FastAPI
        import crossorigin
        app = FastAPI()
        crossorigin.install(app, allow_origins=["*"], allow_credentials=True)
    """,
    "starlette-wrapped": """
        from starlette.applications import Starlette
        from crossorigin import CORSMiddleware
        app = CORSMiddleware(Starlette(), allow_origins=["*"], allow_credentials=True)
    """,
    "fastapi-route-policies": """
        from fastapi import FastAPI
        from crossorigin import CORSConfig, CORSMiddleware, RoutePolicies
        app = FastAPI()
        app.add_middleware(CORSMiddleware, routes=RoutePolicies(
            {"/public/*": CORSConfig(allow_origins=["*"], allow_credentials=True)}
        ))
    """,
    "fastapi-from-env": """
        from fastapi import FastAPI
        import crossorigin
        app = FastAPI()
        crossorigin.install(app, crossorigin.CORSConfig.from_env())
    """,
}
ENV = {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"}


def write_app(directory: Path, source: str) -> Path:
    (directory / "main.py").write_text(textwrap.dedent(source))
    return directory


@pytest.mark.parametrize("case", list(APPS))
def test_uvicorn_refuses_to_start(tmp_path: Path, case: str) -> None:
    """``uvicorn main:app`` (default lifespan mode "auto") exits non-zero with the message."""
    finished = run_until_exit("uvicorn", write_app(tmp_path, APPS[case]), ENV)
    expected = MESSAGE
    if case == "fastapi-from-env":
        expected = MESSAGE.replace("crossorigin: ", "crossorigin: CORS_ALLOW_ORIGINS: ")
    assert finished.returncode != 0, finished.output
    assert expected in finished.output, finished.output
    assert "Application startup complete" not in finished.output
    assert "Uvicorn running" not in finished.output


def test_uvicorn_lazy_path_fails_the_lifespan(tmp_path: Path) -> None:
    """The add_middleware path is refused by the lifespan (exit 3), not by an import error."""
    finished = run_until_exit("uvicorn", write_app(tmp_path, APPS["fastapi-add_middleware-kwargs"]))
    assert finished.returncode == 3, finished.output
    assert (
        f"crossorigin: refusing to serve: 1 problem in the CORS configuration:\n  - {MESSAGE}"
        in finished.output
    )
    assert "Application startup failed. Exiting." in finished.output
    assert "appears unsupported" not in finished.output


@pytest.mark.parametrize("case", ["fastapi-add_middleware-kwargs", "fastapi-install", "starlette-wrapped"])
def test_granian_refuses_to_start(tmp_path: Path, case: str) -> None:
    finished = run_until_exit("granian", write_app(tmp_path, APPS[case]))
    assert finished.returncode == 1, finished.output
    assert MESSAGE in finished.output
    if case == "fastapi-add_middleware-kwargs":
        assert "ASGI lifespan startup failed" in finished.output


@pytest.mark.parametrize("case", ["fastapi-add_middleware-kwargs", "fastapi-install", "starlette-wrapped"])
def test_hypercorn_refuses_to_start(tmp_path: Path, case: str) -> None:
    """Hypercorn stops and prints the message; with its default worker process its own exit
    status is 0 (its supervisor does not propagate the worker's failure), as documented."""
    finished = run_until_exit("hypercorn", write_app(tmp_path, APPS[case]))
    assert MESSAGE in finished.output
    if case == "fastapi-add_middleware-kwargs":
        assert "Lifespan failure in startup. 'crossorigin: refusing to serve: 1 problem" in finished.output
    assert finished.returncode == 0


def test_without_lifespan_every_request_logs_the_message(tmp_path: Path) -> None:
    """A server that runs no lifespan (``--lifespan off``) cannot be refused: every request
    gets a plain 500 and its log line carries the message; the app never runs."""
    source = (
        APPS["fastapi-add_middleware-kwargs"]
        + """
        @app.get("/")
        def root() -> dict[str, str]:
            raise AssertionError("the app must not run")
    """
    )
    write_app(tmp_path, source)

    with serve("uvicorn", tmp_path, env={"UVICORN_LIFESPAN": "off"}) as server:
        response = httpx.get(server.base_url + "/", headers={"origin": "https://a.example"})
        assert response.status_code == 500
        assert response.text == "Internal Server Error"
        assert not [k for k in response.headers if k.startswith("access-control-")]
        log = server.log()
    assert (
        f"crossorigin: refusing to serve: 1 problem in the CORS configuration:\n  - {MESSAGE}"
        in log
    )
    assert "(http '/' not served)" in log
    assert "the app must not run" not in log
