"""All configuration in one place: one pydantic-settings class read from the environment.

Every variable is prefixed ``BIOSAFETY_`` except ``DATABASE_URL``, which keeps its customary name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.models import bch_reference

# The dev stack's competent national authority on the BCH: a placeholder the local stand-in knows
# (infra/bch_standin.py seeds it). On the real BCH it names nothing, so production refuses it.
PLACEHOLDER_AUTHORITY = "00000000-0000-0000-0000-00000000C0A1@1"

# The two narrower subjects of "Decision on LMOs for intentional introduction into the
# environment" (E8C5A15C-...) in the BCH thesaurus (DecisionTypes). The BCH form adds one of them
# when the decision was triggered by a request for a transboundary movement. The documentation
# gives their identifiers, not their names: `make bch-check` prints the names from bch-dev.
INTENTIONAL_INTRODUCTION_SUBJECTS = (
    "A0F944AD-1578-47F4-BB71-A9805EC0EB7A",
    "47B66371-7016-4F28-B33A-0DBFF43581CA",
)


class BchSettingsError(RuntimeError):
    """The BCH settings cannot work against the real BCH (raised at start-up in production)."""


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
    # A date of receipt further back than this is refused as implausible (a typo, not a case
    # entered late): every deadline of such a case would have lapsed decades ago.
    max_receipt_age_days: int = Field(default=3 * 365, ge=1)

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
        default_factory=lambda: [PLACEHOLDER_AUTHORITY],
        description="references (GUID@revision) to the BCH records of our competent national "
        "authority; the default is a placeholder that only the local stand-in knows, and "
        "production refuses it",
    )
    bch_transboundary_subject: Literal[
        "A0F944AD-1578-47F4-BB71-A9805EC0EB7A", "47B66371-7016-4F28-B33A-0DBFF43581CA"
    ] = Field(
        default="A0F944AD-1578-47F4-BB71-A9805EC0EB7A",
        description="the narrower DecisionTypes term sent with 'intentional introduction' when "
        "the decision was triggered by a request for a transboundary movement (check its name "
        "with `make bch-check`)",
    )
    bch_exempt_property: Literal["exemptFromAIA", "exemptedFromAIA"] = Field(
        default="exemptFromAIA",
        description="name of the Art 13(1)(b) flag: the API documentation says exemptFromAIA, "
        "the BCH's own form binds exemptedFromAIA",
    )
    bch_contact_workflow: str = Field(
        default="publishReferenceRecord",
        description="publication request type for contact records (the BCH front end files "
        "contacts as reference records)",
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

    @field_validator("bch_authority_uids")
    @classmethod
    def _authority_references(cls, value: list[str]) -> list[str]:
        return [bch_reference(ref) for ref in value]

    def require_bch_ready(self) -> None:
        """In production, refuse BCH settings that can only work against the local stand-in.

        Called when the BCH adapter starts (the worker), not when settings are read: the API and
        the tools read the same settings and never write to the BCH."""
        if self.environment != "production":
            return
        problems = []
        placeholder = PLACEHOLDER_AUTHORITY.partition("@")[0]
        if not self.bch_authority_uids:
            problems.append("BIOSAFETY_BCH_AUTHORITY_UIDS is empty")
        elif any(ref.partition("@")[0] == placeholder for ref in self.bch_authority_uids):
            problems.append(
                "BIOSAFETY_BCH_AUTHORITY_UIDS holds the development placeholder "
                f"{PLACEHOLDER_AUTHORITY}: set the GUID@revision of the authority's BCH record"
            )
        if self.bch_base_url.startswith(("http://127.0.0.1", "http://localhost")):
            problems.append(f"BIOSAFETY_BCH_BASE_URL is the local stand-in ({self.bch_base_url})")
        if problems:
            raise BchSettingsError("BCH settings not fit for production: " + "; ".join(problems))

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
