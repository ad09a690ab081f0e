"""A FastAPI app protected by crossorigin: ``uvicorn examples.fastapi_app:app --port 8000``."""

from __future__ import annotations

from fastapi import FastAPI, Response

from crossorigin import CORSConfig, CORSMiddleware

app = FastAPI(title="crossorigin example")
app.add_middleware(
    CORSMiddleware,
    config=CORSConfig(
        allow_origins=["http://localhost:3000", "https://*.example.com", "http://localhost:*"],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["content-type", "authorization"],
        allow_credentials=True,
        expose_headers=["x-total-count"],
        max_age=600,
    ),
)


@app.get("/items")
def list_items(response: Response) -> list[dict[str, str]]:
    response.headers["x-total-count"] = "1"
    return [{"name": "teapot"}]


@app.put("/items/{name}")
def put_item(name: str) -> dict[str, str]:
    return {"name": name}
