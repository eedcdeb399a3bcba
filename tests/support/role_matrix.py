"""Running the role matrix (tests/support/roles.py): every row for every caller, in order, one
cell per request, and the cells as a Markdown table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from tests.support.role_fixture import Fixture
from tests.support.role_outcomes import CALLER_ORDER, Caller, Outcome, classify
from tests.support.roles import ROWS, Row


@dataclass(frozen=True)
class Cell:
    row: Row
    caller: Caller
    status: int
    observed: Outcome | None
    detail: str

    @property
    def expected(self) -> Outcome:
        return self.row.expected[self.caller]

    @property
    def ok(self) -> bool:
        return self.observed == self.expected


async def run_matrix(
    clients: Mapping[Caller, httpx.AsyncClient], fixture: Fixture, rows: tuple[Row, ...] = ROWS
) -> list[Cell]:
    """Every row for every caller, in order; one :class:`Cell` per request."""
    cells = []
    for row in rows:
        params = await fixture.shared(row.needs)
        path = row.path.format(**params)
        body = row.body(fixture) if row.body is not None else None
        for caller in CALLER_ORDER:
            client = clients[caller]
            if row.method == "GET":
                response = await client.get(path)
            elif row.multipart:
                response = await client.request(row.method, path, **(body or {}))
            else:
                response = await client.request(row.method, path, json=body)
            cells.append(
                Cell(row, caller, response.status_code, classify(response), response.text[:300])
            )
    return cells


def table(cells: list[Cell]) -> str:
    """The matrix as Markdown: one row per operation, the status each caller got (✗ marks a
    cell that differs from the expected outcome)."""
    header = "| operation | " + " | ".join(CALLER_ORDER) + " |"
    lines = [header, "|---" * (len(CALLER_ORDER) + 1) + "|"]
    by_row: dict[str, dict[Caller, Cell]] = {}
    for cell in cells:
        by_row.setdefault(cell.row.operation, {})[cell.caller] = cell
    for operation, row in by_row.items():
        shown = [
            f"{row[c].status}" + ("" if row[c].ok else f" ✗ (expected {row[c].expected})")
            for c in CALLER_ORDER
        ]
        lines.append(f"| `{operation}` | " + " | ".join(shown) + " |")
    return "\n".join(lines)
