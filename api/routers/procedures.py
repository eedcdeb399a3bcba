"""The routes of every procedure in the registry (api/procedures.py): ``POST /v1{start_path}``
opens a case, ``POST /v1/cases/{case_id}/{command}`` runs a command as a Temporal Update; the
optional ``Idempotency-Key`` header is its Update id, so a retried request runs the command once.

Officers' commands are for staff (a notifier gets 403); a notifier opens cases under its own
e-mail only and runs the commands a procedure gives it on its own cases. Every command's
``actor`` is the authenticated principal, whatever the body says (api/auth.py), so the audit log
names who really gave it.
"""

# No ``from __future__ import annotations`` here: each route's body type is set at run time from
# the registry, and FastAPI reads it from the function's signature.

import inspect
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response

from api import case_reads, cases
from api.auth import Principal, PrincipalDep, StaffDep, ensure_case_access
from api.deps import ClientDep, PoolDep, SettingsDep
from api.errors import CommandRefused, Forbidden, ReferenceConflict
from api.params import CaseId, IdempotencyKey
from api.problem_docs import problem_responses
from api.procedures import PROCEDURES, CommandSpec, Opening, ProcedureSpec, for_case
from workflows import clock
from workflows.models import CommandResult

router = APIRouter(prefix="/v1")

_OFFICERS = (
    "For the authority's staff (a notifier gets 403). The command's `actor` is the "
    "authenticated staff member, whatever the body says."
)
_OWN = (
    " The command's `actor` is the authenticated principal (`notifier:<email>` or the staff "
    "member), whatever the body says."
)


def _authorize_receipt_date(principal: Principal, body: Any) -> None:
    """The date of receipt is the authority's to record."""
    if not principal.is_staff and getattr(body, "received_on", None) is not None:
        raise Forbidden(
            "received_on is recorded by the authority: a notifier may not state it (leave it "
            "out; the date of receipt is the day the request arrives)",
            rule="receipt-date-by-authority",
            field="received_on",
        )


def _authorize_opening(principal: Principal, body: Any, opening: Opening) -> None:
    """A notifier opens cases under its own e-mail only."""
    if principal.is_staff:
        return
    if opening.owner_email is None:
        raise Forbidden(
            f"you are authenticated as notifier {principal.name}: only the authority's staff "
            "open this kind of case; ask the authority to open it",
            rule="staff-opens-case",
        )
    if opening.owner_email != principal.name:
        field = "notifier.email" if hasattr(body, "notifier") else "requester.email"
        raise Forbidden(
            f"you are authenticated as notifier {principal.name}, but this request's {field} is "
            f"{opening.owner_email}: a notifier files only under its own e-mail; state yours",
            rule="notifier-files-own",
            field=field,
        )


PreferHeader = Annotated[
    str | None,
    Header(
        description="`return=minimal` (RFC 7240): answer as soon as the case is opened, with "
        "its id, date of receipt and location (`CaseOpened`) instead of the whole case, which "
        "waits for the case's first steps; for bulk submission. The answer then says "
        "`Preference-Applied: return=minimal`.",
        examples=["return=minimal"],
    ),
]


def _prefers_minimal(prefer: str | None) -> bool:
    """RFC 7240: preferences are comma-separated tokens, optionally with parameters."""
    tokens = (p.split(";")[0].strip().lower() for p in (prefer or "").split(","))
    return any(t.replace(" ", "") == "return=minimal" for t in tokens)


def _start_route(spec: ProcedureSpec) -> None:
    async def open_case(**kwargs: Any) -> Any:
        body: Any = kwargs[spec.start_body]
        response: Response = kwargs["response"]
        principal: Principal = kwargs["principal"]
        client, settings, pool = kwargs["client"], kwargs["settings"], kwargs["pool"]
        now = datetime.now(UTC)
        _authorize_receipt_date(principal, body)
        opening = spec.open(settings, body, clock.local_date(now, settings.timezone), now)
        _authorize_opening(principal, body, opening)
        minimal = _prefers_minimal(kwargs["prefer"])
        case: Any
        try:
            if minimal:
                case, created = await cases.open_case_minimal(
                    client, settings, spec, body, now, pool
                )
                response.headers["Preference-Applied"] = "return=minimal"
            else:
                case, created = await cases.open_case(client, settings, spec, body, now, pool)
        except ReferenceConflict as err:
            if not principal.is_staff:  # a notifier learns nothing of another's cases
                err.extra.pop("case_id", None)
            raise
        location = f"/v1/cases/{case.case_id}"
        if created:
            response.headers["Location"] = location
        else:
            response.status_code = 200
            response.headers["Content-Location"] = location
        return case

    open_case.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                spec.start_body,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[
                    spec.start_model, Body(openapi_examples=spec.start_examples or None)
                ],
            ),
            *(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
                for name, annotation in (
                    ("response", Response),
                    ("principal", PrincipalDep),
                    ("client", ClientDep),
                    ("settings", SettingsDep),
                    ("pool", PoolDep),
                )
            ),
            inspect.Parameter(
                "prefer", inspect.Parameter.KEYWORD_ONLY, annotation=PreferHeader, default=None
            ),
        ]
    )
    router.add_api_route(
        spec.start_path,
        open_case,
        methods=["POST"],
        status_code=201,
        response_model=spec.view_model | cases.CaseOpened,
        summary=spec.start_summary,
        description=spec.start_description,
        tags=[spec.tag],
        name=f"open_{spec.procedure.value}",
        responses={
            201: {
                "description": "Case created",
                "headers": {
                    "Preference-Applied": {
                        "description": "return=minimal when the answer is a CaseOpened",
                        "schema": {"type": "string"},
                    },
                    "Location": {
                        "description": "the case: /v1/cases/{case_id}",
                        "schema": {"type": "string"},
                    },
                },
            },
            200: {
                "model": spec.view_model | cases.CaseOpened,
                "description": "Already opened with the same content: the existing case",
                "headers": {
                    "Preference-Applied": {
                        "description": "return=minimal when the answer is a CaseOpened",
                        "schema": {"type": "string"},
                    },
                    "Content-Location": {
                        "description": "the case: /v1/cases/{case_id}",
                        "schema": {"type": "string"},
                    },
                },
            },
            **problem_responses(401, 403, 409, 422, 503),
        },
    )


def _command_route(spec: ProcedureSpec, declared: CommandSpec) -> None:
    async def run(
        case_id: CaseId,
        command: Any,
        principal: Any,
        client: ClientDep,
        pool: PoolDep,
        key: IdempotencyKey = None,
    ) -> CommandResult:
        if declared.who == "own":
            await ensure_case_access(principal, case_id, client, pool)
        if for_case(case_id) not in (spec, None):
            # Procedures share Update names (decide, request_information): sent to a case of
            # another procedure, this command's body would fail there as a 500.
            case = await case_reads.get_case(client, case_id, pool)  # 404 first, if there is none
            raise CommandRefused(
                f"case {case_id} is a case of the {case.procedure.value} procedure, which has no "
                f"command '{declared.path}'; send one of its own procedure's commands (see /docs)",
                rule="command-of-procedure",
            )
        # The audit log names who really gave the command, never what the body claims.
        command = command.model_copy(update={"actor": principal.actor})
        return await cases.run_command(
            client, case_id, declared.name, command, key, pool, procedure=spec.procedure
        )

    _annotate(run, "command", declared.model)
    _annotate(run, "principal", PrincipalDep if declared.who == "own" else StaffDep)
    statuses = (
        (401, 404, 409, 422, 503) if declared.who == "own" else (401, 403, 404, 409, 422, 503)
    )
    router.add_api_route(
        f"/cases/{{case_id}}/{declared.path}",
        run,
        methods=["POST"],
        response_model=CommandResult,
        summary=declared.summary,
        description=(declared.description + _OWN) if declared.who == "own" else _OFFICERS,
        tags=[spec.tag],
        name=f"{spec.procedure.value}_{declared.name}",
        responses=problem_responses(*statuses),
    )


def _annotate(fn: Any, name: str, annotation: Any) -> None:
    """Give parameter ``name`` of ``fn`` its type, for FastAPI and the OpenAPI document."""
    signature = inspect.signature(fn)
    fn.__signature__ = signature.replace(
        parameters=[
            p.replace(annotation=annotation) if p.name == name else p
            for p in signature.parameters.values()
        ]
    )


for _spec in PROCEDURES:
    _start_route(_spec)
    for _command in _spec.commands:
        _command_route(_spec, _command)
