"""What a decision on an LMO must say, whichever procedure takes it: conditions with a
conditional approval and only then (Art 10(3)(a)), reasons unless consent is unconditional
(Art 10(4)), and for an approval how it applies to subsequent imports of the LMO (Art 10(3)(a)).

The rules as checks, for a command that enforces them itself (a 422 naming the field), as the
workflows' validators refuse them (``refuse_*``: the same words, with the rule and the article),
and as JSON Schema, so that the OpenAPI document says what the API does whether a command or the
workflow's validator enforces them.
"""

from __future__ import annotations

from typing import Any, Literal

from workflows.common import invalid
from workflows.models import TEXT_PATTERN

Result = Literal["approval", "approval_with_conditions", "prohibition"]

NO_CONDITIONS = "an unconditional approval has no conditions; use approval_with_conditions"
NEEDS_CONDITIONS = "approval_with_conditions needs at least one condition"
NEEDS_REASONS = (
    "reasons are required: except where consent is unconditional, a decision sets out the "
    "reasons on which it is based (Art 10(4))"
)
NEEDS_SUBSEQUENT_IMPORTS = (
    "an approval states how it applies to subsequent imports of the same LMO (Art 10(3)(a)): "
    "set subsequent_imports"
)


def check_conditions(result: Result | None, conditions: list[str]) -> list[str]:
    if result == "approval" and conditions:
        raise ValueError(NO_CONDITIONS)
    if result == "approval_with_conditions" and not conditions:
        raise ValueError(NEEDS_CONDITIONS)
    return conditions


def check_reasons(result: Result | None, reasons: str | None) -> str | None:
    if result is not None and result != "approval" and not (reasons and reasons.strip()):
        raise ValueError(NEEDS_REASONS)
    return reasons


def check_subsequent_imports(result: Result | None, text: str | None) -> str | None:
    if result is not None and result != "prohibition" and not (text and text.strip()):
        raise ValueError(NEEDS_SUBSEQUENT_IMPORTS)
    return text


def refuse_conditions(result: Result | None, conditions: list[str]) -> None:
    """``check_conditions`` for a workflow's validator."""
    try:
        check_conditions(result, conditions)
    except ValueError as err:
        raise invalid(
            f"{err} (Art 10(3)(a))",
            rule="result-matches-conditions",
            article="Art 10(3)(a)",
            field="conditions",
        ) from None


def refuse_reasons(result: Result | None, reasons: str | None) -> None:
    """``check_reasons`` for a workflow's validator."""
    try:
        check_reasons(result, reasons)
    except ValueError as err:
        raise invalid(
            str(err), rule="decision-needs-reasons", article="Art 10(4)", field="reasons"
        ) from None


def refuse_subsequent_imports(result: Result | None, text: str | None) -> None:
    """``check_subsequent_imports`` for a workflow's validator."""
    try:
        check_subsequent_imports(result, text)
    except ValueError as err:
        raise invalid(
            str(err),
            rule="approval-states-subsequent-imports",
            article="Art 10(3)(a)",
            field="subsequent_imports",
        ) from None


def _when(result: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"result": {"const": result}}}, "then": then}


def _unless(result: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"result": {"const": result}}}, "else": then}


def _required_text(field: str) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"type": "string", "pattern": TEXT_PATTERN}}}


CONDITIONS_SCHEMA: list[dict[str, Any]] = [
    _when("approval", {"properties": {"conditions": {"maxItems": 0}}}),
    _when(
        "approval_with_conditions",
        {"required": ["conditions"], "properties": {"conditions": {"minItems": 1}}},
    ),
]
REASONS_SCHEMA = _unless("approval", _required_text("reasons"))
SUBSEQUENT_IMPORTS_SCHEMA = _unless("prohibition", _required_text("subsequent_imports"))


def stated(*rules: dict[str, Any]) -> Any:
    """A model_config json_schema_extra that adds ``rules`` to the model's schema."""

    def add(schema: dict[str, Any]) -> None:
        schema["allOf"] = [*schema.get("allOf", []), *rules]

    return add
