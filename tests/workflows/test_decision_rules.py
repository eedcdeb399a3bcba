"""What a decision must say (workflows/decision.py), as the workflows' validators refuse it: the
AIA decision (CP Art 10(3)-(4)) and the change of a decision on review (Art 12) give the same
422, with the rule, the article and the field the API puts in its problem."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from workflows.decision import refuse_conditions, refuse_reasons, refuse_subsequent_imports
from workflows.errors import INVALID


def _refusal(call: Any, *args: Any) -> tuple[str, dict[str, str]]:
    with pytest.raises(ApplicationError) as raised:
        call(*args)
    assert raised.value.type == INVALID
    (members,) = raised.value.details
    return raised.value.message, members


def test_conditions_go_with_a_conditional_approval_and_only_with_it() -> None:
    message, members = _refusal(refuse_conditions, "approval", ["monitoring"])
    assert message == (
        "an unconditional approval has no conditions; use approval_with_conditions (Art 10(3)(a))"
    )
    assert members == {
        "rule": "result-matches-conditions",
        "article": "Art 10(3)(a)",
        "field": "conditions",
    }
    message, members = _refusal(refuse_conditions, "approval_with_conditions", [])
    assert message == "approval_with_conditions needs at least one condition (Art 10(3)(a))"
    assert members["field"] == "conditions"
    refuse_conditions("approval_with_conditions", ["monitoring"])
    refuse_conditions("approval", [])
    refuse_conditions("prohibition", [])


def test_reasons_are_required_unless_consent_is_unconditional() -> None:
    for result in ("approval_with_conditions", "prohibition"):
        message, members = _refusal(refuse_reasons, result, "  ")
        assert message.endswith("a decision sets out the reasons on which it is based (Art 10(4))")
        assert members == {
            "rule": "decision-needs-reasons",
            "article": "Art 10(4)",
            "field": "reasons",
        }
    refuse_reasons("approval", None)
    refuse_reasons("prohibition", "risks to biodiversity")


def test_an_approval_says_how_it_applies_to_subsequent_imports() -> None:
    for result in ("approval", "approval_with_conditions"):
        message, members = _refusal(refuse_subsequent_imports, result, None)
        assert "subsequent imports of the same LMO (Art 10(3)(a))" in message
        assert members == {
            "rule": "approval-states-subsequent-imports",
            "article": "Art 10(3)(a)",
            "field": "subsequent_imports",
        }
    refuse_subsequent_imports("prohibition", None)
    refuse_subsequent_imports("approval", "same event, same use")
