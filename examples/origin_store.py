"""A multi-tenant API: customer origins live in an origin store, managed by an admin router.

``/api/*`` takes the store's origins (every worker follows the store); ``/admin/*`` only
answers the operator console, and its routes add, remove and list tenant origins. Run with
``ORIGIN_STORE=sqlite:///var/lib/myapp/origins.db uvicorn examples.origin_store:app --workers 4``.
"""

from __future__ import annotations

import os
from datetime import datetime

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from crossorigin import ConfigError, CORSConfig, CORSMiddleware, OriginStore, RoutePolicies

store = OriginStore.open(os.environ.get("ORIGIN_STORE", "sqlite:origins.db"), start_empty=True)


class NewOrigin(BaseModel):
    origin: str
    tenant: str
    expires: datetime | None = None


admin = APIRouter(prefix="/admin")


@admin.post("/origins", status_code=201)
async def add_origin(body: NewOrigin) -> dict[str, str]:
    try:
        entry = await store.add(body.origin, tenant=body.tenant, expires=body.expires)
    except ConfigError as exc:  # e.g. a trailing slash: the message says how to fix it
        raise HTTPException(422, [p.message for p in exc.problems]) from None
    return {"origin": entry.origin}


@admin.delete("/origins")
async def remove_origin(origin: str) -> dict[str, bool]:
    return {"removed": await store.remove(origin)}


@admin.get("/origins")
async def list_origins(tenant: str | None = None) -> list[dict[str, object]]:
    return [entry.as_json() for entry in await store.list(tenant=tenant)]


api = APIRouter(prefix="/api")


@api.get("/orders")
def orders() -> list[str]:
    return ["order-1"]


app = FastAPI()
app.include_router(api)
app.include_router(admin)


@app.get("/health")
def health() -> dict[str, object]:
    status = store.status()
    return {"store_version": status.version, "origins": status.size, "outage": status.outage}


app.add_middleware(
    CORSMiddleware,
    routes=RoutePolicies(
        [
            (
                "/admin/*",
                CORSConfig(
                    allow_origins=["https://console.example.com"],
                    allow_credentials=True,
                    allow_methods=["POST", "DELETE"],
                    allow_headers=["content-type"],
                    protect_writes=True,
                ),
            ),
            (
                "/api/*",
                CORSConfig(
                    allow_origins=["https://app.example.com"],
                    allow_credentials=True,
                    allow_methods=["PUT", "DELETE"],
                    allow_headers=["content-type"],
                    allow_stored_origins=True,  # tenant origins, from the store
                    protect_writes=True,
                ),
            ),
        ],
        default=CORSConfig(allow_origins=["https://app.example.com"]),
    ),
    origin_store=store,
)
