"""The scenarios: each drives its own cases (references ``SOAK-<run>-<letter>-NNNN``) through the
real stack while it breaks something, waits until every workflow it started has closed, and
checks the outcome against every trace (tests/soak/evidence.py). Figures and checks go to the
run's report (tests/soak/report.py)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.soak.driver import (
    FocalPoint,
)
from tests.soak.evidence import Mailbox, count
from tests.soak.run import (
    Soak,
    SoakConfig,
)
from tests.soak.scenarios_cases import duplicates, role_matrix, soak_with_worker_kills, two_officers
from tests.soak.scenarios_outages import bch_outage, postgres_outage, smtp_outage, temporal_restart
from tests.soak.stack import LiveStack, Principals

# ---- the whole run ------------------------------------------------------------------------------


async def final_checks(soak: Soak) -> None:
    section = soak.report.section(
        "final",
        "Whole run: nothing sent twice anywhere",
        "Across every scenario of the run (and the role matrix's cases): no Message-ID stored "
        "twice by the SMTP sink (but where a SIGKILL of the worker or the sink fell between the "
        "sink storing the message and the worker recording it: SMTP's one window, see Found), "
        "no BCH record requested twice, no workflow failed, terminated or timed out, and no 500 "
        "answered to any request.",
    )
    mailbox = Mailbox.read(soak.mail)
    twice = mailbox.duplicates()
    in_crash = {m: n for m, n in twice.items() if mailbox.in_smtp_window(m, soak.stack.kills)}
    unexplained = {m: n for m, n in twice.items() if m not in in_crash}
    section.figure(
        "messages stored by the SMTP sink / distinct Message-IDs",
        f"{mailbox.files} / {len(mailbox.counts)}",
    )
    section.figure(
        "Message-IDs stored twice, each just before a SIGKILL of the worker or the sink "
        "(the SMTP window)",
        f"{len(in_crash)} of {len(mailbox.counts)}"
        + (f" ({', '.join(mailbox.case_of.get(m, '?') for m in in_crash)})" if in_crash else ""),
    )
    section.figure("SIGKILLs sent (worker / sink / others)", kill_counts(soak))
    section.check(
        "no Message-ID stored twice but in the SMTP window (a worker or sink SIGKILL)",
        not unexplained,
        "; ".join(
            f"{mailbox.case_of.get(m)} {m} ×{n} ({mailbox.why_twice(m, soak.stack.kills)})"
            for m, n in list(unexplained.items())[:5]
        ),
    )
    assert soak.focal is not None
    state = await soak.focal.state()
    requests = Counter(q["data"]["identifier"] for q in state["requests"].values())
    section.figure(
        "BCH publication requests / documents / published",
        f"{sum(requests.values())} / {len(requests)} / {len(state['published'])}",
    )
    section.check(
        "no BCH document requested twice",
        all(v == 1 for v in requests.values()),
        str([k for k, v in requests.items() if v > 1][:5]),
    )
    bad = await count(
        soak.temporal,
        'ExecutionStatus = "Failed" OR ExecutionStatus = "Terminated" '
        'OR ExecutionStatus = "TimedOut"',
    )
    total = await count(soak.temporal, "")
    section.figure("workflow executions in the namespace", total)
    section.check("no workflow failed, terminated or timed out", bad == 0, f"{bad}")
    answers = [a for r in soak.recorders for a in r.answers]
    errors = [a for a in answers if a.status is not None and a.status >= 500 and a.status != 503]
    statuses = Counter(a.status for a in answers)
    section.figure(
        "HTTP requests made / 503 / 500", f"{len(answers)} / {statuses[503]} / {statuses[500]}"
    )
    section.check(
        "no 500 in the whole run", not errors, "; ".join(f"{a.status} {a.path}" for a in errors[:5])
    )


def kill_counts(soak: Soak) -> str:
    kills = Counter(k.component for k in soak.stack.kills)
    others = sum(n for c, n in kills.items() if c not in ("worker", "smtp"))
    return f"{kills['worker']} / {kills['smtp']} / {others}"


SCENARIOS: dict[str, Callable[[Soak], Awaitable[None]]] = {
    "matrix": role_matrix,
    "b": duplicates,
    "c": two_officers,
    "a": soak_with_worker_kills,
    "d": postgres_outage,
    "e": lambda soak: _both(soak, smtp_outage, bch_outage),
    "f": temporal_restart,
}


async def _both(soak: Soak, *scenarios: Callable[[Soak], Awaitable[None]]) -> None:
    for scenario in scenarios:
        await scenario(soak)


async def run_scenarios(soak: Soak) -> None:
    stop = asyncio.Event()
    soak.focal = FocalPoint(soak.stack.bch_url, soak.config.approve_after)
    focal = asyncio.create_task(soak.focal.run(stop))
    try:
        for key in soak.config.scenarios:
            section_count = len(soak.report.sections)
            try:
                await SCENARIOS[key](soak)
            except Exception as err:  # a scenario that breaks is a failed check, not the end
                section = (
                    soak.report.sections[-1]
                    if len(soak.report.sections) > section_count
                    else soak.report.section(key, key, "")
                )
                section.check("the scenario ran to its end", False, f"{type(err).__name__}: {err}")
        await final_checks(soak)
    finally:
        stop.set()
        await focal


def new_stack(state: Path, config: SoakConfig) -> LiveStack:
    return LiveStack(
        state,
        Principals(),
        {
            "BIOSAFETY_BCH_POLL_INTERVAL_SECONDS": f"{config.poll_interval:g}",
            "BIOSAFETY_LOG_LEVEL": os.environ.get("BIOSAFETY_LOG_LEVEL", "INFO"),
        },
    )
