"""All configuration in one place: one pydantic-settings class read from the environment.

Every variable is prefixed ``BIOSAFETY_`` except ``DATABASE_URL``, which keeps its customary name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIOSAFETY_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    log_json: bool | None = Field(
        default=None, description="JSON logs; default: on in production, off otherwise"
    )
    log_level: str = "INFO"

    # Temporal
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "biosafety"

    # PostgreSQL: the case register. Unset → the dev stack starts embedded PostgreSQL.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "BIOSAFETY_DATABASE_URL")
    )

    # The authority
    authority_party: str = Field(default="HU", description="ISO 3166-1 code of this Party")
    authority_name: str = "Competent National Authority (gene technology)"
    authority_email: str = "authority@example.org"
    officer_email: str = Field(
        default="case-officers@example.org", description="where reminders go"
    )
    escalation_email: str = Field(
        default="head-of-unit@example.org", description="where missed deadlines are escalated"
    )
    default_language: Literal["en", "hu"] = "en"

    # Statutory clock (DESIGN.md, "The statutory clock"); snapshotted into each case at start
    timezone: str = "Europe/Budapest"
    day_of_event_is_day_one: bool = False
    roll_forward_to_working_day: bool = False
    holiday_country: str = "HU"
    reminder_offsets_days: list[int] = Field(default_factory=lambda: [30, 14, 7, 1])

    # SMTP
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA(s) to trust for SMTP TLS; default: the system trust store",
    )
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "biosafety-authority@example.org"

    # Biosafety Clearing-House (reference/bch-api.md); dev default: the local stand-in
    bch_base_url: str = "http://127.0.0.1:8300"
    bch_realm: str = "bch-dev"
    bch_email: str = "national-user@example.org"
    bch_password: str = "dev-password"
    bch_poll_interval_seconds: float = Field(
        default=86400.0,
        description="how often a pending publication request is checked (dev stack: 15 s)",
    )
    bch_approval_window_days: int = Field(
        default=83, description="the focal point's window before a publication request lapses"
    )
    bch_authority_uids: list[str] = Field(
        default_factory=lambda: ["00000000-0000-0000-0000-00000000c0a1"],
        description="BCH record ids of our competent national authority",
    )

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The API's HTTP server (infra/serve.py): slow or idle clients must not hold connections
    api_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="a connection must send a complete request line and headers within this "
        "time (from connecting, or from the first byte of a later request) or it is closed",
    )
    api_keep_alive_seconds: int = Field(
        default=5, ge=1, description="an idle keep-alive connection is closed after this"
    )
    api_max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="largest request line plus headers; larger is answered 400 and closed",
    )
    api_limit_concurrency: int = Field(
        default=200,
        ge=1,
        description="open connections plus requests in flight; beyond it the server answers 503",
    )
    api_graceful_shutdown_seconds: int = Field(
        default=30,
        ge=1,
        description="on SIGTERM, how long requests in flight may take to finish",
    )
    api_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="bearer token → principal, written 'staff:<name>' or 'notifier:<email>' "
        "(BIOSAFETY_API_TOKENS, as JSON). Empty outside production: a request without a token "
        "acts as staff 'developer'. Empty in production: the API refuses to start (api/auth.py)",
    )

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
