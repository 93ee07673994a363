"""Development tokens, signed with the configured secret or a private key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from api.settings import Settings
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
