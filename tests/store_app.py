"""A multi-tenant FastAPI app behind crossorigin with an origin store, for real-server tests.

Run as ``uvicorn tests.store_app:app --workers 2`` with ``CROSSORIGIN_STORE`` set to the store
URL (``STORE_POLL`` overrides the poll interval). Every response names the worker's PID in
``x-pid``, so a test can tell which worker answered. ``/api/*`` takes the store's origins,
``/admin/*`` does not; ``/health`` reports the store's status.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, FastAPI

from crossorigin import CORSConfig, CORSMiddleware, OriginStore, RoutePolicies
from crossorigin._types import Message, Receive, Scope, Send

STATIC = "https://app.example"

store = OriginStore.open(
    os.environ["CROSSORIGIN_STORE"], poll_interval=float(os.environ.get("STORE_POLL", "0.5"))
)
api = APIRouter(prefix="/api")
admin = APIRouter(prefix="/admin")


@api.get("/items")
def items() -> list[str]:
    return ["teapot"]


@admin.get("/users")
def users() -> list[str]:
    return ["root"]


fastapi_app = FastAPI()
fastapi_app.include_router(api)
fastapi_app.include_router(admin)


@fastapi_app.get("/health")
def health() -> dict[str, Any]:
    status = store.status()
    return {"pid": os.getpid(), "version": status.version, "size": status.size,
            "outage": status.outage}  # fmt: skip


fastapi_app.add_middleware(
    CORSMiddleware,
    routes=RoutePolicies(
        [
            ("/admin/*", CORSConfig(allow_origins=[STATIC], allow_credentials=True)),
            (
                "/api/*",
                CORSConfig(
                    allow_origins=[STATIC],
                    allow_credentials=True,
                    allow_methods=["PUT"],
                    allow_stored_origins=True,
                ),
            ),
        ]
    ),
    origin_store=store,
)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Adds ``x-pid`` to every HTTP response."""
    if scope["type"] != "http":
        await fastapi_app(scope, receive, send)
        return

    async def send_with_pid(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                *message.get("headers", []),
                (b"x-pid", str(os.getpid()).encode()),
            ]
        await send(message)

    await fastapi_app(scope, receive, send_with_pid)
