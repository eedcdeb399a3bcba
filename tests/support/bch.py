"""BCH fixtures: the real BCH stand-in (infra/bch_standin.py) served by uvicorn on a free port.

``bch_standin_server`` runs once per session; ``bch_standin`` is the same server reset for each
test and wrapped in a small handle: ``.base_url`` for the adapter, plus the stand-in's control
endpoints (approve/reject a publication request as the national focal point, faults, token expiry,
state). The handle's calls are synchronous, so they work from sync and async tests alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest

from infra.bch_standin import BchStandinServer


class BchStandin:
    def __init__(self, server: BchStandinServer) -> None:
        self.server = server
        self.base_url = server.base_url
        self.control = httpx.Client(base_url=server.base_url, timeout=10)

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.control.post(path, json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset(self) -> None:
        self._post("/_standin/reset")

    def configure(
        self,
        *,
        auto_approve: bool | None = None,
        token_ttl_seconds: float | None = None,
        publish_reference_records: bool | None = None,
    ) -> dict[str, Any]:
        """``auto_approve``: the focal point approves decisions at once;
        ``publish_reference_records`` (default on): contacts are published at once."""
        return self._post(
            "/_standin/config",
            {
                "auto_approve": auto_approve,
                "token_ttl_seconds": token_ttl_seconds,
                "publish_reference_records": publish_reference_records,
            },
        )

    def approve(self, request_id: str) -> dict[str, Any]:
        return self._post(f"/_standin/requests/{request_id}/approve")

    def reject(self, request_id: str, reason: str | None = None) -> dict[str, Any]:
        return self._post(f"/_standin/requests/{request_id}/reject", {"reason": reason})

    def set_faults(
        self, mode: Literal["none", "fail", "hang"], hang_seconds: float = 30.0
    ) -> dict[str, Any]:
        return self._post("/_standin/faults", {"mode": mode, "hang_seconds": hang_seconds})

    def expire_tokens(self) -> dict[str, Any]:
        return self._post("/_standin/expire-tokens")

    def state(self) -> dict[str, Any]:
        response = self.control.get("/_standin/state")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def published_decisions(self) -> dict[str, dict[str, Any]]:
        """The ``biosafetyDecision`` records published here (not the contact records that the
        decisions' exporters and importers become)."""
        return {
            uid: record
            for uid, record in self.state()["published"].items()
            if record["body"]["header"]["schema"] == "biosafetyDecision"
        }

    def decision_drafts(self) -> dict[str, dict[str, Any]]:
        """The ``biosafetyDecision`` drafts saved here."""
        return {
            uid: draft
            for uid, draft in self.state()["drafts"].items()
            if draft["body"]["header"]["schema"] == "biosafetyDecision"
        }

    def pending_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.state()["requests"].values() if r["state"] == "pending"]

    def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.state()["calls"]
        return calls

    def token(self, email: str = "national-user@example.org", password: str = "pw") -> str:
        """A token for calling the API directly (tests of the stand-in itself)."""
        response = self.control.post(
            "/api/v2013/authentication/token", json={"email": email, "password": password}
        )
        response.raise_for_status()
        return str(response.json()["authenticationToken"])

    def close(self) -> None:
        self.control.close()


@pytest.fixture(scope="session")
def bch_standin_server() -> Iterator[BchStandinServer]:
    server = BchStandinServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bch_standin(bch_standin_server: BchStandinServer) -> Iterator[BchStandin]:
    """The session's BCH stand-in, reset to empty, no faults, manual approval."""
    handle = BchStandin(bch_standin_server)
    handle.reset()
    yield handle
    handle.set_faults("none")
    handle.close()
