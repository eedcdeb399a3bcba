"""The case timeline picture (``GET /v1/cases/{id}/timeline.svg``, api/timeline.py) over the real
stack: parsed as XML at every stage of an AIA case (CP Arts 8-10, receipt to BCH publication,
with a clock stop under Art 10(3)(c) and an extension under 10(3)(d)), a lapse with its reminders
(Art 9(1), silence is not consent, 9(4)), a case of every registered procedure, the same access as
reading the case, and the link to it in the Web UI's current details."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata

from api.procedures import PROCEDURES
from tests.api.conftest import Callers, assert_problem, case_id_of, eventually, notification_body
from tests.support.role_bodies import RISK_ASSESSMENT
from tests.support.role_fixture import Fixture
from tests.support.roles import ROWS
from tests.support.temporal import Stack

SVG = "{http://www.w3.org/2000/svg}"


class Picture:
    """A timeline SVG, parsed."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        self.root = ET.fromstring(response.content)
        assert self.root.tag == f"{SVG}svg"

    def texts(self) -> list[str]:
        return ["".join(t.itertext()) for t in self.root.iter(f"{SVG}text")]

    def lane(self, key: str) -> ET.Element:
        (lane,) = [g for g in self.root.iter(f"{SVG}g") if g.get("data-key") == key]
        return lane

    def caption(self, key: str) -> tuple[str, str, str]:
        """The lane's status class, and its English and Hungarian captions."""
        lane = self.lane(key)
        en, hu = ("".join(t.itertext()) for t in lane.iter(f"{SVG}text"))
        return (lane.get("class") or "").removeprefix("lane "), en, hu

    def tooltip(self, key: str) -> str:
        return "".join(self.lane(key).find(f"{SVG}title").itertext())  # type: ignore[union-attr]

    def steps(self) -> list[str]:
        """The legend: one line per step, in date order."""
        return [
            "".join(t.itertext())
            for t in self.root.iter(f"{SVG}text")
            if "legend-item" in (t.get("class") or "")
        ]

    def bands(self) -> list[str]:
        return [
            "".join(t.itertext())
            for t in self.root.iter(f"{SVG}text")
            if t.get("class") == "band-text"
        ]


async def picture(client: httpx.AsyncClient, case_id: str) -> Picture:
    return Picture(await client.get(f"/v1/cases/{case_id}/timeline.svg"))


async def case(client: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/v1/cases/{case_id}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def ledger(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["key"]: d for d in view["deadlines"]}


async def test_an_aia_case_from_receipt_to_bch_publication(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    body = notification_body()
    cid = case_id_of(body)
    base = f"/v1/cases/{cid}"
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201

    # Received (Art 8): both deadlines run, each with its days left, and today is drawn.
    view = await case(api, cid)
    today = date.fromisoformat(view["today"])
    ack, dec = ledger(view)["acknowledgement"], ledger(view)["decision"]
    pic = await picture(api, cid)
    assert f"today / ma {today}" in pic.texts()
    status, en, hu = pic.caption("acknowledgement")
    assert status == "running"
    assert en == f"Acknowledgement of receipt (CP Art 9(1)): due {ack['due']}, 90 days left"
    assert hu.endswith(f"határidő {ack['due']}, 90 nap van hátra")
    assert pic.caption("decision")[1].endswith(f"due {dec['due']}, 270 days left")
    assert dec["explanation"] in pic.tooltip("decision")
    assert dec["explanation_hu"] in pic.tooltip("decision")
    (received,) = pic.steps()
    assert received.startswith(f"1. {today} · Received / Beérkezés: Notification ")

    # Acknowledged (Art 9) ten days later: that deadline met.
    await stack.env.sleep(timedelta(days=10))
    assert (await api.post(f"{base}/acknowledgement", json={})).status_code == 200
    pic = await picture(api, cid)
    status, en, _ = pic.caption("acknowledgement")
    assert status == "met" and en.endswith(f"met on {today + timedelta(days=10)}")
    assert pic.steps()[1].startswith(f"2. {today + timedelta(days=10)} · Acknowledged / ")
    assert pic.caption("decision")[1].endswith("260 days left")

    # Information requested (Art 10(3)(c)): the decision clock stops, a band from that day.
    await stack.env.sleep(timedelta(days=20))
    stopped_on = today + timedelta(days=30)
    r = await api.post(f"{base}/information-requests", json={"items": ["field trial data"]})
    assert r.status_code == 200, r.text
    pic = await picture(api, cid)
    status, en, hu = pic.caption("decision")
    assert status == "stopped"
    assert en == "Decision on the import (CP Art 10(3)): clock stopped, 240 days remain"
    assert hu.endswith("az óra áll, 240 nap van hátra")
    assert pic.bands() == [f"clock stopped since {stopped_on}"]
    assert "Clock stopped / Óra megállítva" in pic.steps()[2]

    # Received twelve days later: the clock runs again, 12 days not counted.
    await stack.env.sleep(timedelta(days=12))
    assert (await api.post(f"{base}/information-received", json={})).status_code == 200
    pic = await picture(api, cid)
    assert pic.bands() == [
        f"clock stopped {stopped_on} – {stopped_on + timedelta(days=12)} (12 days not counted)"
    ]
    new_due = date.fromisoformat(dec["due"]) + timedelta(days=12)
    status, en, hu = pic.caption("decision")
    assert (status, en) == (
        "running",
        f"Decision on the import (CP Art 10(3)): due {new_due}, 240 days left",
    )
    assert hu.endswith(f"(CP Art 10(3)): határidő {new_due}, 240 nap van hátra")

    # Extended by 30 days (Art 10(3)(d)), assessed (Art 15), decided (Art 10(3)).
    r = await api.post(f"{base}/extensions", json={"days": 30, "reasons": "Expert opinion."})
    assert r.status_code == 200, r.text
    extended_due = new_due + timedelta(days=30)
    pic = await picture(api, cid)
    assert pic.caption("decision")[1].endswith(f"due {extended_due}, 270 days left")
    assert "+30 days extension notified" in pic.tooltip("decision")
    assert "Extended / Hosszabbítás" in pic.steps()[-1]
    assert (await api.post(f"{base}/risk-assessment", json=RISK_ASSESSMENT)).status_code == 200
    decision = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
    assert (await api.post(f"{base}/decision", json=decision)).status_code == 200
    decided_on = today + timedelta(days=42)
    pic = await picture(api, cid)
    status, en, _ = pic.caption("decision")
    assert status == "met" and en.endswith(f"met on {decided_on}")
    kinds = [line.split(" · ")[1].split(":")[0] for line in pic.steps()]
    assert "Decision / Határozat" in kinds

    # The BCH record (Art 20(3)(d)): requested, approved by the focal point, published.
    async def decision_record() -> dict[str, Any] | None:
        items = (await api.get(f"{base}/publications")).json()
        return next((p for p in items if p["workflow_id"] == f"bch-{cid}-decision"), None)

    async def requested() -> str | None:
        record = await decision_record()
        return record["request_id"] if record and record["request_id"] else None

    request_id = await eventually(requested)
    assert request_id is not None, [
        (p["purpose"], p["state"]) for p in (await api.get(f"{base}/publications")).json()
    ]
    stack.bch.approve(request_id)  # type: ignore[attr-defined]
    await stack.env.sleep(timedelta(days=1))  # the publication's daily poll

    async def published() -> bool:
        record = await decision_record()
        return record is not None and record["state"] == "published"

    assert await eventually(published)
    pic = await picture(api, cid)
    assert any(
        "Published on the BCH / Közzétéve a BCH-n: prohibition record published" in line
        for line in pic.steps()
    ), pic.steps()


async def test_a_missed_acknowledgement_with_its_reminders(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    body = notification_body()
    cid = case_id_of(body)
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201
    await stack.env.sleep(timedelta(days=95))

    async def lapsed() -> dict[str, Any] | None:
        view = await case(api, cid)
        return view if any(s["kind"] == "deadline_missed" for s in view["history"]) else None

    view = await eventually(lapsed)
    assert view is not None
    ack = ledger(view)["acknowledgement"]
    pic = await picture(api, cid)
    status, en, hu = pic.caption("acknowledgement")
    assert status == "missed"
    assert en == (
        f"Acknowledgement of receipt (CP Art 9(1)): due {ack['due']}, "
        f"OVERDUE by {ack['days_overdue']} days"
    )
    assert hu.endswith(f"{ack['days_overdue']} napja lejárt")
    kinds = [line.split(" · ")[1].split(":")[0] for line in pic.steps()]
    assert kinds.count("Reminder / Emlékeztető") >= 4  # 30, 14, 7 and 1 days before
    assert "Deadline missed / Határidő elmulasztva" in kinds


def _opening(spec: Any, callers: Callers) -> tuple[str, dict[str, Any]]:
    """Where and with what a case of ``spec``'s procedure is opened: as the role matrix opens
    one (tests/support/roles.py has a row, with a body, for every procedure's opening)."""
    path = f"/v1{spec.start_path}"
    row = next((r for r in ROWS if (r.method, r.path) == ("POST", path)), None)
    assert row is not None and row.body is not None, f"no role-matrix row opens {path}"
    fixture = Fixture(callers.alice, callers.staff, callers.alice_email, eventually)
    return path, row.body(fixture)


@pytest.mark.parametrize("spec", PROCEDURES, ids=lambda s: s.procedure.value)
async def test_every_procedure_has_a_timeline(spec: Any, callers: Callers) -> None:
    path, body = _opening(spec, callers)
    r = await callers.staff.post(path, json=body)
    assert r.status_code in (200, 201), r.text
    cid = r.json()["case_id"]
    # A new case moves on by itself (its BCH record goes out, a period is met): compare the
    # picture with the case as read on both sides of it, once the two reads agree.
    for _ in range(50):
        before = await case(callers.staff, cid)
        pic = await picture(callers.staff, cid)
        view = await case(callers.staff, cid)
        if before["version"] == view["version"] and before["stage"] == view["stage"]:
            break
        await asyncio.sleep(0.2)
    texts = pic.texts()
    assert texts[0].startswith(f"{cid}: ")
    assert f"today / ma {view['today']}" in texts
    assert pic.steps(), "every case has at least its opening step"
    assert [line.split(" · ")[0].split(". ")[1] for line in pic.steps()] == sorted(
        step["on"] for step in view["history"]
    )
    for d in view["deadlines"]:
        status, en, hu = pic.caption(d["key"])
        assert status == d["status"]
        assert en.startswith(f"{d['label']} ({d['article']})")
        assert hu.startswith(f"{d['label_hu'] or d['label']} ({d['article']})")
        if d["status"] == "running":
            left = d["remaining_days"]
            assert en.endswith(f"due {d['due']}, {left} day{'' if left == 1 else 's'} left")


async def test_the_timeline_is_read_as_the_case_is(callers: Callers) -> None:
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=callers.alice_email)
    cid = case_id_of(body)
    assert (await callers.alice.post("/v1/aia/notifications", json=body)).status_code == 201
    await picture(callers.alice, cid)  # its notifier
    await picture(callers.staff, cid)
    url = f"/v1/cases/{cid}/timeline.svg"
    assert_problem(await callers.bob.get(url), 404)  # another notifier: as if there were none
    assert_problem(await callers.anonymous.get(url), 401)
    assert_problem(await callers.staff.get("/v1/cases/aia-hu-no-such-case/timeline.svg"), 404)

    # Withdrawn by its notifier (Art 21(5) keeps its secrets): closed, every deadline cancelled.
    r = await callers.alice.post(f"/v1/cases/{cid}/withdrawal", json={"reason": "Trial off."})
    assert r.status_code == 200, r.text
    pic = await picture(callers.alice, cid)
    for key in ("acknowledgement", "decision"):
        status, en, hu = pic.caption(key)
        assert status == "cancelled" and en.endswith(": cancelled") and hu.endswith(": megszűnt")
    assert "Closed / Lezárva: Notification withdrawn on" in pic.steps()[-1]


async def test_the_web_ui_details_link_the_timeline(api: httpx.AsyncClient, stack: Stack) -> None:
    body = notification_body()
    cid = case_id_of(body)
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201
    handle = stack.client.get_workflow_handle(cid)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    link = f"{stack.settings.api_public_url}/v1/cases/{cid}/timeline.svg"
    assert f"[Timeline of the case / Az ügy idővonala]({link})" in metadata.current_details
