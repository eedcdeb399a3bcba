"""send_email when PostgreSQL is lost while the SMTP server takes the message (F3 of
docs/reliability.md): the server's 250 is final, so the message is never sent a second time,
whether the database is back at once or stays away for a while.

Each test has a database of its own on the session's PostgreSQL server, whose connections it
cuts with ``pg_terminate_backend`` while the SMTP sink holds its answer to DATA (the message
already stored), as a PostgreSQL restart does."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest_asyncio

from activities.email import EmailActivities
from infra import db
from infra.postgres import ensure_database
from infra.smtp_sink import SmtpSink
from tests.activities.email_support import request, row, settings_for

# Seconds the sink waits between storing a message and answering DATA: the window in which the
# tests cut the database away.
HOLD = 1.0


@dataclass
class Database:
    name: str
    url: str
    admin_url: str  # the server's maintenance database, to act on this one from outside
    pool: asyncpg.Pool

    async def cut_connections(self) -> int:
        """Terminate every session of this database (the pool's), as a restart would."""
        admin = await asyncpg.connect(self.admin_url)
        try:
            return len(
                await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    self.name,
                )
            )
        finally:
            await admin.close()

    async def allow_connections(self, allowed: bool) -> None:
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(
                f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
            )
        finally:
            await admin.close()


@pytest_asyncio.fixture
async def own_db(pg_server_uri: str) -> AsyncIterator[Database]:
    name = f"test_lost_{uuid.uuid4().hex[:8]}"
    url = await ensure_database(pg_server_uri, name)
    await db.migrate(url)
    pool = await db.create_pool(url)
    database = Database(name, url, pg_server_uri, pool)
    try:
        yield database
    finally:
        await database.allow_connections(True)
        await pool.close()


async def _stored(sink: SmtpSink, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(sink.messages) < count:
        assert time.monotonic() < deadline, "the sink never stored the message"
        await asyncio.sleep(0.02)


async def test_database_lost_while_the_server_takes_the_message_sends_it_once(
    smtp_sink: SmtpSink, own_db: Database
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), own_db.pool)
    req = request("aia_decision")
    smtp_sink.set_slow(HOLD)

    attempt = asyncio.create_task(activities.send_email(req))
    await _stored(smtp_sink, 1)
    assert await own_db.cut_connections() >= 1  # the attempt's transaction, mid-conversation

    delivery = await attempt  # the 250 came after the cut: delivered, not failed
    again = await activities.send_email(req)  # as a retry of the activity would

    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["Message-ID"] == delivery.message_id
    assert delivery.already_sent is False and again.already_sent is True
    assert again.message_id == delivery.message_id
    stored = await row(own_db.pool, req.message_key)
    assert (stored["status"], stored["attempts"]) == ("sent", 1)
    assert stored["message_id"] == delivery.message_id
    assert stored["server_response"] == delivery.server_response
    assert stored["sent_at"] == delivery.sent_at


async def test_a_database_that_stays_away_gets_the_evidence_when_it_is_back(
    smtp_sink: SmtpSink, own_db: Database
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), own_db.pool, evidence_wait_seconds=0.5)
    req = request("aia_acknowledgement")
    smtp_sink.set_slow(HOLD)

    attempt = asyncio.create_task(activities.send_email(req))
    await _stored(smtp_sink, 1)
    await own_db.allow_connections(False)
    await own_db.cut_connections()

    delivery = await attempt  # answered after the short wait, the database still away
    # A retry meanwhile, by the worker's other instance (the activity's, where the first attempt
    # was a local one's): never a second message.
    remote = EmailActivities(settings_for(smtp_sink), own_db.pool)
    while_away = await remote.send_email(req)

    assert delivery.already_sent is False and while_away.already_sent is True
    assert while_away.message_id == delivery.message_id
    assert len(smtp_sink.messages) == 1

    await own_db.allow_connections(True)
    deadline = time.monotonic() + 20
    while True:  # written in the background once the database takes connections again
        stored = await own_db.pool.fetchrow(
            "SELECT * FROM outgoing_messages WHERE message_key = $1", req.message_key
        )
        if stored is not None and stored["status"] == "sent":
            break
        assert time.monotonic() < deadline, f"evidence not written: {stored}"
        await asyncio.sleep(0.1)
    assert (stored["attempts"], stored["message_id"]) == (1, delivery.message_id)
    assert stored["sent_at"] == delivery.sent_at

    after = await activities.send_email(req)
    assert after.already_sent is True and len(smtp_sink.messages) == 1
