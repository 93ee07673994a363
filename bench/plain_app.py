"""The baseline: a plain Starlette endpoint doing the same reads and returning JSON."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Document = dict[str, Any]


def _json(value: object) -> Response:
    return Response(json.dumps(value, default=str), media_type="application/json")


async def one(request: Request) -> Response:
    db = request.app.state.db
    doc = await db[request.path_params["collection"]].find_one(
        {"_id": ObjectId(request.path_params["id"])}
    )
    return _json({"data": doc})


async def page(request: Request) -> Response:
    db = request.app.state.db
    query = {request.query_params["key"]: ObjectId(request.query_params["value"])}
    cursor = db[request.path_params["collection"]].find(query).sort("_id", -1).limit(50)
    return _json({"data": [doc async for doc in cursor]})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(os.environ["MONGODB_URI"])
    app.state.db = client[os.environ["MONGODB_DATABASE"]]
    yield
    await client.close()


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/{collection}/one/{id}", one),
        Route("/{collection}/page", page),
    ],
    lifespan=lifespan,
)
