"""What the role matrix's rows need (tests/support/roles.py), prepared by the owner
(submitting) and staff (commands): a case of its own at a stage, a register entry, a decided
case, a case of each other procedure.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from api.procedures import example_notification
from tests.support.role_bodies import (
    ANNEX_II,
    CONSULTATION,
    DECISION,
    DEPOSIT,
    DOCUMENT_UPLOAD,
    RISK_ASSESSMENT,
)

# What a row's path and body need (see Fixture.shared): "none", "case", "register", "decided",
# "fresh:<stage>" (an AIA case of its own at that stage), "consulting" (an AIA case under
# public consultation), "document" (a dossier document of the register's case), "review",
# "ffp", "treaty",
# "simplified", "emergency", "illegal", "response".
Needs = str


Eventually = Callable[[Callable[[], Awaitable[bool]]], Awaitable[bool]]


@dataclass
class Fixture:
    """Prepares what the rows need, as the owner (submitting) and staff (commands)."""

    owner: httpx.AsyncClient
    staff: httpx.AsyncClient
    owner_email: str
    eventually: Eventually
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _count: int = 0
    _shared: dict[str, str] = field(default_factory=dict)

    def reference(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}-{self.tag}-{self._count}"

    def notification(self) -> dict[str, Any]:
        body = dict(example_notification())
        body["notifier"] = dict(body["notifier"], email=self.owner_email)
        body["notifier_reference"] = self.reference("RM")
        return body

    def review_request(self) -> dict[str, Any]:
        return {
            "origin": "request",
            "reference": self.reference("RMREV"),
            "requested_by": "notifier",
            "requester": {"name": "Acme Seeds", "address": "Wageningen", "email": self.owner_email},
            "party_of_export": "NL",
            "grounds": "change_in_circumstances",
            "statement": "Teosinte was found near the trial site.",
            "decision": {"lmo_name": "Maize MON 810", "lmo_id": "MON-ØØ81Ø-6"},
        }

    def specification(self) -> dict[str, Any]:
        return {
            "kind": "exempt_from_aia",
            "reference": self.reference("RMSP"),
            "title": "Exemption of maize MON 810 field trials",
            "lmos": {"MON-ØØ81Ø-6": "Maize MON 810"},
            "uses": ["field_trial"],
            "adequate_measures": "Isolation distance of 200 m; monitoring by the authority.",
            "legal_basis": "Government Decree 1/2027",
        }

    def emergency(self) -> dict[str, Any]:
        from tests.workflows.test_emergency import OCCURRENCE

        return {"reference": self.reference("RMEM")} | OCCURRENCE

    def illegal_found_on(self) -> date:
        return date.today() - timedelta(days=2)  # in the past in every time zone

    def illegal_movement(self) -> dict[str, Any]:
        return {
            "reference": self.reference("RMILL"),
            "lmo_name": "Maize MON 810",
            "party_of_origin": {"party": "US", "authority_name": "APHIS", "email": "a@us.example"},
            "found_on": self.illegal_found_on().isoformat(),
            "how_found": "border_inspection",
            "circumstances": "Declared as conventional maize.",
            "quantity": {"amount": 20, "unit": "kg"},
            "held_at": "customs warehouse",
            "measures_taken": ["Consignment seized"],
        }

    def claims(self) -> dict[str, Any]:
        return {
            "notification_case_id": f"aia-hu-{self.reference('rmconf').lower()}",
            "notifier": {"name": "Acme Seeds", "address": "Wageningen", "email": self.owner_email},
            "claims": [{"item": "k"}],
        }

    def response_report(self) -> dict[str, Any]:
        return {
            "reported_by": "authority",
            "reference": self.reference("RMRESP"),
            "basis": "likelihood",
            "description": "GM oilseed rape volunteers outside the field",
            "location": "Szigetköz",
            "within_national_jurisdiction": True,
            "lmo": {"name": "Oilseed rape GT73", "category": "food_feed_processing"},
            "movement": {"kind": "intentional", "started_on": "2020-06-01"},
        }

    def ffp_decision(self) -> dict[str, Any]:
        return {
            "kind": "domestic_decision",
            "reference": self.reference("RMFFP"),
            "uses": ["food", "feed", "processing"],
            "result": "approval",
            "annex_ii": ANNEX_II,
        }

    async def _ok(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise AssertionError(
                f"preparing the role matrix: {response.request.method} {response.request.url} "
                f"answered {response.status_code}: {response.text}"
            )
        result: dict[str, Any] = response.json()
        return result

    async def case_at(self, stage: str) -> str:
        """A case of the owner's, brought by staff to ``stage``."""
        case = await self._ok(
            await self.owner.post("/v1/aia/notifications", json=self.notification())
        )
        case_id: str = case["case_id"]
        base = f"/v1/cases/{case_id}"
        plans: dict[str, list[tuple[str, dict[str, Any]]]] = {
            "received": [],
            "acknowledged": [("acknowledgement", {})],
            "awaiting_information": [
                ("acknowledgement", {}),
                ("information-requests", {"items": ["field data"]}),
            ],
            "assessed": [("acknowledgement", {}), ("risk-assessment", RISK_ASSESSMENT)],
            "consulting": [("acknowledgement", {}), ("consultation", CONSULTATION)],
            "decided": [
                ("acknowledgement", {}),
                ("risk-assessment", RISK_ASSESSMENT),
                ("decision", DECISION),
            ],
        }
        for path, body in plans[stage]:
            await self._ok(await self.staff.post(f"{base}/{path}", json=body))
        return case_id

    async def shared(self, needs: Needs) -> dict[str, str]:
        """The path parameters a row needs (read-only rows share one case)."""
        if needs == "none":
            return {}
        if needs.startswith("fresh:"):
            return {"case_id": await self.case_at(needs.removeprefix("fresh:"))}
        if needs == "consulting" and needs not in self._shared:
            case_id = self._shared[needs] = await self.case_at("consulting")

            async def listed() -> bool:  # the public reads it once the register has it
                found = await self.staff.get(f"/v1/consultations/{case_id}")
                return found.status_code == 200

            await self.eventually(listed)
        if needs == "consulting":
            return {"case_id": self._shared[needs]}
        if needs == "review":
            review = await self._ok(
                await self.owner.post("/v1/reviews", json=self.review_request())
            )
            return {"case_id": review["case_id"]}
        if needs == "simplified" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/simplified/specifications", json=self.specification())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "simplified":
            return {"case_id": self._shared[needs]}
        if needs == "confidentiality" and needs not in self._shared:
            # The owner's notification carries a claim (api/examples): its case opens with it.
            notified = await self._ok(
                await self.owner.post("/v1/aia/notifications", json=self.notification())
            )
            self._shared[needs] = f"conf-{notified['case_id']}"
        if needs == "confidentiality":
            return {"case_id": self._shared[needs]}
        if needs == "emergency" and needs not in self._shared:
            opened = await self._ok(await self.staff.post("/v1/emergencies", json=self.emergency()))
            self._shared[needs] = opened["case_id"]
        if needs == "emergency":
            return {"case_id": self._shared[needs]}
        if needs == "illegal" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/illegal-movements", json=self.illegal_movement())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "illegal":
            return {"case_id": self._shared[needs]}
        if needs == "response" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/response-measures/cases", json=self.response_report())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "response":
            return {"case_id": self._shared[needs]}
        if needs in ("ffp", "treaty"):
            if needs not in self._shared:
                path, body = (
                    ("/v1/ffp/cases", self.ffp_decision())
                    if needs == "ffp"
                    else ("/v1/treaty-status/deposits", dict(DEPOSIT))
                )
                opened = await self._ok(await self.staff.post(path, json=body))
                self._shared[needs] = opened["case_id"]
            return {"case_id": self._shared[needs]}
        if needs not in self._shared:
            if needs == "decided":
                self._shared[needs] = await self.case_at("decided")
            else:  # "case" and "register": one case, once it is in the register
                case_id = await self.case_at("received")

                async def registered() -> bool:
                    r = await self.staff.get(f"/v1/register/{case_id}")
                    return r.status_code == 200

                if not await self.eventually(registered):
                    raise AssertionError(f"case {case_id} never reached the register")
                self._shared["case"] = self._shared["register"] = case_id
        if needs == "document":
            case = await self.shared("register")
            if "document" not in self._shared:
                uploaded = await self._ok(
                    await self.owner.post(
                        f"/v1/cases/{case['case_id']}/documents", **DOCUMENT_UPLOAD(self)
                    )
                )
                self._shared["document"] = uploaded["document_id"]
            return case | {"document_id": self._shared["document"]}
        case_id = self._shared[needs]
        params = {"case_id": case_id}
        if needs == "decided":
            params["publication_id"] = f"bch-{case_id}-decision"
        return params
