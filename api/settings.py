"""Configuration from environment variables, checked once at start-up.

Every setting is an environment variable of the same name in upper case. A bad value stops
start-up with one line naming the variable (`ConfigError`).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.errors import ConfigurationError, InvalidURI
from pymongo.uri_parser import parse_uri

from domain.delivery import DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_SECONDS
from domain.document import DEFAULT_MAX_UPLOAD_BYTES
from domain.policy import (
    DESIGN_CSA_POLICY,
    MIN_ANSWERED_FOR_RENEWAL,
    RENEWAL_NOTICE_DAYS,
    SLA_CLOSE_AFTER_DAYS,
)

MIN_SECRET_BYTES = 32
DEV_SECRET_FILE = "dev-jwt-secret"


# Shared with the token verifier's own defaults (api.auth), written once.
JWT_LEEWAY_SECONDS = 30
JWT_MAX_LIFETIME_SECONDS = 24 * 3600


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it."""


class Settings(BaseSettings):
    """All settings of one service process."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    mongodb_uri: str | None = Field(
        None, description="MongoDB connection string; unset: the embedded server."
    )
    mongodb_database: str = Field("contracts", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    data_dir: Path = Field(Path("data"), description="Embedded server's data folder.")
    embedded_port: int = Field(0, ge=0, le=65535, description="0: any free port.")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)

    jwt_secret: SecretStr | None = None
    jwt_public_keys: Path | None = Field(None, description="A JWKS file of public keys.")
    jwt_jwks_url: str | None = Field(None, pattern=r"^https://")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(JWT_LEEWAY_SECONDS, ge=0, le=300)
    jwt_max_lifetime_seconds: int = Field(
        JWT_MAX_LIFETIME_SECONDS,
        ge=60,
        le=366 * 24 * 3600,
        description="Longest `exp - iat` accepted.",
    )

    graphiql: bool = False
    introspection: bool | None = Field(None, description="Default: on with GraphiQL.")
    cors_origins: list[str] = Field(default_factory=list)
    max_query_depth: int = Field(12, ge=2, le=50)
    max_aliases: int = Field(30, ge=1, le=1000)
    max_query_cost: int = Field(
        5000, ge=10, description="Fields times the page sizes above them (schema/cost.py)."
    )
    max_query_tokens: int = Field(5000, ge=100, description="Lexical tokens of a document.")
    max_page_size: int = Field(100, ge=1, le=1000)
    # A recordSlaIntervals batch of 10,000 rows is 3.5 to 5.5 MB of JSON.
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(1200, ge=0, description="Per token subject; 0: off.")
    subscriptions_per_connection: int = Field(20, ge=1, le=1000)
    connections_per_subject: int = Field(
        50, ge=1, le=10_000, description="Open WebSockets per token subject, all processes."
    )
    subscriptions_per_subject: int = Field(
        200, ge=1, le=100_000, description="Open subscriptions per token subject, all processes."
    )
    persisted_query_max_bytes: int = Field(
        16 * 1024, ge=1024, description="Largest query text stored as a persisted query."
    )
    persisted_queries_max: int = Field(
        10_000, ge=0, description="Persisted queries stored in all; 0: none are stored."
    )
    cache_max_age_seconds: int = Field(
        0, ge=0, le=3600, description="`max-age` of GET query results (Cache-Control)."
    )
    subscriber_queue_size: int = Field(1000, ge=10)
    keep_alive_seconds: float = Field(15, gt=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    migrate_on_start: bool = True
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = Field(60, gt=0)
    renewal_notice_days: int = Field(RENEWAL_NOTICE_DAYS, ge=1, le=365)
    csa_min_term_months: int = Field(DESIGN_CSA_POLICY.min_term_months, ge=1, le=60)
    csa_max_term_months: int = Field(DESIGN_CSA_POLICY.max_term_months, ge=1, le=60)
    csa_min_lead_days: int = Field(DESIGN_CSA_POLICY.min_lead_days, ge=0, le=365)
    sla_close_after_days: int = Field(
        SLA_CLOSE_AFTER_DAYS, ge=0, le=366, description="The scheduler closes a month then."
    )
    renewal_min_answered: int = Field(
        MIN_ANSWERED_FOR_RENEWAL,
        ge=0,
        description="Answered contacts below which an agent's performance is INSUFFICIENT_DATA.",
    )

    max_upload_bytes: int = Field(
        DEFAULT_MAX_UPLOAD_BYTES, ge=1024, description="Largest uploadAgentDocument file."
    )
    smtp_url: SecretStr | None = Field(
        None, description="smtp://user:password@host:587 (STARTTLS) or smtps://; unset: .eml files."
    )
    mail_from: str = Field("contracts@localhost", min_length=3)
    compliance_email: str = Field(
        "compliance@localhost", min_length=3, description="The operator's compliance mailbox."
    )
    delivery_enabled: bool = True
    delivery_interval_seconds: float = Field(5, gt=0)
    delivery_retry_seconds: float = Field(DEFAULT_RETRY_SECONDS, gt=0)
    delivery_max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1, le=100)

    @field_validator(
        "jwt_secret",
        "jwt_public_keys",
        "jwt_jwks_url",
        "jwt_issuer",
        "jwt_audience",
        "smtp_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes `${VAR:-}` through as an empty string.
        return None if value == "" else value

    @field_validator("mongodb_uri")
    @classmethod
    def _parse_uri(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            parse_uri(value)
        except (InvalidURI, ConfigurationError, ValueError) as exc:
            raise ValueError(f"not a MongoDB connection string ({exc})") from None
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.csa_min_term_months > self.csa_max_term_months:
            raise ValueError("CSA_MIN_TERM_MONTHS exceeds CSA_MAX_TERM_MONTHS")
        if self.mongodb_uri and not self.has_jwt_keys:
            raise ValueError(
                "JWT_SECRET, JWT_PUBLIC_KEYS or JWT_JWKS_URL is required with MONGODB_URI"
            )
        return self

    @property
    def embedded(self) -> bool:
        return self.mongodb_uri is None

    @property
    def mail_dir(self) -> Path:
        """Where mail goes without SMTP_URL: the embedded default shows what it would send."""
        return self.data_dir / "mail"

    @property
    def has_jwt_keys(self) -> bool:
        return bool(self.jwt_secret or self.jwt_public_keys or self.jwt_jwks_url)

    @property
    def introspection_enabled(self) -> bool:
        return self.graphiql if self.introspection is None else self.introspection

    def development_secret(self) -> SecretStr:
        """The HS256 secret of a development setup without any JWT key configured.

        Kept in the data folder so that tokens minted by `contracts token` stay valid across
        restarts; only used with the embedded server (production sets MONGODB_URI, which
        requires real keys).
        """
        path = self.data_dir / DEV_SECRET_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return SecretStr(path.read_text().strip())


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (and `overrides`), or raise `ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "_".join(str(part) for part in error["loc"]).upper() or "configuration"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
