"""The skeleton: health, readiness, the viewer query, configuration errors."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from strawberry.extensions.validation_cache import _get_validate_cache

from api.cli import SCHEMA_FILE, export_schema_sdl
from api.settings import ConfigError, load_settings
from domain.party import Role
from schema.schema import VALIDATION_CACHE_SIZE
from tests.conftest import Api
from tests.ids import gid
from tests.sow_helpers import create_client, signed_sow

VIEWER = "{ viewer { id role clientId agentId } }"


async def test_health_and_readiness(api: Api) -> None:
    health = await api.http.get("/healthz")
    ready = await api.http.get("/readyz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert health.headers["x-request-id"]


async def test_viewer_reflects_the_token(api: Api) -> None:
    client_id = "65f000000000000000000001"
    token = api.token(Role.CLIENT, client_id=client_id, subject="alice")
    data = await api.ok(VIEWER, token=token)
    assert data["viewer"] == {
        "id": "alice",
        "role": "CLIENT",
        "clientId": gid("Client", client_id),
        "agentId": None,
    }


async def test_no_token_is_unauthenticated(api: Api) -> None:
    error = await api.error(VIEWER)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_token_is_unauthenticated(api: Api) -> None:
    error = await api.error(VIEWER, token="not-a-jwt")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_graphql_over_get(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    response = await api.http.get(
        "/graphql", params={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json()["data"]["viewer"]["role"] == "COMPLIANCE"


async def test_syntax_error_is_graphql_parse_failed(api: Api) -> None:
    error = await api.error("{ viewer { ", token=api.token(Role.COMPLIANCE))
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == export_schema_sdl(), (
        "schema.graphql is out of date: run `contracts export-schema`"
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"MONGODB_URI": "http://nope"}, "MONGODB_URI"),
        ({"PORT": "eighty"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"MONGODB_URI": "mongodb://db:27017"}, "JWT_SECRET"),
    ],
)
def test_bad_configuration_names_the_setting(
    env: dict[str, str], setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert setting in str(raised.value)


def test_bad_configuration_stops_the_command_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"],
        env={"MONGODB_URI": "mongodb://", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("configuration error: MONGODB_URI")


async def test_a_client_sow_walks_to_signed(api: Api) -> None:
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id)
    assert sow["status"] == "SIGNED"
    assert sow["client"] == {"id": client_id}
    assert sow["number"].startswith("SOW-2026-")


async def test_a_repeated_query_is_validated_once(api: Api) -> None:
    # Validation costs more than the rest of a small request: it must come from the cache.
    cache: Any = _get_validate_cache(VALIDATION_CACHE_SIZE)  # an lru_cache wrapper
    query = f"query Unique{uuid.uuid4().hex} {{ viewer {{ id }} }}"
    before = cache.cache_info()
    for _ in range(3):
        await api.ok(query, token=api.token(Role.COMPLIANCE))
    after = cache.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
