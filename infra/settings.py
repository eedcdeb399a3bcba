"""All configuration in one place: one pydantic-settings class read from the environment.

Every variable is prefixed ``BIOSAFETY_`` except ``DATABASE_URL``, which keeps its customary name.
The class gathers its fields from groups: the core ones here, the procedures' periods in
settings_procedures.py, mail, the BCH and the API in settings_services.py.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.settings_procedures import ProcedureSettings
from infra.settings_services import (
    INTENTIONAL_INTRODUCTION_SUBJECTS,
    PLACEHOLDER_AUTHORITY,
    ApiSettings,
    BchSettings,
    SmtpSettings,
)

__all__ = [
    "INTENTIONAL_INTRODUCTION_SUBJECTS",
    "PLACEHOLDER_AUTHORITY",
    "BchSettingsError",
    "Settings",
    "get_settings",
]


class BchSettingsError(RuntimeError):
    """The BCH settings cannot work against the real BCH (raised at start-up in production)."""


class CoreSettings(BaseModel):
    """Logging, Temporal and the worker, the register's database, the authority, its statutory
    clock and its documents."""

    environment: Literal["development", "production", "test"] = Field(
        default="development",
        description="`production` refuses development defaults (no API tokens, the BCH "
        "placeholder) and turns JSON logs on",
    )
    log_json: bool | None = Field(
        default=None, description="JSON logs; default: on in production, off otherwise"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")

    # Temporal
    temporal_address: str = Field(
        default="localhost:7233",
        description="Temporal frontend, host:port (Temporal Cloud: "
        "<namespace>.<account>.tmprl.cloud:7233)",
    )
    temporal_namespace: str = Field(
        default="default", description="Temporal namespace: one per Party when hosting several"
    )
    task_queue: str = Field(default="biosafety", description="the workers' task queue")
    temporal_tls: bool = Field(
        default=False,
        description="connect to Temporal over TLS (implied by a client certificate or an API key)",
    )
    temporal_tls_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA that signed the Temporal frontend's certificate; "
        "default: the system trust store",
    )
    temporal_tls_cert_file: str | None = Field(
        default=None, description="PEM client certificate for mutual TLS (with _KEY_FILE)"
    )
    temporal_tls_key_file: str | None = Field(
        default=None, description="PEM private key of the client certificate"
    )
    temporal_tls_server_name: str | None = Field(
        default=None,
        description="name to verify in the frontend's certificate, when it differs from the "
        "address's host",
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="Temporal Cloud API key (instead of a client certificate)"
    )
    worker_metrics_bind_address: str | None = Field(
        default=None,
        description="host:port where the worker's Temporal SDK runtime serves Prometheus "
        "metrics at /metrics (e.g. 0.0.0.0:9464); unset: none",
    )
    worker_graceful_shutdown_seconds: int = Field(
        default=15,
        ge=0,
        description="on SIGTERM, how long the worker lets activities in flight finish before "
        "cancelling them (they are then retried by another worker)",
    )
    # Sizing of one worker (docs/performance.md has the figure each value gives). A case not in
    # the workflow cache is rebuilt from its whole history (a new sandboxed instance, every event
    # replayed) whenever it wakes, is read or receives a command.
    worker_runs: Literal["all", "workflows", "activities"] = Field(
        default="all",
        description="what this worker process runs: all, or only the workflows or only the "
        "activities (two processes polling the same task queue, so that e-mails and BCH calls "
        "do not hold up the cases' workflow tasks; the workflows' worker still writes the "
        "register and makes each e-mail's first attempt itself, as local activities)",
    )
    devstack_activity_worker: bool = Field(
        default=False,
        description="make run: start the activities in a worker process of their own beside "
        "the workflows' (BIOSAFETY_WORKER_RUNS)",
    )
    devstack_workers: int = Field(
        default=1,
        ge=1,
        le=8,
        description="make run: worker processes for the cases' workflow tasks, all polling the "
        "one task queue (each caches its own cases; a deadline storm is shared between them: "
        "docs/performance.md)",
    )
    worker_sandbox: Literal["shared", "strict"] = Field(
        default="shared",
        description="shared: workflow modules loaded once for every case (less memory per "
        "cached case); strict: each case imports them afresh and the sandbox refuses "
        "non-deterministic calls as they happen (what the tests run)",
    )
    worker_max_cached_workflows: int = Field(
        default=1000,
        ge=0,
        description="cases the worker keeps in memory (sticky); size it for the open cases a "
        "worker serves: each costs memory, each miss a replay of the case's history",
    )
    worker_max_concurrent_workflow_tasks: int = Field(
        default=200,
        ge=1,
        description="workflow tasks the worker holds at once; a task holds its slot while its "
        "e-mails and register write run inside it. Too few, and cases that wake at one instant "
        "(every deadline ends at the authority's midnight) wait for each other's e-mails (with "
        "the SDK's 100, half of a 200-case storm did); too many, and the worker takes more of "
        "a storm than it can finish at once (with 400, at 10,000 open cases, reads of the "
        "storm's cases answered 503; with 1,000, a 1,000-case storm's tasks outran the 10 s "
        "workflow task timeout and were handed out again). docs/performance.md has the runs",
    )
    worker_sticky_queue_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a cached case's workflow task waits for this worker (its sticky "
        "queue) before the server puts it on the task queue for any worker, with the case's "
        "whole history (the SDK's 5 s: in a 1,000-case storm at 10,000 open cases 646 tasks "
        "waited that long and went that way)",
    )
    worker_max_concurrent_activities: int = Field(
        default=100,
        ge=1,
        description="activities (e-mails, BCH calls, register writes a workflow task could not "
        "make itself) the worker runs at once",
    )
    worker_max_concurrent_local_activities: int = Field(
        default=100,
        ge=1,
        description="local activities the worker runs at once: the first try of each e-mail "
        "and each register write, inside the workflow task that made them (a task waits for a "
        "free one before its e-mails go out)",
    )
    worker_database_connections: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections the worker holds at most: each e-mail keeps one "
        "for its SMTP conversation (the message's row is locked until the server has answered), "
        "each register write one for a statement",
    )
    worker_memory_trim_seconds: float = Field(
        default=60,
        ge=0,
        description="every so many seconds the worker hands the memory it has freed (cases "
        "gone from its cache) back to the system (glibc's malloc_trim; about 10 ms); 0: never",
    )
    worker_task_pollers: Literal["fixed", "autoscale"] = Field(
        default="fixed",
        description="fixed: worker_max_task_polls polls for workflow tasks (and, apart, for "
        "activity tasks) open at once, as the SDK does with 5; autoscale: between 1 and "
        "worker_max_task_polls, as the server's hints say a backlog needs (docs/performance.md "
        "has what each gave: more polls took the dev server's time from the intake)",
    )
    worker_max_task_polls: int = Field(
        default=5,
        ge=2,
        description="polls for workflow tasks, and apart for activity tasks, open at once (at "
        "most, with autoscale)",
    )

    # PostgreSQL: the case register. Unset → the dev stack starts embedded PostgreSQL.
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "BIOSAFETY_DATABASE_URL"),
        description="PostgreSQL for the case register (postgresql://user:password@host/db); "
        "unset, `make run` starts the embedded server",
    )

    # The authority
    authority_party: str = Field(default="HU", description="ISO 3166-1 code of this Party")
    authority_name: str = Field(
        default="Competent National Authority (gene technology)",
        description="the authority's name in letters",
    )
    authority_email: str = Field(
        default="authority@example.org", description="the authority's address in letters"
    )
    officer_email: str = Field(
        default="case-officers@example.org", description="where reminders go"
    )
    escalation_email: str = Field(
        default="head-of-unit@example.org", description="where missed deadlines are escalated"
    )
    default_language: Literal["en", "hu"] = Field(
        default="en", description="the language of the authority's own mail (`en`, `hu`)"
    )

    # Statutory clock (DESIGN.md, "The statutory clock"); snapshotted into each case at start
    timezone: str = Field(
        default="Europe/Budapest", description="the authority's time zone for counting days"
    )
    day_of_event_is_day_one: bool = Field(
        default=False, description="count the day of the event as day 1 (default: day 0)"
    )
    roll_forward_to_working_day: bool = Field(
        default=False, description="move a deadline on a closed day to the next working day"
    )
    holiday_country: str = Field(
        default="HU", description="holiday calendar (ISO 3166-1) for the roll-forward"
    )
    reminder_offsets_days: list[int] = Field(
        default_factory=lambda: [30, 14, 7, 1],
        description="days before each deadline when officers are reminded (JSON list)",
    )
    # A date of receipt further back than this is refused as implausible (a typo, not a case
    # entered late): every deadline of such a case would have lapsed decades ago.
    max_receipt_age_days: int = Field(
        default=3 * 365,
        ge=1,
        description="how far back a date of receipt may lie; older dates are refused",
    )
    # Dossier documents (api/documents.py, infra/documents.py): the bytes by content hash on
    # disk or in an S3-compatible bucket, metadata and confidentiality in PostgreSQL.
    documents_backend: Literal["disk", "s3"] = Field(
        default="disk", description="where documents are stored: disk or s3"
    )
    documents_dir: str = Field(
        default=".stack/documents", description="the folder of the disk store"
    )
    documents_s3_bucket: str | None = Field(default=None, description="the bucket (s3 backend)")
    documents_s3_endpoint_url: str | None = Field(
        default=None, description="an S3-compatible endpoint (MinIO, Ceph, ...); none: AWS S3"
    )
    documents_s3_region: str = Field(default="eu-central-1", description="the bucket's region")
    documents_max_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="the largest document accepted, in bytes"
    )
    documents_media_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "text/plain",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.oasis.opendocument.text",
        ],
        description="the media types accepted for documents (JSON list)",
    )


# The field groups in reverse: pydantic lists a model's fields from its last base to its first,
# so the variables keep this order (core, procedures, SMTP, BCH, API) in the settings table.
class Settings(
    ApiSettings, BchSettings, SmtpSettings, ProcedureSettings, CoreSettings, BaseSettings
):
    model_config = SettingsConfigDict(env_prefix="BIOSAFETY_", env_file=".env", extra="ignore")

    @model_validator(mode="after")
    def _temporal_tls_pair(self) -> Settings:
        if bool(self.temporal_tls_cert_file) != bool(self.temporal_tls_key_file):
            raise ValueError(
                "BIOSAFETY_TEMPORAL_TLS_CERT_FILE and BIOSAFETY_TEMPORAL_TLS_KEY_FILE go together"
            )
        return self

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
