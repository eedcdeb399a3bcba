"""The BCH stand-in keeps its state in a file: restarted on the same state folder, it still knows
its drafts, publication requests, published records and document numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from infra.bch_standin import BchStandinServer
from infra.bch_standin_state import STATE_FILE
from infra.settings import PLACEHOLDER_AUTHORITY

API = "/api/v2013"
SCHEMA = "biosafetyDecision"
UNCONDITIONAL_APPROVAL = "3B9ECE67-B35C-40FF-8C06-4EA5FF762899"
INTENTIONAL_INTRODUCTION = "E8C5A15C-A736-4fb7-A1B6-192412BE7E45"


def decision_record(uid: str) -> dict[str, Any]:
    """The smallest biosafetyDecision the stand-in's validation accepts."""
    return {
        "header": {"identifier": uid, "schema": SCHEMA, "languages": ["en"]},
        "government": {"identifier": "hu"},
        "authorities": [{"identifier": PLACEHOLDER_AUTHORITY}],
        "title": {"en": f"Decision {uid}"},
        "date": "2027-09-20",
        "isAmendment": False,
        "decisionTypes": [{"identifier": INTENTIONAL_INTRODUCTION}],
        "decisionResult": {"identifier": UNCONDITIONAL_APPROVAL},
        "expires": False,
    }


@contextmanager
def standin(state_dir: Path | None) -> Iterator[httpx.Client]:
    """A running stand-in and a client holding a fresh token (tokens do not survive restarts)."""
    server = BchStandinServer(state_dir=state_dir)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            token = client.post(
                f"{API}/authentication/token", json={"email": "user@example.org", "password": "pw"}
            ).json()["authenticationToken"]
            client.headers.update({"Authorization": f"Bearer {token}", "Realm": "bch-dev"})
            yield client
    finally:
        server.stop()


def request_publication(client: httpx.Client, uid: str) -> dict[str, Any]:
    draft = client.put(
        f"{API}/documents/{uid}/versions/draft",
        params={"schema": SCHEMA},
        json=decision_record(uid),
    )
    assert draft.status_code == 201, draft.text
    body = {
        "type": "publishNationalRecord",
        "version": "0.4",
        "data": {
            "realm": "bch-dev",
            "documentID": draft.json()["workingDocumentID"],
            "identifier": uid,
        },
    }
    requested = client.post(f"{API}/workflows", json=body)
    assert requested.status_code == 201, requested.text
    result: dict[str, Any] = requested.json()
    return result


def test_a_restarted_standin_still_knows_a_publication_request(tmp_path: Path) -> None:
    state_dir = tmp_path / "bch"
    with standin(state_dir) as client:
        pending = request_publication(client, "AAAA0000-0000-4000-8000-000000000001")
        published = request_publication(client, "AAAA0000-0000-4000-8000-000000000002")
        approved = client.post(f"/_standin/requests/{published['_id']}/approve")
        assert approved.status_code == 200
        first_document_id = client.get(
            f"{API}/documents/AAAA0000-0000-4000-8000-000000000001/versions/draft/info"
        ).json()["workingDocumentID"]
    assert json.loads((state_dir / STATE_FILE).read_text())["requests"]

    with standin(state_dir) as client:
        again = client.get(f"{API}/workflows/{pending['_id']}")
        assert again.status_code == 200, again.text
        assert again.json() == pending  # the same request, still pending, same dates
        draft = client.get(
            f"{API}/documents/AAAA0000-0000-4000-8000-000000000001/versions/draft/info"
        )
        assert draft.json()["workingDocumentLock"]["lockID"] == f"workflow-{pending['_id']}"
        record = client.get(f"{API}/documents/AAAA0000-0000-4000-8000-000000000002")
        assert record.status_code == 200 and record.json()["header"]["schema"] == SCHEMA
        # The focal point can still act on the request made before the restart.
        assert client.post(f"/_standin/requests/{pending['_id']}/approve").status_code == 200
        # Document numbers carry on from where they were, never reused.
        third = client.put(
            f"{API}/documents/AAAA0000-0000-4000-8000-000000000003/versions/draft",
            params={"schema": SCHEMA},
            json=decision_record("AAAA0000-0000-4000-8000-000000000003"),
        )
        assert third.json()["workingDocumentID"] == first_document_id + 2

    with standin(state_dir) as client:
        assert client.get(f"{API}/workflows/{pending['_id']}").json()["state"] == "approved"


def test_without_a_state_folder_the_standin_forgets(tmp_path: Path) -> None:
    with standin(None) as client:
        pending = request_publication(client, "BBBB0000-0000-4000-8000-000000000001")
    with standin(None) as client:
        assert client.get(f"{API}/workflows/{pending['_id']}").status_code == 404
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_state_file_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with standin(tmp_path) as client:
        request_publication(client, "CCCC0000-0000-4000-8000-000000000001")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == STATE_FILE and names[1].startswith(f"{STATE_FILE}.unreadable-")
    assert (tmp_path / names[1]).read_text() == "{not json"
