"""Every example in examples/ imports and serves its first route."""

from __future__ import annotations

import importlib.util
import pathlib

import httpx
import pytest

EXAMPLES = sorted(pathlib.Path(__file__).parent.parent.joinpath("examples").glob("*.py"))


@pytest.mark.anyio
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
async def test_example_imports_and_answers_a_preflight(path: pathlib.Path) -> None:
    """The example's app builds (its config is valid) and answers requests through crossorigin."""
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.options(
            "/", headers={"origin": "https://evil.example", "access-control-request-method": "PUT"}
        )
    assert response.status_code == 403
