"""The OpenAPI document is the contract: schemathesis runs every operation of it against the app
on the real stack (time-skipping Temporal server, worker, PostgreSQL, as tests/api/conftest.py
builds it) with every check that can hold for us, and the test fails on any failure, each
printed with a curl command that reproduces it.

Bounded for CI: four examples per operation in each phase (78 operations: about 90 seconds),
drawn from a fixed seed, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter, ValidationError
from schemathesis.engine import events
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi import converter
from schemathesis.specs.openapi.coverage import _operation as coverage

from api.app import create_app
from api.procedures import example_notification
from infra.settings import Settings
from tests.support.temporal import Stack
from workflows.aia.models import Decide, Notification, RequestInformation
from workflows.review.models import ChangeDecision, ReviewOpening

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

# A body over MAX_BODY_BYTES is refused (413, documented) whatever its content, and the schema
# allows bodies far larger (twenty fields of up to 20 000 characters): a 413 is an answer to
# valid and invalid data alike. The other statuses are schemathesis's defaults.
# Likewise a document is judged by its bytes and media type (empty, or not what its type says:
# 415), which no schema states.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "413", "415", "429", "5xx"]
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

CONFIG: dict[str, Any] = {
    "seed": 20270110,
    "generation": {"max-examples": 4, "deterministic": True},
    "continue-on-failure": True,
    # The stateful phase chains operations by the links it infers from the document (a case
    # opened, then read, then commanded): 57 scenarios of 249 requests, all it finds past about
    # 50 examples (it found the 500 on a notification whose claims could not open their case).
    # It was off while schemathesis's regex cache grew past 12 GB (FOLD_UP_TO below).
    "phases": {"stateful": {"enabled": True, "generation": {"max-examples": 50}}},
    "checks": {
        "enabled": True,
        "positive_data_acceptance": {"expected-statuses": ACCEPTED},
        "negative_data_rejection": {"expected-statuses": REJECTED},
    },
}


# To generate, schemathesis folds a string's maxLength into its pattern's quantifiers: our free
# text (maxLength 20 000, no control characters, not blank) becomes "^[^...]{0,19999}[^...\\s]
# [^...]{0,19999}$", which the validators' regex engine compiles into some 55 MB, in every one of
# the hundred-odd validators schemathesis builds and keeps for the schemas holding such a field:
# 11.7 GB. Past this length the pattern stays as the document states it, and maxLength is checked
# beside it: the same strings are valid, the coverage phase still sends the longest ones. (Its
# caches are bounded by count, not size: schemathesis issue #4305.) Measured: the file's peak
# resident memory 11.7 GB before, 0.43 GB after, and 87 s instead of 230 s.
FOLD_UP_TO = 2_000


def _fold_short(fold: Callable[[str, int | None, int | None], str]) -> Callable[..., str]:
    def folded(pattern: str, min_length: int | None, max_length: int | None) -> str:
        if max_length is not None and max_length > FOLD_UP_TO:
            return pattern
        return fold(pattern, min_length, max_length)

    return folded


def served_on(app: ASGIApp, loop: asyncio.AbstractEventLoop) -> ASGIApp:
    """``app`` as schemathesis's ASGI client calls it, from an event loop in a thread of its own:
    each request is read whole there, served on ``loop`` (the test's, where the Temporal client,
    the worker and the database pool live) and its answer replayed."""

    async def bridged(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the test's stack is already up: nothing to start
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        request: list[Message] = []
        while not request or request[-1].get("more_body", False):
            request.append(await receive())
        sent: list[Message] = []

        async def serve() -> None:
            replay = list(request)
            answered = asyncio.Event()

            async def app_receive() -> Message:
                if replay:
                    return replay.pop(0)
                await answered.wait()
                return {"type": "http.disconnect"}

            async def app_send(message: Message) -> None:
                sent.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    answered.set()

            await app(scope, app_receive, app_send)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(serve(), loop))
        for message in sent:
            await send(message)

    return bridged


# How the API refuses a date judged against today or against other dates (the case's own, the
# Protocol's adoption): "received_on 2027-03-01 is in the future (today is ...)"; and a command
# naming a part of the case that it does not have: "there is no request 5: the case has 1".
AGAINST_THE_CASE_OR_THE_CLOCK = re.compile(
    r"^(\w+_on [0-9]{4}-[0-9]{2}-[0-9]{2} is (in the future|before |after |not possible"
    r"|more than [0-9]+ days ago)|there is no \w+ [0-9]+: the case has [0-9]+"
    r"|[0-9a-f-]{36} is not a document of )"
)


def refused_for_what_no_schema_can_say(failure: Any, response: Any) -> bool:
    """Whether a schema-valid request was refused (positive_data_acceptance) for a reason that
    depends on more than the request, or that JSON Schema cannot state, and that the document
    says in words:

    - an Idempotency-Key already used for another request (schemathesis draws the same keys
      again and again; the contract asks for a unique one, and refuses a reused one with a 422,
      as the IETF Idempotency-Key draft says);
    - a date out of its bounds: in the future, before another date (the request for
      information, the Protocol's adoption), or years back (JSON Schema compares no dates);
    - a number that names no part of the case (an answer to a request the case does not have),
      or a document that is not in the case's dossier.
    """
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return False
    problem = json.loads(response.content)
    if str(problem.get("type", "")).endswith("/idempotency-key-reused"):
        return True
    messages = [str(e.get("message", "")) for e in problem.get("errors", [])]
    refusals = messages or [str(problem.get("detail", ""))]
    return all(AGAINST_THE_CASE_OR_THE_CLOCK.match(m) for m in refusals)


def failures_of(event: events.ScenarioFinished) -> list[str]:
    found = []
    for case_id, checks in event.recorder.checks.items():
        interaction = event.recorder.interactions.get(case_id)
        response = interaction.response if interaction else None
        answer = f"{response.status_code} {response.content[:800]!r}" if response else "none"
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            found.append(
                f"[{event.phase.value}] {event.recorder.label} {check.name}: {failure.title}\n"
                f"{failure.message}\n{check.failure_info.code_sample}\nanswer: {answer}"
            )
    return found


def run_schemathesis(app: ASGIApp, token: str) -> list[str]:
    """The examples, coverage, fuzzing and stateful phases over every operation; the failures in
    words."""
    config = schemathesis.Config.from_dict(
        {**CONFIG, "headers": {"Authorization": f"Bearer {token}"}}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not refused_for_what_no_schema_can_say(failure, response)

    failures: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            failures.extend(failures_of(event))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {event!r}")
    return failures


async def test_the_api_keeps_its_openapi_contract(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (converter, coverage):
        monkeypatch.setattr(module, "update_quantifier", _fold_short(module.update_quantifier))
    token = secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(update={"api_tokens": {token: "staff:contract"}})
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    bridged = served_on(app, asyncio.get_running_loop())
    failures = sorted(set(await asyncio.to_thread(run_schemathesis, bridged, token)))
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)


# ---- the document says what the models do: each body is valid for both, or for neither --------

DOCUMENT = create_app(Settings(environment="test")).openapi()
BODY_OF = {  # the operation each model is the body of
    RequestInformation: "/v1/cases/{case_id}/information-requests",
    Decide: "/v1/cases/{case_id}/decision",
    ChangeDecision: "/v1/cases/{case_id}/decision-change",
    Notification: "/v1/aia/notifications",
    ReviewOpening: "/v1/reviews",
}


def _notification(**changes: Any) -> dict[str, Any]:
    return {**example_notification(), **changes}


GUID = "1E027990-5D44-F3AF-75E3-715B60BFD3CD"
BODIES: list[tuple[Any, dict[str, Any], bool]] = [
    (RequestInformation, {"items": ["site map"]}, True),
    (RequestInformation, {"items": ["site map", "  \t"]}, False),  # blank once stripped
    (RequestInformation, {"items": ["site\u0007map"]}, False),  # a control character
    (RequestInformation, {"items": ["site map"], "note": "a\x00b"}, False),
    (Decide, {"result": "prohibition", "reasons": "r", "bch_risk_assessments": [""]}, False),
    (
        Decide,
        {"result": "prohibition", "reasons": "r", "bch_risk_assessments": [f"{GUID}@0"]},
        False,
    ),
    (
        Decide,
        {"result": "prohibition", "reasons": "r", "bch_risk_assessments": [f"{GUID}@8"]},
        True,
    ),
    (Notification, _notification(), True),
    (Notification, _notification(confidential=[{"item": "c"}]), False),  # Art 21(6)(b)
    (Notification, _notification(confidential=[{"item": "h"}, {"item": "j"}]), True),
    (Notification, _notification(confidential=[{"item": "h"}, {"item": "h"}]), False),
    (Notification, _notification(annex_i={"c_lmo_unique_identifier": "contract"}), False),
    (Notification, _notification(annex_i={"c_lmo_unique_identifier": "mon-øø81ø-6"}), True),
    (Notification, _notification(notifier_reference=" "), False),
    (
        ReviewOpening,
        {
            "origin": "authority",
            "reference": "R-1",
            "new_information": "study",
            "decision": {"lmo_name": "maize", "lmo_id": "MON-ØØ81Ø-6"},
        },
        True,
    ),
    (
        ReviewOpening,
        {
            "reference": "R-1",
            "new_information": "study",
            "decision": {"lmo_name": "maize", "lmo_id": "MON-ØØ81Ø-6"},
        },
        False,
    ),
]


# Rules of a decision the workflows' validators enforce (422, tests/workflows/test_aia.py) and the
# document states: the document refuses what they refuse.
DECISIONS: list[tuple[Any, dict[str, Any], bool]] = [
    (Decide, {"result": "approval", "subsequent_imports": "same event"}, True),
    (Decide, {"result": "approval"}, False),  # Art 10(3)(a): subsequent imports
    (Decide, {"result": "approval", "subsequent_imports": "x", "conditions": ["c"]}, False),
    (
        Decide,
        {"result": "approval_with_conditions", "reasons": "r", "subsequent_imports": "x"},
        False,
    ),
    (
        Decide,
        {
            "result": "approval_with_conditions",
            "conditions": ["c"],
            "reasons": "r",
            "subsequent_imports": "x",
        },
        True,
    ),
    (Decide, {"result": "prohibition", "reasons": "risks"}, True),
    (Decide, {"result": "prohibition", "reasons": " "}, False),  # Art 10(4): reasons
    (ChangeDecision, {"result": "approval_with_conditions", "reasons": "r"}, False),
    (ChangeDecision, {"result": "approval", "reasons": "r"}, True),
]


@pytest.mark.parametrize(("model", "body", "valid"), DECISIONS)
def test_the_document_states_the_rules_of_a_decision(
    model: Any, body: dict[str, Any], valid: bool
) -> None:
    assert _validator(model).is_valid(body) is valid, body


def _validator(model: Any) -> Draft202012Validator:
    operation = DOCUMENT["paths"][BODY_OF[model]]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": DOCUMENT["components"]})


@pytest.mark.parametrize(("model", "body", "valid"), BODIES)
def test_the_document_and_the_model_agree(model: Any, body: dict[str, Any], valid: bool) -> None:
    assert _validator(model).is_valid(body) is valid, body
    try:
        TypeAdapter(model).validate_python(body)
    except ValidationError:
        assert not valid, body
    else:
        assert valid, body
