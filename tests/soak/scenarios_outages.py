"""The soak's outage scenarios (tests/soak/scenarios.py): (d) PostgreSQL, (e) the SMTP server
and the BCH, (f) Temporal itself, each down while cases run."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from tests.soak.driver import (
    Answer,
    Api,
    CaseRun,
    Recorder,
    case_id_for,
    drive_cases,
    notification,
    read_continuously,
)
from tests.soak.evidence import Mailbox, register_rows
from tests.soak.report import percentile, secs
from tests.soak.run import (
    Soak,
    check_answers,
    check_runs,
    figures_of_answers,
    reached_decision,
    settle_and_verify,
    status_table,
    wait_for,
    when_decided,
)

# ---- (d) PostgreSQL -----------------------------------------------------------------------------


async def probe_case(soak: Soak, api: Api, letter: str) -> str:
    """A case the readers read throughout (submitted before the outage)."""
    reference = f"SOAK-{soak.run}-PROBE-{letter}".upper()
    r = await api.answered("submit", "POST", "/v1/aia/notifications", json=notification(reference))
    r.raise_for_status()
    case_id: str = r.json()["case_id"]
    return case_id


def read_paths(case_id: str) -> list[str]:
    return [
        "/v1/cases?limit=20",
        f"/v1/cases/{case_id}",
        f"/v1/cases/{case_id}/audit",
        f"/v1/cases/{case_id}/messages",
        "/v1/register?limit=20",
        f"/v1/register/{case_id}",
        "/v1/deadlines.ics",
    ]


def outage_window(answers: list[Answer]) -> float:
    """Seconds from the first 503 to the last one."""
    times = [a.at for a in answers if a.status == 503]
    return max(times) - min(times) if times else 0.0


def read_table(recorder: Recorder, windows: list[tuple[float, float]]) -> str:
    """Reads by endpoint: their answers, and their latency outside and inside the outage
    ``windows`` (pairs of time.monotonic(): from the kill until the component answered)."""

    def down(a: Answer) -> bool:
        return any(since <= a.at <= until for since, until in windows)

    lines = [
        "| read | answers | 200 | 503 | other | p50 / p99 while up | p50 / p99 during the outage |",
        "|---|---|---|---|---|---|---|",
    ]
    by_op: dict[str, list[Answer]] = {}
    for a in recorder.answers:
        if a.op.startswith("read "):
            by_op.setdefault(a.op.removeprefix("read "), []).append(a)
    for op, answers in sorted(by_op.items()):
        statuses = Counter(a.status for a in answers)
        up = [a.seconds for a in answers if a.status == 200 and not down(a)]
        during = [a.seconds for a in answers if down(a)]
        other = sum(v for k, v in statuses.items() if k not in (200, 503))
        lines.append(
            f"| `{op}` | {len(answers)} | {statuses[200]} | {statuses[503]} | {other} | "
            f"{_pair(up)} | {_pair(during)} |"
        )
    return "\n".join(lines)


def _pair(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{percentile(values, 50) * 1000:.0f} / {percentile(values, 99) * 1000:.0f} ms"


async def postgres_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "d",
        f"(d) PostgreSQL down for {down:.0f} s with cases running",
        f"{m} cases driven to a decision while readers read lists, cases, audit logs, messages, "
        "the public register and the calendar. A third of the way in, PostgreSQL's whole "
        f"process group is SIGKILLed, and killed again at each restart, for {down:.0f} s. "
        "Reads that need the register answer 503 problem+json with Retry-After, never 500; so do "
        "submissions (which look in the register for a closed case of the same id) and commands "
        "sent with an Idempotency-Key (the key is bound to its command in the register): the "
        "client retries them with the same key. Once PostgreSQL is back, the register catches "
        "up with no gap: every row at its workflow's version, every audit log equal to its "
        "workflow's history.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    probe = await probe_case(soak, api, "d")
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(read_continuously(api, read_paths(probe)[i::3], stop)) for i in range(3)
    ]
    done: list[CaseRun] = []
    window: dict[str, float] = {}

    async def outage() -> None:
        await when_decided(done, m / 3)
        window["start"] = time.monotonic()
        kills = await asyncio.to_thread(soak.stack.hold_down, "postgres", down)
        window["held"] = time.monotonic()
        await wait_for(lambda: asyncio.to_thread(soak.stack.component_ready("database")), 120, 0.2)
        window["back"] = time.monotonic()
        window["kills"] = kills
        window["back_at_wall"] = datetime.now(UTC).timestamp()

    outage_task = asyncio.create_task(outage())
    runs = await drive_cases(
        api, soak.references("d", m), concurrency=config.concurrency, done=done
    )
    await outage_task
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*readers)
    wanted = {r.case_id for r in runs if reached_decision(r)}

    async def register_complete() -> bool:
        rows = await register_rows(api)
        ours = [r for r in rows.values() if r["case_id"] in wanted]
        return len(ours) == len(wanted) and all(
            r["stage"] == "decided" and r["closed"] for r in ours
        )

    await wait_for(register_complete, config.settle_timeout, 1.0)
    caught_up = time.monotonic() - window["back"]
    check_runs(section, runs)
    outage_seconds = window["back"] - window["start"]
    section.figure(
        "PostgreSQL down (first SIGKILL → `/readyz` says the database answers)",
        f"{secs(outage_seconds)} ({window['kills']:.0f} SIGKILLs of its process group)",
    )
    section.figure("first to last 503 seen by the readers", secs(outage_window(recorder.answers)))
    section.figure(
        "register complete (every case decided and closed there) after PostgreSQL was back",
        secs(caught_up),
    )
    section.tables.append(read_table(recorder, [(window["start"], window["back"])]))
    section.tables.append(status_table(recorder))
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    submits_503 = sum(1 for a in recorder.of("submit") if a.status == 503)
    section.figure("submissions answered 503 and retried by the client", submits_503)
    check_answers(section, recorder, expect_503=True)
    await settle_and_verify(soak, section, "d", runs, api)


# ---- (e) SMTP and BCH outages -------------------------------------------------------------------


async def smtp_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "e-smtp",
        f"(e) SMTP sink down for {down:.0f} s",
        f"The SMTP sink's process is SIGKILLed, and killed again at each restart, for {down:.0f} "
        f"s, while {m} cases are taken to a decision. Their letters wait: the case shows them "
        "pending and the register's delivery evidence has the last error; once the sink is back "
        "each is delivered, once, with the Message-ID it had from the start.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    before = Mailbox.read(soak.mail).files
    held = asyncio.create_task(asyncio.to_thread(soak.stack.hold_down, "smtp", down))
    await asyncio.sleep(0.5)
    drive = asyncio.create_task(
        drive_cases(api, soak.references("esmtp", m), concurrency=config.concurrency)
    )
    await asyncio.sleep(down * 0.7)
    pending, example = await pending_email(
        api, [case_id_for(r) for r in soak.references("esmtp", m)]
    )
    stored_during = Mailbox.read(soak.mail).files - before
    kills = await held
    await wait_for(lambda: asyncio.to_thread(soak.stack.port_open("smtp")), 120, 0.2)
    back = datetime.now(UTC)
    runs = await drive
    check_runs(section, runs)
    section.figure("SMTP sink SIGKILLs (it is restarted by the supervisor after each)", kills)
    section.figure("e-mails pending with an error, seen mid-outage (via /messages)", pending)
    section.figure("example of the recorded error", f"`{example}`" if example else "–")
    section.check(
        "letters were held pending while the sink was down", pending > 0, f"{pending} pending"
    )
    section.check(
        "the sink stored nothing while it was down", stored_during == 0, f"{stored_during} stored"
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "esmtp", runs, api)
    last = await last_sent(api, [r.case_id for r in runs])
    section.figure(
        "last letter delivered after the sink was back",
        secs((last - back).total_seconds()) if last else "–",
    )


async def pending_email(api: Api, case_ids: list[str]) -> tuple[int, str]:
    pending, example = 0, ""
    for case_id in case_ids:
        r = await api.once("read messages", "GET", f"/v1/cases/{case_id}/messages")
        if r is None or r.status_code != 200:
            continue
        for m in r.json():
            if m["channel"] == "email" and m["status"] == "pending" and m["last_error"]:
                pending += 1
                example = example or m["last_error"]
    return pending, example[:160]


async def last_sent(api: Api, case_ids: list[str]) -> datetime | None:
    latest: datetime | None = None
    for case_id in case_ids:
        r = await api.answered("read messages", "GET", f"/v1/cases/{case_id}/messages")
        for m in r.json():
            if m["sent_at"] and m["channel"] == "email" and ":bch:" not in m["message_key"]:
                at = datetime.fromisoformat(m["sent_at"])
                latest = at if latest is None or at > latest else latest
    return latest


async def bch_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "e-bch",
        f"(e) BCH down for {down:.0f} s, then the stand-in killed with requests pending",
        f"The BCH stand-in answers every API call 503 for {down:.0f} s (its fault switch) while "
        f"{m} cases are decided: their decisions' records wait (the publication process is "
        "still submitting, the delivery evidence has the error). Once the BCH answers, each "
        "record is put, validated and requested once. Then, with every request pending at the "
        "focal point, the stand-in's process is SIGKILLed; the supervisor restarts it and it "
        "still knows every request (its state file), so each is approved and published once.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    focal = soak.focal
    assert focal is not None
    focal.paused = True
    await focal.set_faults("fail")
    began = time.monotonic()
    runs = await drive_cases(api, soak.references("ebch", m), concurrency=config.concurrency)
    await asyncio.sleep(max(0.0, down - (time.monotonic() - began)))
    case_ids = [r.case_id for r in runs]
    submitting = await publication_states(api, case_ids)
    await focal.set_faults("none")
    section.figure("publication states at the end of the outage", dict(submitting))
    section.check(
        "records held while the BCH was down (publication still submitting)",
        submitting.get("submitting", 0) > 0,
        str(dict(submitting)),
    )

    async def all_requested() -> bool:
        states = await publication_states(api, case_ids)
        return states.get("publication_requested", 0) == m

    requested = await wait_for(all_requested, config.settle_timeout, 2.0)
    section.figure("every record requested after the BCH was back", secs(requested))
    pending_before = {q["_id"] for q in await focal.pending()}
    kill = soak.stack.kill("bch")
    restart = await asyncio.to_thread(soak.stack.wait_restarted, kill, soak.stack.port_open("bch"))
    pending_after = {q["_id"] for q in await focal.pending()}
    section.figure("BCH stand-in SIGKILLed with requests pending; back after", secs(restart))
    section.check(
        f"every pending request known after the restart ({len(pending_before)})",
        pending_before <= pending_after,
        f"{len(pending_before - pending_after)} forgotten",
    )
    focal.paused = False
    check_runs(section, runs)
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "ebch", runs, api)


async def publication_states(api: Api, case_ids: list[str]) -> Counter[str]:
    states: Counter[str] = Counter()
    for case_id in case_ids:
        r = await api.answered("read publications", "GET", f"/v1/cases/{case_id}/publications")
        items = r.json() if r.status_code == 200 else []
        states.update(p["state"] for p in items)
        if not items:
            states["not started"] += 1
    return states


# ---- (f) Temporal -------------------------------------------------------------------------------


async def temporal_restart(soak: Soak) -> None:
    config = soak.config
    m = config.outage_cases
    section = soak.report.section(
        "f",
        "(f) Temporal dev server killed and restarted with cases in flight",
        f"{m} cases driven to a decision while readers read; {config.temporal_kills - 1} times "
        "during the run the Temporal dev server (its whole process group) is SIGKILLed and the "
        "supervisor restarts it on the same SQLite file; once more after the last decision, "
        "while the publication processes wait on their timers. Requests that reach Temporal "
        "meanwhile answer 503 problem+json with Retry-After, never 500; clients retry with the "
        "same Idempotency-Key; every case resumes and ends decided, nothing lost or sent twice.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    probe = await probe_case(soak, api, "f")
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(read_continuously(api, read_paths(probe)[i::3], stop)) for i in range(3)
    ]
    done: list[CaseRun] = []
    restarts: list[float] = []

    windows: list[tuple[float, float]] = []

    async def restart() -> None:
        kill = soak.stack.kill("temporal")
        restarts.append(
            await asyncio.to_thread(
                soak.stack.wait_restarted, kill, soak.stack.component_ready("temporal")
            )
        )
        windows.append((kill.at, kill.at + restarts[-1]))

    async def chaos() -> None:
        for i in range(1, config.temporal_kills):
            await when_decided(done, i * m / config.temporal_kills)
            await restart()

    chaos_task = asyncio.create_task(chaos())
    runs = await drive_cases(
        api, soak.references("f", m), concurrency=config.concurrency, done=done
    )
    await chaos_task
    await restart()
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*readers)
    check_runs(section, runs)
    section.figure(
        "Temporal restarts: SIGKILL → `/readyz` says Temporal answers",
        ", ".join(secs(r) for r in restarts),
    )
    section.figure("first to last 503 seen", secs(outage_window(recorder.answers)))
    section.tables.append(read_table(recorder, windows))
    section.tables.append(status_table(recorder))
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    check_answers(section, recorder, expect_503=True)
    await settle_and_verify(soak, section, "f", runs, api)
