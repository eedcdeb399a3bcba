"""Scale-out on one machine: two worker processes and two API processes (uvicorn, through
``python -m infra.serve``) against one Temporal server and one PostgreSQL, as a cluster runs them
(infra/k8s/), with the SMTP sink and the BCH stand-in of the development stack.

Advance informed agreement cases (Cartagena Protocol Arts 8-10) go in through both APIs: each
notification (Art 8) through one, its acknowledgement (Art 9) through the other. Once every
acknowledgement letter is out, the busier worker is SIGKILLed, as a crashed node would be; the
risk assessments (Art 15) and decisions (Art 10(3)) then go in through both APIs, and every case
must still be decided with its decision letter delivered exactly once to the SMTP sink (same
Message-ID), by the worker that is left. Finally that worker is sent SIGTERM and must stop
cleanly (graceful shutdown). Along the way: both workers serve the Temporal SDK's Prometheus
metrics, both APIs their own, and every worker log line is JSON.

The stack is started with infra/devstack.py's own pieces (Temporal dev server and embedded
PostgreSQL from PyPI packages), but not supervised: a killed worker stays dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from activities.email_message import message_id_for
from infra.devstack import API_STOP_MARGIN_SECONDS, WORKER_STOP_SECONDS, DevStack, Ports
from infra.readiness import http_status
from infra.settings import Settings
from infra.supervisor import Child
from tests.soak.driver import DECISIONS, case_id_for, notification
from tests.soak.evidence import MAIL_DOMAIN, Mailbox
from tests.soak.stack import free_ports
from tests.support.history import row_fault
from tests.support.role_bodies import RISK_ASSESSMENT

CASES = 6
STAFF_TOKEN = f"multiprocess-staff-{os.urandom(12).hex()}"
START_TIMEOUT = 120.0
# A case's workflow cached on the killed worker moves to the other after the sticky queue's
# schedule-to-start timeout (10 s in the Python SDK): the commands that follow wait that long.
SETTLE_TIMEOUT = 120.0


@dataclass
class Cluster:
    stack: DevStack
    workers: list[Child]
    apis: list[Child]
    api_urls: list[str]
    worker_metrics: list[str]
    state: Path

    def log_lines(self, child: Child) -> list[str]:
        return child.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def json_log(self, child: Child) -> list[dict[str, Any]]:
        """The child's log lines that are JSON objects (the supervisor's own header lines are
        not the child's output)."""
        records = []
        for line in self.log_lines(child):
            if line.startswith("===== "):
                continue
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records


def wait_for(what: str, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.25)


def pollers(stack: DevStack) -> set[str]:
    """The identities polling the task queue (each worker process has its own, pid@host)."""
    result = stack.temporal_cli(
        "task-queue", "describe", "--task-queue", stack.settings.task_queue, "-o", "json"
    )
    if result.returncode != 0:
        return set()
    return {p.get("identity", "") for p in json.loads(result.stdout).get("pollers") or []}


def idle(stack: DevStack, workflow_ids: list[str]) -> bool:
    """No workflow has an activity scheduled or running."""
    for workflow_id in workflow_ids:
        result = stack.temporal_cli(
            "workflow", "describe", "--workflow-id", workflow_id, "-o", "json"
        )
        if result.returncode != 0:
            return False
        description = json.loads(result.stdout)
        assert "workflowExecutionInfo" in description, sorted(description)  # the CLI's shape
        if description.get("pendingActivities"):
            return False
    return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    state = tmp_path_factory.mktemp("multiprocess")
    for folder in ("temporal", "mail", "logs", "bch"):
        (state / folder).mkdir()
    temporal, ui, smtp, bch, api_1, api_2, metrics_1, metrics_2 = free_ports(8)
    settings = Settings(_env_file=None, task_queue="biosafety-multiprocess").model_copy(
        update={"database_url": None}  # the stack's own PostgreSQL, whatever the environment says
    )
    stack = DevStack(settings, Ports(temporal, ui, smtp, bch, api_1), state)
    try:
        stack.start_temporal()
        stack.start_postgres()
        env = {
            **stack.child_env(),
            "NO_COLOR": "1",
            "BIOSAFETY_ENVIRONMENT": "test",
            "BIOSAFETY_LOG_JSON": "true",
            "BIOSAFETY_API_TOKENS": json.dumps({STAFF_TOKEN: "staff:multiprocess"}),
        }
        stack.start_mail_and_bch(env)
        py = sys.executable
        workers = [
            stack.spawn(
                f"worker-{n}",
                [py, "-m", "worker"],
                env | {"BIOSAFETY_WORKER_METRICS_BIND_ADDRESS": f"127.0.0.1:{port}"},
                grace=WORKER_STOP_SECONDS,
            )
            for n, port in ((1, metrics_1), (2, metrics_2))
        ]
        apis = [
            stack.spawn(
                f"api-{n}",
                [py, "-m", "infra.serve"],
                env | {"BIOSAFETY_API_PORT": str(port)},
                grace=settings.api_graceful_shutdown_seconds + API_STOP_MARGIN_SECONDS,
            )
            for n, port in ((1, api_1), (2, api_2))
        ]
        api_urls = [f"http://127.0.0.1:{port}" for port in (api_1, api_2)]
        cluster = Cluster(
            stack,
            workers,
            apis,
            api_urls,
            [f"http://127.0.0.1:{port}/metrics" for port in (metrics_1, metrics_2)],
            state,
        )

        def all_up() -> bool:
            for child in workers + apis:
                if not child.alive:
                    raise AssertionError(f"{child.name} stopped:\n{child.last_lines()}")
            ready = all(http_status(f"{url}/readyz") == 200 for url in api_urls)
            return ready and len(pollers(stack)) >= 2

        wait_for("both workers polling and both APIs ready", all_up, START_TIMEOUT)
        yield cluster
    finally:
        stack.stop()


def test_a_case_is_read_from_the_register_only_when_nothing_is_pending(cluster: Cluster) -> None:
    """The dev server shows a workflow task in progress (the time-skipping test server does
    not): a case read while its command's task still runs is answered by the workflow, after
    the task, never from the row the task has yet to write (api/case_reads.py, settled_case)."""
    api = httpx.Client(
        base_url=cluster.api_urls[0],
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        timeout=httpx.Timeout(90.0),
    )
    reference = f"MP-{os.urandom(3).hex()}-slow"
    case_id = case_id_for(reference)
    slow, fast = row_fault("slow", "PERFORM pg_sleep(3);")
    url = cluster.stack.database_url
    try:
        assert api.post("/v1/aia/notifications", json=notification(reference)).status_code == 201
        wait_for("the case settled", lambda: idle(cluster.stack, [case_id]), SETTLE_TIMEOUT)
        assert api.get(f"/v1/cases/{case_id}").json()["stage"] == "received"
        asyncio.run(_sql(url, slow, f"INSERT INTO slow_cases VALUES ('{case_id}')"))
        with ThreadPoolExecutor(max_workers=1) as pool:
            acknowledged = pool.submit(api.post, f"/v1/cases/{case_id}/acknowledgement", json={})
            time.sleep(1.0)  # the command's workflow task is writing the register (3 s)
            read = api.get(f"/v1/cases/{case_id}")
            assert acknowledged.result().status_code == 200
        assert read.status_code == 200 and read.json()["stage"] == "acknowledged", read.text[:300]
    finally:
        asyncio.run(_sql(url, fast))
        api.close()


async def _sql(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def test_cases_finish_through_two_apis_when_a_worker_is_killed(cluster: Cluster) -> None:
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    clients = [
        httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(90.0))
        for url in cluster.api_urls
    ]
    references = [f"MP-{os.urandom(3).hex()}-{n:02d}" for n in range(CASES)]
    case_ids = [case_id_for(ref) for ref in references]

    def via(n: int) -> httpx.Client:
        return clients[n % 2]

    def command(n: int, path: str, body: dict[str, Any], api: int) -> None:
        case_id = case_ids[n]
        r = via(api).post(
            f"/v1/cases/{case_id}/{path}",
            json=body,
            headers={"Idempotency-Key": f"{case_id}:{path}"},
        )
        assert r.status_code == 200, f"{case_id} {path} via API {api % 2 + 1}: {r.text[:300]}"

    def messages(n: int) -> dict[str, dict[str, Any]]:
        r = via(n).get(f"/v1/cases/{case_ids[n]}/messages")
        r.raise_for_status()
        return {m["message_key"]: m for m in r.json()}

    def letters_sent(purpose: str) -> Callable[[], bool]:
        def sent() -> bool:
            return all(
                messages(n).get(f"{case_ids[n]}:{purpose}", {}).get("status") == "sent"
                for n in range(CASES)
            )

        return sent

    try:
        with ThreadPoolExecutor(max_workers=CASES) as pool:
            # Art 8 notifications through one API, Art 9 acknowledgements through the other.
            def submit(n: int) -> None:
                r = via(n).post("/v1/aia/notifications", json=notification(references[n]))
                assert r.status_code in (200, 201), f"submit {references[n]}: {r.text[:300]}"
                assert r.json()["case_id"] == case_ids[n]

            list(pool.map(submit, range(CASES)))
            list(pool.map(lambda n: command(n, "acknowledgement", {}, n + 1), range(CASES)))
            wait_for(
                "every acknowledgement letter sent", letters_sent("acknowledgement"), SETTLE_TIMEOUT
            )
            # Between steps: no activity in flight (an activity on a killed worker waits out its
            # start-to-close timeout before it is retried; the SIGTERM path below hands it back).
            wait_for("no activity in flight", lambda: idle(cluster.stack, case_ids), SETTLE_TIMEOUT)

            # The busier worker (the one that sent more letters so far) dies as a node would.
            sent_by = [
                sum(1 for r in cluster.json_log(w) if r.get("event") == "email.sent")
                for w in cluster.workers
            ]
            assert sum(sent_by) >= CASES, f"letters sent per worker: {sent_by}"
            victim, survivor = (
                cluster.workers if sent_by[0] >= sent_by[1] else cluster.workers[::-1]
            )
            assert victim.pid is not None and victim.process is not None
            os.killpg(victim.pid, signal.SIGKILL)
            victim.process.wait(timeout=10)
            assert victim.process.returncode == -signal.SIGKILL

            # Art 15 risk assessments and Art 10(3) decisions, alternating APIs again.
            def decide(n: int) -> None:
                command(n, "risk-assessment", RISK_ASSESSMENT, n)
                command(n, "decision", DECISIONS[n % len(DECISIONS)], n + 1)

            list(pool.map(decide, range(CASES)))
        wait_for("every decision letter sent", letters_sent("decision"), SETTLE_TIMEOUT)

        for n, case_id in enumerate(case_ids):
            case = via(n + 1).get(f"/v1/cases/{case_id}").json()
            assert case["stage"] == "decided", f"{case_id}: {case['stage']}"

        # Each letter reached the SMTP sink once, under its stable Message-ID.
        mail = Mailbox.read(cluster.state / "mail")
        for case_id in case_ids:
            for purpose in ("acknowledgement", "decision"):
                message_id = message_id_for(f"{case_id}:{purpose}", MAIL_DOMAIN)
                assert mail.counts[message_id] == 1, f"{case_id} {purpose}: {mail.counts}"
        sent_by_survivor = {
            r.get("message_id")
            for r in cluster.json_log(survivor)
            if r.get("event") == "email.sent"
        }
        decisions = {message_id_for(f"{c}:decision", MAIL_DOMAIN) for c in case_ids}
        assert decisions <= sent_by_survivor, "the surviving worker sent every decision letter"

        # Prometheus: the surviving worker's SDK runtime, and each API replica's own counts.
        survivor_metrics = cluster.worker_metrics[cluster.workers.index(survivor)]
        scrape = httpx.get(survivor_metrics, timeout=10).text
        for family in (
            "temporal_workflow_task_schedule_to_start_latency_bucket",
            "temporal_activity_execution_latency_bucket",
            "temporal_workflow_task_queue_poll_succeed_total",
        ):
            assert family in scrape, f"{family} not in the worker's metrics"
        for client in clients:
            text = client.get("/metrics").text
            assert 'route="/v1/cases/{case_id}/decision",status="200"' in text

        # Structured logs: every line the surviving worker wrote is a JSON object.
        lines = [
            line
            for line in cluster.log_lines(survivor)
            if line.strip() and not line.startswith("===== ")
        ]
        assert lines and len(cluster.json_log(survivor)) == len(lines), [
            line for line in lines if not line.startswith("{")
        ][:5]

        # Graceful shutdown: SIGTERM, the worker finishes what it runs and exits 0.
        assert survivor.process is not None
        os.killpg(survivor.process.pid, signal.SIGTERM)
        assert survivor.process.wait(timeout=WORKER_STOP_SECONDS) == 0
        events = [r.get("event") for r in cluster.json_log(survivor)]
        assert "worker stopped" in events

        # No worker runs now, so no workflow can answer a Query: a case with nothing pending is
        # read from the register all the same (api/case_reads.py, settled_case).
        for n, case_id in enumerate(case_ids):
            r = via(n).get(f"/v1/cases/{case_id}")
            assert r.status_code == 200, f"{case_id}: {r.text[:300]}"
            assert r.json()["stage"] == "decided"
    finally:
        for client in clients:
            client.close()
