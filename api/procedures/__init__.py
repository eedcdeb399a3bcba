"""The procedures the API knows, each declared once in its own module here: its workflow, how a
case is opened (start model, id rule, search attributes), its commands (each a Temporal Update) and
the procedure part of its view. The routes (api/routers/procedures.py), the OpenAPI document,
reading any case, the lists, the audit log, messages and the calendar all follow from this table.

Adding a procedure: write its folder under ``workflows/`` (models, periods, workflow on the case
kernel), add its workflow to ``worker.WORKFLOWS``, write one :class:`ProcedureSpec` in a module
here and add it to :data:`PROCEDURES`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Union

from pydantic import Field

from api.procedures.aia import AIA, aia_case_id
from api.procedures.confidentiality import CONFIDENTIALITY, confidentiality_case_id
from api.procedures.emergency import EMERGENCY, emergency_case_id
from api.procedures.ffp import FFP, ffp_case_id
from api.procedures.illegal import ILLEGAL, illegal_case_id
from api.procedures.response import RESPONSE_MEASURES, response_case_id
from api.procedures.review import REVIEW, review_case_id
from api.procedures.simplified import SIMPLIFIED, simplified_case_id
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    authority,
    bch_policy,
    clock_rules,
    example_notification,
    receipt_date,
    snapshot,
    start_attributes,
)
from api.procedures.treaty import TREATY_STATUS
from workflows.models import CaseView, Procedure

__all__ = [
    "AIA",
    "CONFIDENTIALITY",
    "EMERGENCY",
    "FFP",
    "ILLEGAL",
    "PROCEDURES",
    "RESPONSE_MEASURES",
    "REVIEW",
    "SIMPLIFIED",
    "TREATY_STATUS",
    "AnyCaseView",
    "CommandSpec",
    "KnownProcedure",
    "KnownStage",
    "Opening",
    "ProcedureSpec",
    "aia_case_id",
    "authority",
    "bch_policy",
    "clock_rules",
    "confidentiality_case_id",
    "emergency_case_id",
    "example_notification",
    "ffp_case_id",
    "illegal_case_id",
    "for_case",
    "of",
    "receipt_date",
    "response_case_id",
    "review_case_id",
    "simplified_case_id",
    "snapshot",
    "start_attributes",
]

PROCEDURES: tuple[ProcedureSpec, ...] = (
    AIA,
    REVIEW,
    TREATY_STATUS,
    FFP,
    ILLEGAL,
    SIMPLIFIED,
    EMERGENCY,
    CONFIDENTIALITY,
    RESPONSE_MEASURES,
)


def _check(specs: tuple[ProcedureSpec, ...]) -> None:
    paths = [c.path for s in specs for c in s.commands]
    duplicates = {p for p in paths if paths.count(p) > 1}
    if duplicates:
        raise RuntimeError(f"command paths used by two procedures: {sorted(duplicates)}")
    prefixes = [s.id_prefix for s in specs]
    for p in prefixes:
        if any(q != p and q.startswith(p) for q in prefixes):
            raise RuntimeError(f"case id prefix {p!r} is ambiguous")


_check(PROCEDURES)


def for_case(case_id: str) -> ProcedureSpec | None:
    """The procedure of a case, from its id (every procedure's ids have their own prefix)."""
    return next((s for s in PROCEDURES if case_id.startswith(s.id_prefix)), None)


def of(procedure: Procedure | str) -> ProcedureSpec | None:
    return next((s for s in PROCEDURES if s.procedure == procedure), None)


# The view of a case of any procedure: its details are told apart by their "procedure".
AnyDetails: Any = Annotated[
    Union[tuple(s.details for s in PROCEDURES)],  # noqa: UP007
    Field(discriminator="procedure"),
]
AnyCaseView: Any = CaseView[AnyDetails]

# What the lists may be filtered on: the procedures a case can be opened for, and their stages.
KnownProcedure: Any = StrEnum(  # type: ignore[misc]
    "KnownProcedure", {s.procedure.name: s.procedure.value for s in PROCEDURES}
)
KnownStage: Any = StrEnum(  # type: ignore[misc]
    "KnownStage", {st.value: st.value for s in PROCEDURES for st in s.stages}
)
