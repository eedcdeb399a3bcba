"""People's screens in a real browser (headless Chromium, driven by Playwright with Debian's
browser; nothing is downloaded) against the running development stack (`make run`'s
infra/devstack.py, on free ports in a folder of its own): an officer finds a case in the Temporal
Web UI by a search attribute and reads its current details; a member of the public searches the
register on the public pages and comments on a consultation (CP Art 23(2)). The stack runs two
worker processes (``BIOSAFETY_DEVSTACK_WORKERS=2``), as a deployment scaled out does: either may
serve the case, and both must poll.

Screenshots of each step are kept in ``test-output/browser/`` (git-ignored). Without a Chromium
the test is skipped with a message saying how to install one; `.ci/run` installs Debian's
`chromium`, so CI always runs it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from api.procedures import example_notification
from infra.settings import Settings
from tests.soak.stack import LiveStack, Principals

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "browser"
CHROMIUM = (
    os.environ.get("BIOSAFETY_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: `apt-get install chromium` (Debian), or set BIOSAFETY_CHROMIUM to "
    "a Chromium binary, to run the browser test (.ci/run installs it)",
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    env = {"BIOSAFETY_DEVSTACK_WORKERS": "2"}
    stack = LiveStack(tmp_path_factory.mktemp("browser-stack"), Principals(), env=env)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def api(live: LiveStack) -> httpx.Client:
    token = live.principals.token("staff:kovacs")
    return httpx.Client(
        base_url=live.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def open_case(live: LiveStack) -> tuple[str, str]:
    """An AIA case under public consultation, as staff open it through the API."""
    body: dict[str, Any] = dict(example_notification())
    body["notifier_reference"] = f"BROWSER-{uuid.uuid4().hex[:8]}"
    lmo_id = f"BRW-{uuid.uuid4().hex[:5].upper()}-1"
    body["annex_i"] = dict(body["annex_i"], c_lmo_unique_identifier=lmo_id)
    with api(live) as client:
        r = client.post("/v1/aia/notifications", json=body)
        assert r.status_code == 201, r.text
        case = r.json()
        ends_on = case["deadlines"][0]["due"]  # the acknowledgement's: well before the decision
        r = client.post(
            f"/v1/cases/{case['case_id']}/consultation",
            json={"ends_on": ends_on, "subject": "Confined field trial near Szeged"},
        )
        assert r.status_code == 200, r.text
    return case["case_id"], lmo_id


async def test_the_stack_runs_the_workers_it_is_asked_for(live: LiveStack) -> None:
    workers = live.pids("worker")
    assert len(workers) == 2, workers
    client = await Client.connect(live.temporal_address)
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=Settings().task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    # The SDK's worker identity begins with the process id.
    polling = {int(p.identity.split("@", 1)[0]) for p in answer.pollers}
    assert set(workers) <= polling, (workers, [p.identity for p in answer.pollers])


async def test_an_officer_and_the_public_at_their_screens(live: LiveStack) -> None:
    from playwright.async_api import async_playwright, expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SHOTS.glob("failure.*"):
        stale.unlink()
    case_id, lmo_id = open_case(live)
    ui = f"http://127.0.0.1:{live.ports['ui']}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        try:
            # The officer: the Web UI filtered by a custom search attribute finds the case.
            query = quote(f'CaseId="{case_id}"')
            await page.goto(f"{ui}/namespaces/default/workflows?query={query}")
            link = page.get_by_role("link", name=case_id).first
            await expect(link).to_be_visible(timeout=60_000)
            await page.screenshot(path=SHOTS / "1-web-ui-filtered.png", full_page=True)
            await link.click()
            # Its current details (the Web UI shows them under User Metadata) say where it
            # stands, in words.
            await page.get_by_text("User Metadata", exact=True).first.click()
            # The UI renders the summary and the details, each in a frame of its own.
            details = page.frame_locator('iframe[src*="not%20yet%20acknowledged"]')
            await expect(details.get_by_text("Received, not yet acknowledged")).to_be_visible(
                timeout=60_000
            )
            await expect(
                details.get_by_text("Public consultation closes (CP Art 23(2))")
            ).to_be_visible()
            await page.screenshot(path=SHOTS / "2-web-ui-case.png", full_page=True)

            # The public: the register searched by the LMO's identifier.
            await page.goto(f"{live.api_url}/public/en/")
            await page.get_by_label("LMO unique identifier").fill(lmo_id)
            await page.get_by_role("button", name="Search").click()
            await expect(page.locator(f'a[href="/public/en/cases/{case_id}"]')).to_be_visible()
            await page.screenshot(path=SHOTS / "3-public-register.png", full_page=True)

            # ... and a comment on the open consultation, by keyboard-labelled fields.
            await page.goto(f"{live.api_url}/public/en/consultations/{case_id}")
            await page.get_by_label("Your name").fill("Nagy Éva")
            await page.get_by_label("Your comment").fill("Keep it 400 m from organic fields.")
            await page.get_by_role("button", name="Send comment").click()
            await expect(page.get_by_role("status")).to_contain_text("your comment was received")
            await page.screenshot(path=SHOTS / "4-public-comment.png", full_page=True)
        except Exception:
            await page.screenshot(path=SHOTS / "failure.png", full_page=True)
            (SHOTS / "failure.html").write_text(await page.content(), encoding="utf-8")
            raise
        finally:
            await browser.close()
    with api(live) as client:
        comments = client.get(f"/v1/cases/{case_id}/consultation-comments").json()
    assert [c["name"] for c in comments] == ["Nagy Éva"]
