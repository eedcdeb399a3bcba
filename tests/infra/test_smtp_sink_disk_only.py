"""The standalone SMTP sink (``python -m infra.smtp_sink``, what ``make run`` starts) keeps its
messages on disk only and reads just their headers for the index: its index must say what a sink
that parses and keeps every message says, for the messages our letters are (bilingual subjects
in encoded words, display names, folded headers, an address that is not ASCII)."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import pytest

from infra.smtp_sink import SmtpSink

# What differs between two sinks however alike: when and on which connection a message came.
PER_DELIVERY = {"queue_id", "received_at", "connection"}


def letters() -> list[tuple[EmailMessage, str]]:
    plain = EmailMessage()
    plain["From"] = formataddr(
        ("Géntechnológiai Hatóság (competent national authority)", "hatosag@example.org")
    )
    plain["To"] = "regulatory@example.com"
    plain["Subject"] = (
        "Értesítés átvételének visszaigazolása (Cartagena Jegyzőkönyv, 9. cikk) – "
        "Acknowledgement of receipt (Cartagena Protocol, Article 9) – case aia-hu-2026-0001"
    )
    plain["Message-ID"] = "<a1@example.org>"
    plain.set_content("Tisztelt Bejelentő! / Dear notifier,\n" * 40)

    both = EmailMessage()
    both["From"] = "authority@example.org"
    both["To"] = "Kovács Éva <kovács.éva@példa.hu>"
    both["Subject"] = "Határidő lejárt / Deadline passed"
    both["Message-ID"] = "<a2@example.org>"
    both.set_content("Lejárt.\n")
    both.add_alternative("<p>Deadline passed.</p>", subtype="html")
    both.set_boundary("==sink-test==")  # else drawn anew each time the message is written
    return [(plain, "regulatory@example.com"), (both, "kovács.éva@példa.hu")]


def deliver(sink: SmtpSink, sent: list[tuple[EmailMessage, str]]) -> None:
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        for message, to in sent:
            options = [] if to.isascii() else ["SMTPUTF8"]
            client.send_message(message, to_addrs=[to], mail_options=options)


def index(folder: Path) -> list[dict[str, object]]:
    lines = (folder / "index.jsonl").read_text(encoding="utf-8").splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in PER_DELIVERY} for line in lines]


def test_the_disk_only_sink_indexes_as_the_sink_that_parses_everything(tmp_path: Path) -> None:
    keeping, disk_only = tmp_path / "keeping", tmp_path / "disk-only"
    sent = letters()
    with SmtpSink(keeping) as a, SmtpSink(disk_only, keep_in_memory=False) as b:
        deliver(a, sent)
        deliver(b, sent)
        assert len(a.messages) == 2
        assert b.messages == []  # nothing held: the files are the record
    assert index(disk_only) == index(keeping)
    entries = index(disk_only)
    assert entries[0]["subject"] == sent[0][0]["Subject"]
    assert entries[1]["to"] == "Kovács Éva <kovács.éva@példa.hu>"
    for entry in entries:
        stored = (disk_only / str(entry["file"])).read_bytes()
        assert stored == (keeping / str(entry["file"])).read_bytes()


def test_a_sink_that_keeps_nothing_in_memory_needs_a_directory() -> None:
    with pytest.raises(ValueError, match="needs a directory"):
        SmtpSink(None, keep_in_memory=False)
