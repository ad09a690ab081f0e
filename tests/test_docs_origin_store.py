"""Every Python example of docs/origin-store.md runs, in order, and does what the page says."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi.test_store import Lifespan, until

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "origin-store.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
TENANT = "https://shop.customer-one.com"


@pytest.fixture
def namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The page's examples executed in one namespace, with the store files in *tmp_path*."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORIGIN_STORE", f"sqlite://{tmp_path}/tenants.db")
    # A real module: FastAPI resolves the endpoints' annotations through sys.modules.
    module = types.ModuleType("origin_store_docs")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for block in BLOCKS:
        code = block.replace("sqlite:///var/lib/myapp/origins.db", f"sqlite://{tmp_path}/quick.db")
        exec(compile(code, str(PAGE), "exec"), module.__dict__)
    return module.__dict__


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) == 4
    example = (ROOT / "examples" / "origin_store.py").read_text()
    assert BLOCKS[1] in example  # the FastAPI example is the examples/ file


@pytest.mark.anyio
async def test_the_python_api_example(namespace: dict[str, Any], tmp_path: Path) -> None:
    store = namespace["OriginStore"].open(f"sqlite://{tmp_path}/api.db")
    origins = await namespace["onboard"](store)
    assert origins == ["https://*.preview.customer-one.com", TENANT]
    assert await store.list() == []
    version = await namespace["distribute"](store)
    assert version == 5
    policy = await store.policy()
    assert isinstance(policy, namespace["RoutePolicies"])
    assert policy.config_for("/api/orders").allow_stored_origins is True


@pytest.mark.anyio
async def test_the_fastapi_example(namespace: dict[str, Any]) -> None:
    app, store = namespace["app"], namespace["store"]
    life = Lifespan(app)
    assert (await life.startup())["type"] == "lifespan.startup.complete"  # start_empty=True
    console = {"origin": "https://console.example.com", "sec-fetch-site": "cross-site"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as c:
        bad = await c.post(
            "/admin/origins", json={"origin": TENANT + "/", "tenant": "one"}, headers=console
        )
        assert bad.status_code == 422
        assert bad.json()["detail"] == [
            "crossorigin: invalid origin 'https://shop.customer-one.com/': an origin has no path,"
            " query or trailing slash; did you mean 'https://shop.customer-one.com'?"
        ]
        added = await c.post(
            "/admin/origins", json={"origin": TENANT, "tenant": "one"}, headers=console
        )
        assert added.status_code == 201
        await until(lambda: store.status().size == 1)
        api = await c.get("/api/orders", headers={"origin": TENANT})
        assert api.headers["access-control-allow-origin"] == TENANT
        admin = await c.get("/admin/origins", headers={"origin": TENANT})
        assert "access-control-allow-origin" not in admin.headers
        # A stored origin may not use the admin router's writes either.
        forged = await c.post("/admin/origins", json={"origin": "https://x.example", "tenant": "x"},
                              headers={"origin": TENANT, "sec-fetch-site": "cross-site"})  # fmt: skip
        assert forged.status_code == 403
        health = (await c.get("/health")).json()
        assert health == {"store_version": store.status().version, "origins": 1, "outage": None}
        removed = await c.delete("/admin/origins", params={"origin": TENANT}, headers=console)
        assert removed.json() == {"removed": True}
        await until(lambda: store.status().size == 0)
        api = await c.get("/api/orders", headers={"origin": TENANT})
        assert "access-control-allow-origin" not in api.headers
    await life.shutdown()
