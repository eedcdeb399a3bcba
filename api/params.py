"""Reusable path and query parameter types: what a case id, a page size and a page offset may be.

Bounded here, once, so that odd input (a NUL byte in a case id, an offset past 64 bits) is a 422
naming the parameter, never a 500 from the database or Temporal below.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Header, Path, Query
from pydantic import BeforeValidator

# Case ids are business keys, `<procedure>-<party>-<notifier reference>` (aia-hu-exs-2027-014,
# review-hu-...); references are `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, so one pattern of letters,
# digits, '.', '_' and '-' covers every procedure's ids.
CASE_ID_MAX_LENGTH = 200
CASE_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{CASE_ID_MAX_LENGTH - 1}}}$"
CASE_ID_RULE = (
    "must start with a letter or digit and contain only letters, digits, '.', '_' and '-', "
    f"at most {CASE_ID_MAX_LENGTH} characters, e.g. aia-hu-exs-2027-014"
)
# A BCH publication process id is `bch-<case id>-<step>`.
PUBLICATION_ID_MAX_LENGTH = 300
PUBLICATION_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{PUBLICATION_ID_MAX_LENGTH - 1}}}$"
PUBLICATION_ID_RULE = (
    "must start with a letter or digit and contain only letters, digits, '.', '_' and '-', "
    f"at most {PUBLICATION_ID_MAX_LENGTH} characters, e.g. bch-aia-hu-exs-2027-014-decision"
)

IDEMPOTENCY_KEY_MAX_LENGTH = 200
MAX_LIMIT = 200
# Far beyond any register's size, far below PostgreSQL's bigint.
MAX_OFFSET = 1_000_000

# What each pattern means, in words, for the 422 answer (api/field_errors.py).
PATTERN_RULES = {CASE_ID_PATTERN: CASE_ID_RULE, PUBLICATION_ID_PATTERN: PUBLICATION_ID_RULE}

CaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=CASE_ID_MAX_LENGTH,
        pattern=CASE_ID_PATTERN,
        description="the case id: " + CASE_ID_RULE,
        examples=["aia-hu-exs-2027-014"],
    ),
]
PublicationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=PUBLICATION_ID_MAX_LENGTH,
        pattern=PUBLICATION_ID_PATTERN,
        description="the publication process id: " + PUBLICATION_ID_RULE,
        examples=["bch-aia-hu-exs-2027-014-decision"],
    ),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"how many entries at most (1 to {MAX_LIMIT})")
]
Offset = Annotated[
    int,
    Query(ge=0, le=MAX_OFFSET, description=f"how many entries to skip (0 to {MAX_OFFSET})"),
]
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """Pydantic reads a number as seconds since 1970 (``0`` is 1970-01-01) and a date-time at
    midnight as its date; a date parameter is a date, written as the contract says."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError(f"must be a date written YYYY-MM-DD, e.g. 2027-03-01 (got {value!r:.40})")


Day = Annotated[date, BeforeValidator(_iso_date)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="any unique string (a UUID, say): the same key sent again for the same "
        "command on the same case returns the first result and changes nothing",
    ),
]
