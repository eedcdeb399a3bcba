"""The list filters an officer opens every day in the Temporal Web UI, as links: each a visibility
query on the cases' search attributes (workflows/search_attributes.py). The README lists them
("Saved Web UI views"); ``biosafety views`` prints them with today's dates filled in.

The visibility query language has no "now": a view over dates ("due in the next 30 days") is a
link made on the day, from a template with ``{today}`` and ``{in_30_days}`` (UTC instants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

WEB_UI = "http://localhost:8233"
NAMESPACE = "default"
RUNNING = 'ExecutionStatus = "Running"'


@dataclass(frozen=True)
class View:
    name: str
    name_hu: str
    query: str  # may hold {today} and {in_30_days}
    why: str

    def query_on(self, today: date) -> str:
        def instant(day: date) -> str:
            return datetime.combine(day, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        return self.query.format(
            today=instant(today), in_30_days=instant(today + timedelta(days=30))
        )

    def link(self, today: date, web_ui: str = WEB_UI, namespace: str = NAMESPACE) -> str:
        return (
            f"{web_ui.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows?query="
            + quote(self.query_on(today), safe="")
        )


VIEWS: tuple[View, ...] = (
    View(
        "Decisions due in the next 30 days",
        "A következő 30 napban esedékes határozatok",
        f'{RUNNING} AND NextDeadlineKind IN ("decision", "first_import_decision") '
        'AND Overdue = false AND NextDeadline < "{in_30_days}"',
        "the AIA decision (CP Art 10(3)) or a first-import decision (Art 11(6)) comes next",
    ),
    View(
        "Waiting on the notifier",
        "A bejelentőre várva",
        f"{RUNNING} AND ClockStopped = true",
        "information requested, the decision clock stopped (CP Art 10(3)(c))",
    ),
    View(
        "Overdue",
        "Lejárt határidejű ügyek",
        f"{RUNNING} AND Overdue = true",
        "a deadline of the authority's has passed; silence is not consent (Art 9(4), 10(5))",
    ),
    View(
        "Messages pending",
        "Kézbesítésre váró üzenetek",
        f"{RUNNING} AND MessagesPending = true",
        "an e-mail or a BCH record not delivered yet (an outage only delays it)",
    ),
)
