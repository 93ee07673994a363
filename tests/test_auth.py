"""Bearer tokens end to end: HS256, RS256/ES256 from a JWKS file or URL, and refusals."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.auth import TokenVerifier
from api.settings import ConfigError, Settings, load_settings
from api.tokens import mint_token
from domain.errors import Unauthenticated
from domain.party import Role
from tests.conftest import Api, configured, serve
from tests.ids import gid

VIEWER = "{ viewer { id role clientId agentId } }"
CLIENT_ID = "65f000000000000000000001"
AGENT_ID = "65f000000000000000000002"
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def claims(role: Role = Role.COMPLIANCE, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": "someone",
        "role": role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        **extra,
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], hmac_key: bytes | None) -> str:
    """A token PyJWT would refuse to sign: `alg: none`, or HMAC keyed with a public key."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if hmac_key is None:
        return signing_input + "."
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def jwk(key: PrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        public: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {**public, "kid": kid, "alg": "RS256", "use": "sig"}
    public = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


def signed(key: PrivateKey, kid: str, payload: dict[str, Any]) -> str:
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_key_2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def secret_of(settings: Settings) -> str:
    assert settings.jwt_secret is not None
    return settings.jwt_secret.get_secret_value()


async def code_for(api: Api, token: str) -> str | None:
    """The error code of the viewer query with `token`; None when it succeeds."""
    body = await api.post(VIEWER, token=token)
    if not body.get("errors"):
        return None
    code: str = body["errors"][0]["extensions"]["code"]
    return code


# HS256 ----------------------------------------------------------------------------------


async def test_hs256_token_is_accepted(api: Api) -> None:
    token = api.token(Role.AGENT, agent_id=AGENT_ID, subject="bob")
    data = await api.ok(VIEWER, token=token)
    agent_id = gid("Agent", AGENT_ID)  # the claim's raw id, as a global id
    assert data["viewer"] == {"id": "bob", "role": "AGENT", "clientId": None, "agentId": agent_id}


async def test_expired_token_is_unauthenticated(api: Api) -> None:
    token = mint_token(
        api.settings,
        Role.COMPLIANCE,
        lifetime=timedelta(minutes=10),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    error = await api.error(VIEWER, token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in error["message"]


async def test_token_of_another_secret_is_refused(api: Api) -> None:
    token = jwt.encode(claims(), "another-secret-" + "y" * 40, algorithm="HS256")
    assert await code_for(api, token) == "UNAUTHENTICATED"


async def test_alg_none_is_refused(api: Api) -> None:
    token = forged({"alg": "none", "typ": "JWT"}, claims(), None)
    assert await code_for(api, token) == "UNAUTHENTICATED"


async def test_token_without_exp_is_refused(api: Api) -> None:
    payload = claims()
    del payload["exp"]
    token = jwt.encode(payload, api.settings.jwt_secret.get_secret_value(), algorithm="HS256")  # type: ignore[union-attr]
    assert await code_for(api, token) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("role", "ids"),
    [
        (Role.CLIENT, {}),
        (Role.AGENT, {}),
        (Role.CLIENT, {"agent_id": AGENT_ID}),
        (Role.AGENT, {"agent_id": "not-an-object-id"}),
        (Role.CLIENT, {"client_id": 42}),
        # A global id of another type names no such party, whatever its raw id.
        (Role.CLIENT, {"client_id": gid("Agent", CLIENT_ID)}),
        (Role.AGENT, {"agent_id": gid("Client", AGENT_ID)}),
        (Role.AGENT, {"agent_id": gid("Sow", AGENT_ID)}),
    ],
)
async def test_token_without_its_roles_id_claim_is_refused(
    api: Api, role: Role, ids: dict[str, Any]
) -> None:
    secret = secret_of(api.settings)
    token = jwt.encode(claims(role, **ids), secret, algorithm="HS256")
    error = await api.error(VIEWER, token=token)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "claim" in error["message"]


async def test_a_claim_may_hold_the_global_id_of_its_party(api: Api) -> None:
    """As `createClient` and `createAgent` answered it; of its own type only."""
    client = api.token(Role.CLIENT, client_id=gid("Client", CLIENT_ID))
    data = await api.ok(VIEWER, token=client)
    assert data["viewer"]["clientId"] == gid("Client", CLIENT_ID)
    agent = api.token(Role.AGENT, agent_id=gid("Client", AGENT_ID))
    error = await api.error(VIEWER, token=agent)
    assert error["message"] == "an agent token needs a valid agent_id claim"


async def test_unknown_role_is_refused(api: Api) -> None:
    secret = secret_of(api.settings)
    token = jwt.encode({**claims(), "role": "admin"}, secret, algorithm="HS256")
    assert await code_for(api, token) == "UNAUTHENTICATED"


def test_short_jwt_secret_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="JWT_SECRET: must be at least 32 bytes"):
        load_settings(jwt_secret="too-short")


async def test_issuer_and_audience_are_checked_when_configured(settings: Settings) -> None:
    checked = configured(settings, jwt_issuer="https://idp.example", jwt_audience="contracts")
    secret = secret_of(checked)
    async with serve(checked) as api:
        assert await code_for(api, mint_token(checked, Role.COMPLIANCE)) is None
        for payload in (
            claims(),
            claims(iss="https://idp.example"),
            claims(aud="contracts"),
            claims(iss="https://evil.example", aud="contracts"),
            claims(iss="https://idp.example", aud="someone-else"),
        ):
            token = jwt.encode(payload, secret, algorithm="HS256")
            assert await code_for(api, token) == "UNAUTHENTICATED", payload


# RS256 / ES256 from a JWKS file ------------------------------------------------------------


@pytest.fixture
def jwks_file(
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key_2: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> Path:
    # Two RSA keys: the old and the new one of a rotation, both valid meanwhile.
    path = tmp_path / "jwks.json"
    keys = [jwk(rsa_key, "rsa-old"), jwk(rsa_key_2, "rsa-new"), jwk(ec_key, "ec-1")]
    path.write_text(json.dumps({"keys": keys}))
    return path


@pytest.fixture
async def jwks_api(settings: Settings, jwks_file: Path) -> AsyncIterator[Api]:
    async with serve(configured(settings, jwt_secret=None, jwt_public_keys=jwks_file)) as api:
        yield api


async def test_rs256_and_es256_keys_are_chosen_by_kid(
    jwks_api: Api,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key_2: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    client = claims(Role.CLIENT, client_id=CLIENT_ID)
    for key, kid in ((rsa_key, "rsa-old"), (rsa_key_2, "rsa-new"), (ec_key, "ec-1")):
        data = await jwks_api.ok(VIEWER, token=signed(key, kid, client))
        assert data["viewer"]["clientId"] == gid("Client", CLIENT_ID), kid


async def test_key_of_another_kid_is_refused(
    jwks_api: Api, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    assert await code_for(jwks_api, signed(rsa_key, "rsa-new", claims())) == "UNAUTHENTICATED"
    # An RS256 header naming the EC key: the key, not the token, decides the algorithm.
    assert await code_for(jwks_api, signed(rsa_key, "ec-1", claims())) == "UNAUTHENTICATED"
    assert await code_for(jwks_api, signed(ec_key, "rsa-old", claims())) == "UNAUTHENTICATED"


async def test_unknown_or_missing_kid_is_refused(jwks_api: Api, rsa_key: rsa.RSAPrivateKey) -> None:
    assert await code_for(jwks_api, signed(rsa_key, "retired", claims())) == "UNAUTHENTICATED"
    unnamed = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert await code_for(jwks_api, unnamed) == "UNAUTHENTICATED"


async def test_hmac_signed_with_the_public_key_is_refused(
    jwks_api: Api, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Algorithm confusion: the public key's PEM (or DER) used as an HS256 secret."""
    public = rsa_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, der):
        for header in ({"alg": "HS256"}, {"alg": "HS256", "kid": "rsa-old"}):
            token = forged({**header, "typ": "JWT"}, claims(), secret)
            assert await code_for(jwks_api, token) == "UNAUTHENTICATED", header


async def test_hs256_is_refused_when_only_public_keys_are_configured(
    jwks_api: Api, settings: Settings
) -> None:
    token = jwt.encode(claims(), secret_of(settings), algorithm="HS256")
    assert await code_for(jwks_api, token) == "UNAUTHENTICATED"


async def test_symmetric_key_in_the_jwks_is_never_used(settings: Settings, tmp_path: Path) -> None:
    secret = b"k" * 32
    path = tmp_path / "jwks.json"
    oct_key = {"kty": "oct", "kid": "shared", "k": b64(secret), "alg": "HS256"}
    path.write_text(json.dumps({"keys": [oct_key]}))
    async with serve(configured(settings, jwt_secret=None, jwt_public_keys=path)) as api:
        for alg in ("HS256", "RS256"):
            token = forged({"alg": alg, "kid": "shared", "typ": "JWT"}, claims(), secret)
            assert await code_for(api, token) == "UNAUTHENTICATED", alg


# JWKS URL ---------------------------------------------------------------------------------


class _JwksServer:
    """A local JWKS endpoint whose key set a test can change (a rotation at the IdP)."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    served = _JwksServer()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


async def test_jwks_url_keys_are_fetched_cached_and_refreshed_on_rotation(
    jwks_server: _JwksServer, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # Built directly: settings accept only https:// JWKS URLs (tested below), and a local
    # TLS server would need a trusted certificate. The fetching code is the same.
    jwks_server.keys = [jwk(rsa_key, "k1")]
    verifier = TokenVerifier(jwks_url=jwks_server.url, jwks_refresh_cooldown_seconds=0)
    client = claims(Role.CLIENT, client_id=CLIENT_ID)
    assert (await verifier.verify(signed(rsa_key, "k1", client))).client_id == CLIENT_ID
    assert (await verifier.verify(signed(rsa_key, "k1", client))).role is Role.CLIENT
    assert jwks_server.fetches == 1

    jwks_server.keys = [jwk(rsa_key, "k1"), jwk(ec_key, "k2")]
    assert (await verifier.verify(signed(ec_key, "k2", client))).client_id == CLIENT_ID
    assert jwks_server.fetches == 2

    with pytest.raises(Unauthenticated):
        await verifier.verify(signed(rsa_key, "k3", client))
    with pytest.raises(Unauthenticated):
        await verifier.verify(jwt.encode(client, "s" * 40, algorithm="HS256"))


async def test_unknown_kids_refetch_the_jwks_at_most_once_per_cooldown(
    jwks_server: _JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.keys = [jwk(rsa_key, "k1")]
    verifier = TokenVerifier(jwks_url=jwks_server.url)
    await verifier.verify(signed(rsa_key, "k1", claims()))
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        with pytest.raises(Unauthenticated):
            await verifier.verify(signed(rsa_key, kid, claims()))
    assert jwks_server.fetches == 1


def test_jwks_url_must_be_https() -> None:
    with pytest.raises(ConfigError, match="JWT_JWKS_URL"):
        load_settings(jwt_jwks_url="http://idp.example/jwks.json")
    assert load_settings(jwt_jwks_url="https://idp.example/jwks.json").has_jwt_keys
