"""Starlette with crossorigin, migrated from ``starlette.middleware.cors`` by the import alone."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crossorigin import CORSMiddleware  # was: from starlette.middleware.cors import CORSMiddleware


async def homepage(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = Starlette(
    routes=[Route("/", homepage)],
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=["https://app.example.com"],
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    ],
)
