"""The settings of the systems the authority talks to and is reached by: outgoing mail, the
Biosafety Clearing-House and the API's HTTP server. Part of ``Settings`` (infra/settings.py),
read from the same variables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

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


class SmtpSettings(BaseModel):
    # SMTP
    smtp_host: str = Field(default="127.0.0.1", description="outgoing mail server")
    smtp_port: int = Field(default=8025, description="its port")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="`none`, `starttls` or `tls` (implicit TLS)"
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user; unset: none")
    smtp_password: str | None = Field(default=None, description="SMTP AUTH password")
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA(s) to trust for SMTP TLS; default: the system trust store",
    )
    smtp_timeout_seconds: float = Field(default=30.0, description="per SMTP session")
    smtp_idle_connections: int = Field(
        default=20,
        ge=0,
        description="SMTP connections kept open between messages, each per worker process "
        "(0: a connection per message)",
    )
    smtp_idle_seconds: float = Field(
        default=30.0, gt=0, description="how long a connection kept open may stay idle"
    )
    mail_from: str = Field(
        default="biosafety-authority@example.org", description="the From address of our mail"
    )


class BchSettings(BaseModel):
    # Biosafety Clearing-House (reference/bch-api.md); dev default: the local stand-in
    bch_base_url: str = Field(
        default="http://127.0.0.1:8300", description="the BCH's API (default: the local stand-in)"
    )
    bch_realm: str = Field(default="bch-dev", description="`bch` in production, `bch-dev` to test")
    bch_email: str = Field(
        default="national-user@example.org", description="the CBD account the worker signs in as"
    )
    bch_password: str = Field(default="dev-password", description="its password")
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

    @field_validator("bch_authority_uids")
    @classmethod
    def _authority_references(cls, value: list[str]) -> list[str]:
        return [bch_reference(ref) for ref in value]


class ApiSettings(BaseModel):
    # API
    api_host: str = Field(
        default="127.0.0.1", description="the API's bind address (0.0.0.0 in a container)"
    )
    api_port: int = Field(default=8000, description="the API's port")
    api_public_url: str = Field(
        default="http://localhost:8000",
        description="the API's address as officers reach it: the Web UI's current details link "
        "each case's timeline picture there (snapshotted into each case when it opens)",
    )
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
    api_case_reads: Literal["register", "workflow"] = Field(
        default="register",
        description="register: a case with nothing pending in Temporal is read from the "
        "register, without asking a worker (the Temporal server must show a workflow task in "
        "progress when described, as the dev server and current servers do; the time-skipping "
        "test server does not); workflow: every case is read by a Query to its workflow",
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
