"""The workflow runner (workflows/sandbox.py): the sandbox's strengths, and the serialization
context answered outside the sandbox when the data converter cannot use it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadCodec
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

from workflows.sandbox import (
    RESTRICTIONS,
    SHARED_RESTRICTIONS,
    ContextFreeSandboxedWorkflowRunner,
    workflow_runner,
)


class _Marking(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


@pytest.mark.parametrize(
    ("strength", "restrictions"), [("strict", RESTRICTIONS), ("shared", SHARED_RESTRICTIONS)]
)
def test_our_converter_gets_the_context_free_runner(strength: str, restrictions: object) -> None:
    runner = workflow_runner(strength, pydantic_data_converter)
    assert isinstance(runner, ContextFreeSandboxedWorkflowRunner)
    assert runner.restrictions is restrictions


def test_a_converter_with_a_codec_keeps_the_sdks_runner() -> None:
    """A payload codec may encode by context (workflow, activity): it must be asked as the SDK
    asks it, from inside the sandbox."""
    with_codec = dataclasses.replace(pydantic_data_converter, payload_codec=_Marking())
    runner = workflow_runner("shared", with_codec)
    assert type(runner) is SandboxedWorkflowRunner
    assert runner.restrictions is SHARED_RESTRICTIONS


def test_an_unknown_strength_is_refused() -> None:
    with pytest.raises(ValueError, match="strict or shared"):
        workflow_runner("loose", pydantic_data_converter)


def test_the_sdk_still_asks_the_questions_the_runner_answers() -> None:
    """An SDK release that renames them would leave the runner answering nothing (and the
    worker paying the sandbox again): fail here instead."""
    for name in ("get_serialization_context", "get_external_store_context"):
        assert callable(getattr(_Instance, name, None)), name


def test_a_snippet_run_in_the_sandbox_is_compiled_once() -> None:
    """The SDK runs the same text in the sandbox on every activation; the runner compiles it
    the first time and runs the compiled code after, with the same globals and result."""
    from workflows import sandbox

    instance = object.__new__(sandbox._ContextFree)  # only what _run_code uses
    instance.globals_and_locals = {}
    snippet = "__answer = __given + 1\n"
    before = sandbox._compiled.cache_info()
    instance._run_code(snippet, __given=41)
    first = sandbox._compiled.cache_info()
    assert first.misses == before.misses + 1  # compiled the first time
    assert instance.globals_and_locals["__answer"] == 42
    assert "__given" not in instance.globals_and_locals  # the extra globals are taken away
    instance._run_code(snippet, __given=1)
    assert instance.globals_and_locals["__answer"] == 2
    second = sandbox._compiled.cache_info()
    assert (second.misses, second.hits) == (first.misses, first.hits + 1)  # not compiled again


def test_the_sdk_still_runs_its_snippets_through_run_code() -> None:
    """Were the SDK to stop calling ``_run_code`` for an activation, nothing would be compiled
    once any more: fail here instead."""
    import inspect

    assert "self._run_code(" in inspect.getsource(_Instance.activate)
