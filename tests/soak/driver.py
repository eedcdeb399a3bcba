"""Driving the stack over HTTP as its users do: notifiers submit, officers command, a focal point
approves BCH publication requests, readers list and read. Every answer is recorded (status,
latency, Retry-After, problem+json), so a scenario can say how many 503s it saw and that none
was a 500.

Requests that meet an outage are retried as a well-behaved client would: after a 503 (waiting
the Retry-After it was given, at most ``RETRY_PAUSE_MAX``) or a connection error, and always
with the same body and Idempotency-Key, so a retried command runs once.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from api.problems import PROBLEM_JSON
from api.procedures import example_notification
from tests.support.role_bodies import RISK_ASSESSMENT

RETRY_PAUSE_MAX = 2.0
RETRIES_OF_500 = 3
TIMEOUT = httpx.Timeout(180.0, connect=10.0)
# Shorter than the API's keep-alive (5 s), so the client never reuses a connection the server is
# closing.
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=3.0)

DECISIONS: tuple[dict[str, Any], ...] = (
    {
        "result": "approval_with_conditions",
        "conditions": ["post-market monitoring"],
        "reasons": "Risks manageable.",
        "subsequent_imports": "Applies to subsequent imports of the same event for the same use.",
    },
    {"result": "prohibition", "reasons": "Gene flow cannot be excluded."},
    {
        "result": "approval",
        "subsequent_imports": "Applies to subsequent imports of the same event for the same use.",
    },
)


@dataclass(frozen=True)
class Answer:
    op: str
    method: str
    path: str
    status: int | None  # None: no answer (connection refused, reset, timed out)
    seconds: float
    at: float  # time.monotonic() when the request was sent
    retry_after: str | None = None
    problem_json: bool = False
    error: str = ""


@dataclass
class Recorder:
    """Every answer a scenario got."""

    answers: list[Answer] = field(default_factory=list)

    def add(self, answer: Answer) -> None:
        self.answers.append(answer)

    def of(self, *ops: str) -> list[Answer]:
        return [a for a in self.answers if not ops or a.op in ops]

    def statuses(self, *ops: str) -> Counter[str]:
        return Counter(str(a.status) if a.status else "no answer" for a in self.of(*ops))

    def seconds(self, *ops: str, ok: bool = True) -> list[float]:
        return [
            a.seconds
            for a in self.of(*ops)
            if not ok or (a.status is not None and 200 <= a.status < 300)
        ]

    def server_errors(self) -> list[Answer]:
        """500s and other 5xx but 503 (the one outage answer)."""
        return [
            a for a in self.answers if a.status is not None and a.status >= 500 and a.status != 503
        ]

    def unavailable(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 503]


class Api:
    """One principal's client of the stack's API."""

    def __init__(self, base_url: str, token: str | None, recorder: Recorder) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=TIMEOUT, limits=LIMITS
        )
        self.recorder = recorder

    async def aclose(self) -> None:
        await self.http.aclose()

    async def once(
        self,
        op: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response | None:
        headers = {"Idempotency-Key": key} if key else None
        began = time.monotonic()
        try:
            response = await self.http.request(
                method, path, json=json, headers=headers, params=params
            )
        except httpx.TransportError as err:
            self.recorder.add(
                Answer(op, method, path, None, time.monotonic() - began, began, error=repr(err))
            )
            return None
        self.recorder.add(
            Answer(
                op,
                method,
                path,
                response.status_code,
                time.monotonic() - began,
                began,
                response.headers.get("retry-after"),
                response.headers.get("content-type", "").startswith(PROBLEM_JSON),
            )
        )
        return response

    async def answered(
        self,
        op: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
        give_up_after: float = 600.0,
    ) -> httpx.Response:
        """The first answer that is not an outage (a 503 or no answer), retrying with the same
        body and key until then. A 500 is retried too, a few times (every request the soak
        repeats is idempotent): it is recorded, and fails the scenario's "no 500" check, but the
        scenario goes on to check everything else."""
        deadline = time.monotonic() + give_up_after
        errors = 0
        while True:
            response = await self.once(op, method, path, json=json, key=key, params=params)
            if response is not None and response.status_code == 500 and errors < RETRIES_OF_500:
                errors += 1
                await asyncio.sleep(1.0)
                continue
            if response is not None and response.status_code != 503:
                return response
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path}: no answer but 503s for {give_up_after:.0f} s")
            pause = 0.5
            if response is not None:
                with contextlib.suppress(ValueError, TypeError):
                    pause = float(response.headers.get("retry-after", pause))
            await asyncio.sleep(min(pause, RETRY_PAUSE_MAX))


def notification(reference: str, email: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(example_notification())
    body["notifier_reference"] = reference
    if email is not None:
        body["notifier"]["email"] = email
    return body


def case_id_for(reference: str) -> str:
    return f"aia-hu-{reference.lower()}"


@dataclass
class CaseRun:
    reference: str
    case_id: str
    decision: dict[str, Any]
    submitted_at: float = 0.0
    decided_at: float | None = None
    problems: list[str] = field(default_factory=list)


async def drive_case(
    api: Api, reference: str, decision: dict[str, Any], *, email: str | None = None
) -> CaseRun:
    """Submit a notification and take it to a decision: acknowledgement (Art 9), risk
    assessment (Art 15), decision (Art 10(3)); each command with an Idempotency-Key."""
    case_id = case_id_for(reference)
    run = CaseRun(reference, case_id, decision, submitted_at=time.monotonic())
    r = await api.answered(
        "submit", "POST", "/v1/aia/notifications", json=notification(reference, email)
    )
    if r.status_code not in (200, 201):
        run.problems.append(f"submit answered {r.status_code}: {r.text[:200]}")
        return run
    steps = [
        ("acknowledge", "acknowledgement", {}),
        ("risk-assessment", "risk-assessment", RISK_ASSESSMENT),
        ("decide", "decision", decision),
    ]
    for op, path, body in steps:
        r = await api.answered(
            op, "POST", f"/v1/cases/{case_id}/{path}", json=body, key=f"{case_id}:{op}"
        )
        if r.status_code != 200:
            run.problems.append(f"{op} answered {r.status_code}: {r.text[:200]}")
            return run
    run.decided_at = time.monotonic()
    return run


async def drive_cases(
    api: Api,
    references: Iterable[str],
    *,
    concurrency: int,
    done: list[CaseRun] | None = None,
) -> list[CaseRun]:
    """Drive every case, ``concurrency`` at a time; finished runs are appended to ``done`` as
    they finish (for a scenario that acts on progress)."""
    gate = asyncio.Semaphore(concurrency)
    finished = done if done is not None else []

    async def one(n: int, reference: str) -> CaseRun:
        async with gate:
            run = await drive_case(api, reference, DECISIONS[n % len(DECISIONS)])
        finished.append(run)
        return run

    return list(await asyncio.gather(*(one(n, ref) for n, ref in enumerate(references))))


class FocalPoint:
    """The BCH's national focal point, played at the stand-in's control endpoint: approves each
    pending publication request once it is ``approve_after`` seconds old (so that the
    publication processes follow it with their timers for a while). ``paused`` holds approvals."""

    def __init__(self, bch_url: str, approve_after: float) -> None:
        self.http = httpx.AsyncClient(base_url=bch_url, timeout=30)
        self.approve_after = approve_after
        self.paused = False
        self.approved: set[str] = set()
        self.errors = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if not self.paused:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    await self.approve_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)

    async def pending(self) -> list[dict[str, Any]]:
        r = await self.http.get("/_standin/state")
        r.raise_for_status()
        return [q for q in r.json()["requests"].values() if q["state"] == "pending"]

    async def approve_due(self) -> None:
        now = datetime.now(UTC)
        for request in await self.pending():
            created = datetime.fromisoformat(request["createdOn"])
            if (now - created).total_seconds() < self.approve_after:
                continue
            r = await self.http.post(f"/_standin/requests/{request['_id']}/approve")
            if r.status_code == 200:
                self.approved.add(request["_id"])
            else:
                self.errors += 1

    async def state(self) -> dict[str, Any]:
        r = await self.http.get("/_standin/state")
        r.raise_for_status()
        state: dict[str, Any] = r.json()
        return state

    async def set_faults(self, mode: str) -> None:
        r = await self.http.post("/_standin/faults", json={"mode": mode})
        r.raise_for_status()

    async def aclose(self) -> None:
        await self.http.aclose()


async def read_continuously(
    api: Api, paths: list[str], stop: asyncio.Event, pause: float = 0.1
) -> None:
    """A reader going round ``paths`` (each answer recorded as op "read <path pattern>") until
    ``stop``; a single attempt each, so every 503 shows."""
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        await api.once(f"read {_pattern(path)}", "GET", path)
        await asyncio.sleep(pause)


def _pattern(path: str) -> str:
    """``/v1/cases/aia-hu-x/audit`` → ``/v1/cases/{id}/audit``."""
    parts = path.split("?")[0].split("/")
    return "/".join("{id}" if p.startswith(("aia-", "review-")) else p for p in parts)
