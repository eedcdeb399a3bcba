"""The soak's scenarios about callers and cases (tests/soak/scenarios.py): the role matrix over
HTTP, (b) duplicate submissions, (c) two officers racing on one case, (a) the soak with the
worker killed while cases run."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.soak.driver import (
    DECISIONS,
    Api,
    CaseRun,
    case_id_for,
    drive_cases,
    notification,
)
from tests.soak.evidence import count
from tests.soak.report import latency, secs
from tests.soak.run import (
    ALICE,
    BOB,
    Soak,
    check_answers,
    check_runs,
    decided,
    figures_of_answers,
    settle_and_verify,
    wait_for,
    when_decided,
)
from tests.support import role_fixture, role_outcomes, roles
from tests.support.role_bodies import RISK_ASSESSMENT
from tests.support.role_matrix import run_matrix, table

# ---- the role matrix ----------------------------------------------------------------------------


async def role_matrix(soak: Soak) -> None:
    section = soak.report.section(
        "matrix",
        "Role matrix over HTTP",
        "Every operation of the API for every kind of caller (no token, an unknown token, "
        "another notifier, the case's own notifier, staff), against the README's Access rules "
        "(tests/support/roles.py; the same matrix runs in-process in `make test`).",
    )
    recorder = soak.recorder()
    wrong = Api(soak.stack.api_url, f"unknown-{secrets.token_urlsafe(24)}", recorder)
    soak.apis["wrong"] = wrong
    apis = {
        role_outcomes.Caller.ANONYMOUS: soak.api(None, recorder),
        role_outcomes.Caller.WRONG_TOKEN: wrong,
        role_outcomes.Caller.OTHER: soak.api(BOB, recorder),
        role_outcomes.Caller.OWNER: soak.api(ALICE, recorder),
        role_outcomes.Caller.STAFF: soak.api("staff:kovacs", recorder),
    }
    clients = {caller: api.http for caller, api in apis.items()}

    async def eventually(probe: Callable[[], Awaitable[bool]]) -> bool:
        with contextlib.suppress(TimeoutError):
            await wait_for(probe, 30, 0.2)
            return True
        return False

    fixture = role_fixture.Fixture(
        clients[role_outcomes.Caller.OWNER],
        clients[role_outcomes.Caller.STAFF],
        ALICE.removeprefix("notifier:"),
        eventually,
        tag=f"{soak.run}M",
    )
    openapi = (await clients[role_outcomes.Caller.ANONYMOUS].get("/openapi.json")).json()
    rows = roles.rows_for(openapi)
    cells = await run_matrix(clients, fixture, rows)
    section.tables.append(table(cells))
    wrong_cells = [c for c in cells if not c.ok]
    section.figure(
        "operations × callers", f"{len(rows)} × {len(role_outcomes.CALLER_ORDER)} = {len(cells)}"
    )
    section.check(
        "every cell as the Access rules say",
        not wrong_cells,
        "; ".join(f"{c.row.operation} as {c.caller}: {c.status}" for c in wrong_cells[:5]),
    )
    missing = roles.operations(openapi) - {row.operation for row in roles.ROWS}
    section.check(
        "the matrix covers every operation of the OpenAPI document",
        not missing,
        str(sorted(missing)),
    )


# ---- (b) duplicates -----------------------------------------------------------------------------


async def duplicates(soak: Soak) -> None:
    n = soak.config.duplicates
    section = soak.report.section(
        "b",
        f"(b) {n} concurrent duplicates",
        f"{n} identical submissions at once start one case; {n} copies of one command under one "
        f"Idempotency-Key run it once and all get its result; {n} different attempts at the same "
        "one-time command (the decision) let exactly one through and refuse the rest with 409. "
        "Afterwards the case owes, and has sent, each of its messages once.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    (reference,) = soak.references("b", 1)
    case_id = case_id_for(reference)
    body = notification(reference)

    async def burst(
        op: str, path: str, bodies: list[Any], keys: list[str | None]
    ) -> list[httpx.Response | None]:
        began = time.monotonic()
        answers = await asyncio.gather(
            *(api.once(op, "POST", path, json=b, key=k) for b, k in zip(bodies, keys, strict=True))
        )
        section.figure(f"{op}: {n} requests at once, wall time", secs(time.monotonic() - began))
        return list(answers)

    def statuses(answers: list[httpx.Response | None]) -> Counter[int]:
        return Counter(a.status_code if a is not None else 0 for a in answers)

    submits = await burst("submit ×n", "/v1/aia/notifications", [body] * n, [None] * n)
    got = statuses(submits)
    section.check(
        f"{n} identical submissions: one 201, {n - 1} × 200",
        got == {201: 1, 200: n - 1},
        str(dict(got)),
    )
    ids = {a.json()["case_id"] for a in submits if a is not None and a.status_code < 300}
    section.check("all answered with the same case", ids == {case_id}, str(ids))
    runs = await count(soak.temporal, f'WorkflowId = "{case_id}"')
    section.check("one workflow execution for the case", runs == 1, f"{runs} executions")

    base = f"/v1/cases/{case_id}"
    acks = await burst(
        "acknowledge ×n, one key", f"{base}/acknowledgement", [{}] * n, ["b-ack"] * n
    )
    got = statuses(acks)
    same = {a.text for a in acks if a is not None}
    section.check(
        f"{n} copies under one Idempotency-Key: {n} × 200 with the one result",
        got == {200: n} and len(same) == 1,
        f"{dict(got)}, {len(same)} different bodies",
    )
    r = await api.answered(
        "risk-assessment", "POST", f"{base}/risk-assessment", json=RISK_ASSESSMENT, key="b-ra"
    )
    section.check(
        "risk assessment recorded", r.status_code == 200, "" if r.status_code == 200 else r.text
    )
    decision = DECISIONS[0]
    decides = await burst(
        "decide ×n, n keys", f"{base}/decision", [decision] * n, [f"b-dec-{i}" for i in range(n)]
    )
    got = statuses(decides)
    section.check(
        f"{n} different attempts at the decision: one 200, {n - 1} × 409",
        got == {200: 1, 409: n - 1},
        str(dict(got)),
    )
    for op in ("submit ×n", "acknowledge ×n, one key", "decide ×n, n keys"):
        section.figure(f"`{op}` latency p50 / p99 / max", latency(recorder.seconds(op, ok=False)))
    check_answers(section, recorder, expect_503=False)
    run = CaseRun(reference, case_id, decision)
    await settle_and_verify(soak, section, "b", [run], api)


# ---- (c) two officers ---------------------------------------------------------------------------


async def two_officers(soak: Soak) -> None:
    rounds = soak.config.officer_races
    section = soak.report.section(
        "c",
        "(c) Two officers deciding one case at once",
        f"On {rounds} cases, officers kovacs and nagy send different decisions at the same "
        "moment: one decision is recorded, by its officer, the other officer gets 409; the "
        "case's history, audit log, letters and BCH record hold the one decision only.",
    )
    recorder = soak.recorder()
    kovacs, nagy = soak.api("staff:kovacs", recorder), soak.api("staff:nagy", recorder)
    references = soak.references("c", rounds)
    gate = asyncio.Semaphore(soak.config.concurrency)

    async def prepare(reference: str) -> str:
        async with gate:
            case_id = case_id_for(reference)
            await kovacs.answered(
                "submit", "POST", "/v1/aia/notifications", json=notification(reference)
            )
            for op, path, body in [
                ("acknowledge", "acknowledgement", {}),
                ("risk-assessment", "risk-assessment", RISK_ASSESSMENT),
            ]:
                await kovacs.answered(
                    op, "POST", f"/v1/cases/{case_id}/{path}", json=body, key=f"{case_id}:{op}"
                )
            return case_id

    case_ids = await asyncio.gather(*(prepare(r) for r in references))
    winners: Counter[str] = Counter()
    wrong: list[str] = []
    runs: list[CaseRun] = []
    gaps: list[float] = []
    for reference, case_id in zip(references, case_ids, strict=True):
        url = f"/v1/cases/{case_id}/decision"
        first, second = await asyncio.gather(
            kovacs.once("decide (kovacs)", "POST", url, json=DECISIONS[0]),
            nagy.once("decide (nagy)", "POST", url, json=DECISIONS[1]),
        )
        statuses = sorted(a.status_code if a is not None else 0 for a in (first, second))
        if statuses != [200, 409]:
            wrong.append(f"{case_id}: {statuses}")
            continue
        kovacs_won = first is not None and first.status_code == 200
        winner = "kovacs" if kovacs_won else "nagy"
        winners[winner] += 1
        runs.append(CaseRun(reference, case_id, DECISIONS[0] if kovacs_won else DECISIONS[1]))
        mine = [a for a in recorder.answers if a.op.startswith("decide (") and a.path == url]
        if len(mine) == 2:
            gaps.append(abs(mine[0].at - mine[1].at))
    section.check(
        f"every race: one 200 and one 409 ({rounds} races)", not wrong, "; ".join(wrong[:5])
    )
    section.figure("races won by kovacs / nagy", f"{winners['kovacs']} / {winners['nagy']}")
    section.figure(
        "the two requests left the client within (max)",
        f"{max(gaps) * 1000:.1f} ms" if gaps else "–",
    )
    section.figure(
        "decision latency p50 / p99 / max (both officers)",
        latency(recorder.seconds("decide (kovacs)", "decide (nagy)", ok=False)),
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "c", runs, kovacs)
    actors: list[str] = []
    for run in runs:
        audit = (
            await kovacs.answered("read audit", "GET", f"/v1/cases/{run.case_id}/audit")
        ).json()
        want = "kovacs" if run.decision is DECISIONS[0] else "nagy"
        got = [a["actor"] for a in audit if a["kind"] == "decided"]
        if got != [want]:
            actors.append(f"{run.case_id}: {got}, expected [{want}]")
    section.check(
        "the audit log names the winning officer, once", not actors, "; ".join(actors[:5])
    )


# ---- (a) the soak with worker kills -------------------------------------------------------------


async def soak_with_worker_kills(soak: Soak) -> None:
    config = soak.config
    n, kills = config.cases, config.worker_kills
    hold = 2 * config.poll_interval + 2
    section = soak.report.section(
        "a",
        f"(a) Soak: {n} cases, the worker SIGKILLed {kills} times",
        f"{n} notifications submitted and taken to a decision (acknowledgement, risk assessment, "
        f"decision), {config.concurrency} at a time, while the worker is killed with SIGKILL "
        f"{kills - 1} times during the run (activities in flight: register writes, e-mails, BCH "
        f"calls) and once more after the last decision, held down for {hold:.0f} s while the BCH "
        "publication processes' timers fire (the focal point approves each request "
        f"{config.approve_after:.0f} s after it is made; the processes poll every "
        f"{config.poll_interval:.0f} s). The supervisor restarts the worker each time. At the "
        "end every case is decided, every e-mail delivered exactly once, every BCH record "
        "requested once and published, and every register row at its workflow's version.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    done: list[CaseRun] = []
    downtimes: list[float] = []
    began = time.monotonic()

    async def chaos() -> None:
        for i in range(1, kills):
            await when_decided(done, i * n / kills)
            kill = soak.stack.kill("worker")
            print(f"    worker killed (pid {kill.pid}) at {decided(done)} decided", flush=True)
            downtimes.append(
                await asyncio.to_thread(
                    soak.stack.wait_restarted, kill, soak.stack.worker_started(kill)
                )
            )

    chaos_task = asyncio.create_task(chaos())
    runs = await drive_cases(
        api, soak.references("a", n), concurrency=config.concurrency, done=done
    )
    driven = time.monotonic() - began
    await chaos_task
    # The last kill: held down while the publication processes' timers fire.
    killed_at = time.monotonic()
    times = await asyncio.to_thread(soak.stack.hold_down, "worker", hold)
    print(f"    worker held down {hold:.0f} s ({times} kills)", flush=True)
    await wait_for(
        lambda: asyncio.to_thread(lambda: soak.stack.pid("worker") is not None), 120, 0.2
    )
    last_back = time.monotonic() - killed_at
    check_runs(section, runs)
    submitted_to_decided = [r.decided_at - r.submitted_at for r in runs if r.decided_at]
    section.figure(
        "cases submitted and decided",
        f"{decided(runs)} in {secs(driven)} ({decided(runs) / driven * 60:.0f} cases/min)",
    )
    section.figure(
        "one case, submission to decision: p50 / p99 / max", latency(submitted_to_decided)
    )
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    section.figure(
        "worker kills during the run, each: kill → `worker started`",
        ", ".join(secs(d) for d in downtimes) or "–",
    )
    section.figure(
        "last kill (after the decisions): worker held down, then back after",
        f"{times} SIGKILLs over {hold:.0f} s; a worker process again after {secs(last_back)}",
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "a", runs, api)
