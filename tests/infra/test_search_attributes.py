"""Registering the search attributes on a cluster (here the real Temporal dev server, which
implements the operator service in full) is idempotent."""

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from infra.search_attributes import register, wanted
from tests.support.temporal import _binary


async def test_registers_missing_attributes_once() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"), dev_server_log_level="error"
    )
    try:
        client = env.client
        added, conflicts = await register(client)
        assert added == sorted(wanted()) and conflicts == []
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        assert {n: listed.custom_attributes[n] for n in wanted()} == wanted()
        assert await register(client) == ([], [])  # again: nothing to do
    finally:
        await env.shutdown()
