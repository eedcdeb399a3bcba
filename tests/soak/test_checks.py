"""The soak's own judgement, without a stack (runs in ``make test``): a duplicate e-mail is
excused only when a worker or sink SIGKILL fell right after its first copy, percentiles are
nearest-rank, and the role matrix reads statuses and problem types as it should."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx

from tests.soak.evidence import CRASH_WINDOW, Mailbox
from tests.soak.report import percentile
from tests.soak.stack import Kill
from tests.support.role_outcomes import Outcome, classify


def _store(folder: Path, n: int, message_id: str, case_id: str, at: float) -> None:
    path = folder / f"{n:06d}-m.eml"
    headers = f"Message-ID: {message_id}\r\nX-Biosafety-Case: {case_id}\r\nSubject: x\r\n"
    path.write_bytes((headers + "\r\nbody\r\n").encode())
    os.utime(path, (at, at))
    with (folder / "index.jsonl").open("a") as index:
        index.write(json.dumps({"message_id": message_id, "file": path.name}) + "\n")


def _kill(component: str, wall: float) -> Kill:
    return Kill(component, pid=1, at=0.0, log_offset=0, wall=wall)


def test_a_duplicate_is_excused_only_by_a_worker_or_sink_kill_right_after_it(
    tmp_path: Path,
) -> None:
    now = time.time()
    _store(tmp_path, 1, "<a@x>", "aia-hu-a", now - 100)
    _store(tmp_path, 2, "<a@x>", "aia-hu-a", now - 10)  # sent again after the worker died
    _store(tmp_path, 3, "<b@x>", "aia-hu-b", now - 50)
    _store(tmp_path, 4, "<b@x>", "aia-hu-b", now - 5)  # sent again after PostgreSQL died
    _store(tmp_path, 5, "<c@x>", "aia-hu-c", now - 40)
    _store(tmp_path, 6, "<c@x>", "aia-hu-c", now - 4)  # sent again, nothing was killed
    _store(tmp_path, 7, "<d@x>", "aia-hu-d", now - 3)
    with (tmp_path / "index.jsonl").open("a") as index:
        index.write('{"message_id": "<d@x>", "fi')  # a line cut short by a killed sink
    mail = Mailbox.read(tmp_path)
    assert mail.files == 7 and mail.index_lines == 7
    assert mail.duplicates() == {"<a@x>": 2, "<b@x>": 2, "<c@x>": 2}
    assert mail.case_of["<b@x>"] == "aia-hu-b"
    kills = [_kill("worker", now - 99), _kill("postgres", now - 48), _kill("worker", now - 30)]
    assert mail.in_smtp_window("<a@x>", kills)
    assert not mail.in_smtp_window("<b@x>", kills)
    assert mail.why_twice("<b@x>", kills) == "after a postgres SIGKILL"
    assert not mail.in_smtp_window("<c@x>", kills)  # the kill came 10 s later: not the window
    assert mail.why_twice("<c@x>", kills) == "no SIGKILL"
    late = [_kill("worker", now - 100 + CRASH_WINDOW + 1)]
    assert not mail.in_smtp_window("<a@x>", late)
    # PostgreSQL killed while the message was still on the wire: the commit failed after the 250.
    assert mail.why_twice("<b@x>", [_kill("postgres", now - 50.2)]) == "after a postgres SIGKILL"
    assert mail.why_twice("<b@x>", [_kill("postgres", now - 52)]) == "no SIGKILL"


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0


def _response(status: int, problem_type: str | None = None) -> httpx.Response:
    body = {"type": f"https://example.org/problems/{problem_type}"} if problem_type else {}
    return httpx.Response(status, json=body)


def test_the_role_matrix_reads_what_a_response_says_about_access() -> None:
    assert classify(_response(200)) == Outcome.ALLOWED
    assert classify(_response(409, "command-refused")) == Outcome.ALLOWED
    assert classify(_response(422, "invalid-command")) == Outcome.ALLOWED
    assert classify(_response(422, "validation-error")) is None  # the request never got in
    assert classify(_response(401, "unauthorized")) == Outcome.UNAUTHENTICATED
    assert classify(_response(403, "forbidden")) == Outcome.FORBIDDEN
    assert classify(_response(404, "case-not-found")) == Outcome.HIDDEN
    assert classify(_response(404)) is None  # an unknown route is not "hidden"
    assert classify(_response(500, "internal-error")) is None
