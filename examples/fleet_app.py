"""A multi-tenant API whose allowed origins live in a shared store: one host or a whole fleet.

    export CROSSORIGIN_STORE=redis://127.0.0.1:6379/0      # or postgresql://…, sqlite:///…
    uvicorn examples.fleet_app:app --workers 2

Every worker of every host that runs this app follows the same store: ``crossorigin origins
add|remove`` (or ``await store.add(...)`` from an admin endpoint) reaches all of them
(docs/deployment.md says how fast, and what happens when the store is down).
"""

import os

from fastapi import FastAPI

from crossorigin import CORSConfig, CORSMiddleware, OriginStore, RoutePolicies

store = OriginStore.open(os.environ.get("CROSSORIGIN_STORE", "sqlite:///origins.db"))

app = FastAPI()


@app.get("/api/items")
def items() -> list[str]:
    return ["teapot"]


@app.get("/health/cors")
def cors_health() -> dict[str, object]:
    """For a load balancer or a dashboard: is this process's view of the store current?"""
    status = store.status()
    return {"version": status.version, "origins": status.size, "outage": status.outage}


app.add_middleware(
    CORSMiddleware,
    routes=RoutePolicies(
        [
            # Customers' own domains may call the API, with their users' cookies...
            (
                "/api/*",
                CORSConfig(
                    allow_origins=["https://app.example.com"],
                    allow_credentials=True,
                    allow_stored_origins=True,
                ),
            ),
        ],
        # ...but nothing else is opened to them.
        default=CORSConfig(allow_origins=["https://app.example.com"]),
    ),
    origin_store=store,
)
