"""The baseline: a plain Starlette app doing the same database work and returning JSON."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import reads


def _json(value: object) -> Response:
    return Response(json.dumps({"data": value}, default=str), media_type="application/json")


async def csa(request: Request) -> Response:
    return _json(await reads.csa_by_id(request.app.state.db, request.path_params["id"]))


async def agent_csas(request: Request) -> Response:
    return _json(await reads.agent_csa_page(request.app.state.db, request.path_params["id"]))


async def sows(request: Request) -> Response:
    return _json(await reads.sow_page(request.app.state.db))


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(os.environ["MONGODB_URI"])
    app.state.db = client[os.environ["MONGODB_DATABASE"]]
    yield
    await client.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/csas/{id}", csa),
        Route("/agents/{id}/csas", agent_csas),
        Route("/sows", sows),
    ],
    lifespan=lifespan,
)
