"""The problems each route of the OpenAPI document may answer (api/problems.py makes them): each
status documented as an ``application/problem+json`` body, and the document post-processed so
that FastAPI's own 422 and every route that reads a body say so (tests/api/test_contract.py
holds the API to it)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from api.problems import JSON, MAX_BODY_BYTES, PROBLEM_JSON, Problem, ValidationProblem

_DESCRIPTIONS = {
    401: "No bearer token, or a token the API does not know (with a `WWW-Authenticate: Bearer` "
    "challenge)",
    403: "The principal's role does not allow this (a notifier: an officer's command, or "
    "another notifier's e-mail)",
    404: "Unknown case or resource",
    409: "The case's stage does not allow this (or the reference is used by another notification)",
    413: f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB",
    415: f"The request body is not sent as `{JSON}`",
    422: "Invalid input: the problem's `errors` name each field (a body that is not valid JSON "
    "is named like a field)",
    503: "The case service (Temporal) or the case register (database) is unavailable; nothing "
    "was changed. Retry after the `Retry-After` header's seconds",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": 'the challenge: `Bearer realm="biosafety"`, with an `error` for '
            "credentials that are wrong (RFC 6750)",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    503: {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}
# What any route that reads a request body may answer, whatever the route (added to each such
# operation of the OpenAPI document by problem_media_types).
BODY_STATUSES = (413, 415, 422)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status documented as a problem+json body."""
    return {status: _problem_response(status) for status in statuses}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "model": ValidationProblem if status == 422 else Problem,
        "description": _DESCRIPTIONS.get(status, "Problem"),
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process the OpenAPI document: problem responses are application/problem+json; the
    422 FastAPI adds by itself to a route with parameters is our ValidationProblem; and every
    route that reads a body also says that it may be too large (413), not JSON (415) or
    invalid (422)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for status in BODY_STATUSES:
                    if str(status) not in responses:
                        responses[str(status)] = _openapi_problem(components, status)
            for status, response in responses.items():
                content = response.get("content")
                if (
                    str(status)[0] in "45"
                    and content
                    and JSON in content
                    and _is_problem(components, content[JSON].get("schema", {}))
                ):
                    content[PROBLEM_JSON] = content.pop(JSON)
                body = (content or {}).get(PROBLEM_JSON, {})
                if str(status) == "422" and body.get("schema", {}).get("$ref") == _FASTAPI_422:
                    body["schema"] = {"$ref": _component(components, ValidationProblem)}
                    response["description"] = _DESCRIPTIONS[422]
    if _FASTAPI_422 not in json.dumps(schema["paths"]):  # FastAPI's own error shapes, unused
        components.pop("HTTPValidationError", None)
        fastapi_error = components.get("ValidationError", {}).get("properties", {})
        if {"loc", "msg", "type"} <= set(fastapi_error):
            components.pop("ValidationError")
    return schema


def _openapi_problem(components: dict[str, Any], status: int) -> dict[str, Any]:
    response = _problem_response(status)
    model = response.pop("model")
    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": _component(components, model)}}}
    return response


def _is_problem(components: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a response schema is a problem (FastAPI's 422 included), not some other model
    a route answers with an error status (e.g. /healthz's 503)."""
    ref = str(schema.get("$ref", ""))
    if ref == _FASTAPI_422:
        return True
    target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return {"type", "title", "status"} <= set(target.get("properties", {}))


def _component(components: dict[str, Any], model: type[BaseModel]) -> str:
    """The reference to ``model`` among the document's schemas, adding it if missing."""
    if model.__name__ not in components:
        ref_template = "#/components/schemas/{model}"
        model_schema = model.model_json_schema(ref_template=ref_template)
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    return f"#/components/schemas/{model.__name__}"
