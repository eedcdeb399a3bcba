"""A request's validation errors in words: which field (``notification.annex_i.c_lmo_name``, not
``body.annex_i.c_lmo_name``) and why (what a pattern means, not the regex). api/problems.py
answers them as a 422."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

from api.params import PATTERN_RULES
from workflows.models import EMAIL_PATTERN


class FieldError(BaseModel):
    field: str = Field(examples=["notification.annex_i.c_lmo_unique_identifier"])
    message: str = Field(examples=["must be an OECD unique identifier ..."])


# Pydantic reports a pattern mismatch by quoting the regex; say what the pattern means instead.
_PATTERN_WORDS = {
    r"^[A-Z]{2}$": "must be an ISO 3166-1 alpha-2 country code in capital letters, e.g. HU",
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$": "must start with a letter or digit and contain only "
    "letters, digits, '.', '_' and '-', at most 64 characters",
    EMAIL_PATTERN: "must be an e-mail address, e.g. regulatory@example.com",
    **PATTERN_RULES,
}


def body_name(request: Request) -> str:
    """The body parameter's name (``notification``, ``command``) so that fields read as
    ``notification.annex_i.c_lmo_name``, not ``body.annex_i.c_lmo_name``."""
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    return str(getattr(field, "name", None) or "body")


def field_name(loc: Sequence[int | str], body: str) -> str:
    if not loc:
        return body
    where, rest = loc[0], list(loc[1:])
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if where == "body":
        return body + path
    if where in ("query", "path", "header", "cookie"):
        kind = {"query": "query parameter", "path": "path parameter"}.get(str(where), str(where))
        return f"{kind} {path.lstrip('.')}"
    return f"{where}{path}"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    msg = str(error.get("msg", "invalid"))
    if kind == "missing":
        return "field required"
    if kind == "json_invalid":
        return f"the request body is not valid JSON: {ctx.get('error', 'decode error')}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "assertion_error":
        return msg.removeprefix("Assertion failed, ")
    if kind == "string_pattern_mismatch":
        msg = _PATTERN_WORDS.get(str(ctx.get("pattern")), msg)
    if kind in ("model_attributes_type", "dict_type", "model_type") and len(loc) <= 1:
        return "the request body must be a JSON object, sent as Content-Type: application/json"
    if kind == "extra_forbidden":
        msg = "not a field of this request (extra fields are not permitted)"
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and len(str(value)) <= 80:
        msg += f" (got {value!r})"
    return msg


def field_errors(errors: Iterable[Any], body: str) -> list[FieldError]:
    out: list[FieldError] = []
    for e in errors:
        loc = list(e.get("loc", ()))
        if e.get("type") == "json_invalid":
            # loc holds the character position, which is no field; the position is in words
            pos = loc[1] if len(loc) > 1 else None
            message = _message(e) + (f" (at character {pos})" if pos is not None else "")
            out.append(FieldError(field=body, message=message))
            continue
        out.append(FieldError(field=field_name(loc, body), message=_message(e)))
    return out


def detail_of(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in errors)
