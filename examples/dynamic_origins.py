"""Origins looked up at request time (e.g. per tenant) with an async predicate."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from crossorigin import CORSConfig, CORSMiddleware

TENANT_ORIGINS = {"https://acme.example", "https://globex.example"}  # e.g. from a database


async def is_tenant_origin(origin: str, scope: Any) -> bool:
    # Consulted only when no static rule matched; the answer is never cached by crossorigin.
    return origin in TENANT_ORIGINS


app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    config=CORSConfig(
        allow_origins=["https://app.example"],
        allow_origin_predicate=is_tenant_origin,
        allow_credentials=True,
    ),
)


@app.get("/me")
def me() -> dict[str, str]:
    return {"user": "demo"}
