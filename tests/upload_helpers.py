"""Uploads over the GraphQL multipart request spec, and what the store holds after them."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Api

PDF = b"%PDF-1.4\n" + b"0" * 1000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOTHING = {"documents": 0, "documentFiles.files": 0, "documentFiles.chunks": 0}


async def post_file(
    api: Api,
    query: str,
    variables: dict[str, Any],
    data: bytes,
    token: str,
    name: str = "scan.pdf",
    declared: str = "application/pdf",
) -> tuple[int, dict[str, Any]]:
    """`query` with `data` as the file of its variable `f` (a multipart request)."""
    operations = {"query": query, "variables": {**variables, "f": None}}
    response = await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": (name, data, declared)},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def stored(api: Api) -> dict[str, int]:
    db = api.app.state.services.db.db
    names = ("documents", "documentFiles.files", "documentFiles.chunks")
    return {name: await db[name].count_documents({}) for name in names}
