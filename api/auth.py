"""Bearer-token verification with PyJWT: the token becomes a `Viewer`, or is refused.

Keys come only from configuration: an HS256 secret, a JWKS file, or a JWKS URL (fetched,
cached and refreshed on an unknown `kid` by PyJWT's client). The algorithm list is fixed
per key type, so a public key can never be used as an HMAC secret and `none` is never
accepted (the algorithm-confusion class of python-jose's advisory).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from api.settings import JWT_LEEWAY_SECONDS, JWT_MAX_LIFETIME_SECONDS, Settings
from domain.errors import Unauthenticated, a_or_an
from domain.ids import parse_global_id
from domain.party import Role, Viewer

SYMMETRIC = ["HS256"]
ASYMMETRIC = ["RS256", "ES256"]
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC"})
JWKS_TIMEOUT_SECONDS = 5
REQUIRED_CLAIMS = ["exp", "iat", "sub", "role"]
TIME_CLAIMS = ("exp", "iat", "nbf")
# Matched with `fullmatch`: `$` would also match before a trailing newline.
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


class TokenVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        public_keys: PyJWKSet | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = JWT_LEEWAY_SECONDS,
        max_lifetime_seconds: int = JWT_MAX_LIFETIME_SECONDS,
        jwks_refresh_cooldown_seconds: float = 30,
    ) -> None:
        if not (secret or public_keys or jwks_url):
            raise ValueError("a JWT secret or public keys are required")
        self._secret = secret
        self._public_keys = public_keys
        self._jwks = (
            # An unknown kid refetches the set at most once per cooldown: tokens with made-up
            # kids cannot make us hammer the identity provider.
            PyJWKClient(
                jwks_url,
                cache_keys=True,
                lifespan=600,
                timeout=JWKS_TIMEOUT_SECONDS,
                cooldown_duration=jwks_refresh_cooldown_seconds,
            )
            if jwks_url
            else None
        )
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        secret = settings.jwt_secret or (
            settings.development_secret() if not settings.has_jwt_keys else None
        )
        public_keys = None
        if settings.jwt_public_keys is not None:
            public_keys = PyJWKSet.from_dict(json.loads(settings.jwt_public_keys.read_text()))
        return cls(
            secret=secret.get_secret_value() if secret else None,
            public_keys=public_keys,
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway_seconds=settings.jwt_leeway_seconds,
            max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
        )

    async def verify(self, token: str) -> Viewer:
        try:
            header = jwt.get_unverified_header(token)
            key, algorithms = await self._key_for(header)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={
                    "require": REQUIRED_CLAIMS
                    + (["iss"] if self._issuer else [])
                    + (["aud"] if self._audience else []),
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        self._check_times(claims)
        return viewer_from_claims(claims)

    def _check_times(self, claims: dict[str, Any]) -> None:
        """Time claims as RFC 7519 NumericDate integers, and a bounded lifetime.

        PyJWT coerces with `int()`, so `"1700000000"`, `1.7e9` and `true` pass its checks;
        and an `exp` centuries ahead passes them too, then overflows `datetime` (year
        10000) or outlives any revocation. Both are refused here, after the signature, as
        an invalid token.
        """
        for name in TIME_CLAIMS:
            # `type(...) is int`: a bool is an int to isinstance.
            if name in claims and type(claims[name]) is not int:
                raise Unauthenticated(f"invalid token: the {name} claim must be an integer")
        # PyJWT has checked that iat is not in the future (beyond the leeway), so this
        # also bounds exp from now.
        if claims["exp"] - claims["iat"] > self._max_lifetime:
            raise Unauthenticated(
                f"invalid token: a lifetime (exp - iat) over {self._max_lifetime} seconds"
            )

    async def _key_for(self, header: dict[str, Any]) -> tuple[Any, list[str]]:
        algorithm = header.get("alg")
        if algorithm in SYMMETRIC and self._secret is not None:
            return self._secret, SYMMETRIC
        if algorithm in ASYMMETRIC:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise jwt.InvalidTokenError("a kid is required")
            key = self._find_public_key(kid)
            if key is None and self._jwks is not None:
                # The JWKS client blocks on the network; keep the event loop free.
                key = await asyncio.to_thread(self._jwks.get_signing_key, kid)
            if key is None:
                raise jwt.InvalidTokenError(f"unknown kid {kid}")
            # The key decides the algorithm, not the token: an RSA key under an ES256
            # header, or a symmetric ("oct") key published in the set, is refused.
            if key.key_type not in ASYMMETRIC_KEY_TYPES or key.algorithm_name != algorithm:
                raise jwt.InvalidAlgorithmError(f"key {kid} is not a {algorithm} key")
            return key, [algorithm]
        raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} is not accepted")

    def _find_public_key(self, kid: str) -> PyJWK | None:
        if self._public_keys is None:
            return None
        try:
            return self._public_keys[kid]
        except KeyError:
            return None


def viewer_from_claims(claims: dict[str, Any]) -> Viewer:
    try:
        role = Role(claims["role"])
    except ValueError:
        raise Unauthenticated(f"unknown role {claims['role']!r}") from None
    client_id = _party_id(claims.get("client_id"), "Client")
    agent_id = _party_id(claims.get("agent_id"), "Agent")
    needed = {Role.CLIENT: client_id, Role.AGENT: agent_id}.get(role, "")
    if not isinstance(needed, str) or (
        role is not Role.COMPLIANCE and not _OBJECT_ID.fullmatch(needed)
    ):
        claim = "client_id" if role is Role.CLIENT else "agent_id"
        raise Unauthenticated(f"{a_or_an(role)} token needs a valid {claim} claim")
    return Viewer(
        subject=str(claims["sub"]),
        role=role,
        client_id=client_id if role is Role.CLIENT else None,
        agent_id=agent_id if role is Role.AGENT else None,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def _party_id(claim: Any, type_name: str) -> Any:
    """A claim's raw id: the identity provider may hold the global id `createClient` or
    `createAgent` answered with, or the raw one (whose type it never said). A global id of
    another type names no `type_name` at all: None, an invalid claim (issue 22), not the
    `type_name` that happens to share its raw id."""
    parsed = parse_global_id(claim) if isinstance(claim, str) else None
    if parsed is None:
        return claim
    named, raw = parsed
    return raw if named == type_name else None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be `Bearer <token>`")
    return token.strip()
