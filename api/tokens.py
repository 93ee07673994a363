"""Development tokens, signed with the configured secret or a private key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from api.settings import DEV_SECRET_FILE, Settings
from domain.party import Role

# How long a development token is valid unless asked otherwise (`contracts token --hours`).
DEVELOPMENT_TOKEN_HOURS = 8


def mint_token(
    settings: Settings,
    role: Role,
    *,
    subject: str | None = None,
    client_id: str | None = None,
    agent_id: str | None = None,
    lifetime: timedelta = timedelta(hours=DEVELOPMENT_TOKEN_HOURS),
    private_key: Path | None = None,
    kid: str | None = None,
    algorithm: str = "RS256",
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject or f"dev-{role}-{uuid.uuid4().hex[:8]}",
        "role": role.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    if client_id is not None:
        claims["client_id"] = client_id
    if agent_id is not None:
        claims["agent_id"] = agent_id
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if private_key is not None:
        return jwt.encode(
            claims, private_key.read_text(), algorithm=algorithm, headers={"kid": kid or ""}
        )
    secret = settings.jwt_secret or settings.development_secret()
    return jwt.encode(claims, secret.get_secret_value(), algorithm="HS256")


def signing_key(settings: Settings, private_key: Path | None, kid: str | None) -> str:
    """Which key `mint_token` will sign with, said for a person (`contracts token`).

    Raises ValueError when that key cannot be one the service verifies with: a service with
    only public keys takes no HS256 token, and a development secret that does not exist yet
    was never used by a service (one created now, in another DATA_DIR than the service's,
    signs tokens that the service refuses)."""
    if private_key is not None:
        return f"signed with {private_key} (RS256, kid {kid or '(none)'})"
    if settings.jwt_secret is not None:
        return "signed with JWT_SECRET (HS256)"
    if settings.has_jwt_keys:
        raise ValueError(
            "the service verifies with public keys only (JWT_PUBLIC_KEYS, JWT_JWKS_URL): "
            "sign with --private-key"
        )
    path = (settings.data_dir / DEV_SECRET_FILE).absolute()
    if not path.exists():
        raise ValueError(
            f"no development secret at {path}: the service creates it at its first start "
            "with this DATA_DIR. Start the service first, run this with the DATA_DIR it "
            "uses, or set JWT_SECRET as it does"
        )
    return f"signed with the development secret in {path} (HS256)"
