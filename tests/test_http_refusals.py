"""Refusals made by the HTTP layer, before any handler runs (no route, no such method, a CORS
preflight refused, a body too large, a rate over the limit): GraphQL JSON with a code of
`ErrorCode`, their status, `Cache-Control: no-store`, `X-Request-ID`, and the CORS headers a
browser needs to let the application read them (docs/errors.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.graphiql import PREFIX, assets_path
from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, configured, serve

SPEC = "application/graphql-response+json"
ORIGIN = "https://app.example"
VIEWER = "{ viewer { id } }"


def refusal(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The single error of `response`, checked to be a GraphQL JSON refusal of `code`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"], error
    return dict(error)


@pytest.fixture
async def cors(settings: Settings) -> AsyncIterator[Api]:
    async with serve(configured(settings, cors_origins=[ORIGIN])) as api:
        yield api


# No route, no such method -------------------------------------------------------------------


async def test_an_unknown_path_is_a_graphql_404(api: Api) -> None:
    for method in ("GET", "POST"):
        response = await api.http.request(method, "/nope")
        refusal(response, 404, "NOT_FOUND")


async def test_a_404_has_the_media_type_asked_for(api: Api) -> None:
    response = await api.http.get("/nope", headers={"Accept": SPEC})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(SPEC)
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/documents/abc"), ("DELETE", "/documents/abc"), ("POST", "/healthz")],
)
async def test_a_method_a_route_does_not_serve_is_a_graphql_405_with_allow(
    api: Api, method: str, path: str
) -> None:
    response = await api.http.request(method, path)
    refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_an_old_graphiql_asset_path_is_a_graphql_404(api: Api) -> None:
    # A page cached before a rebuild asks for the assets of the digest it was built with.
    old = await api.http.get(f"{PREFIX}/000000000000/graphiql.js")
    refusal(old, 404, "NOT_FOUND")
    missing = await api.http.get(f"{assets_path()}nope.js")
    refusal(missing, 404, "NOT_FOUND")
    posted = await api.http.post(f"{assets_path()}graphiql.js")
    refusal(posted, 405, "METHOD_NOT_ALLOWED")
    assert posted.headers["allow"] == "GET, HEAD"


# CORS ---------------------------------------------------------------------------------------


def preflight(origin: str, headers: str = "content-type") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


async def test_a_refused_preflight_is_graphql_json(cors: Api) -> None:
    foreign = await cors.http.options("/graphql", headers=preflight("https://evil.example"))
    error = refusal(foreign, 400, "CORS_PREFLIGHT_REFUSED")
    assert "origin" in error["message"]
    assert "access-control-allow-origin" not in foreign.headers
    header = await cors.http.options("/graphql", headers=preflight(ORIGIN, "x-not-allowed"))
    error = refusal(header, 400, "CORS_PREFLIGHT_REFUSED")
    assert "headers" in error["message"]


async def test_the_tracing_and_framework_headers_pass_a_preflight(cors: Api) -> None:
    names = "baggage,sentry-trace,x-requested-with,traceparent,tracestate"
    response = await cors.http.options("/graphql", headers=preflight(ORIGIN, names))
    assert response.status_code == 200, response.text
    allowed = response.headers["access-control-allow-headers"].lower()
    for name in names.split(","):
        assert name in allowed, name


async def test_a_413_carries_the_cors_headers(cors: Api) -> None:
    response = await cors.http.post(
        "/graphql",
        content=b" " * (cors.settings.max_body_bytes + 1),
        headers={"Origin": ORIGIN, "Content-Type": "application/json"},
    )
    refusal(response, 413, "PAYLOAD_TOO_LARGE")
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_a_429_carries_the_cors_headers(settings: Settings) -> None:
    limited = configured(settings, cors_origins=[ORIGIN], rate_limit_per_minute=1)
    async with serve(limited) as api:
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {api.token(Role.COMPLIANCE)}"}
        await api.http.post("/graphql", json={"query": VIEWER}, headers=headers)
        response = await api.http.post("/graphql", json={"query": VIEWER}, headers=headers)
    error = refusal(response, 429, "RATE_LIMITED")
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["retry-after"] == str(error["extensions"]["retryAfter"])
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


async def test_a_404_and_a_405_carry_the_cors_headers(cors: Api) -> None:
    for response, status in (
        (await cors.http.get("/nope", headers={"Origin": ORIGIN}), 404),
        (await cors.http.post("/healthz", headers={"Origin": ORIGIN}), 405),
    ):
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == ORIGIN


# An unhandled error -------------------------------------------------------------------------


async def test_an_unhandled_error_is_a_graphql_500_with_its_request_id_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug in a handler")

    async with serve(configured(settings, cors_origins=[ORIGIN])) as api:
        # No route fails on any input (tests/test_fuzz_raw.py): one is added that does.
        api.app.router.routes.append(Route("/broken", broken))
        with caplog.at_level(logging.INFO, logger="contracts.access"):
            headers = {"Origin": ORIGIN, "X-Request-ID": "r1"}
            response = await api.http.get("/broken", headers=headers)
    error = refusal(response, 500, "INTERNAL_SERVER_ERROR")
    assert "bug" not in error["message"]
    assert response.headers["x-request-id"] == "r1"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    (access,) = [r for r in caplog.records if r.name == "contracts.access"]
    assert access.__dict__["status"] == 500
